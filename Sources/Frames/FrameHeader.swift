/// The self-describing part of a frame, carried in a zstd skippable frame ahead of the payload
/// so that a stream can be listed, filtered and forwarded without decompressing anything.
public struct FrameHeader: Sendable, Equatable {
    public static let formatName = "flatmin-frame"
    public static let formatVersion: Int64 = 1
    /// Largest rank a header may declare; keeps a hostile header from making us build huge shapes.
    public static let maximumRank = 8

    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var order: StorageOrder
    public var attributes: [String: JSONValue]

    public init(name: String, dtype: DType, shape: [Int], order: StorageOrder = .columnMajor,
                attributes: [String: JSONValue] = [:]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.order = order
        self.attributes = attributes
    }

    public var elementCount: Int { shape.reduce(1, *) }
    public var dataBytes: Int { elementCount * dtype.byteSize }

    /// The `.npy` file this header describes: its dict, then the data.
    public var npyBytes: Int { NPY.headerBytes(for: self).count + dataBytes }

    public var shapeDescription: String {
        shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "×")
    }

    public func jsonValue() -> JSONValue {
        .object([
            "format": .string(Self.formatName),
            "version": .integer(Self.formatVersion),
            "name": .string(name),
            "dtype": .string(dtype.rawValue),
            "shape": .array(shape.map { .integer(Int64($0)) }),
            "order": .string(order.rawValue),
            "npy_bytes": .integer(Int64(npyBytes)),
            "attributes": .object(attributes),
        ])
    }

    /// Parses and checks a header's JSON. Returns the header and the `.npy` length it declares,
    /// which the payload must then match.
    static func parse(json bytes: some Collection<UInt8>) throws -> (header: FrameHeader, npyBytes: Int) {
        let value: JSONValue
        do {
            value = try JSONValue.decode(bytes)
        } catch {
            throw FrameError(.malformed, "header is not valid JSON")
        }
        guard case .object(let fields) = value else {
            throw FrameError(.malformed, "header is not a JSON object")
        }
        guard fields["format"]?.stringValue == formatName else {
            throw FrameError(.malformed, "header does not say format '\(formatName)'")
        }
        guard let version = fields["version"]?.integerValue else {
            throw FrameError(.malformed, "header has no version")
        }
        guard version == formatVersion else {
            throw FrameError(.unsupportedVersion, "format version \(version) is not supported (this reader knows \(formatVersion))")
        }
        guard let name = fields["name"]?.stringValue, !name.isEmpty else {
            throw FrameError(.malformed, "header has no name")
        }
        guard let dtypeName = fields["dtype"]?.stringValue else {
            throw FrameError(.malformed, "header has no dtype")
        }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw FrameError(.malformed, "unknown dtype '\(dtypeName)'")
        }
        guard let extents = fields["shape"]?.arrayValue, extents.count <= maximumRank else {
            throw FrameError(.malformed, "header shape is missing or has more than \(maximumRank) dimensions")
        }
        var shape: [Int] = []
        var elements = 1
        for extent in extents {
            guard let n = extent.integerValue, n >= 0, n <= Int64(Int32.max) else {
                throw FrameError(.malformed, "header shape has an invalid extent")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(n))
            guard !overflow, product <= Int.max / 16 else {
                throw FrameError(.tooLarge, "header shape \(extents.map { $0.integerValue ?? 0 }) overflows")
            }
            elements = product
            shape.append(Int(n))
        }
        guard let orderName = fields["order"]?.stringValue, let order = StorageOrder(rawValue: orderName) else {
            throw FrameError(.malformed, "header order must be 'F' or 'C'")
        }
        guard let npyBytes = fields["npy_bytes"]?.integerValue, npyBytes >= 0 else {
            throw FrameError(.malformed, "header has no npy_bytes")
        }
        let attributes = fields["attributes"]?.objectValue ?? [:]
        let header = FrameHeader(name: name, dtype: dtype, shape: shape, order: order, attributes: attributes)
        guard npyBytes > Int64(header.dataBytes) else {
            throw FrameError(.inconsistent, "header npy_bytes \(npyBytes) cannot hold \(header.shapeDescription) \(dtype.rawValue)")
        }
        return (header, Int(npyBytes))
    }
}
