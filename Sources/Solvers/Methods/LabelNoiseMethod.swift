import Problems
import RandomNumbers

/// `label-noise`: gradient descent in which every step fits fresh noisy labels b + s·ξ,
/// ξ ~ N(0, I_m) drawn anew each step from `PCG64(seed:, stream: 2)`, with s = σ·‖b‖/√m: σ is
/// the noise relative to the root mean square of b. Same random start and step as `gd`.
///
/// Near the solution set the noise kicks the iterate along the Hessian's range (the gradient
/// noise has covariance (s²/m)·∇²f) and the restoring gradient pulls it back; the net drift
/// descends the trace of the Hessian, with a strength that grows like η·s²/m (Damian, Ma &
/// Lee 2021). On the solution set that trace is the unscaled tr ∇²f of docs/mathematics.md §2 (str up to a
/// constant when D1, D2 ∝ I), and it forgets the start: on a d = 20, r = 2 Gaussian instance
/// with m = 240 it ends, from small and large starts alike, where gd from a small start does,
/// within 0.2% of the flattest str, recovering M♮ to 1e-3.
/// The noisy labels keep the iterate off the set, so, as for `sam`: noise for the first half
/// of `maxIterations`, then none (plain gradient descent) until the residual meets the
/// tolerance. Each step costs two passes.
public struct LabelNoiseMethod: RecoveryMethod {
    public var initScale: Double
    public var step: Double?
    public var sigma: Double

    public init(initScale: Double, step: Double?, sigma: Double) {
        self.initScale = initScale
        self.step = step
        self.sigma = sigma
    }

    public func solve(_ problem: RecoveryProblem, context: MethodContext) throws -> FactoredSolution {
        let iteration = try GradientIteration(problem: problem, context: context, step: step)
        let deviation = sigma * problem.observationNorm / Double(problem.measurementCount).squareRoot()
        var generator = PCG64(seed: context.seed, stream: 2)
        var noise = [Double](repeating: 0, count: problem.measurementCount)
        return try iteration.run(from: iteration.randomStart(initScale: initScale)) { theta, residual, t in
            guard t < iteration.perturbedSteps, deviation > 0 else {
                return iteration.gradient(at: theta, residual: residual)
            }
            generator.fillStandardNormal(&noise)
            // A(X) − (b + s·ξ) = residual − s·ξ.
            let noisyResidual = zip(residual, noise).map { $0 - deviation * $1 }
            return iteration.gradient(at: theta, residual: noisyResidual)
        }
    }
}
