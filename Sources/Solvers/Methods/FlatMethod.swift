import LinearAlgebra
import Models
import Problems

/// `flat` and `min-norm`: the augmented Lagrangian from the spectral start, minimizing the
/// problem's flatness (the operator's rescaling for flat, c·I for min-norm), handing
/// over to Newton's method on the rank-s matrices once the iterate's spectrum shows a rank
/// (exact fits; see `LowRankNewton`), which finishes in a few passes and certifies itself.
///
/// An answer is converged only when a dual certificate bounds the objective from below to
/// within `certifiedGap(tolerance:)` of its value. When the certificate fails, the multiplier
/// itself says why: singular values of D1⁻¹A*(y)D2⁻¹ above 2 are directions to flatter fits
/// (`FlatnessCertificate.escape`), which the factors take up in free columns, or, when every
/// column is in use, in a wider factorization: without an explicit width the width grows,
/// warm-started, until the answer is certified (up to min(d1, d2)); with one, the answer at that
/// width is written unconverged, and the solve goes on only to name the width that would do.
/// Where the answer's tangent conditions leave the multiplier free (few data, or a degenerate
/// optimum), the member of least spectral norm (`LeastSpectralMultiplier`) is the one that
/// certifies, or whose escape directions are real (docs/mathematics.md §6); beyond the dense
/// search's reach the Newton finish searches the members matrix-free (`SpectralExcessSearch`),
/// and an exact fit it does not certify ends the solve uncertified, after at most one escape.
/// An ℓ1 fit on an instance that already holds d1·d2 numbers goes to the relaxation instead
/// (`prefersRelaxation`), and a certified answer is written at its nonzero width.
/// Deeper factorizations have no convex relaxation to certify them and end at stationarity.
public struct FlatMethod: RecoveryMethod {
    /// Whether the width may grow past the factorization's (no width was asked for).
    public var growsWidth: Bool

    public init(growsWidth: Bool) {
        self.growsWidth = growsWidth
    }

    /// The relative gap between objective and certified bound that counts as optimal: a
    /// hundred times the feasibility tolerance (1e-8 by default), the accuracy a first-order
    /// method's multiplier reaches at that feasibility on every model measured, and far above
    /// what the Newton polishes reach.
    public static func certifiedGap(tolerance: Double) -> Double { 100 * tolerance }

    /// Rounds of escape, polish or re-solve before the answer stands as it is.
    static let maximumRounds = 16
    /// Iterations a round may take before the certificate is consulted (or a quarter of what
    /// is left, if more).
    static let roundIterations = 2000
    /// Once a round has converged without a certificate, the rounds that try to certify it (or
    /// to leave it through an escape) may take this many times the iterations spent so far,
    /// plus one round.
    static let certificationEffort = 3
    /// Newton solves on the optimality conditions at full width one solve may try: each costs a
    /// dense factorization of a system of the whole width; those on the answer's rank are cheap.
    static let maximumWidePolishes = 4
    /// Polishing stops at this feasibility: below it rounding decides.
    static let finestTolerance = 1e-14

