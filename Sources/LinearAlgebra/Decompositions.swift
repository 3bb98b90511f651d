import COpenBLAS

/// Wrappers over the LAPACK routines the toolkit uses. Each one copies its input (LAPACK
/// overwrites it), sizes workspaces with LAPACK's own query, and turns a nonzero `info` into
/// a thrown ``LinearAlgebraError`` naming the routine.
public enum LAPACK {
    /// Thin SVD A = U·diag(s)·Vᵀ with p = min(m, n) singular values in descending order;
    /// U is m×p and Vᵀ is p×n. Uses divide and conquer (dgesdd), which is much faster than
    /// dgesvd once the singular vectors are wanted.
    public static func svd(_ a: Matrix) throws(LinearAlgebraError)
        -> (u: Matrix, singularValues: [Double], vt: Matrix)
    {
        let p = min(a.rows, a.columns)
        var u = [Double](repeating: 0, count: a.rows * p)
        var vt = [Double](repeating: 0, count: p * a.columns)
        let singularValues = try gesdd(a, job: "S", u: &u, leadingDimensionU: max(a.rows, 1),
                                       vt: &vt, leadingDimensionVT: max(p, 1))
        return (Matrix(rows: a.rows, columns: p, columnMajor: u), singularValues,
                Matrix(rows: p, columns: a.columns, columnMajor: vt))
    }

    /// The min(m, n) singular values in descending order, without the cost of the vectors.
    public static func singularValues(_ a: Matrix) throws(LinearAlgebraError) -> [Double] {
        // LAPACK does not reference U and Vᵀ for job "N" but still wants valid pointers.
        var unusedU = [0.0], unusedVT = [0.0]
        return try gesdd(a, job: "N", u: &unusedU, leadingDimensionU: 1, vt: &unusedVT, leadingDimensionVT: 1)
    }

    private static func gesdd(_ a: Matrix, job: String, u: inout [Double], leadingDimensionU: Int,
                              vt: inout [Double], leadingDimensionVT: Int) throws(LinearAlgebraError) -> [Double]
    {
        var entries = a.storage
        var m = blasInt(a.rows), n = blasInt(a.columns), lda = leadingDimension(a)
        var ldu = blasInt(leadingDimensionU), ldvt = blasInt(leadingDimensionVT)
        var singularValues = [Double](repeating: 0, count: min(a.rows, a.columns))
        var integerWorkspace = [Int32](repeating: 0, count: max(8 * singularValues.count, 1))
        let info = withOptimalWorkspace { work, lwork in
            var info: Int32 = 0
            dgesdd_(job, &m, &n, &entries, &lda, &singularValues, &u, &ldu, &vt, &ldvt,
                    work, lwork, &integerWorkspace, &info)
            return info
        }
        try LinearAlgebraError.check(info, routine: "dgesdd", positiveInfoMeans: .notConverged)
        return singularValues
    }

    /// Eigenvalues in ascending order and orthonormal eigenvectors as the matching columns.
    /// `a` must be symmetric: only its lower triangle is read.
    public static func symmetricEigen(_ a: Matrix) throws(LinearAlgebraError)
        -> (eigenvalues: [Double], eigenvectors: Matrix)
    {
        var entries = a.storage
        let eigenvalues = try syevd(a, job: "V", entries: &entries)
        return (eigenvalues, Matrix(rows: a.rows, columns: a.columns, columnMajor: entries))
    }

    /// Eigenvalues of a symmetric matrix in ascending order, without the cost of the vectors;
    /// only the lower triangle is read.
    public static func symmetricEigenvalues(_ a: Matrix) throws(LinearAlgebraError) -> [Double] {
        var entries = a.storage
        return try syevd(a, job: "N", entries: &entries)
    }

