import LinearAlgebra
import Models
import Problems

/// `convex`: the weighted nuclear-norm relaxation of docs/mathematics.md §4 (the paper's Theorem 3.2),
///
///     min_X 2‖D1XD2‖_* + h(A(X) − b),
///
/// the route to a flat solution that shares nothing with the factored methods but the
/// operator: its minimizer gives the flat factorization in closed form, and its multiplier
/// the certificate.
///
/// ADMM (Douglas–Rachford) in W = D1XD2 and the fit's slack s, splitting F(W, s) =
/// 2‖W‖_* + h(s) from the constraint Ã(W) − s = b of `WeightedFitConstraint`:
///
///     W ← SVT_{2t}(V − t·Ã*(y)),   s ← prox_{h/ρ}(s_V + tγ²·y) with ρ = 1/(tγ²)
///     (V, s_V) ← the projection of (W, s) onto the constraint:  (ÃÃ* + γ²I)δ = Ã(W) − s − b
///     y ← y + δ/t
///
/// Every map is closed-form but the projection's solve (conjugate gradients), y tends to the
/// fit's multiplier, and t is balanced between the primal and dual residuals. A step costs
/// one SVD of a d1×d2 matrix, one pass for Ã(W) and two per CG step. The relaxation is dense
/// in X: every iterate is a full d1×d2 matrix, which is what makes this a check on the
/// factored methods rather than a rival to them at scale. Rows and columns no measurement
/// touches (D1 or D2 singular) are left at zero through pseudo-inverses.
///
/// The answer is the flat factorization of Theorem 3.2: from the SVD UΣVᵀ of the weighted
/// minimizer, L = D1⁻¹U√Σ and R = D2⁻¹V√Σ, zero-padded to the width, whose str is 2‖W‖_*.
/// It is converged when (a) ‖Ã(W) − s − b‖ ≤ tolerance·‖b‖, (b) the relative duality gap
/// (2‖W‖_* + h(Ã(W) − b) − g(y))/(2‖W‖_* + h(Ã(W) − b)) ≤ `FlatMethod.certifiedGap(tolerance:)`, with g(y) the dual
/// bound of `DualBound`, which is also the reported lower bound, and (c) the minimizer's rank
/// fits the factorization: the factors keep all of 2‖W‖_* but a relative tolerance. Without
/// an explicit width the factorization is the one that holds the minimizer's rank exactly,
/// so the answer carries no zero columns.
/// Iterations count ADMM steps.
public struct ConvexMethod: RecoveryMethod {
    /// Whether the answer's factorization is fitted to its rank (no width was asked for).
    public var fitsWidth: Bool

    public init(fitsWidth: Bool = false) {
        self.fitsWidth = fitsWidth
    }

    /// The first threshold 2t as a fraction of the largest singular value of the least-squares
    /// start: a scale the data give before any iterate exists. With residual balancing the
    /// start matters little: on Gaussian, bilinear, quadratic, completion and robust-PCA
    /// instances 0.3, 0.5 and 1 took step counts within a factor of 1.6 of each other.
    static let initialThresholdFraction = 0.5
    /// t is halved (doubled) when the primal residual exceeds the dual one (or the reverse) this
    /// many times over: residual balancing (Boyd et al. 2011, §3.4.1). Measured: noisy
    /// completion settles at a t sixteen times below the start's, and without balancing it had
    /// not converged after 3000 steps.
    static let residualBalance = 10.0
    /// ADMM converges for every fixed t; ending the balancing after this many changes keeps
    /// that guarantee.
    static let maximumStepChanges = 50
    static let progressInterval = 10

