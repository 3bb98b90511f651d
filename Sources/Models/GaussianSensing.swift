import LinearAlgebra

/// Dense sensing: m matrices A_i stored as one m × (d1·d2) column-major matrix whose row i is
/// vec(A_i). Every apply and adjoint is one bandwidth-bound gemv over all of it, so this
/// family counts its passes.
public struct GaussianSensing: MeasurementOperator {
    public let family = OperatorFamily.gaussian
    public let rows: Int
    public let columns: Int
    /// m × (d1·d2).
    public let sensing: Matrix
    public var measurementCount: Int { sensing.rows }
    public var storedEntryCount: Int { sensing.storage.count }

    public init(sensing: Matrix, rows: Int, columns: Int) {
        precondition(sensing.columns == rows * columns, "sensing matrix has \(sensing.columns) columns, expected \(rows)·\(columns)")
        self.sensing = sensing
        self.rows = rows
        self.columns = columns
    }

    public func apply(_ x: Matrix) -> [Double] {
        precondition(x.rows == rows && x.columns == columns)
        return PartitionedGEMV.multiply(sensing, x.storage)
    }

    /// Every L_jR_jᵀ becomes a column of one d1d2×p matrix, so the p products share a pass.
    public func applyFactored(_ pairs: [(left: Matrix, right: Matrix)]) -> [[Double]] {
        var stacked: [Double] = []
        stacked.reserveCapacity(rows * columns * pairs.count)
        for pair in pairs { stacked += BLAS.matmul(pair.left, pair.right, transposeB: true).storage }
        let products = PartitionedGEMV.multiply(sensing, Matrix(rows: rows * columns, columns: pairs.count, columnMajor: stacked))
        return (0..<pairs.count).map { products.column($0) }
    }

    public func adjoint(_ y: [Double]) -> Matrix {
        Matrix(rows: rows, columns: columns, columnMajor: PartitionedGEMV.multiplyTransposed(sensing, y))
    }

    /// Read as an (m·d1)×d2 matrix S, the sensing storage gives T = S·Q whose column j, read as
    /// an m×d1 matrix T_j, holds row i = (A_iQ)[:, j]; then U_j = T_j·P holds Z_i[:, j] in row
    /// i. Two passes: T, and Sᵀ·V for the gradient in Q, with V_j = U_j·Pᵀ.
    public func sandwichedSquaredNorm(left: Matrix, right: Matrix) -> (value: Double, gradientLeft: Matrix, gradientRight: Matrix) {
        let m = measurementCount
        let stacked = Matrix(rows: m * rows, columns: columns, columnMajor: sensing.storage)
        let t = PartitionedGEMV.multiply(stacked, right)
        var value = 0.0
        var gradientLeft = Matrix.zeros(rows: rows, columns: left.columns)
        var v: [Double] = []
        v.reserveCapacity(m * rows * right.columns)
        for j in 0..<right.columns {
            let tj = Matrix(rows: m, columns: rows, columnMajor: t.column(j))
            let uj = BLAS.matmul(tj, left)
            value += BLAS.dot(uj.storage, uj.storage)
            BLAS.gemm(tj, uj, into: &gradientLeft, transposeA: true, alpha: 2, beta: 1)
            v += BLAS.matmul(uj, left, transposeB: true).storage
        }
        let gradientRight = Matrix(rows: columns, columns: right.columns, columnMajor:
            PartitionedGEMV.multiplyTransposed(stacked, Matrix(rows: m * rows, columns: right.columns, columnMajor: v)).storage.map { 2 * $0 })
        return (value, gradientLeft, gradientRight)
    }

    public func tangentJacobian(left: Matrix, right: Matrix) -> Matrix {
        StackedMatrixProducts.sidedProducts(sensing, rows: rows, columns: columns, left: left, right: right)
    }

    public func rescaling() -> Rescaling {
        let m = Double(measurementCount)
        // Σ_i A_iA_iᵀ = Σ_q B_qᵀB_q, where B_q (m×d1) is the block of sensing columns holding
        // column q of every A_i.
        let left = PartitionedGEMV.blockGram(sensing, blockWidth: rows) * (1 / (m * Double(columns)))
        // Σ_i A_iᵀA_i = SᵀS for the same storage read as an (m·d1) × d2 matrix S.
        let stacked = Matrix(rows: measurementCount * rows, columns: columns, columnMajor: sensing.storage)
        let right = PartitionedGEMV.gram(stacked) * (1 / (m * Double(rows)))
        return Rescaling(left: .dense(left), right: .dense(right))
    }
}
