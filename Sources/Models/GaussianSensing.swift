import LinearAlgebra

/// Dense sensing: m matrices A_i stored as one m × (d1·d2) column-major matrix whose row i is
/// vec(A_i). Every apply and adjoint is one bandwidth-bound gemv over all of it, so this
/// family counts its passes.
public struct GaussianSensing: MeasurementOperator {
    public let familyName = "gaussian"
    public let rows: Int
    public let columns: Int
    /// m × (d1·d2).
    public let sensing: Matrix
    public var measurementCount: Int { sensing.rows }

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

    public func rescaling() -> Rescaling {
        let m = Double(measurementCount)
        // Σ_i A_iA_iᵀ = Σ_q B_qᵀB_q, where B_q (m×d1) is the block of sensing columns holding
        // column q of every A_i: one syrk per block, accumulated.
        var left = Matrix.zeros(rows: rows, columns: rows)
        for q in 0..<columns {
            BLAS.syrk(sensing, columns: (q * rows)..<((q + 1) * rows), into: &left,
                      transpose: true, alpha: 1 / (m * Double(columns)), beta: 1)
        }
        // Σ_i A_iᵀA_i = CᵀC for the same storage read as an (m·d1) × d2 matrix.
        let stacked = Matrix(rows: measurementCount * rows, columns: columns, columnMajor: sensing.storage)
        var right = Matrix.zeros(rows: columns, columns: columns)
        BLAS.syrk(stacked, into: &right, transpose: true, alpha: 1 / (m * Double(rows)))
        return Rescaling(left: .dense(left), right: .dense(right))
    }
}
