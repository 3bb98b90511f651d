/// The self-describing part of a frame, carried in a zstd skippable frame ahead of the payload
/// so that a stream can be listed, filtered and forwarded without decompressing anything.
public struct FrameHeader: Sendable, Equatable {
    public static let formatName = "flatmin-frame"
    public static let formatVersion: Int64 = 1
    /// Largest rank a header may declare; keeps a hostile header from making us build huge shapes.
    public static let maximumRank = 8
    /// Largest extent: every index fits a signed 32-bit integer, as BLAS and LAPACK take them.
    public static let maximumExtent = Int64(Int32.max)

    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var order: StorageOrder
    public var attributes: JSONObject

    public init(name: String, dtype: DType, shape: [Int], order: StorageOrder = .columnMajor,
                attributes: JSONObject = [:]) {
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

    /// Parses and checks a header's JSON (FORMAT.md §1, reader checks, in their order). Returns
    /// the header and the `.npy` length it declares, which the payload must then match. Errors
    /// name the frame whenever the JSON holds a usable name, however wrong the rest is.
    static func parse(json bytes: some Collection<UInt8>) throws -> (header: FrameHeader, npyBytes: Int) {
        let value: JSONValue
        do {
            value = try JSONValue.decode(bytes)
        } catch let error as JSONDecodingError {
            throw FrameError(.malformed, message(for: error.problem))
        }
        guard case .object(let fields) = value else {
            throw FrameError(.malformed, "header is not a JSON object")
        }
        let knownName = fields["name"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        do {
            return try parse(fields: fields)
        } catch var error as FrameError {
            error.frameName = knownName
            throw error
        }
    }

    static func message(for problem: JSONDecodingError.Problem) -> String {
        switch problem {
        case .invalid: return "header is not valid JSON"
        case .integerOutOfRange: return "header has an integer outside the 64-bit range"
        case .doubleOutOfRange: return "header has a number beyond the range of a double"
        case .duplicateKey(let key): return "header has the key \(JSONValue.string(key).encodedString()) twice in one object"
        }
    }

    private static func parse(fields: JSONObject) throws -> (header: FrameHeader, npyBytes: Int) {
        guard fields["format"] == .string(formatName) else {
            throw FrameError(.malformed, "header does not say format '\(formatName)'")
        }
        guard case .integer(let version) = fields["version"] else {
            throw FrameError(.malformed, "header has no integer version")
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
            throw FrameError(.malformed, "unknown dtype \(JSONValue.string(dtypeName).encodedString())")
        }
        guard let extents = fields["shape"]?.arrayValue, extents.count <= maximumRank else {
            throw FrameError(.malformed, "header shape is missing or has more than \(maximumRank) dimensions")
        }
        var shape: [Int] = []
        for extent in extents {
            guard case .integer(let n) = extent, n >= 0, n <= maximumExtent else {
                throw FrameError(.malformed, "header shape has an extent that is not an integer from 0 to \(maximumExtent)")
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
        guard case .object(let attributes) = fields["attributes"] else {
            throw FrameError(.malformed, "header has no attributes object")
        }
        let header = FrameHeader(name: name, dtype: dtype, shape: shape, order: order, attributes: attributes)
        guard npyBytes > Int64(header.dataBytes) else {
            throw FrameError(.inconsistent, "header npy_bytes \(npyBytes) cannot hold \(header.shapeDescription) \(dtype.rawValue)")
        }
        return (header, Int(npyBytes))
    }
}