    public func solve(_ problem: RecoveryProblem, context: MethodContext) throws -> FactoredSolution {
        if Self.prefersRelaxation(problem) {
            // The flattest fit is the balanced factorization of the relaxation's minimizer under
            // the same weights (docs/mathematics.md §4), certified by the same bound.
            var weights = context
            weights.operatorRescaling = problem.rescaling
            return try ConvexMethod(fitsWidth: growsWidth).solve(problem, context: weights)
        }
        var problem = problem
        let requested = problem.factorization
        let spectral = try problem.spectralStart(operatorRescaling: context.operatorRescaling, seed: context.seed,
                                                 narrowing: growsWidth && requested.factorsAreLinear)
        problem = problem.with(factorization: spectral.factorization)
        var start = spectral.parameters
        var resume: AugmentedLagrangian.WarmStart?
        var iterations = 0
        var answerAtRequestedWidth: FactoredSolution?
        let limit = min(problem.factorization.rows, problem.factorization.columns)
        let closedForm = problem.measurementOperator.base.closedFormMultipliers()
        let gap = Self.certifiedGap(tolerance: context.limits.tolerance)

        var tolerance = context.limits.tolerance
        var escapedFrom: Double?
        // Every multiplier bounds the relaxation, whatever the width: the best one so far stands.
        var bestBound = -Double.infinity
        var widePolishes = 0
        var iterationCap = Int.max
        var last: FactoredSolution?
        let searchedFits = SearchedFits()
        for round in 0..<Self.maximumRounds {
            // A round ends early enough for the certificate to look for a way out of a point
            // the solve converges to slowly (a saddle, or a fit that needs more columns).
            let remaining = min(context.limits.maxIterations, iterationCap) - iterations
            guard remaining > 0 else { break }
            // Deeper factorizations have no certificate to consult between rounds: one round.
            let budget = round == Self.maximumRounds - 1 || !problem.factorization.factorsAreLinear
                ? remaining : min(remaining, max(Self.roundIterations, remaining / 4))
            var method = AugmentedLagrangian(limits: SolverLimits(tolerance: tolerance, maxIterations: budget),
                                             progress: context.progress)
            method.finisher = NewtonFinisher(problem: problem, tolerance: context.limits.tolerance, searchedFits: searchedFits)
            let run = method.solve(problem, from: start, resuming: resume)
            iterations += run.solution.iterations
            var solution = run.solution
            solution.iterations = iterations
            solution.factorization = problem.factorization
            guard problem.factorization.factorsAreLinear else { return solution }

            let certificate = FlatnessCertificate(problem: problem)
            var objective = problem.objective(solution.parameters)
            // A solve that used its whole budget near the fit was still moving, and goes on as it
            // was; one still far from the fit is stuck at a spurious point, which escapes leave.
            // An escape that did not lower the objective shows no flatter fit; the multiplier's
            // own error is the gap then.
            let stopped = run.solution.converged || run.solution.iterations < budget
            let escaping = (stopped || !run.feasible) && (escapedFrom.map { objective < $0 * (1 - gap) } ?? true)
            var escape: (parameters: [Double], factorization: any Factorization)?
            if solution.lowerBound == nil {
                let tangent = LowRankNewton(problem: problem)
                // Every point the answer is replaced by below has been checked to fit.
                var solutionFits = problem.holdsFit(solution.parameters, tolerance: context.limits.tolerance)
                let nearest = try tangent?.tangentMultipliers(at: solution.parameters, reference: run.multiplier)
                let best = try certificate.bestBound(candidates: [run.multiplier] + closedForm + (nearest.map { [$0.nearest] } ?? []))
                bestBound = max(bestBound, best.value)
                // What may keep the bound short is the solve's own error: Newton's method on the
                // optimality conditions removes it, on the answer's rank (cheap) and then, once a
                // round has ended on its own, at full width (a few times per solve); its answer is
                // kept when it certifies.
                // The best point that fits, and its tangent multipliers.
                var exactPoint: (parameters: [Double], multipliers: TangentMultipliers?)? =
                    solutionFits ? (solution.parameters, nearest) : nil
                for narrowing in [true, false] where (bestBound < objective * (1 - gap) || !solutionFits)
                    && (narrowing || (stopped && widePolishes < Self.maximumWidePolishes)) {
                    guard let newton = LagrangeNewton(problem: problem, at: solution.parameters, narrowing: narrowing) else { continue }
                    if !narrowing { widePolishes += 1 }
                    guard let polished = newton.polish(multiplier: run.multiplier),
                          problem.holdsFit(polished.parameters, tolerance: context.limits.tolerance) else { continue }
                    let polishedObjective = problem.objective(polished.parameters)
                    // Where the multiplier is not unique, Newton's least-squares one need not be
                    // dual feasible; the one nearest the augmented Lagrangian's, on the exact
                    // point's tangent conditions, is the better guess.
                    let nearest = try tangent?.tangentMultipliers(at: polished.parameters, reference: run.multiplier)
                    exactPoint = (polished.parameters, nearest)
                    let bound = try certificate.bestBound(candidates: [polished.multiplier] + (nearest.map { [$0.nearest] } ?? [])).value
                    if bound >= polishedObjective * (1 - gap) {
                        solution.parameters = polished.parameters
                        solutionFits = true
                        objective = polishedObjective
                        bestBound = bound
                    }
                }
                // Still short at a point that fits: the multiplier of least spectral norm among
                // those its tangent conditions leave free either certifies it or shows the way out.
                var escapeMultiplier = run.multiplier
                var provenEscape = false
                if bestBound < objective * (1 - gap), let (point, pointMultipliers) = exactPoint, let multipliers = pointMultipliers,
                   let least = try LeastSpectralMultiplier(problem: problem).search(multipliers, target: problem.objective(point) * (1 - gap)) {
                    let bound = try certificate.bestBound(candidates: [least.multiplier]).value
                    let pointObjective = problem.objective(point)
                    if bound >= pointObjective * (1 - gap) {
                        solution.parameters = point
                        solutionFits = true
                        objective = pointObjective
                    } else {
                        escapeMultiplier = least.multiplier
                        // A member whose dual value is not the objective does not meet the
                        // point's conditions (a rank or support misread): its directions prove nothing.
                        let consistent = abs(least.bound * least.norm / 2 - pointObjective) <= 1e-6 * pointObjective
                        provenEscape = consistent && least.norm > 2 * (1 + 10 * gap)
                        if provenEscape {
                            solution.parameters = point
                            solutionFits = true
                            objective = pointObjective
                        }
                    }
                    bestBound = max(bestBound, bound)
                }
                if bestBound < objective * (1 - gap), escaping || (provenEscape && escapedFrom.map { objective < $0 * (1 - gap) } ?? true) {
                    escape = try certificate.escape(from: solution.parameters, multiplier: escapeMultiplier,
                                                    penalty: run.penalty, limit: limit,
                                                    margin: provenEscape ? 10 * gap : FlatnessCertificate.escapeMargin,
                                                    seed: context.seed &+ UInt64(round))
                }
                solution.lowerBound = bestBound
                // The certificate proves optimality; the fit must hold to the tolerance asked
                // for, whatever finer one a polishing round was run at.
                solution.converged = solutionFits && bestBound >= objective * (1 - gap)
                if solutionFits, !solution.converged {
                    solution.diagnosis = String(format: "not certified: the dual bound is %.2e below the objective (relative), more than the %.0e that --tol allows",
                                                (objective - bestBound) / max(objective, .leastNormalMagnitude), gap)
                }
            }
            if solution.converged {
                guard var answer = answerAtRequestedWidth else { return growsWidth ? try problem.fittedToRank(solution) : solution }
                answer.iterations = iterations
                answer.diagnosis = "\(Self.widthOptions(requested)) is too small: the flattest fit needs \(problem.rankDescription(of: solution.parameters)) (certified at \(Self.widthOptions(problem.factorization))); rerun with that or without the width options"
                return answer
            }
            last = solution
            if run.solution.converged, iterationCap == .max {
                // Certifying an answer the solve has reached may cost a few times what reaching
                // it did, no more: what is still uncertified then is reported so.
                iterationCap = Self.certificationEffort * iterations + Self.roundIterations
            }

            if let escape {
                if !growsWidth, escape.factorization.parameterCount > requested.parameterCount, answerAtRequestedWidth == nil {
                    answerAtRequestedWidth = solution
                }
                escapedFrom = objective
                problem = problem.with(factorization: escape.factorization)
                start = escape.parameters
                // A fit that was reached keeps its multiplier, one that was not starts afresh; the
                // penalty starts low either way, or the fit would pin the factors where they are.
                resume = run.feasible ? AugmentedLagrangian.WarmStart(multiplier: run.multiplier, penalty: nil) : nil
                continue
            }
            // An exact fit no multiplier certifies, with no flatter fit in sight, is the answer;
            // a finer tolerance would only reach it again.
            guard answerAtRequestedWidth == nil, run.feasible || !stopped, tolerance > Self.finestTolerance, !run.uncertifiedFit
            else { break }
            // No way out: go on from here, with a finer tolerance when this one was reached.
            if run.solution.converged { tolerance /= 100 }
            if stopped { escapedFrom = nil }
            start = solution.parameters
            resume = AugmentedLagrangian.WarmStart(multiplier: run.multiplier, penalty: run.penalty)
        }
        if var answer = answerAtRequestedWidth {
            answer.iterations = iterations
            answer.diagnosis = "\(Self.widthOptions(requested)) is too small: the certificate shows flatter fits that need more columns (none certified up to \(Self.widthOptions(problem.factorization)))"
            return answer
        }
        return last ?? FactoredSolution(parameters: start, iterations: iterations, converged: false, factorization: problem.factorization)
    }
}

