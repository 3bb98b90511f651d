import LinearAlgebra
import Models
import Problems

/// What an iterative method reports while it runs, for a progress line on a terminal.
public struct IterationReport: Sendable {
    public var iteration: Int
    public var relativeResidual: Double
    public var flatness: Double
    public var passes: Int
}

public typealias ProgressHandler = (IterationReport) -> Void

/// A faster way to the answer from near it, which the augmented Lagrangian hands over to.
protocol Finisher {
    /// Whether θ is near enough for `finish` to be worth its cost; asked after every step.
    func isPromising(_ parameters: [Double]) -> Bool
    /// What the finish reached from θ, or nil when it reached no fit; `multiplier` is the
    /// method's own estimate at θ.
    func finish(_ parameters: [Double], multiplier: [Double]) -> FinisherOutcome?
}

/// An exact fit the finisher reached, with the best multiplier it found for it and that
/// multiplier's lower bound on the problem's flatness.
enum FinisherOutcome {
    /// The bound confirms the fit: the solve ends.
    case certified(parameters: [Double], multiplier: [Double], lowerBound: Double)
    /// No multiplier confirms the fit: the round ends there, and the caller's certificate
    /// decides whether a flatter fit lies elsewhere (the multiplier's escape directions) or the
    /// answer stands uncertified. Going on would only bring the iterate back to the same fit.
    case uncertified(parameters: [Double], multiplier: [Double])
}

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
    /// A certified lower bound on the method's objective over every factorization that
    /// fits, when the method produces a dual certificate.
    public var lowerBound: Double?
    /// The factorization the parameters belong to, when the method changed it (a width grown
    /// until the answer was certified); nil means the problem's own.
    public var factorization: (any Factorization)?
    /// Why an answer is not converged, when the method knows more than that: one line for people.
    public var diagnosis: String?

    public init(parameters: [Double], iterations: Int, converged: Bool, lowerBound: Double? = nil,
                factorization: (any Factorization)? = nil) {
        self.parameters = parameters
        self.iterations = iterations
        self.converged = converged
        self.lowerBound = lowerBound
        self.factorization = factorization
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
    /// Consulted after every quasi-Newton step: when it finds the iterate promising, the step's
    /// subproblem is interrupted for it, and a certified answer from it ends the solve.
    var finisher: (any Finisher)?

    public init(limits: SolverLimits, progress: ProgressHandler? = nil) {
        self.limits = limits
        self.progress = progress
    }

    /// Gradients carry the rounding of A(X) − b times ρ; below this relative size they are noise.
    static let stationarityFloor = 1e-9
    /// A solve that needs more multiplier updates than this is not converging; every model
    /// measured needs fewer than 20.
    static let maximumSubproblems = 200

    /// How far ρ may grow over its start while feasibility stalls before the solve gives up
    /// on the point; a solve that converges needs far less.
    static let penaltyCeiling = 1e8

    /// Quasi-Newton steps taken in one preconditioner's metric before it is rebuilt.
    static let preconditionerLifetime = 100

    /// How much ρ grows when feasibility stalls; 2, 3 and 10 were measured, 10 was as fast or
    /// faster on every model.
    static let penaltyGrowth = 10.0

    /// X = 0 is a stationary point of Φ for every ρ and y (the gradient of a bilinear
    /// factorization vanishes there), and no later multiplier update can leave it, so the
    /// first subproblem must not prefer it. ρ starts where (a) ignoring the data costs 5
    /// times the start's flatness, Φ(0) = (ρ/2)·dist²(−b, Ω) ≥ 5·str(θ₀), and (b) the origin
    /// is a strict saddle with room to spare, ‖D1⁻¹A*(z₀)D2⁻¹‖_op ≥ 20 > 2 for the fit's
    /// gradient z₀ = ρ(r₀ − p₀) at X = 0.
    func initialPenalty(_ problem: RecoveryProblem, startFlatness: Double) -> Double {
        let d1 = problem.factorization.rows, d2 = problem.factorization.columns
        let origin = problem.observations.map { -$0 }
        // A penalty has no set to be outside of; its scale is that of the data.
        let distance = problem.dataFit.violation(origin) > 0 ? problem.dataFit.violation(origin) : problem.observationNorm
        var rho = 10 * max(startFlatness, .leastNormalMagnitude) / max(distance * distance, .leastNormalMagnitude)
        guard let leftInverse = try? problem.rescaling.left.pseudoInverseRoot(),
              let rightInverse = try? problem.rescaling.right.pseudoInverseRoot() else { return rho }
        for _ in 0..<12 {
            let p = problem.dataFit.proximalPoint(origin, penaltyParameter: rho)
            let z = zip(origin, p).map { rho * ($0 - $1) }
            let iteration = SubspaceIteration(adjointOf: z, under: problem.measurementOperator, rows: d1, columns: d2,
                                              leftWeight: leftInverse, rightWeight: rightInverse)
            guard let sigma = try? iteration.leadingTriples(count: 1, oversampling: 2, iterations: 3, seed: 1).values.first,
                  sigma.isFinite else { return rho }
            if sigma >= 20 { return rho }
            rho *= sigma > 0 ? min(20 / sigma, 1e3) : 1e3
        }
        return rho
    }

    /// Where a solve resumes: the multiplier and penalty another solve ended with.
    public struct WarmStart {
        public var multiplier: [Double]
        /// Nil: the penalty a fresh solve would start from.
        public var penalty: Double?
    }

    /// A relative violation below which an unconverged solve's multiplier is worth resuming from.
    static let resumableViolation = 1e-6

    /// The solution, the final multiplier y of the fit constraint, the penalty ρ reached,
    /// whether the fit was (nearly) reached, and whether the solve ended at an exact fit its
    /// finisher could not certify.
    public func solve(_ problem: RecoveryProblem, from start: [Double], resuming warmStart: WarmStart? = nil)
        -> (solution: FactoredSolution, multiplier: [Double], penalty: Double, feasible: Bool, uncertifiedFit: Bool) {
        let scale = max(problem.observationNorm, .leastNormalMagnitude)
        let fit = problem.dataFit
        var theta = start
        var multiplier = warmStart?.multiplier ?? [Double](repeating: 0, count: problem.measurementCount)
        let startFlatness = problem.flatness(theta)
        var rho = warmStart?.penalty.map { $0 } ?? initialPenalty(problem, startFlatness: startFlatness.value)
        let firstPenalty = rho
        var previousViolation = Double.infinity
        var innerTolerance = 0.1 * BLAS.nrm2(startFlatness.gradient)
        var iterations = 0
        var outer = 0

        var history = LBFGS.History()
        // A(X(θ)) − b where the last subproblem left θ: the next one starts there.
        var known: (point: [Double], residual: [Double])?
        while iterations < limits.maxIterations {
            outer += 1
            var result: LBFGS.Result
            repeat {
                // The preconditioner is fixed per run; when the factors move far, a fresh run
                // from where the last one stopped rebuilds it (same ρ and y: the same subproblem).
                let objective = AugmentedLagrangianObjective(problem: problem, multiplier: multiplier, penalty: rho,
                                                             start: theta, knownResidual: known)
                var quasiNewton = LBFGS()
                quasiNewton.interruption = finisher.map { finisher in { finisher.isPromising($0) } }
                result = quasiNewton.minimize(objective, from: theta, gradientTolerance: innerTolerance,
                                              maxIterations: min(Self.preconditionerLifetime, limits.maxIterations - iterations),
                                              history: &history)
                iterations += result.iterations
                theta = result.point
                // The subproblem's gradient in the residual, ρ(r − p), is the multiplier at θ.
                if result.interrupted, let finisher,
                   let finished = finisher.finish(theta, multiplier: objective.fitTerm(residual: objective.residual(at: theta)).gradient) {
                    switch finished {
                    case .certified(let parameters, let multiplier, let lowerBound):
                        return (FactoredSolution(parameters: parameters, iterations: iterations, converged: true,
                                                 lowerBound: lowerBound), multiplier, rho, true, false)
                    case .uncertified(let parameters, let multiplier):
                        return (FactoredSolution(parameters: parameters, iterations: iterations, converged: false), multiplier, rho, true, true)
                    }
                }
                known = (theta, objective.residual(at: theta))
                if !(result.reachedTolerance || result.stalled || result.interrupted) { history.clear() }
            } while !(result.reachedTolerance || result.stalled) && iterations < limits.maxIterations

            let s = known?.residual ?? problem.residual(theta)
            var r = s
            BLAS.axpy(1 / rho, multiplier, &r)
            let p = fit.proximalPoint(r, penaltyParameter: rho)
            multiplier = zip(r, p).map { rho * ($0 - $1) }
            let violation = BLAS.nrm2(zip(s, p).map { $0 - $1 })
            let flatness = problem.flatness(theta)
            let gradientScale = max(BLAS.nrm2(flatness.gradient), .leastNormalMagnitude)
            progress?(IterationReport(iteration: iterations, relativeResidual: violation / scale,
                                      flatness: flatness.value, passes: problem.measurementOperator.usage.passes))

            let stationary = result.stalled || BLAS.nrm2(result.gradient) <= max(limits.tolerance, Self.stationarityFloor) * gradientScale
            if violation <= limits.tolerance * scale && stationary {
                return (FactoredSolution(parameters: theta, iterations: iterations, converged: true), multiplier, rho, true, false)
            }
            if violation > 0.25 * previousViolation, violation > limits.tolerance * scale {
                // A point that no penalty brings nearer the fit is stuck (a spurious stationary
                // point of the factored fit): the caller's certificate shows the way out.
                if rho >= Self.penaltyCeiling * firstPenalty { break }
                rho *= Self.penaltyGrowth
                history.clear()  // Φ's curvature scales with ρ; the old pairs would mislead.
            }
            previousViolation = violation
            innerTolerance = max(max(limits.tolerance, Self.stationarityFloor) * gradientScale, 0.1 * innerTolerance)
            if outer >= Self.maximumSubproblems { break }
        }
        // Near the fit the multiplier is meaningful and worth resuming from.
        return (FactoredSolution(parameters: theta, iterations: iterations, converged: false), multiplier, rho,
                previousViolation <= Self.resumableViolation * scale, false)
    }
}
