/// NumPy's `.npy` container (NEP 1), which is what a frame's payload decompresses to, so that
/// `zstd -dc` output loads with `np.load` and no reader needs to know this toolkit.
public enum NPY {
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
    /// The fixed part before the dict: magic, version, and a 2-byte (v1) or 4-byte (v2+) length.
    public static let preambleBytes = 8
    /// The longest dict a reader takes. NumPy writes a few hundred bytes for the dtypes frames
    /// hold, but a version 2 length field can claim 4 GiB, which a reader would allocate
    /// before finding out.
    public static let maximumDictBytes = 1 << 20

    /// The bytes NumPy itself would write before the data: version 1.0 when the dict fits a
    /// 16-bit length, otherwise 2.0, padded with spaces and a newline to a multiple of 64.
    public static func headerBytes(for header: FrameHeader) -> [UInt8] {
        let shapeText: String
        switch header.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(header.shape[0]),)"
        default: shapeText = "(" + header.shape.map(String.init).joined(separator: ", ") + ")"
        }
        let fortran = header.order == .columnMajor && !isLayoutAmbiguous(header.shape) ? "True" : "False"
        let dict = "{'descr': '\(header.dtype.npyDescriptor)', 'fortran_order': \(fortran), 'shape': \(shapeText), }"
        var bytes = Array(dict.utf8)
        let lengthBytes = bytes.count + 1 + 10 < 65536 ? 2 : 4
        let unpadded = preambleBytes + lengthBytes + bytes.count + 1
        bytes += Array(repeating: UInt8(ascii: " "), count: (64 - unpadded % 64) % 64)
        bytes.append(UInt8(ascii: "\n"))
        var result = magic + [lengthBytes == 2 ? 1 : 2, 0]
        let length = UInt32(bytes.count)
        for shift in stride(from: 0, to: lengthBytes * 8, by: 8) {
            result.append(UInt8(truncatingIfNeeded: length >> UInt32(shift)))
        }
        return result + bytes
    }

    /// True when C and Fortran order store the same bytes (at most one extent above 1, or no
    /// elements): NumPy then writes `fortran_order: False`, and readers must accept either.
    public static func isLayoutAmbiguous(_ shape: [Int]) -> Bool {
        shape.contains(0) || shape.filter { $0 > 1 }.count <= 1
    }

    /// How many bytes encode the dict's length, from the version bytes after the magic.
    public static func lengthFieldBytes(preamble: [UInt8]) throws -> Int {
        guard preamble.count == preambleBytes, Array(preamble[0..<6]) == magic else {
            throw FrameError(.malformed, "payload is not a .npy file (bad magic)")
        }
        switch (preamble[6], preamble[7]) {
        case (1, 0): return 2
        case (2, 0): return 4
        default: throw FrameError(.unsupportedVersion, "unsupported .npy version \(preamble[6]).\(preamble[7])")
        }
    }

    public struct Description: Equatable, Sendable {
        public var dtype: DType
        public var order: StorageOrder
        public var shape: [Int]
    }

    /// The dict's three fields as written, before any check that a frame can hold them.
    public struct HeaderFields: Equatable, Sendable {
        /// NumPy's `dtype.str`: byte order (`<`, `>`, `|`, `=`), kind and item size, as `>i2`.
        public var descriptor: String
        public var fortranOrder: Bool
        public var shape: [Int]

        /// The storage order a frame of this shape records.
        public var order: StorageOrder { fortranOrder && shape.count > 1 ? .columnMajor : .rowMajor }
    }

    /// Parses the Python-literal dict `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
    public static func parseDict(_ bytes: [UInt8]) throws -> Description {
        let fields = try parseHeaderFields(bytes)
        guard let dtype = DType(npyDescriptor: fields.descriptor) else {
            throw FrameError(.malformed, ".npy dtype \(JSONValue.string(fields.descriptor).encodedString()) is not supported (float64, float32, int64, int32, uint8, little-endian)")
        }
        return Description(dtype: dtype, order: fields.order, shape: fields.shape)
    }

    /// Parses the dict without judging its dtype, for importers that convert other types.
    public static func parseHeaderFields(_ bytes: [UInt8]) throws -> HeaderFields {
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            throw FrameError(.malformed, ".npy header dict is not ASCII")
        }
        var parser = LiteralParser(bytes: bytes)
        var descr: String?
        var fortran: Bool?
        var shape: [Int]?
        var keys: Set<String> = []
        try parser.expect("{")
        while try !parser.consumeIf("}") {
            let key = try parser.string()
            guard keys.insert(key).inserted else {
                throw FrameError(.malformed, ".npy header has the key \(JSONValue.string(key).encodedString()) twice")
            }
            try parser.expect(":")
            switch key {
            case "descr":
                // A record dtype is a list of (name, type) pairs, not a string.
                if try parser.consumeIf("[") {
                    throw FrameError(.malformed, ".npy holds a structured (record) dtype, which has no frame dtype; save each field as its own array")
                }
                descr = try parser.string()
            case "fortran_order": fortran = try parser.boolean()
            case "shape": shape = try parser.integerTuple()
            default: throw FrameError(.malformed, ".npy header has unknown key \(JSONValue.string(key).encodedString())")
            }
            if try !parser.consumeIf(",") {
                try parser.expect("}")
                break
            }
        }
        parser.skipSpace()
        guard parser.position == bytes.count else {
            throw FrameError(.malformed, ".npy header dict has bytes after its closing brace")
        }
        guard let descr, let fortran, let shape else {
            throw FrameError(.malformed, ".npy header lacks descr, fortran_order or shape")
        }
        guard FrameHeader.elementCount(of: shape) != nil else {
            throw FrameError(.tooLarge, ".npy shape \(shape) holds more elements than can be addressed")
        }
        return HeaderFields(descriptor: descr, fortranOrder: fortran, shape: shape)
    }

    /// Enough of Python's literal syntax for the three values NumPy writes.
    private struct LiteralParser {
        let bytes: [UInt8]
        var position = 0

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x0A, 0x09, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func consumeIf(_ token: String) throws -> Bool {
            skipSpace()
            let tokenBytes = Array(token.utf8)
            guard position + tokenBytes.count <= bytes.count,
                  Array(bytes[position..<position + tokenBytes.count]) == tokenBytes else { return false }
            position += tokenBytes.count
            return true
        }

        mutating func expect(_ token: String) throws {
            guard try consumeIf(token) else {
                throw FrameError(.malformed, ".npy header dict is malformed near byte \(position)")
            }
        }

        mutating func string() throws -> String {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "'") || bytes[position] == UInt8(ascii: "\"") else {
                throw FrameError(.malformed, ".npy header dict is malformed near byte \(position)")
            }
            let quote = bytes[position]
            let start = position + 1
            guard let end = bytes[start...].firstIndex(of: quote) else {
                throw FrameError(.malformed, ".npy header has an unterminated string")
            }
            position = end + 1
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }

        mutating func boolean() throws -> Bool {
            if try consumeIf("True") { return true }
            if try consumeIf("False") { return false }
            throw FrameError(.malformed, ".npy fortran_order is not True or False")
        }

        mutating func integerTuple() throws -> [Int] {
            try expect("(")
            var values: [Int] = []
            while try !consumeIf(")") {
                skipSpace()
                let start = position
                while position < bytes.count, (0x30...0x39).contains(bytes[position]) { position += 1 }
                guard position > start, position - start < 12,
                      let value = Int(String(decoding: bytes[start..<position], as: UTF8.self)) else {
                    throw FrameError(.malformed, ".npy shape is malformed")
                }
                values.append(value)
                guard values.count <= FrameHeader.maximumRank else {
                    throw FrameError(.malformed, ".npy shape has too many dimensions")
                }
                if try !consumeIf(",") {
                    try expect(")")
                    break
                }
            }
            return values
        }
    }
}
