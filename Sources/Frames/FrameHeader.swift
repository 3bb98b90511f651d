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

    /// The number of elements in `shape`, or nil when it would not fit in memory addresses
    /// (a zero extent anywhere makes it 0, however large the others).
    static func elementCount(of shape: [Int]) -> Int? {
        if shape.contains(0) { return 0 }
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow, product <= Int.max / 16 else { return nil }
            count = product
        }
        return count
    }
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
        guard case .integer(let version) = fields["version"] else {
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
        for extent in extents {
            guard case .integer(let n) = extent, n >= 0, n <= Int64(Int32.max) else {
                throw FrameError(.malformed, "header shape has an invalid extent")
            }
            shape.append(Int(n))
        }
        guard elementCount(of: shape) != nil else {
            throw FrameError(.tooLarge, "header shape \(shape) holds more elements than can be addressed")
        }
        guard let orderName = fields["order"]?.stringValue, let order = StorageOrder(rawValue: orderName) else {
            throw FrameError(.malformed, "header order must be 'F' or 'C'")
        }
        guard case .integer(let npyBytes) = fields["npy_bytes"], npyBytes >= 0 else {
            throw FrameError(.malformed, "header has no integer npy_bytes")
        }
        let attributes: [String: JSONValue]
        switch fields["attributes"] {
        case nil: attributes = [:]
        case .object(let members)?: attributes = members
        default: throw FrameError(.malformed, "header attributes must be a JSON object")
        }
        let header = FrameHeader(name: name, dtype: dtype, shape: shape, order: order, attributes: attributes)
        guard npyBytes > Int64(header.dataBytes) else {
            throw FrameError(.inconsistent, "header npy_bytes \(npyBytes) cannot hold \(header.shapeDescription) \(dtype.rawValue)")
        }
        return (header, Int(npyBytes))
    }
}
