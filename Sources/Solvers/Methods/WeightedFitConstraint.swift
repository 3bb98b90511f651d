import LinearAlgebra
import Models
import Problems

/// The fit constraint of the convex relaxation in the weighted variable W = D1XD2 and the
/// fit's slack s,
///
///     Ã(W) − s = b,   Ã(W) = A(D1⁻¹WD2⁻¹),   Ã*(y) = D1⁻¹A*(y)D2⁻¹,
///
/// and the Euclidean projection onto it in the metric ‖W‖²_F + ‖s‖²/γ². The projection of
/// (W, s) with residual r = Ã(W) − s − b is (W − Ã*(δ), s + γ²δ) where (ÃÃ* + γ²I)δ = r,
/// solved by conjugate gradients through passes of the operator alone, so no family has to
/// expose its matrices. For the exact fit γ = 0: there is no slack and the projection is onto
/// A(X) = b itself.
struct WeightedFitConstraint {
    let problem: RecoveryProblem
    /// D1⁻¹ and D2⁻¹ (pseudo-inverses where a row or column is never observed).
    let leftInverse: SquaredScaling
    let rightInverse: SquaredScaling
    /// γ², the weight of the slack block.
    let slackWeight: Double

    /// Each projection solves its system to this fraction of the right-hand side. The right-hand
    /// side is the current infeasibility, so the projection error shrinks with the iterates,
    /// as inexact ADMM needs, and the answer's feasibility is measured on Ã(W) itself, never
    /// taken from the solve. Measured on Gaussian, bilinear, quadratic, completion and
    /// robust-PCA instances, 0.5 took up to 3.3 times fewer passes than 0.1 (2 on Gaussian
    /// sensing) for up to twice the ADMM steps, each an SVD; 0.7 saves passes on Gaussian
    /// sensing only, for still more steps.
    static let forcing = 0.5

    /// γ² is the mean of ‖Ã_i‖²_F, the mean eigenvalue of ÃÃ*, so neither block dominates the
    /// projection. With D1² = D2² = c·I (Σ‖A_i‖² = m·d1·d2·c and Ã_i = A_i/c) that mean is
    /// d1·d2/c; the isotropic scale stands in for c in general. Measured on robust PCA and
    /// noisy completion, a third or three times this took up to seven times more steps, a
    /// tenth or ten times did not converge in thousands.
    init(problem: RecoveryProblem, rescaling: Rescaling) throws {
        self.problem = problem
        // Pseudo-inverses: a row or column no measurement touches has zero weight, is free in
        // the fit and costs nothing in the objective, so the relaxation leaves it at zero.
        leftInverse = try rescaling.left.pseudoInverseRoot()
        rightInverse = try rescaling.right.pseudoInverseRoot()
        if problem.dataFit == .exact {
            slackWeight = 0
        } else {
            slackWeight = Double(problem.factorization.rows * problem.factorization.columns) / rescaling.isotropicScale
        }
    }

    /// D1⁻¹YD2⁻¹: both Ã and Ã* sandwich a matrix this way (D1, D2 are symmetric).
    func inverseWeighted(_ y: Matrix) -> Matrix {
        leftInverse.sandwiching(y, right: rightInverse)
    }

    /// Ã(W): one pass.
    func apply(_ w: Matrix) -> [Double] {
        problem.measurementOperator.apply(inverseWeighted(w))
    }

    /// Ã*(y): one pass.
    func adjoint(_ y: [Double]) -> Matrix {
        inverseWeighted(problem.measurementOperator.adjoint(y))
    }

    /// δ with ‖(ÃÃ* + γ²I)δ − r‖ ≤ forcing·‖r‖, by conjugate gradients from δ = 0, and Ã*(δ)
    /// accumulated from the Ã*(p) that every step computes anyway: two passes a step.
    func projectionStep(residual r: [Double]) -> (multiplier: [Double], adjoint: Matrix) {
        var step = [Double](repeating: 0, count: r.count)
        var adjointOfStep = Matrix.zeros(rows: problem.factorization.rows, columns: problem.factorization.columns)
        var remainder = r, direction = r
        var remainderSquared = BLAS.dot(r, r)
        let target = Self.forcing * Self.forcing * remainderSquared
        var iterations = 0
        // In exact arithmetic CG ends within m steps; the cap only guards against rounding.
        while remainderSquared > target, iterations < r.count {
            let adjointOfDirection = adjoint(direction)
            var product = apply(adjointOfDirection)
            BLAS.axpy(slackWeight, direction, &product)
            let curvature = BLAS.dot(direction, product)
            guard curvature > 0 else { break }
            let length = remainderSquared / curvature
            BLAS.axpy(length, direction, &step)
            adjointOfStep.add(length, times: adjointOfDirection)
            BLAS.axpy(-length, product, &remainder)
            let nextSquared = BLAS.dot(remainder, remainder)
            BLAS.scal(nextSquared / remainderSquared, &direction)
            BLAS.axpy(1, remainder, &direction)
            remainderSquared = nextSquared
            iterations += 1
        }
        return (step, adjointOfStep)
    }
}
