import LinearAlgebra

/// Rank-one measurements A_i = a_i c_iᵀ, held as the m×d1 matrix of rows a_i and the m×d2
/// matrix of rows c_i and never as the A_i themselves: every product costs O(m(d1+d2)k).
/// Bilinear sensing has independent a_i and c_i; quadratic sensing (covariance estimation,
/// quadratic networks, phase retrieval) is the case a_i = c_i = x_i, A(X)_i = x_iᵀ X x_i.
public protocol RankOneMeasurements: MeasurementOperator {
    /// m×d1, rows a_i.
    var leftVectors: Matrix { get }
    /// m×d2, rows c_i.
    var rightVectors: Matrix { get }
}

/// Bilinear sensing with independent Gaussian a_i and c_i.
public struct BilinearSensing: RankOneMeasurements {
    public let family = OperatorFamily.bilinear
    public let leftVectors: Matrix
    public let rightVectors: Matrix
    public var storedEntryCount: Int { leftVectors.storage.count + rightVectors.storage.count }

    public init(left: Matrix, right: Matrix) {
        precondition(left.rows == right.rows, "both sides need one vector per measurement")
        leftVectors = left
        rightVectors = right
    }
}

/// Quadratic sensing b_i = x_iᵀ X x_i. It sees only the symmetric part of X, so its model is
/// X = U1U1ᵀ − U2U2ᵀ, and its features are stored once for both sides.
public struct QuadraticSensing: RankOneMeasurements {
    public let family = OperatorFamily.quadratic
    public var parametrization: FactorParametrization { .signedSymmetric }
    /// m×d, rows x_i.
    public let features: Matrix
    public var leftVectors: Matrix { features }
    public var rightVectors: Matrix { features }
    public var storedEntryCount: Int { features.storage.count }

    public init(features: Matrix) {
        self.features = features
    }

    /// y_i = −‖x_i‖²: A*(y) = −Σ‖x_i‖²x_ix_iᵀ = −m·d·D², so D⁻¹A*(y)D⁻¹ is a multiple of −I, and
    /// on every fit X = P ⪰ 0 the bound −⟨y, b⟩ scaled into the dual set equals 2tr(D²P) = str:
    /// it certifies every positive semidefinite fit exactly (docs/mathematics.md §7, the quadratic
    /// model), where the solver's own multiplier is ill-determined.
    public func closedFormMultipliers() -> [[Double]] {
        [rowwiseDot(features, features).map { -$0 }]
    }
}

extension RankOneMeasurements {
    public var rows: Int { leftVectors.columns }
    public var columns: Int { rightVectors.columns }
    public var measurementCount: Int { leftVectors.rows }

    /// a_iᵀ X c_i = row i of (A X) dotted with c_i.
    public func apply(_ x: Matrix) -> [Double] {
        rowwiseDot(BLAS.matmul(leftVectors, x), rightVectors)
    }

    /// Σ y_i a_i c_iᵀ = Aᵀ diag(y) C.
    public func adjoint(_ y: [Double]) -> Matrix {
        BLAS.matmul(leftVectors, scalingRows(rightVectors, by: y), transposeA: true)
    }

    public func applyFactored(left: Matrix, right: Matrix) -> [Double] {
        rowwiseDot(BLAS.matmul(leftVectors, left), BLAS.matmul(rightVectors, right))
    }

    /// Aᵀ diag(y) (C R) and Cᵀ diag(y) (A L): O(m(d1+d2)k) each, no d1×d2 matrix.
    public func adjointProductMaps(_ y: [Double]) -> AdjointProductMaps {
        AdjointProductMaps(setupPasses: 0, passesPerProduct: 1,
                           timesRight: { BLAS.matmul(leftVectors, scalingRows(BLAS.matmul(rightVectors, $0), by: y), transposeA: true) },
                           transposeTimesLeft: { BLAS.matmul(rightVectors, scalingRows(BLAS.matmul(leftVectors, $0), by: y), transposeA: true) })
    }

    /// Z_i = (Pᵀa_i)(Qᵀc_i)ᵀ has ‖Z_i‖² = ‖Pᵀa_i‖²·‖Qᵀc_i‖².
    public func sandwichedSquaredNorm(left: Matrix, right: Matrix) -> (value: Double, gradientLeft: Matrix, gradientRight: Matrix) {
        let projectedLeft = BLAS.matmul(leftVectors, left), projectedRight = BLAS.matmul(rightVectors, right)
        let leftNorms = rowwiseDot(projectedLeft, projectedLeft), rightNorms = rowwiseDot(projectedRight, projectedRight)
        let gradientLeft = BLAS.matmul(leftVectors, scalingRows(projectedLeft, by: rightNorms.map { 2 * $0 }), transposeA: true)
        let gradientRight = BLAS.matmul(rightVectors, scalingRows(projectedRight, by: leftNorms.map { 2 * $0 }), transposeA: true)
        return (BLAS.dot(leftNorms, rightNorms), gradientLeft, gradientRight)
    }

    /// A_iᵀU = c_i(Uᵀa_i)ᵀ and A_iV = a_i(Vᵀc_i)ᵀ: column (j, c) of each block is a column of
    /// C (or A) scaled row by row by a column of A·U (or C·V). O(m(d1+d2)(a+b)).
    public func tangentJacobian(left: Matrix, right: Matrix) -> Matrix {
        let m = measurementCount
        let projectedLeft = BLAS.matmul(leftVectors, left), projectedRight = BLAS.matmul(rightVectors, right)
        var entries: [Double] = []
        entries.reserveCapacity(m * (columns * left.columns + rows * right.columns))
        for (vectors, projected) in [(rightVectors, projectedLeft), (leftVectors, projectedRight)] {
            for c in 0..<projected.columns {
                let weights = projected.column(c)
                entries += scalingRows(vectors, by: weights).storage
            }
        }
        return Matrix(rows: m, columns: entries.count / max(m, 1), columnMajor: entries)
    }

    /// Σ A_iA_iᵀ = Σ ‖c_i‖² a_i a_iᵀ = Aᵀ diag(‖c‖²) A: one syrk on rows scaled by ‖c_i‖.
    public func rescaling() -> Rescaling {
        let m = Double(measurementCount)
        func side(_ vectors: Matrix, weightedBy other: Matrix, scale: Double) -> SquaredScaling {
            let norms = rowwiseDot(other, other).map { $0.squareRoot() }
            var result = Matrix.zeros(rows: vectors.columns, columns: vectors.columns)
            BLAS.syrk(scalingRows(vectors, by: norms), into: &result, transpose: true, alpha: scale)
            return .dense(result)
        }
        return Rescaling(left: side(leftVectors, weightedBy: rightVectors, scale: 1 / (m * Double(columns))),
                         right: side(rightVectors, weightedBy: leftVectors, scale: 1 / (m * Double(rows))))
    }
}
