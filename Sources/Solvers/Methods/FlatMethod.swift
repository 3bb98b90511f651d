import Models

/// `flat` and `min-norm`: the augmented Lagrangian from the spectral start, minimizing the
/// problem's flatness (the operator's rescaling for flat, isotropic weights for min-norm).
/// The final multiplier gives a certified lower bound on the operator's str, which for
/// `flat` is the optimality gap.
public struct FlatMethod: RecoveryMethod {
    public var certify: Bool

    public init(certify: Bool) {
        self.certify = certify
    }

    public func solve(_ problem: RecoveryProblem, context: MethodContext) throws -> FactoredSolution {
        let start = try problem.spectralStart(operatorRescaling: context.operatorRescaling, seed: context.seed)
        var (solution, multiplier) = AugmentedLagrangian(limits: context.limits, progress: context.progress)
            .solve(problem, from: start)
        if certify {
            solution.lowerBound = try DualBound(problem: problem, rescaling: context.operatorRescaling)
                .bound(multiplier: multiplier).value
        }
        return solution
    }
}