    /// dsyevd (divide and conquer) rather than dsyev: the same accuracy, and much faster when
    /// the eigenvectors are wanted. It needs an integer workspace too, so it has its own query.
    private static func syevd(_ a: Matrix, job: String, entries: inout [Double]) throws(LinearAlgebraError) -> [Double] {
        precondition(a.rows == a.columns, "symmetric eigendecomposition of a \(a.rows)×\(a.columns) matrix")
        var n = blasInt(a.rows), lda = leadingDimension(a)
        var eigenvalues = [Double](repeating: 0, count: a.rows)
        var info: Int32 = 0
        var optimalLength = 0.0, optimalIntegerLength: Int32 = 0
        var lengthQuery: Int32 = -1, integerLengthQuery: Int32 = -1
        dsyevd_(job, "L", &n, &entries, &lda, &eigenvalues, &optimalLength, &lengthQuery,
                &optimalIntegerLength, &integerLengthQuery, &info)
        try LinearAlgebraError.check(info, routine: "dsyevd", positiveInfoMeans: .notConverged)
        var lwork = workspaceLength(optimalLength), liwork = max(optimalIntegerLength, 1)
        var work = [Double](repeating: 0, count: Int(lwork))
        var integerWorkspace = [Int32](repeating: 0, count: Int(liwork))
        dsyevd_(job, "L", &n, &entries, &lda, &eigenvalues, &work, &lwork, &integerWorkspace, &liwork, &info)
        try LinearAlgebraError.check(info, routine: "dsyevd", positiveInfoMeans: .notConverged)
        return eigenvalues
    }

    /// The lower-triangular L with L·Lᵀ = A (strict upper triangle zeroed, so L can be used as
    /// an ordinary matrix). Throws `.notPositiveDefinite` with the order of the first
    /// non-positive leading minor. Only the lower triangle of `a` is read.
    public static func choleskyFactor(_ a: Matrix) throws(LinearAlgebraError) -> Matrix {
        precondition(a.rows == a.columns, "Cholesky factor of a \(a.rows)×\(a.columns) matrix")
        var entries = a.storage
        var n = blasInt(a.rows), lda = leadingDimension(a), info: Int32 = 0
        dpotrf_("L", &n, &entries, &lda, &info)
        try LinearAlgebraError.check(info, routine: "dpotrf", positiveInfoMeans: .notPositiveDefinite)
        // dpotrf leaves A's original values above the diagonal.
        for column in 1 ..< max(a.columns, 1) {
            let start = column * a.rows
            entries.replaceSubrange(start ..< start + column, with: repeatElement(0, count: column))
        }
        return Matrix(rows: a.rows, columns: a.columns, columnMajor: entries)
    }

    /// Solves A·X = B given the factor L of A from ``choleskyFactor(_:)``, by two triangular
    /// solves; factor once, solve for many right-hand sides.
    public static func choleskySolve(factor: Matrix, _ b: Matrix) throws(LinearAlgebraError) -> Matrix {
        precondition(factor.rows == factor.columns, "Cholesky factor is \(factor.rows)×\(factor.columns)")
        precondition(b.rows == factor.rows, "right-hand side has \(b.rows) rows, factor has \(factor.rows)")
        var solution = b.storage
        var n = blasInt(factor.rows), nrhs = blasInt(b.columns)
        var lda = leadingDimension(factor), ldb = leadingDimension(b), info: Int32 = 0
        dpotrs_("L", &n, &nrhs, factor.storage, &lda, &solution, &ldb, &info)
        try LinearAlgebraError.check(info, routine: "dpotrs")
        return Matrix(rows: b.rows, columns: b.columns, columnMajor: solution)
    }

