import LinearAlgebra
import Models

/// What an iterative method reports while it runs, for a progress line on a terminal.
public struct IterationReport: Sendable {
    public var iteration: Int
    public var relativeResidual: Double
    public var flatness: Double
    public var passes: Int
}

public typealias ProgressHandler = (IterationReport) -> Void

/// Stopping rules shared by the methods.
public struct SolverLimits: Sendable {
    /// Relative feasibility ‖A(X) − b − s‖/‖b‖ and relative stationarity both at most this.
    public var tolerance: Double
    /// Inner (quasi-Newton or gradient) iterations over the whole solve.
    public var maxIterations: Int

    public init(tolerance: Double = 1e-10, maxIterations: Int = 20_000) {
        self.tolerance = tolerance
        self.maxIterations = maxIterations
    }
}

/// A factored answer and how it was reached.
public struct FactoredSolution: Sendable {
    public var parameters: [Double]
    public var iterations: Int
    public var converged: Bool
    /// A certified lower bound on the smallest str of any factorization that fits, when
    /// the method produces a dual certificate.
    public var lowerBound: Double?

    public init(parameters: [Double], iterations: Int, converged: Bool, lowerBound: Double? = nil) {
        self.parameters = parameters
        self.iterations = iterations
        self.converged = converged
        self.lowerBound = lowerBound
    }
}

/// Minimizes the factorization's flatness (under the problem's rescaling) subject to the data
/// fit, by the method of multipliers on the factors (Burer–Monteiro):
///
///     Φ_ρ(θ; y) = str(θ) + h(p) + (ρ/2)‖r − p‖²,  r = A(X(θ)) − b + y/ρ,  p = prox_{h/ρ}(r),
///
/// which is Φ minimized over the split residual s in closed form, so it stays smooth for
/// every fit. Each outer step minimizes Φ with L-BFGS, then sets y ← ρ(r − p) and raises ρ
/// only when feasibility stalls: the multiplier, not a huge ρ, enforces the constraint, which
/// keeps the subproblems well conditioned and the answer exact.
public struct AugmentedLagrangian {
    public var limits: SolverLimits
    public var progress: ProgressHandler?

    public init(limits: SolverLimits, progress: ProgressHandler? = nil) {
        self.limits = limits
        self.progress = progress
    }

    /// Gradients carry the rounding of A(X) − b times ρ; below this relative size they are noise.
    static let stationarityFloor = 1e-9
    /// How much ρ grows when feasibility stalls; 2, 3 and 10 were measured, 10 was as fast or
    /// faster on every model.
    static let penaltyGrowth = 10.0

    /// The solution and the final multiplier y of the fit constraint.
    public func solve(_ problem: RecoveryProblem, from start: [Double]) -> (solution: FactoredSolution, multiplier: [Double]) {
        let scale = max(problem.observationNorm, .leastNormalMagnitude)
        let fit = problem.dataFit
        var theta = start
        var multiplier = [Double](repeating: 0, count: problem.measurementCount)
        let startFlatness = problem.factorization.flatness(theta, rescaling: problem.rescaling).value
        var rho = 10 * max(startFlatness, .leastNormalMagnitude) / (scale * scale)
        var previousViolation = Double.infinity
        var innerTolerance = 0.1 * BLAS.nrm2(problem.factorization.flatness(theta, rescaling: problem.rescaling).gradient)
        var iterations = 0
        var outer = 0

        var history = LBFGS.History()
        while iterations < limits.maxIterations {
            outer += 1
            let objective = AugmentedLagrangianObjective(problem: problem, multiplier: multiplier, penalty: rho)
            let result = LBFGS().minimize(objective, from: theta, gradientTolerance: innerTolerance,
                                          maxIterations: limits.maxIterations - iterations, history: &history)
            iterations += result.iterations
            theta = result.point

            let s = problem.residual(theta)
            var r = s
            BLAS.axpy(1 / rho, multiplier, &r)
            let p = fit.proximalPoint(r, penaltyParameter: rho)
            multiplier = zip(r, p).map { rho * ($0 - $1) }
            let violation = euclideanNorm(zip(s, p).map { $0 - $1 })
            let flatness = problem.factorization.flatness(theta, rescaling: problem.rescaling)
            let gradientScale = max(BLAS.nrm2(flatness.gradient), .leastNormalMagnitude)
            progress?(IterationReport(iteration: iterations, relativeResidual: violation / scale,
                                      flatness: flatness.value, passes: problem.measurementOperator.usage.passes))

            let stationary = result.stalled || BLAS.nrm2(result.gradient) <= max(limits.tolerance, Self.stationarityFloor) * gradientScale
            if violation <= limits.tolerance * scale && stationary {
                return (FactoredSolution(parameters: theta, iterations: iterations, converged: true), multiplier)
            }
            if violation > 0.25 * previousViolation, violation > limits.tolerance * scale {
                rho *= Self.penaltyGrowth
                history.clear()  // Φ's curvature scales with ρ; the old pairs would mislead.
            }
            previousViolation = violation
            innerTolerance = max(max(limits.tolerance, Self.stationarityFloor) * gradientScale, 0.1 * innerTolerance)
            if outer > 200 { break }
        }
        return (FactoredSolution(parameters: theta, iterations: iterations, converged: false), multiplier)
    }
}
