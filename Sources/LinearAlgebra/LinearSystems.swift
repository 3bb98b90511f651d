import COpenBLAS

extension LAPACK {
    /// Solves A·X = B for square A by LU with partial pivoting (dgesv). Throws `.singular` when
    /// a pivot is exactly zero; a merely ill-conditioned A is not detected.
    public static func solve(_ a: Matrix, _ b: Matrix) throws(LinearAlgebraError) -> Matrix {
        precondition(a.rows == a.columns, "solve needs a square matrix, got \(a.rows)×\(a.columns)")
        precondition(b.rows == a.rows, "right-hand side has \(b.rows) rows, matrix has \(a.rows)")
        var entries = a.storage, solution = b.storage
        var n = blasInt(a.rows), nrhs = blasInt(b.columns)
        var lda = leadingDimension(a), ldb = leadingDimension(b), info: Int32 = 0
        var pivots = [Int32](repeating: 0, count: max(a.rows, 1))
        dgesv_(&n, &nrhs, &entries, &lda, &pivots, &solution, &ldb, &info)
        try LinearAlgebraError.check(info, routine: "dgesv", positiveInfoMeans: .singular)
        return Matrix(rows: b.rows, columns: b.columns, columnMajor: solution)
    }

    /// For full-rank A (m×n) by QR or LQ (dgels): when m ≥ n, the X minimizing ‖A·X − B‖_F;
    /// when m < n, the minimum-norm X with A·X = B, which lies in the row space of A. Throws
    /// `.singular` when A is exactly rank-deficient; for nearly rank-deficient systems use the
    /// SVD instead, which this does not detect.
    public static func leastSquares(_ a: Matrix, _ b: Matrix) throws(LinearAlgebraError) -> Matrix {
        precondition(b.rows == a.rows, "right-hand side has \(b.rows) rows, matrix has \(a.rows)")
        var entries = a.storage
        var m = blasInt(a.rows), n = blasInt(a.columns), nrhs = blasInt(b.columns)
        var lda = leadingDimension(a), ldb = blasInt(max(a.rows, a.columns, 1))
        // dgels works in a max(m, n)-row buffer: B goes in on top, X comes out on top.
        var rightHandSides = [Double](repeating: 0, count: Int(ldb) * b.columns)
        copyBlock(rows: b.rows, columns: b.columns, from: b.storage, leadingDimension: leadingDimension(b),
                  to: &rightHandSides, leadingDimension: ldb)
        let info = withOptimalWorkspace { work, lwork in
            var info: Int32 = 0
            dgels_("N", &m, &n, &nrhs, &entries, &lda, &rightHandSides, &ldb, work, lwork, &info)
            return info
        }
        try LinearAlgebraError.check(info, routine: "dgels", positiveInfoMeans: .singular)
        var solution = [Double](repeating: 0, count: a.columns * b.columns)
        copyBlock(rows: a.columns, columns: b.columns, from: rightHandSides, leadingDimension: ldb,
                  to: &solution, leadingDimension: blasInt(max(a.columns, 1)))
        return Matrix(rows: a.columns, columns: b.columns, columnMajor: solution)
    }

    /// Copies the top-left rows×columns block between column-major buffers whose leading
    /// dimensions differ.
    private static func copyBlock(rows: Int, columns: Int, from source: [Double], leadingDimension sourceStride: Int32,
                                  to destination: inout [Double], leadingDimension destinationStride: Int32) {
        // OpenBLAS rejects zero-sized copies as illegal arguments, and there is nothing to move.
        guard rows > 0 && columns > 0 else { return }
        cblas_domatcopy(CblasColMajor, CblasNoTrans, blasInt(rows), blasInt(columns), 1,
                        source, sourceStride, &destination, destinationStride)
    }
}
