import LinearAlgebra

/// Full observation, A(X) = vec(X) (robust PCA): m = d1·d2 and every rescaling is a multiple
/// of the identity, so flat, balanced and minimum-norm coincide.
public struct IdentityObservation: MeasurementOperator {
    public let family = OperatorFamily.identity
    public let rows: Int
    public let columns: Int
    public var measurementCount: Int { rows * columns }
    public var storedEntryCount: Int { 0 }

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
    }

    public func apply(_ x: Matrix) -> [Double] { x.storage }

    public func adjoint(_ y: [Double]) -> Matrix {
        Matrix(rows: rows, columns: columns, columnMajor: y)
    }

    /// Σ_{p,q} ‖P[p, :]‖²·‖Q[q, :]‖² = ‖P‖²·‖Q‖².
    public func sandwichedSquaredNorm(left: Matrix, right: Matrix) -> (value: Double, gradientLeft: Matrix, gradientRight: Matrix) {
        let leftNorm = BLAS.dot(left.storage, left.storage), rightNorm = BLAS.dot(right.storage, right.storage)
        return (leftNorm * rightNorm, left * (2 * rightNorm), right * (2 * leftNorm))
    }

    public var rescalingForms: (left: ScalingForm, right: ScalingForm) { (.multipleOfIdentity, .multipleOfIdentity) }

    /// Σ_{p,q} e_p e_qᵀ e_q e_pᵀ = d2·I, so D1² = d2·I/(m·d2) = I/(d1·d2), and likewise D2².
    public func rescaling() -> Rescaling {
        let scale = 1 / Double(measurementCount)
        return Rescaling(left: .multipleOfIdentity(scale, size: rows), right: .multipleOfIdentity(scale, size: columns))
    }
}