    /// The triangle R of A = Q·R (Householder, dgeqrf), min(m, n)×n and upper trapezoidal, Q
    /// having min(m, n) orthonormal columns; any shape. Since Q preserves norms and inner
    /// products, R stands in for A wherever only AᵀA matters, e.g. ‖A·Bᵀ‖ = ‖R_A·R_Bᵀ‖ for
    /// every unitarily invariant norm. Householder QR is backward stable: the computed R is
    /// the exact one of A + δA with ‖δA‖ ≲ ε‖A‖, column by column.
    public static func thinR(_ a: Matrix) throws(LinearAlgebraError) -> Matrix {
        let p = min(a.rows, a.columns)
        guard p > 0 else { return Matrix.zeros(rows: p, columns: a.columns) }
        var entries = a.storage
        var m = blasInt(a.rows), n = blasInt(a.columns), lda = leadingDimension(a)
        var reflectorScales = [Double](repeating: 0, count: p)
        let info = withOptimalWorkspace { work, lwork in
            var info: Int32 = 0
            dgeqrf_(&m, &n, &entries, &lda, &reflectorScales, work, lwork, &info)
            return info
        }
        try LinearAlgebraError.check(info, routine: "dgeqrf")
        var triangle = Matrix.zeros(rows: p, columns: a.columns)
        for column in 0 ..< a.columns {
            for row in 0 ... min(column, p - 1) {
                triangle[row, column] = entries[row + column * a.rows]
            }
        }
        return triangle
    }

    /// The m×n factor Q of the thin QR decomposition A = Q·R of a tall (m ≥ n) matrix. Columns
    /// are signed so that R has a nonnegative diagonal: this makes the factorization unique and,
    /// for A with i.i.d. Gaussian entries, makes Q uniformly (Haar) distributed, which the plain
    /// Householder output is not.
    public static func thinQ(_ a: Matrix) throws(LinearAlgebraError) -> Matrix {
        precondition(a.rows >= a.columns, "thin QR needs a tall matrix, got \(a.rows)×\(a.columns)")
        var entries = a.storage
        var m = blasInt(a.rows), n = blasInt(a.columns), reflectorCount = n, lda = leadingDimension(a)
        var reflectorScales = [Double](repeating: 0, count: a.columns)
        var info = withOptimalWorkspace { work, lwork in
            var info: Int32 = 0
            dgeqrf_(&m, &n, &entries, &lda, &reflectorScales, work, lwork, &info)
            return info
        }
        try LinearAlgebraError.check(info, routine: "dgeqrf")
        let diagonalOfR = (0 ..< a.columns).map { entries[$0 + $0 * a.rows] }
        info = withOptimalWorkspace { work, lwork in
            var info: Int32 = 0
            dorgqr_(&m, &n, &reflectorCount, &entries, &lda, reflectorScales, work, lwork, &info)
            return info
        }
        try LinearAlgebraError.check(info, routine: "dorgqr")
        entries.withUnsafeMutableBufferPointer { q in
            guard let base = q.baseAddress else { return }
            for column in diagonalOfR.indices where diagonalOfR[column] < 0 {
                cblas_dscal(m, -1, base + column * a.rows, 1)
            }
        }
        return Matrix(rows: a.rows, columns: a.columns, columnMajor: entries)
    }
}

/// LAPACK's two-call protocol: run the routine with lwork = -1 to learn the optimal workspace
/// length, then again with a workspace of that length. `call` receives the workspace and a
/// pointer to its length, and returns the routine's `info`.
func withOptimalWorkspace(
    _ call: (_ work: UnsafeMutablePointer<Double>, _ length: UnsafeMutablePointer<Int32>) -> Int32
) -> Int32 {
    var optimalLength = 0.0, query: Int32 = -1
    let queryInfo = call(&optimalLength, &query)
    guard queryInfo == 0 else { return queryInfo }
    var length = workspaceLength(optimalLength)
    var work = [Double](repeating: 0, count: Int(length))
    return call(&work, &length)
}

/// LAPACK reports workspace sizes as doubles; round up, and never ask for an empty workspace.
func workspaceLength(_ reported: Double) -> Int32 {
    max(blasInt(Int(reported.rounded(.up))), 1)
}
