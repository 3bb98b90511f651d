import LinearAlgebra
import Models
import Problems
import RandomNumbers

/// The Hessian of the loss f(θ) = (1/2m)‖A(X(θ)) − b‖² at a point, as a map on directions.
/// For a factorization whose factors are linear in θ (L·Rᵀ, or U·S·Uᵀ for the quadratic
/// model) it is exact and costs four passes over the operator: with z = (A(X) − b)/m and
/// J the pullback ∇θ⟨·, A(X(θ))⟩,
///
///     ∇²f(θ)·v = J(θ)[A(dX)/m] + J(v)[z],   dX = L(v)·R(θ)ᵀ + L(θ)·R(v)ᵀ,
///
/// the Gauss–Newton term plus the residual's curvature (which vanishes on the solution set).
/// J is linear in θ for these factorizations, which is why J(v)[z] is the second term.
public struct LossHessian {
    let problem: RecoveryProblem
    let point: [Double]
    let scaledResidual: [Double]

    public init(measurements: MeasurementSet, factorization: any BilinearFactorization, at point: [Double]) {
        precondition(point.count == factorization.parameterCount)
        // The loss alone is differentiated: the fit and the rescaling do not enter it.
        let identity = Rescaling(left: .multipleOfIdentity(1, size: factorization.rows),
                                 right: .multipleOfIdentity(1, size: factorization.columns))
        problem = RecoveryProblem(measurements: measurements, dataFit: .exact, rescaling: identity,
                                  factorization: factorization)
        self.point = point
        let m = Double(measurements.observations.count)
        scaledResidual = problem.residual(point).map { $0 / m }
    }

    public var dimension: Int { point.count }

    /// f and ∇f at `parameters`, for checking the Hessian against differences of gradients.
    public func loss(at parameters: [Double]) -> (value: Double, gradient: [Double]) {
        let (value, gradient, _) = problem.loss(parameters)
        return (value, gradient)
    }

    /// ∇²f(θ)·v.
    public func times(_ direction: [Double]) -> [Double] {
        let factorization = problem.factorization
        let (left, right) = factorization.factors(point)
        let (leftStep, rightStep) = factorization.factors(direction)
        let pieces = problem.measurementOperator.applyFactored([(leftStep, right), (left, rightStep)])
        let m = Double(problem.measurementCount)
        let change = zip(pieces[0], pieces[1]).map { ($0 + $1) / m }
        var product = problem.pullback(point, change)
        BLAS.axpy(1, problem.pullback(direction, scaledResidual), &product)
        return product
    }
}

/// The largest eigenvalue of a symmetric operator by the Lanczos process with full
/// reorthogonalization: the Hessians here have a few large eigenvalues well separated from
/// the rest, which Lanczos finds in a few dozen products where power iteration needs hundreds.
public enum Lanczos {
    public static let defaultMaxIterations = 100

    /// Stops when the Ritz value's residual bound β_j·|s_j| is below `relativeTolerance` times
    /// the value, when the Krylov space is invariant, or after `maxIterations` products. The
    /// start vector is drawn from `seed`, so the answer is reproducible. `step` hears the
    /// number of each product as it starts.
    public static func largestEigenvalue(dimension: Int, maxIterations: Int = defaultMaxIterations,
                                         relativeTolerance: Double = 1e-10, seed: UInt64 = 0,
                                         times: ([Double]) -> [Double], step: ((Int) -> Void)? = nil) throws -> Double {
        precondition(dimension > 0)
        var generator = PCG64(seed: seed)
        var start = [Double](repeating: 0, count: dimension)
        generator.fillStandardNormal(&start)
        BLAS.scal(1 / BLAS.nrm2(start), &start)
        var basis = [start]
        var diagonal: [Double] = [], offDiagonal: [Double] = []
        var largest = -Double.infinity
        for iteration in 0..<min(maxIterations, dimension) {
            step?(iteration + 1)
            let current = basis[basis.count - 1]
            var next = times(current)
            diagonal.append(BLAS.dot(next, current))
            // Twice is enough (Parlett's "twice is enough") to keep the basis orthogonal to
            // working precision, which plain three-term Lanczos loses once a value converges.
            for _ in 0..<2 {
                for vector in basis { BLAS.axpy(-BLAS.dot(next, vector), vector, &next) }
            }
            let norm = BLAS.nrm2(next)
            let (value, residualBound) = try leadingRitzPair(diagonal: diagonal, offDiagonal: offDiagonal, nextNorm: norm)
            largest = value
            if residualBound <= relativeTolerance * max(abs(value), .leastNormalMagnitude)
                || norm <= .ulpOfOne * max(abs(value), .leastNormalMagnitude) {
                break
            }
            offDiagonal.append(norm)
            BLAS.scal(1 / norm, &next)
            basis.append(next)
        }
        return largest
    }

    /// The largest eigenvalue θ of the tridiagonal T_j and the bound β_j·|s_j| on
    /// ‖A·y − θ·y‖ for its Ritz vector y (s_j = the last entry of T_j's eigenvector).
    private static func leadingRitzPair(diagonal: [Double], offDiagonal: [Double],
                                        nextNorm: Double) throws -> (value: Double, residualBound: Double) {
        let n = diagonal.count
        var tridiagonal = Matrix.zeros(rows: n, columns: n)
        for i in 0..<n { tridiagonal[i, i] = diagonal[i] }
        for (i, beta) in offDiagonal.enumerated() {
            tridiagonal[i + 1, i] = beta
            tridiagonal[i, i + 1] = beta
        }
        let (values, vectors) = try LAPACK.symmetricEigen(tridiagonal)
        return (values[n - 1], nextNorm * abs(vectors[n - 1, n - 1]))
    }
}

/// The factorization a stream's `estimate_left`, `estimate_right` describe, and θ for it.
public enum StoredFactors {
    /// General models: θ = (L, R). The quadratic model (L = [U1 U2], R = [U1 −U2]): θ = U with
    /// columns reordered so that those with R's column = +L's come first, which changes
    /// neither X nor the loss; a column of R that is not ±L's column is an error.
    public static func parameters(left: Matrix, right: Matrix,
                                  symmetric: Bool) throws -> (factorization: any BilinearFactorization, parameters: [Double]) {
        guard left.columns == right.columns else {
            throw ModelError("estimate_left has \(left.columns) columns and estimate_right \(right.columns)")
        }
        guard symmetric else {
            return (GeneralFactorization(rows: left.rows, columns: right.rows, width: left.columns),
                    left.storage + right.storage)
        }
        guard left.rows == right.rows else {
            throw ModelError("the quadratic model's factors must have the same shape, not \(left.rows)×\(left.columns) and \(right.rows)×\(right.columns)")
        }
        var positive: [[Double]] = [], negative: [[Double]] = []
        for j in 0..<left.columns {
            let u = left.column(j), v = right.column(j)
            let scale = max(BLAS.nrm2(u), .leastNormalMagnitude)
            if zip(u, v).allSatisfy({ abs($0 - $1) <= 1e-12 * scale }) {
                positive.append(u)
            } else if zip(u, v).allSatisfy({ abs($0 + $1) <= 1e-12 * scale }) {
                negative.append(u)
            } else {
                throw ModelError("column \(j) of estimate_right is not ± that of estimate_left, as the quadratic model's factors [U1 U2], [U1 −U2] are")
            }
        }
        return (SignedSymmetricFactorization(size: left.rows, positiveWidth: positive.count, negativeWidth: negative.count),
                (positive + negative).flatMap { $0 })
    }
}
