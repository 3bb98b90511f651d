import LinearAlgebra
import Problems

/// `sam`: sharpness-aware minimization (Foret et al. 2021) of f from the same random start and
/// at the same step as `gd`:
///
///     g = ∇f(θ + r·∇f(θ)/‖∇f(θ)‖),   θ ← θ − η·g,   r = ρ·√σ̂,
///
/// the gradient taken after an ascent step of length r. √σ̂ (σ̂ ≈ ‖M♮‖_op, see
/// `GradientIteration.dataScale`) is the norm of the leading column of the truth's balanced
/// factors, so ρ is a relative perturbation and means the same at every scale of b.
///
/// Full-batch SAM with the normalized ascent step drifts along the solution set toward a
/// smaller largest Hessian eigenvalue (Wen, Ma & Li 2023), not a smaller trace: in matrix
/// sensing it flattens the top of X's spectrum by spreading X over more directions, so it ends
/// with a smaller λ_max than gd from the same start but a larger str, and does not recover
/// (on a d = 20, r = 2 Gaussian instance with m = 240: λ_max 3.7 against 5.2, str 12.4
/// against 5.6). At fixed ρ it never fits: it hovers at a distance of order r from the set.
/// Schedule: SAM for the first half of `maxIterations`, then ρ = 0 (plain gradient descent)
/// until the residual meets the tolerance, which ends at an interpolant near where SAM was.
/// Each SAM step costs four passes, each descent step two.
public struct SharpnessAwareMethod: RecoveryMethod {
    public var initScale: Double
    public var step: Double?
    public var rho: Double

    public init(initScale: Double, step: Double?, rho: Double) {
        self.initScale = initScale
        self.step = step
        self.rho = rho
    }

    public func solve(_ problem: RecoveryProblem, context: MethodContext) throws -> FactoredSolution {
        let iteration = try GradientIteration(problem: problem, context: context, step: step)
        let radius = rho * iteration.dataScale.squareRoot()
        return try iteration.run(from: iteration.randomStart(initScale: initScale)) { theta, residual, t in
            let gradient = iteration.gradient(at: theta, residual: residual)
            let length = BLAS.nrm2(gradient)
            guard t < iteration.perturbedSteps, radius > 0, length > 0 else { return gradient }
            var ascended = theta
            BLAS.axpy(radius / length, gradient, &ascended)
            return problem.loss(ascended).gradient
        }
    }
}
