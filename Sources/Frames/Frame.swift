/// A frame's array data in its element type, in the storage order its header names.
public enum FrameData: Sendable, Equatable {
    case float64([Double])
    case float32([Float])
    case int64([Int64])
    case int32([Int32])
    case uint8([UInt8])

    public var dtype: DType {
        switch self {
        case .float64: return .float64
        case .float32: return .float32
        case .int64: return .int64
        case .int32: return .int32
        case .uint8: return .uint8
        }
    }

    public var count: Int {
        switch self {
        case .float64(let v): return v.count
        case .float32(let v): return v.count
        case .int64(let v): return v.count
        case .int32(let v): return v.count
        case .uint8(let v): return v.count
        }
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .float64(let v): return try v.withUnsafeBytes(body)
        case .float32(let v): return try v.withUnsafeBytes(body)
        case .int64(let v): return try v.withUnsafeBytes(body)
        case .int32(let v): return try v.withUnsafeBytes(body)
        case .uint8(let v): return try v.withUnsafeBytes(body)
        }
    }

    /// Every element as a Double, whatever the stored type (int64 beyond 2^53 rounds).
    public var doubles: [Double] {
        switch self {
        case .float64(let v): return v
        case .float32(let v): return v.map(Double.init)
        case .int64(let v): return v.map(Double.init)
        case .int32(let v): return v.map(Double.init)
        case .uint8(let v): return v.map(Double.init)
        }
    }

    /// Every element as an Int, or nil for floating-point data.
    public var integers: [Int]? {
        switch self {
        case .int64(let v): return v.map(Int.init)
        case .int32(let v): return v.map(Int.init)
        case .uint8(let v): return v.map(Int.init)
        case .float64, .float32: return nil
        }
    }

    /// Allocates storage for `count` elements and lets `fill` write its bytes, so decoding
    /// goes straight into the final array (on huge pages when it is large: `HugePages`).
    static func allocate(dtype: DType, count: Int,
                         fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws -> FrameData {
        func make<T>(_: T.Type) throws -> [T] {
            try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                HugePages.advise(UnsafeMutableRawBufferPointer(buffer))
                try fill(UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            }
        }
        switch dtype {
        case .float64: return .float64(try make(Double.self))
        case .float32: return .float32(try make(Float.self))
        case .int64: return .int64(try make(Int64.self))
        case .int32: return .int32(try make(Int32.self))
        case .uint8: return .uint8(try make(UInt8.self))
        }
    }

    /// Reorders elements of an array of `shape` from one storage order to the other.
    func reordered(shape: [Int], from order: StorageOrder) -> FrameData {
        guard shape.count > 1 else { return self }
        // Source strides for the requested order; iterate destination positions in the other.
        let rank = shape.count
        var sourceStrides = [Int](repeating: 1, count: rank)
        if order == .rowMajor {
            for axis in stride(from: rank - 2, through: 0, by: -1) { sourceStrides[axis] = sourceStrides[axis + 1] * shape[axis + 1] }
        } else {
            for axis in 1..<rank { sourceStrides[axis] = sourceStrides[axis - 1] * shape[axis - 1] }
        }
        let total = shape.reduce(1, *)
        func permute<T>(_ values: [T]) -> [T] {
            guard total > 0 else { return values }
            var result = [T]()
            result.reserveCapacity(total)
            var index = [Int](repeating: 0, count: rank)
            // Destination order is the opposite one: column-major walks axis 0 fastest.
            let fastestFirst = order == .rowMajor ? Array(0..<rank) : Array((0..<rank).reversed())
            for _ in 0..<total {
                var offset = 0
                for axis in 0..<rank { offset += index[axis] * sourceStrides[axis] }
                result.append(values[offset])
                for axis in fastestFirst {
                    index[axis] += 1
                    if index[axis] < shape[axis] { break }
                    index[axis] = 0
                }
            }
            return result
        }
        switch self {
        case .float64(let v): return .float64(permute(v))
        case .float32(let v): return .float32(permute(v))
        case .int64(let v): return .int64(permute(v))
        case .int32(let v): return .int32(permute(v))
        case .uint8(let v): return .uint8(permute(v))
        }
    }
}

/// One named array with its header: what a tool gets when it decodes a frame.
public struct Frame: Sendable, Equatable {
    public var header: FrameHeader
    public var data: FrameData

    public init(header: FrameHeader, data: FrameData) {
        precondition(header.dtype == data.dtype && header.elementCount == data.count,
                     "frame data does not match its header")
        self.header = header
        self.data = data
    }

    public init(name: String, shape: [Int], data: FrameData, attributes: JSONObject = [:]) {
        self.init(header: FrameHeader(name: name, dtype: data.dtype, shape: shape, order: .columnMajor,
                                      attributes: attributes),
                  data: data)
    }

    /// The same frame stored column-major, the layout BLAS and LAPACK work in; frames written
    /// row-major by NumPy are transposed in memory once here.
    public func columnMajor() -> Frame {
        guard header.order == .rowMajor, header.shape.count > 1 else { return self }
        var converted = header
        converted.order = .columnMajor
        return Frame(header: converted, data: data.reordered(shape: header.shape, from: .rowMajor))
    }

    /// The same frame stored row-major, NumPy's default layout and the one CSV rows follow.
    public func rowMajor() -> Frame {
        guard header.order == .columnMajor, header.shape.count > 1 else { return self }
        var converted = header
        converted.order = .rowMajor
        return Frame(header: converted, data: data.reordered(shape: header.shape, from: .columnMajor))
    }
}