extension FlatMethod {
    /// Whether the relaxation, solved by ADMM on a dense X, is the faster route to the flattest
    /// fit: for an ℓ1 fit (a budget or a penalty), whose nonsmooth residual the augmented
    /// Lagrangian on the factors resolves only slowly and cannot certify at scale, when a dense
    /// d1×d2 iterate costs no more than the instance already does (its operator and
    /// observations hold at least d1·d2 numbers: robust PCA's identity, dense sensing).
    /// docs/mathematics.md §11.2 has the measurements behind the choice.
    static func prefersRelaxation(_ problem: RecoveryProblem) -> Bool {
        guard problem.factorization.factorsAreLinear else { return false }
        switch problem.dataFit {
        case .l1Ball, .l1Penalty:
            return problem.measurementOperator.base.storedEntryCount + problem.measurementCount
                >= problem.factorization.rows * problem.factorization.columns
        case .exact, .euclideanBall:
            return false
        }
    }

    /// The options that ask for a factorization's widths, as a user would have written them.
    static func widthOptions(_ factorization: any Factorization) -> String {
        guard let widths = factorization.signedWidths else { return "--width \(factorization.width)" }
        return "--width-pos \(widths.positive) --width-neg \(widths.negative)"
    }
}

extension RecoveryProblem {
    /// A certified answer on the factorization that holds exactly its nonzero columns (weighted
    /// singular values above rounding, 1e-14 of the largest, so X is the same to rounding and
    /// the certificate stands): no zero columns in what is written, and a rank attribute that
    /// is the answer's.
    func fittedToRank(_ solution: FactoredSolution) throws -> FactoredSolution {
        let all = try significantTriples(solution.parameters, all: true)
        let largest = all.values.first ?? 0
        let kept = all.values.indices.filter { all.values[$0] > 1e-14 * largest }
        let values = kept.map { all.values[$0] }
        let left = joinColumns(kept.map { all.left[$0] }, rows: factorization.rows)
        let right = joinColumns(kept.map { all.right[$0] }, rows: factorization.columns)
        let fitted = factorization.fitted(toHold: left, values: values, right: right)
        guard fitted.parameterCount < factorization.parameterCount else { return solution }
        var narrowed = solution
        narrowed.parameters = fitted.parameters(singularVectors: left, values: values, right: right)
        narrowed.factorization = fitted
        return narrowed
    }

    /// The rank of X(θ) (weighted singular values above 1e-8 of the largest), split by sign for
    /// a signed symmetric factorization: what a width must hold.
    func rankDescription(of parameters: [Double]) -> String {
        guard let triples = try? weightedSpectrum(parameters), let largest = triples.values.first, largest > 0
        else { return "rank 0" }
        let kept = triples.values.indices.filter { triples.values[$0] > 1e-8 * largest }
        guard factorization.signedWidths != nil else { return "rank \(kept.count)" }
        let negative = kept.filter { BLAS.dot(triples.left.column($0), triples.right.column($0)) < 0 }.count
        return "\(kept.count - negative) positive and \(negative) negative columns"
    }
}
