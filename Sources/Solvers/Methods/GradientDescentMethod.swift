import Problems
/// `gd`: plain gradient descent on f(θ) = (1/2m)‖A(X(θ)) − b‖² from a random start of size α
/// (entries i.i.d. N(0, α²·σ̂/√(d1·d2)), σ̂ ≈ ‖M♮‖_op; see `GradientIteration.randomStart`),
/// at the step η (default 0.5 over the curvature of f at the origin, σ₁((1/m)A*(b)) for L·Rᵀ;
/// see `GradientIteration.originCurvature`), until ‖A(X) − b‖/‖b‖ ≤ tolerance.
///
/// Nothing in it asks for flatness; the start decides which interpolant it ends at. From a
/// small start it is biased toward low nuclear norm (Gunasekar et al. 2017): the factors grow
/// one singular direction at a time and the rest stay near α, so with enough measurements it
/// recovers M♮ even when the factors are full width. From a large start the factors barely
/// move relative to their size (the lazy regime), and it stops at the interpolant nearest the
/// start, which carries the start's spurious directions and is sharp.
public struct GradientDescentMethod: RecoveryMethod {
    public var initScale: Double
    /// nil: 0.5 over the curvature of f at the origin.
    public var step: Double?

    public init(initScale: Double, step: Double?) {
        self.initScale = initScale
        self.step = step
    }

    public func solve(_ problem: RecoveryProblem, context: MethodContext) throws -> FactoredSolution {
        let iteration = try GradientIteration(problem: problem, context: context, step: step)
        return try iteration.run(from: iteration.randomStart(initScale: initScale)) { theta, residual, _ in
            iteration.gradient(at: theta, residual: residual)
        }
    }
}
