import LinearAlgebra
import Models
import Problems

/// `least-norm`: the minimum-Frobenius-norm interpolant X = A⁺(b) of docs/mathematics.md §11.4, the contrast
/// that fits but does not recover: it has no reason to be low rank, and with m < d1·d2 it is
/// not M♮.
///
/// X comes from Craig's method (CG on A·A*·y = b with X = A*(y) carried instead of y): every
/// iterate lies in the range of A*, so the interpolant it reaches is the one of least norm.
/// One apply and one adjoint per iteration, to ‖A(X) − b‖/‖b‖ ≤ tolerance. The recurrence's
/// residual drifts from the true one in rounding, so when it claims the tolerance the true
/// residual is computed and, if short, the iteration restarts from it. Without an interpolant
/// (noisy data and m > d1·d2) it runs out of iterations and says so.
///
/// The factors are the balanced factorization of a full SVD of X, which fits only when the
/// width holds rank X: `solve-flat` gives this method width min(d1, d2) (d and d for the
/// quadratic model) unless --width says otherwise, and a narrower width keeps the leading
/// triples, which no longer fit and are reported as not converged.
public struct LeastNormMethod: RecoveryMethod {
    public init() {}

    public func solve(_ problem: RecoveryProblem, context: MethodContext) throws -> FactoredSolution {
        let measurementOperator = problem.measurementOperator
        let target = context.limits.tolerance * problem.observationNorm
        var estimate = Matrix.zeros(rows: problem.factorization.rows, columns: problem.factorization.columns)
        var residual = problem.observations  // b − A(X), true at the top of each run
        var iterations = 0
        while BLAS.nrm2(residual) > target, iterations < context.limits.maxIterations {
            let iterationsBefore = iterations
            var residualSquared = BLAS.dot(residual, residual)
            var direction = measurementOperator.adjoint(residual)
            while residualSquared.squareRoot() > target, iterations < context.limits.maxIterations {
                let directionSquared = BLAS.dot(direction.storage, direction.storage)
                guard directionSquared > 0 else { break }
                let image = measurementOperator.apply(direction)
                let alpha = residualSquared / directionSquared
                direction.withUnsafeBufferPointer { d in estimate.withUnsafeMutableBufferPointer { BLAS.axpy(alpha, d, $0) } }
                BLAS.axpy(-alpha, image, &residual)
                let nextSquared = BLAS.dot(residual, residual)
                var next = measurementOperator.adjoint(residual)
                direction.withUnsafeBufferPointer { d in next.withUnsafeMutableBufferPointer { BLAS.axpy(nextSquared / residualSquared, d, $0) } }
                direction = next
                residualSquared = nextSquared
                iterations += 1
            }
            residual = problem.observations
            BLAS.axpy(-1, measurementOperator.apply(estimate), &residual)
            // A*(r) = 0 with r ≠ 0: b has a part outside A's range, and no step can fit it.
            if iterations == iterationsBefore { break }
        }
        let (u, values, vt) = try LAPACK.svd(estimate)
        let parameters = problem.factorization.parameters(singularVectors: u, values: values, right: vt.transposed())
        let fitted = BLAS.nrm2(problem.residual(parameters)) <= target
        return FactoredSolution(parameters: parameters, iterations: iterations, converged: fitted)
    }
}
