import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// Dimension-checked wrappers over the OpenBLAS kernels the toolkit uses, so that callers never
/// write a leading dimension or a stride and a shape mistake traps here instead of reading past
/// a buffer inside C.
public enum BLAS {
    /// C ← α·op(A)·op(B) + β·C, writing into an existing C so iterative solvers can reuse one
    /// buffer per step and accumulate with β = 1.
    public static func gemm(_ a: Matrix, _ b: Matrix, into c: inout Matrix,
                            transposeA: Bool = false, transposeB: Bool = false,
                            alpha: Double = 1, beta: Double = 0) {
        let (m, k) = transposeA ? (a.columns, a.rows) : (a.rows, a.columns)
        let (bRows, n) = transposeB ? (b.columns, b.rows) : (b.rows, b.columns)
        precondition(k == bRows, "gemm: op(A) is \(m)×\(k) but op(B) is \(bRows)×\(n)")
        precondition(c.rows == m && c.columns == n, "gemm: C is \(c.rows)×\(c.columns), expected \(m)×\(n)")
        cblas_dgemm(CblasColMajor, operation(transposeA), operation(transposeB),
                    blasInt(m), blasInt(n), blasInt(k), alpha,
                    a.storage, leadingDimension(a), b.storage, leadingDimension(b),
                    beta, &c.storage, leadingDimension(c))
    }

    /// op(A)·op(B) as a new matrix.
    public static func matmul(_ a: Matrix, _ b: Matrix,
                              transposeA: Bool = false, transposeB: Bool = false) -> Matrix {
        var product = Matrix.zeros(rows: transposeA ? a.columns : a.rows,
                                   columns: transposeB ? b.rows : b.columns)
        gemm(a, b, into: &product, transposeA: transposeA, transposeB: transposeB)
        return product
    }

    /// y ← α·op(A)·x + β·y in place; for measurement operators this is the bandwidth-bound pass
    /// over the whole operator, so it must not allocate.
    public static func gemv(_ a: Matrix, _ x: [Double], into y: inout [Double],
                            transpose: Bool = false, alpha: Double = 1, beta: Double = 0) {
        let (outputCount, inputCount) = transpose ? (a.columns, a.rows) : (a.rows, a.columns)
        precondition(x.count == inputCount, "gemv: op(A) takes \(inputCount) entries, x has \(x.count)")
        precondition(y.count == outputCount, "gemv: op(A) gives \(outputCount) entries, y has \(y.count)")
        cblas_dgemv(CblasColMajor, operation(transpose), blasInt(a.rows), blasInt(a.columns), alpha,
                    a.storage, leadingDimension(a), x, 1, beta, &y, 1)
    }

    /// op(A)·x as a new vector.
    public static func matvec(_ a: Matrix, _ x: [Double], transpose: Bool = false) -> [Double] {
        var product = [Double](repeating: 0, count: transpose ? a.columns : a.rows)
        gemv(a, x, into: &product, transpose: transpose)
        return product
    }

    /// C ← α·A·Aᵀ + β·C, or α·Aᵀ·A + β·C when `transpose` is set. BLAS computes only one
    /// triangle (half the flops of gemm, and exactly symmetric); the other is then mirrored so
    /// the result can go anywhere a full matrix is expected. With β ≠ 0, C must be symmetric.
    public static func syrk(_ a: Matrix, into c: inout Matrix,
                            transpose: Bool = false, alpha: Double = 1, beta: Double = 0) {
        let (n, k) = transpose ? (a.columns, a.rows) : (a.rows, a.columns)
        precondition(c.rows == n && c.columns == n, "syrk: C is \(c.rows)×\(c.columns), expected \(n)×\(n)")
        cblas_dsyrk(CblasColMajor, CblasUpper, operation(transpose), blasInt(n), blasInt(k), alpha,
                    a.storage, leadingDimension(a), beta, &c.storage, leadingDimension(c))
        mirrorUpperTriangle(&c)
    }

    private static func mirrorUpperTriangle(_ c: inout Matrix) {
        let n = c.rows
        c.withUnsafeMutableBufferPointer { entries in
            guard let base = entries.baseAddress else { return }
            // Row j right of the diagonal (stride n) becomes column j below it (stride 1).
            for j in 0 ..< max(n - 1, 0) {
                cblas_dcopy(blasInt(n - j - 1), base + j + (j + 1) * n, blasInt(n),
                            base + (j + 1) + j * n, 1)
            }
        }
    }

