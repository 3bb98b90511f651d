import Models

/// `flat` and `min-norm`: the augmented Lagrangian from the spectral start, minimizing the
/// problem's flatness (the operator's rescaling for flat, isotropic weights for min-norm),
/// handing over to Newton's method on the rank-s matrices once the iterate's spectrum shows a
/// rank (exact fits; see `LowRankNewton`), which finishes in a few passes and certifies itself.
/// The final multiplier gives a certified lower bound on the operator's str, which for
/// `flat` is the optimality gap: a stationary point that the bound does not certify (a
/// saddle, in exact arithmetic impossible to leave by gradients) is not reported converged.
public struct FlatMethod: RecoveryMethod {
    public var certify: Bool
    /// The relative gap between objective and certified bound that counts as optimal.
    static let certifiedGap = 1e-5

    public init(certify: Bool) {
        self.certify = certify
    }

    public func solve(_ problem: RecoveryProblem, context: MethodContext) throws -> FactoredSolution {
        let start = try problem.spectralStart(operatorRescaling: context.operatorRescaling, seed: context.seed)
        var method = AugmentedLagrangian(limits: context.limits, progress: context.progress)
        method.finisher = NewtonFinisher(problem: problem, tolerance: context.limits.tolerance)
        var (solution, multiplier) = method.solve(problem, from: start)
        // A finisher's bound is on the flatness minimized; it certifies str only when that is str.
        if problem.rescaling != context.operatorRescaling { solution.lowerBound = nil }
        // The relaxation bounds str, the flatness of two factors; deeper ones have no such bound.
        if certify, solution.lowerBound == nil, problem.factorization is any BilinearFactorization {
            let bound = try DualBound(problem: problem, rescaling: context.operatorRescaling).bound(multiplier: multiplier).value
            let objective = problem.flatness(solution.parameters, rescaling: context.operatorRescaling).value
                + problem.dataFit.penalty(problem.residual(solution.parameters))
            solution.lowerBound = bound
            solution.converged = solution.converged && bound >= objective * (1 - max(Self.certifiedGap, 100 * context.limits.tolerance))
        }
        return solution
    }
}