    public func solve(_ problem: RecoveryProblem, context: MethodContext) throws -> FactoredSolution {
        let constraint = try WeightedFitConstraint(problem: problem, rescaling: context.operatorRescaling)
        let certificate = DualBound(problem: problem, rescaling: context.operatorRescaling)
        let tolerance = context.limits.tolerance
        let fit = problem.dataFit
        let observations = problem.observations
        let scale = max(problem.observationNorm, .leastNormalMagnitude)
        let slackWeight = constraint.slackWeight

        // (W, s) = (0, 0) projected as every step projects: near the least-squares point, where
        // ADMM starts with y = 0, and the scale the first threshold is taken from.
        let start = constraint.projectionStep(residual: observations.map { -$0 })
        var v = -1 * start.adjoint
        var slackOfV = start.multiplier.map { slackWeight * $0 }
        let startNorm = try LAPACK.spectralNorm(v)
        guard startNorm > 0 else {
            // b = 0, where X = 0 is optimal, or b orthogonal to the range of A, which gives no scale.
            return FactoredSolution(parameters: [Double](repeating: 0, count: problem.factorization.parameterCount),
                                    iterations: 0, converged: problem.observationNorm == 0, lowerBound: 0)
        }
        var t = Self.initialThresholdFraction * startNorm / 2
        var multiplier = [Double](repeating: 0, count: problem.measurementCount)
        var adjointOfMultiplier = Matrix.zeros(rows: v.rows, columns: v.columns)
        var stepChanges = 0
        var iterations = 0
        var thresholding = SingularValueThresholding()

        while true {
            iterations += 1
            var beforeThresholding = v
            beforeThresholding.add(-t, times: adjointOfMultiplier)
            let shrunk = try thresholding.shrink(beforeThresholding, threshold: 2 * t)
            let w = shrunk.matrix
            var slack = [Double](repeating: 0, count: problem.measurementCount)
            if slackWeight > 0 {
                var center = slackOfV
                BLAS.axpy(t * slackWeight, multiplier, &center)
                slack = fit.proximalPoint(center, penaltyParameter: 1 / (t * slackWeight))
            }
            var residual = constraint.apply(w)
            BLAS.axpy(-1, slack, &residual)
            BLAS.axpy(-1, observations, &residual)
            let feasibility = BLAS.nrm2(residual) / scale

            let step = constraint.projectionStep(residual: residual)
            let previousV = v, previousSlackOfV = slackOfV
            v = w
            v.add(-1, times: step.adjoint)
            slackOfV = slack
            BLAS.axpy(slackWeight, step.multiplier, &slackOfV)
            BLAS.axpy(1 / t, step.multiplier, &multiplier)
            adjointOfMultiplier.add(1 / t, times: step.adjoint)

            let nuclearPart = 2 * shrunk.nuclearNorm
            if iterations % Self.progressInterval == 0 {
                context.progress?(IterationReport(iteration: iterations, relativeResidual: feasibility, flatness: nuclearPart,
                                                  passes: problem.measurementOperator.usage.passes))
            }

            let finished = iterations >= context.limits.maxIterations
            if feasibility <= tolerance || finished {
                var fitResidual = residual
                BLAS.axpy(1, slack, &fitResidual)
                let objective = nuclearPart + fit.penalty(fitResidual)
                let bound = try certificate.bound(multiplier: multiplier)
                // The same promise as the factored methods': the bound within their certified gap.
                let gap = FlatMethod.certifiedGap(tolerance: tolerance)
                let optimal = feasibility <= tolerance && objective - bound <= gap * max(objective, .leastNormalMagnitude)
                if optimal || finished {
                    let left = constraint.leftInverse.times(shrunk.left), right = constraint.rightInverse.times(shrunk.right)
                    let factored = fitsWidth ? problem.with(factorization: problem.factorization.fitted(toHold: left, values: shrunk.values,
                                                                                                          right: right))
                                             : problem
                    let parameters = factored.factorization.parameters(singularVectors: left, values: shrunk.values, right: right)
                    let kept = factored.flatness(parameters, rescaling: context.operatorRescaling).value
                    if !optimal, let polished = try finish(factored, at: parameters, multiplier: multiplier, context: context) {
                        return FactoredSolution(parameters: polished.parameters, iterations: iterations, converged: true,
                                                lowerBound: polished.bound, factorization: factored.factorization)
                    }
                    var solution = FactoredSolution(parameters: parameters, iterations: iterations,
                                                    converged: optimal && kept >= (1 - tolerance) * nuclearPart, lowerBound: bound,
                                                    factorization: factored.factorization)
                    if optimal, !solution.converged {
                        solution.diagnosis = "\(FlatMethod.widthOptions(problem.factorization)) is too small: the relaxation's minimizer has rank \(shrunk.values.count); rerun with that or without the width options"
                    }
                    return solution
                }
            }

            if stepChanges < Self.maximumStepChanges {
                // Squared, in the projection's metric: primal ‖(W, s) − (V, s_V)‖ (W − V = Ã*(δ),
                // s_V − s = γ²δ), dual ‖(V, s_V) − (V, s_V)_previous‖.
                let change = v - previousV
                var primal = BLAS.dot(step.adjoint.storage, step.adjoint.storage)
                var dual = BLAS.dot(change.storage, change.storage)
                if slackWeight > 0 {
                    primal += slackWeight * BLAS.dot(step.multiplier, step.multiplier)
                    var slackChange = slackOfV
                    BLAS.axpy(-1, previousSlackOfV, &slackChange)
                    dual += BLAS.dot(slackChange, slackChange) / slackWeight
                }
                let balance = Self.residualBalance * Self.residualBalance
                if primal > balance * dual {
                    t /= 2
                    stepChanges += 1
                } else if dual > balance * primal {
                    t *= 2
                    stepChanges += 1
                }
            }
        }
    }
}

extension ConvexMethod {
    /// ADMM's tail is linear at best: where its budget ends with the rank and the multiplier
    /// nearly settled, Newton's method on the optimality conditions at that rank (the factored
    /// methods' polish) finishes the fit. The answer stands only when it fits and the bound of
    /// its multiplier (or ADMM's) certifies it.
    func finish(_ problem: RecoveryProblem, at parameters: [Double], multiplier: [Double],
                context: MethodContext) throws -> (parameters: [Double], bound: Double)? {
        guard problem.factorization.factorsAreLinear,
              let polished = LagrangeNewton(problem: problem, at: parameters, narrowing: true)?.polish(multiplier: multiplier)
        else { return nil }
        guard problem.holdsFit(polished.parameters, tolerance: context.limits.tolerance) else { return nil }
        let certificate = FlatnessCertificate(problem: problem)
        let bound = try certificate.bestBound(candidates: [polished.multiplier, multiplier]).value
        let objective = problem.objective(polished.parameters)
        guard bound >= objective * (1 - FlatMethod.certifiedGap(tolerance: context.limits.tolerance)) else { return nil }
        return (polished.parameters, bound)
    }
}