    /// syrk on the contiguous block of A's columns `columns`, without copying it out: a
    /// column-major array of many stacked matrices (a sensing tensor) is summed block by block.
    public static func syrk(_ a: Matrix, columns: Range<Int>, into c: inout Matrix,
                            transpose: Bool = false, alpha: Double = 1, beta: Double = 0) {
        precondition(columns.lowerBound >= 0 && columns.upperBound <= a.columns, "syrk: column block out of range")
        let (n, k) = transpose ? (columns.count, a.rows) : (a.rows, columns.count)
        precondition(c.rows == n && c.columns == n, "syrk: C is \(c.rows)×\(c.columns), expected \(n)×\(n)")
        a.withUnsafeBufferPointer { entries in
            cblas_dsyrk(CblasColMajor, CblasUpper, operation(transpose), blasInt(n), blasInt(k), alpha,
                        entries.baseAddress.map { $0 + columns.lowerBound * a.rows }, leadingDimension(a),
                        beta, &c.storage, leadingDimension(c))
        }
        mirrorUpperTriangle(&c)
    }

    public static func dot(_ x: [Double], _ y: [Double]) -> Double {
        x.withUnsafeBufferPointer { x in y.withUnsafeBufferPointer { y in dot(x, y) } }
    }

    public static func dot(_ x: UnsafeBufferPointer<Double>, _ y: UnsafeBufferPointer<Double>) -> Double {
        precondition(x.count == y.count, "dot: lengths \(x.count) and \(y.count) differ")
        return cblas_ddot(blasInt(x.count), x.baseAddress, 1, y.baseAddress, 1)
    }

    /// y ← α·x + y.
    public static func axpy(_ alpha: Double, _ x: [Double], _ y: inout [Double]) {
        x.withUnsafeBufferPointer { x in y.withUnsafeMutableBufferPointer { y in axpy(alpha, x, y) } }
    }

    /// y ← α·x + y.
    public static func axpy(_ alpha: Double, _ x: UnsafeBufferPointer<Double>,
                            _ y: UnsafeMutableBufferPointer<Double>) {
        precondition(x.count == y.count, "axpy: lengths \(x.count) and \(y.count) differ")
        cblas_daxpy(blasInt(x.count), alpha, x.baseAddress, 1, y.baseAddress, 1)
    }

    /// x ← α·x.
    public static func scal(_ alpha: Double, _ x: inout [Double]) {
        x.withUnsafeMutableBufferPointer { x in scal(alpha, x) }
    }

    /// x ← α·x.
    public static func scal(_ alpha: Double, _ x: UnsafeMutableBufferPointer<Double>) {
        cblas_dscal(blasInt(x.count), alpha, x.baseAddress, 1)
    }

    /// ‖x‖₂, scaled internally so that it neither overflows nor underflows where Σx² would.
    public static func nrm2(_ x: [Double]) -> Double {
        x.withUnsafeBufferPointer { x in nrm2(x) }
    }

    /// ‖x‖₂, scaled internally so that it neither overflows nor underflows where Σx² would.
    public static func nrm2(_ x: UnsafeBufferPointer<Double>) -> Double {
        cblas_dnrm2(blasInt(x.count), x.baseAddress, 1)
    }

    private static func operation(_ transpose: Bool) -> CBLAS_TRANSPOSE {
        transpose ? CblasTrans : CblasNoTrans
    }
}

/// BLAS insists on a leading dimension of at least 1 even for matrices with no rows.
func leadingDimension(_ matrix: Matrix) -> Int32 {
    blasInt(max(matrix.rows, 1))
}

/// OpenBLAS's worker-thread count, process-wide. Results are bitwise reproducible at a fixed
/// count but not across counts: OpenBLAS 0.3.21 splits gemm's output so that some entries go
/// through different micro-kernel tails, and splits large dot products and sums (ddot, dasum,
/// transposed gemv) into per-thread partial sums. The differences are rounding-sized, but an
/// experiment that must reproduce bit for bit has to pin this.
public enum BLASThreads {
    public static var count: Int {
        get { Int(openblas_get_num_threads()) }
        set {
            precondition(newValue >= 1, "BLAS thread count must be at least 1, got \(newValue)")
            openblas_set_num_threads(blasInt(newValue))
        }
    }

    /// Pins OpenBLAS to one thread and stops its pool. OpenBLAS starts the pool when it loads,
    /// and the threads spin (sched_yield) for their timeout, about a tenth of a second, before
    /// they sleep: long enough to take a core from a tool's own workers through a whole solve.
    /// Call it at start-up, before any other thread uses BLAS; a later threaded call would
    /// start the pool again.
    public static func runSingleThreaded() {
        count = 1
        // OpenBLAS's own shutdown (also used at fork), looked up at run time because builds
        // without threads do not have it.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_thread_shutdown_") else { return }
        _ = unsafeBitCast(symbol, to: (@convention(c) () -> Int32).self)()
    }
}
