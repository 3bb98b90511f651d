import LinearAlgebra
import Problems

/// Φ_ρ(θ; y) = str(θ) + h(p) + (ρ/2)‖r − p‖², r = A(X(θ)) − b + y/ρ, p = prox_{h/ρ}(r), for
/// fixed multiplier y and penalty ρ: the smooth subproblem of each augmented-Lagrangian step.
///
/// When the factors are linear in θ, the residual along a line is a quadratic polynomial in
/// the step, A(X(θ + αd)) − b = s + α·a₁ + α²·a₂, and the flatness a quadratic too; one
/// batched pass gives a₁ and a₂, and every trial step of the line search then costs O(m).
final class AugmentedLagrangianObjective: SmoothObjective {
    let problem: RecoveryProblem
    let multiplier: [Double]
    let penalty: Double
    /// The residual at the last point whose gradient was computed: where the next line starts.
    private var cached: (point: [Double], residual: [Double])?

    /// Built at the subproblem's start point. The fit's curvature along the factors is about
    /// ρ·c·FᵀF with c·I ≈ A*A, the flatness's about 2·tr(D²)/d; with c = m·tr(D1²)/d1 their
    /// ratio is μ = 2/(ρm).
    let preconditioner: Preconditioner

    init(problem: RecoveryProblem, multiplier: [Double], penalty: Double, start: [Double],
         knownResidual: (point: [Double], residual: [Double])? = nil) {
        self.problem = problem
        self.multiplier = multiplier
        self.penalty = penalty
        cached = knownResidual
        preconditioner = problem.factorization.preconditioner(at: start, damping: 2 / (penalty * Double(problem.measurementCount)))
    }

    /// A(X(θ)) − b, from the cache when θ is where the last gradient was taken.
    func residual(at point: [Double]) -> [Double] {
        if let cached, cached.point == point { return cached.residual }
        return problem.residual(point)
    }

    func valueAndGradient(_ point: [Double]) -> (value: Double, gradient: [Double]) {
        let residual = residual(at: point)
        let (value, z) = fitTerm(residual: residual)
        let flatness = problem.flatness(point)
        return (flatness.value + value, gradient(at: point, residual: residual, weights: z, flatness: flatness.gradient))
    }

    /// h(p) + (ρ/2)‖r − p‖² and its gradient in the residual, ρ(r − p).
    func fitTerm(residual: [Double]) -> (value: Double, gradient: [Double]) {
        var r = residual
        BLAS.axpy(1 / penalty, multiplier, &r)
        let p = problem.dataFit.proximalPoint(r, penaltyParameter: penalty)
        var gap = r
        BLAS.axpy(-1, p, &gap)
        let value = problem.dataFit.penalty(p) + 0.5 * penalty * BLAS.dot(gap, gap)
        BLAS.scal(penalty, &gap)
        return (value, gap)
    }

    func gradient(at point: [Double], residual: [Double], weights: [Double], flatness: [Double]) -> [Double] {
        var gradient = flatness
        BLAS.axpy(1, problem.pullback(point, weights), &gradient)
        cached = (point, residual)
        return gradient
    }

    func preconditioned(_ vector: [Double], at point: [Double]) -> [Double] {
        preconditioner(vector)
    }

    func restriction(at point: [Double], value: Double, gradient: [Double], direction: [Double]) -> Line {
        if problem.factorization.factorsAreLinear, let cached, cached.point == point {
            return Line(objective: self, point: point, direction: direction, residual: cached.residual)
        }
        return Line(objective: self, point: point, direction: direction, residual: nil)
    }

    final class Line: LineRestriction {
        let objective: AugmentedLagrangianObjective
        let point: [Double]
        let direction: [Double]
        /// s, a₁, a₂ and the flatness coefficients, when the polynomial form applies.
        private let polynomial: (residual: [Double], linear: [Double], quadratic: [Double],
                                 flatness: Double, flatnessSlope: Double, flatnessCurvature: Double)?
        private let fallback: EvaluatingRestriction<AugmentedLagrangianObjective>

        init(objective: AugmentedLagrangianObjective, point: [Double], direction: [Double], residual: [Double]?) {
            self.objective = objective
            self.point = point
            self.direction = direction
            fallback = EvaluatingRestriction(objective: objective, point: point, direction: direction)
            guard let residual else {
                polynomial = nil
                return
            }
            let problem = objective.problem
            let (left, right) = problem.factorization.factors(point)
            let (leftStep, rightStep) = problem.factorization.factors(direction)
            let terms = problem.measurementOperator.applyFactored([
                (left: horizontallyJoined(left, leftStep), right: horizontallyJoined(rightStep, right)),
                (left: leftStep, right: rightStep),
            ])
            let flatness = problem.flatness(point)
            polynomial = (residual, terms[0], terms[1], flatness.value, BLAS.dot(flatness.gradient, direction),
                          problem.flatness(direction).value)
        }

        private func residual(at step: Double) -> [Double] {
            guard let polynomial else { preconditionFailure("polynomial restriction without coefficients") }
            var r = polynomial.residual
            BLAS.axpy(step, polynomial.linear, &r)
            BLAS.axpy(step * step, polynomial.quadratic, &r)
            return r
        }

        func valueAndSlope(at step: Double) -> (value: Double, slope: Double) {
            guard let polynomial else { return fallback.valueAndSlope(at: step) }
            let (fit, fitGradient) = objective.fitTerm(residual: residual(at: step))
            var velocity = polynomial.linear
            BLAS.axpy(2 * step, polynomial.quadratic, &velocity)
            let value = polynomial.flatness + step * polynomial.flatnessSlope + step * step * polynomial.flatnessCurvature + fit
            let slope = polynomial.flatnessSlope + 2 * step * polynomial.flatnessCurvature + BLAS.dot(fitGradient, velocity)
            return (value, slope)
        }

        func gradient(at step: Double) -> [Double] {
            guard polynomial != nil else { return fallback.gradient(at: step) }
            let moved = shifted(point, by: step, along: direction)
            let r = residual(at: step)
            let flatness = objective.problem.flatness(moved)
            return objective.gradient(at: moved, residual: r, weights: objective.fitTerm(residual: r).gradient,
                                      flatness: flatness.gradient)
        }
    }
}

func horizontallyJoined(_ a: Matrix, _ b: Matrix) -> Matrix {
    precondition(a.rows == b.rows)
    return Matrix(rows: a.rows, columns: a.columns + b.columns, columnMajor: a.storage + b.storage)
}
