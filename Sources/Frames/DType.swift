/// Element types a frame can hold, named as NumPy names them; all little-endian on the wire.
public enum DType: String, Sendable, CaseIterable, Codable {
    case float64, float32, int64, int32, uint8

    public var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .uint8: return 1
        }
    }

    /// The `.npy` type descriptor (NumPy's `dtype.str`).
    public var npyDescriptor: String {
        switch self {
        case .float64: return "<f8"
        case .float32: return "<f4"
        case .int64: return "<i8"
        case .int32: return "<i4"
        case .uint8: return "|u1"
        }
    }

    public init?(npyDescriptor: String) {
        guard let match = DType.allCases.first(where: { $0.npyDescriptor == npyDescriptor })
                ?? (npyDescriptor == "<u1" ? .uint8 : nil)
        else { return nil }
        self = match
    }
}

/// Memory order of a multi-dimensional payload: `F` (column-major, what BLAS and LAPACK
/// use, and what the toolkit writes) or `C` (row-major, NumPy's default).
public enum StorageOrder: String, Sendable, Codable {
    case columnMajor = "F"
    case rowMajor = "C"
}
