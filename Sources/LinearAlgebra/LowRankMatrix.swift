/// A d1×d2 matrix held as its factors, X = L·Rᵀ with L d1×k and R d2×k, and what can be
/// known about X without forming it. Everything here costs O((d1 + d2)·k²) time and memory,
/// where the dense matrix would hold d1·d2 numbers and its SVD take O(d1·d2·min(d1, d2)):
/// at 10⁴×10⁴ and k = 10, a few milliseconds against 800 MB and most of an hour.
///
/// Everything goes through thin QR factorizations, L = Q_L·T_L and R = Q_R·T_R, which turn
/// X = Q_L·(T_L·T_Rᵀ)·Q_Rᵀ into a small core between two matrices with orthonormal columns:
/// the core has X's nonzero singular values, and so every unitarily invariant norm of X.
public struct LowRankMatrix: Sendable, Equatable {
    /// L, d1×k.
    public let left: Matrix
    /// R, d2×k.
    public let right: Matrix

    public init(left: Matrix, right: Matrix) {
        precondition(left.columns == right.columns,
                     "factors of widths \(left.columns) and \(right.columns) do not make a product L·Rᵀ")
        self.left = left
        self.right = right
    }

    /// d1.
    public var rows: Int { left.rows }
    /// d2.
    public var columns: Int { right.rows }
    /// k, the number of columns of each factor (an upper bound on the rank).
    public var width: Int { left.columns }

    /// T_L·T_Rᵀ, min(d1, k)×min(d2, k): X = Q_L·core·Q_Rᵀ.
    public func core() throws(LinearAlgebraError) -> Matrix {
        let leftTriangle = try LAPACK.thinR(left)
        let rightTriangle = try LAPACK.thinR(right)
        return BLAS.matmul(leftTriangle, rightTriangle, transposeB: true)
    }

    /// The min(d1, d2, k) largest singular values of X, descending; the others are zero.
    public func singularValues() throws(LinearAlgebraError) -> [Double] {
        let core = try core()
        guard core.rows > 0, core.columns > 0 else { return [] }
        return try LAPACK.singularValues(core)
    }

    /// ‖X‖_F.
    public func frobeniusNorm() throws(LinearAlgebraError) -> Double {
        try core().frobeniusNorm
    }

    /// ‖X‖_*, the sum of the singular values.
    public func nuclearNorm() throws(LinearAlgebraError) -> Double {
        try singularValues().reduce(0, +)
    }

    /// The number of singular values of X above `relativeTolerance`·σ₁, with the default of
    /// ``LAPACK/numericalRank(_:relativeTolerance:)`` for the dense X, max(d1, d2)·ε, so the
    /// two agree whichever form a matrix comes in.
    public func numericalRank(relativeTolerance: Double? = nil) throws(LinearAlgebraError) -> Int {
        let values = try singularValues()
        guard let largest = values.first, largest > 0 else { return 0 }
        let tolerance = relativeTolerance ?? Double(max(rows, columns)) * .ulpOfOne
        return values.count { $0 > tolerance * largest }
    }

    /// ‖X − Y‖_F for Y = L_Y·R_Yᵀ of the same shape (any width), in O((d1 + d2)(k + k_Y)²).
    ///
    /// X − Y = [L, L_Y]·[R, −R_Y]ᵀ is itself a product of factors, and its norm is that of the
    /// core of the stacked factors. Householder QR is backward stable column by column, so the
    /// computed norm is exact for factors perturbed by about ε times each column's norm: the
    /// absolute error is about ε·‖X‖, and a difference of 10⁻¹²‖X‖ still comes out with three or
    /// four correct digits. The expansion through Gram matrices, ‖X − Y‖² = tr(LᵀL·RᵀR)
    /// − 2tr(LᵀL_Y·R_YᵀR) + tr(L_YᵀL_Y·R_YᵀR_Y), subtracts numbers of size ‖X‖², so rounding
    /// leaves an error of ε‖X‖² in the square and √ε‖X‖ ≈ 10⁻⁸‖X‖ in the norm: it cannot tell
    /// a solve to 10⁻¹⁰ from one to 10⁻⁸.
    public func frobeniusDistance(to other: LowRankMatrix) throws(LinearAlgebraError) -> Double {
        precondition(rows == other.rows && columns == other.columns,
                     "distance between a \(rows)×\(columns) and a \(other.rows)×\(other.columns) matrix")
        let stackedLeft = Matrix(rows: rows, columns: width + other.width, columnMajor: left.storage + other.left.storage)
        let stackedRight = Matrix(rows: columns, columns: width + other.width,
                                  columnMajor: right.storage + other.right.storage.map { -$0 })
        return try LowRankMatrix(left: stackedLeft, right: stackedRight).frobeniusNorm()
    }

    /// The d1×d2 product L·Rᵀ. The one place this type forms the dense matrix: callers decide
    /// whether d1·d2 numbers are affordable before asking.
    public func dense() -> Matrix {
        BLAS.matmul(left, right, transposeB: true)
    }
}
