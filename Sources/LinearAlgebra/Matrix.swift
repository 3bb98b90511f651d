import COpenBLAS

/// A dense matrix of doubles stored column-major, the layout BLAS and LAPACK take without
/// copying, so every kernel in this module can hand `storage` straight to C.
///
/// Vectors are plain `[Double]`; a matrix with one column has the same storage as its vector.
public struct Matrix: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    /// Entry (i, j) is at `storage[i + j * rows]`. Only settable inside the module so that the
    /// count always equals `rows * columns`.
    public internal(set) var storage: [Double]

    public init(rows: Int, columns: Int, columnMajor storage: [Double]) {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative")
        precondition(storage.count == rows * columns,
                     "\(rows)×\(columns) matrix needs \(rows * columns) entries, got \(storage.count)")
        self.rows = rows
        self.columns = columns
        self.storage = storage
    }

    /// For literals written the way matrices are printed; row-major storage is the column-major
    /// storage of the transpose, so this transposes once.
    public init(rows: Int, columns: Int, rowMajor entries: [Double]) {
        precondition(rows >= 0 && columns >= 0, "Matrix dimensions must be non-negative")
        precondition(entries.count == rows * columns,
                     "\(rows)×\(columns) matrix needs \(rows * columns) entries, got \(entries.count)")
        self = Matrix(rows: columns, columns: rows, columnMajor: entries).transposed()
    }

    public static func zeros(rows: Int, columns: Int) -> Matrix {
        Matrix(rows: rows, columns: columns, columnMajor: [Double](repeating: 0, count: rows * columns))
    }

    /// A matrix whose every entry `fill` writes into uninitialized storage: for large results
    /// of streaming kernels, which would otherwise spend a pass of stores on zeros first.
    static func overwritten(rows: Int, columns: Int, by fill: (UnsafeMutableBufferPointer<Double>) -> Void) -> Matrix {
        let count = rows * columns
        return Matrix(rows: rows, columns: columns, columnMajor: [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer)
            initialized = count
        })
    }

    public static func identity(_ size: Int) -> Matrix {
        diagonal([Double](repeating: 1, count: size))
    }

    /// A square matrix with `values` on the diagonal.
    public static func diagonal(_ values: [Double]) -> Matrix {
        var result = zeros(rows: values.count, columns: values.count)
        // The diagonal of a column-major n×n matrix is a strided vector with step n + 1.
        cblas_dcopy(blasInt(values.count), values, 1, &result.storage, blasInt(values.count + 1))
        return result
    }

    public subscript(row: Int, column: Int) -> Double {
        get {
            precondition(contains(row: row, column: column), "(\(row), \(column)) outside \(rows)×\(columns)")
            return storage[row + column * rows]
        }
        set {
            precondition(contains(row: row, column: column), "(\(row), \(column)) outside \(rows)×\(columns)")
            storage[row + column * rows] = newValue
        }
    }

    /// Column `index` as a vector; contiguous in column-major storage, so this is one slice copy.
    public func column(_ index: Int) -> [Double] {
        precondition(index >= 0 && index < columns, "column \(index) outside \(rows)×\(columns)")
        return Array(storage[index * rows ..< (index + 1) * rows])
    }

    public func transposed() -> Matrix {
        var result = Matrix.zeros(rows: columns, columns: rows)
        // OpenBLAS rejects zero-sized copies as illegal arguments, and there is nothing to move.
        guard !storage.isEmpty else { return result }
        cblas_domatcopy(CblasColMajor, CblasTrans, blasInt(rows), blasInt(columns), 1, storage,
                        blasInt(rows), &result.storage, blasInt(columns))
        return result
    }

    /// ‖A‖_F, computed by BLAS's overflow-safe scaled sum of squares.
    public var frobeniusNorm: Double {
        BLAS.nrm2(storage)
    }

    /// Lends the storage to C code that only reads it.
    public func withUnsafeBufferPointer<Result>(
        _ body: (UnsafeBufferPointer<Double>) throws -> Result
    ) rethrows -> Result {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Lends the storage to C code that writes it in place; the shape cannot change.
    public mutating func withUnsafeMutableBufferPointer<Result>(
        _ body: (inout UnsafeMutableBufferPointer<Double>) throws -> Result
    ) rethrows -> Result {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns,
                     "cannot add \(lhs.rows)×\(lhs.columns) and \(rhs.rows)×\(rhs.columns)")
        var sum = lhs
        BLAS.axpy(1, rhs.storage, &sum.storage)
        return sum
    }

    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns,
                     "cannot subtract \(rhs.rows)×\(rhs.columns) from \(lhs.rows)×\(lhs.columns)")
        var difference = lhs
        BLAS.axpy(-1, rhs.storage, &difference.storage)
        return difference
    }

    /// self ← self + α·other, in place: for accumulations over full-size matrices, where `+`
    /// would allocate and copy a new one every step.
    public mutating func add(_ alpha: Double, times other: Matrix) {
        precondition(rows == other.rows && columns == other.columns,
                     "cannot add \(other.rows)×\(other.columns) to \(rows)×\(columns)")
        BLAS.axpy(alpha, other.storage, &storage)
    }

    public static func * (matrix: Matrix, scalar: Double) -> Matrix {
        var product = matrix
        BLAS.scal(scalar, &product.storage)
        return product
    }

    public static func * (scalar: Double, matrix: Matrix) -> Matrix {
        matrix * scalar
    }

    private func contains(row: Int, column: Int) -> Bool {
        row >= 0 && row < rows && column >= 0 && column < columns
    }
}

/// BLAS and LAPACK take 32-bit sizes (see shim.h); trapping on overflow beats silently
/// truncating a dimension.
func blasInt(_ value: Int) -> Int32 {
    Int32(value)
}
