import Frames

/// How the elements of a `.npy` file become a frame's. A frame holds five little-endian types;
/// a file of any other numeric type is converted to the narrowest of them that holds every
/// value exactly (bool → uint8 0/1; int8, int16, uint16 → int32; uint32 → int64; float16 →
/// float32; big-endian → the same type, byte-swapped), and uint64 to int64 as long as each
/// value fits. Types no frame can hold exactly (complex, long double, strings, objects,
/// dates) are refused with what to do instead.
public struct NPYElementType: Equatable, Sendable {
    /// NumPy's `dtype.str` as the file wrote it, as `>i2`.
    public let descriptor: String
    /// The frame dtype the elements become.
    public let dtype: DType
    /// Bytes per element in the file.
    public let sourceBytes: Int
    let kind: Kind
    let swapsBytes: Bool

    enum Kind: Equatable, Sendable { case boolean, signed, unsigned, float }

    public init(descriptor: String) throws {
        self.descriptor = descriptor
        var characters = Substring(descriptor)
        let byteOrder = "<>|=".contains(characters.first ?? " ") ? characters.removeFirst() : "="
        guard let kindCharacter = characters.first else {
            throw FrameError(.malformed, ".npy dtype '\(descriptor)' is not a NumPy type descriptor")
        }
        // Sizes are digits, then a unit for dates ('<M8[D]'); objects have none ('|O').
        let size = Int(characters.dropFirst().prefix(while: \.isNumber)) ?? 0
        let name = Self.numpyName(kind: kindCharacter, bytes: size)
        let kind: Kind
        let dtype: DType
        switch (kindCharacter, size) {
        case ("b", 1): (kind, dtype) = (.boolean, .uint8)
        case ("i", 1), ("i", 2), ("i", 4): (kind, dtype) = (.signed, .int32)
        case ("i", 8): (kind, dtype) = (.signed, .int64)
        case ("u", 1): (kind, dtype) = (.unsigned, .uint8)
        case ("u", 2): (kind, dtype) = (.unsigned, .int32)
        case ("u", 4), ("u", 8): (kind, dtype) = (.unsigned, .int64)
        case ("f", 2), ("f", 4): (kind, dtype) = (.float, .float32)
        case ("f", 8): (kind, dtype) = (.float, .float64)
        case ("f", _):
            throw FrameError(.malformed, ".npy dtype '\(descriptor)' (\(name)) has no frame dtype that holds it exactly; convert it first: x.astype(np.float64)")
        case ("c", _):
            throw FrameError(.malformed, ".npy dtype '\(descriptor)' is complex, which no frame holds; import the real and imaginary parts as two arrays (x.real, x.imag)")
        case ("M", _), ("m", _):
            throw FrameError(.malformed, ".npy dtype '\(descriptor)' holds dates or durations; convert them to numbers first: x.astype(np.int64)")
        case ("U", _), ("S", _), ("a", _):
            throw FrameError(.malformed, ".npy dtype '\(descriptor)' holds text, not numbers")
        case ("O", _):
            throw FrameError(.malformed, ".npy dtype '\(descriptor)' holds Python objects, not numbers; save a numeric array (np.asarray(x, dtype=float))")
        default:
            guard size > 0 else { throw FrameError(.malformed, ".npy dtype '\(descriptor)' is not a NumPy type descriptor") }
            throw FrameError(.malformed, ".npy dtype '\(descriptor)' has no frame dtype (frames hold float64, float32, int64, int32 and uint8)")
        }
        self.kind = kind
        self.dtype = dtype
        self.sourceBytes = size
        // Hosts are little-endian (the frame format assumes it), so only '>' needs swapping.
        self.swapsBytes = byteOrder == ">" && size > 1
    }

    /// True when the file's bytes are already the frame's, as for every type a frame holds.
    public var isVerbatim: Bool {
        !swapsBytes && sourceBytes == dtype.byteSize && kind != .boolean && !(kind == .unsigned && sourceBytes == 8)
    }

    /// Converts the whole elements in `source` into `destination`, which holds
    /// `source.count / sourceBytes` elements of `dtype`. `firstElement` is the index of the
    /// first one in the file, for the one error a conversion can meet: a uint64 above int64's range.
    public func convert(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer,
                        firstElement: Int) throws {
        let count = source.count / sourceBytes
        precondition(destination.count == count * dtype.byteSize, "destination must hold the converted elements exactly")
        let swap = swapsBytes
        switch (kind, sourceBytes) {
        case (.boolean, _):
            for i in 0..<count { destination[i] = source[i] == 0 ? 0 : 1 }
        case (.signed, 1):
            Self.map(source, into: destination, count: count, swap: false) { (v: UInt8) in Int32(Int8(bitPattern: v)) }
        case (.signed, 2):
            Self.map(source, into: destination, count: count, swap: swap) { (v: UInt16) in Int32(Int16(bitPattern: v)) }
        case (.signed, 4):
            Self.map(source, into: destination, count: count, swap: swap) { (v: UInt32) in v }
        case (.signed, 8), (.float, 8):
            Self.map(source, into: destination, count: count, swap: swap) { (v: UInt64) in v }
        case (.unsigned, 1):
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<count]))
        case (.unsigned, 2):
            Self.map(source, into: destination, count: count, swap: swap) { (v: UInt16) in Int32(v) }
        case (.unsigned, 4):
            Self.map(source, into: destination, count: count, swap: swap) { (v: UInt32) in Int64(v) }
        case (.unsigned, _):
            for i in 0..<count {
                let raw = source.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                guard let value = Int64(exactly: swap ? raw.byteSwapped : raw) else {
                    throw FrameError(.malformed, "uint64 value \(swap ? raw.byteSwapped : raw) (element \(firstElement + i)) is above int64's range, the widest integer a frame holds")
                }
                destination.storeBytes(of: value, toByteOffset: i * 8, as: Int64.self)
            }
        case (.float, 2):
            Self.map(source, into: destination, count: count, swap: swap) { (v: UInt16) in Self.float(half: v) }
        case (.float, _):
            Self.map(source, into: destination, count: count, swap: swap) { (v: UInt32) in v }
        default:
            preconditionFailure("no conversion for \(descriptor)")
        }
    }

    /// The exact float32 of an IEEE half-precision bit pattern, NaN payloads kept.
    static func float(half bits: UInt16) -> Float {
        let sign = UInt32(bits >> 15) << 31
        let exponent = UInt32(bits >> 10) & 0x1F
        let fraction = UInt32(bits) & 0x3FF
        switch exponent {
        case 0:
            // Zero or subnormal: fraction · 2⁻²⁴, exact in float32.
            let magnitude = Float(fraction) * 0x1p-24
            return Float(bitPattern: sign | magnitude.bitPattern)
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | fraction << 13)
        default:
            return Float(bitPattern: sign | (exponent + 112) << 23 | fraction << 13)
        }
    }

    private static func map<Source: FixedWidthInteger, Target>(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, count: Int, swap: Bool,
        _ transform: (Source) -> Target
    ) {
        for i in 0..<count {
            let raw = source.loadUnaligned(fromByteOffset: i * MemoryLayout<Source>.size, as: Source.self)
            destination.storeBytes(of: transform(swap ? raw.byteSwapped : raw), toByteOffset: i * MemoryLayout<Target>.size, as: Target.self)
        }
    }

    private static func numpyName(kind: Character, bytes: Int) -> String {
        switch kind {
        case "f": return "float\(bytes * 8)"
        case "c": return "complex\(bytes * 8)"
        case "i": return "int\(bytes * 8)"
        case "u": return "uint\(bytes * 8)"
        default: return String(kind)
        }
    }
}
