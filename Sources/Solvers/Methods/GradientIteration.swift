import LinearAlgebra
import Models
import Problems
import RandomNumbers

/// What `gd`, `sam` and `label-noise` share: the scale of the data, the random start, the
/// default step and the loop θ ← θ − η·d(θ) with its stopping rule. The three differ only in
/// the direction d, so from one seed they start at the same point and move at the same step,
/// and whatever separates their answers is the direction alone.
struct GradientIteration {
    let problem: RecoveryProblem
    let context: MethodContext
    /// The largest |eigenvalue| of the Hessian of f at θ = 0. There J = 0 and the Hessian is
    /// −(1/m)·K_b, where K_z θ = ∇θ⟨z, A(X(θ))⟩ is the pullback, linear in θ because X is
    /// quadratic in θ: for L·Rᵀ the form −(2/m)⟨A*(b), ΔL·ΔRᵀ⟩ with eigenvalues
    /// ±σ_i((1/m)A*(b)), for U1U1ᵀ − U2U2ᵀ twice the eigenvalues of (1/m)A*(b). Measured
    /// through the pullback, it is right for either without asking which.
    let originCurvature: Double
    /// σ̂ = ‖A*(b)/c‖_op with c·I ≈ A*A (c = m·tr D1²/d1, as in the spectral start): an
    /// estimate of ‖M♮‖_op for every operator, the unit in which sizes in θ are given.
    let dataScale: Double
    /// η.
    let step: Double

    /// The default step is this over the curvature at the origin. Near a balanced interpolant
    /// the largest Hessian eigenvalue λ is about 2σ₁(M♮)·‖(1/m)A*A‖ on low-rank matrices, and
    /// GD is stable for ηλ < 2. With 1/2, ηλ ≈ 1.2 at the truth of a d = 20, r = 2 Gaussian
    /// instance with m = 3r(d1 + d2); at twice that, ηλ passes 2 and gd from a small start is
    /// thrown off the truth onto a worse interpolant. The saddle at the origin is left in
    /// O(log(1/α)) steps either way.
    static let defaultStepFactor = 0.5

    /// How many iterations between progress reports.
    static let reportInterval = 500

    /// Power steps for the curvature at the origin: the estimate approaches |λ|max from below,
    /// within a few percent by then even when the top eigenvalues are close.
    static let curvatureIterations = 30

    /// Measures the data's scale (one subspace iteration on (1/m)A*(b), about ten passes) and
    /// the curvature at the origin (`curvatureIterations` passes), and fixes the step: `step`
    /// if given, else `defaultStepFactor` over that curvature.
    init(problem: RecoveryProblem, context: MethodContext, step: Double?) throws {
        self.problem = problem
        self.context = context
        let d1 = problem.factorization.rows, d2 = problem.factorization.columns
        let m = Double(problem.measurementCount)
        let z = problem.observations.map { $0 / m }
        let operatorNorm = SubspaceIteration(adjointOf: z, under: problem.measurementOperator, rows: d1, columns: d2)
        let spectralNorm = try operatorNorm.leadingTriples(count: 1, seed: context.seed).values.first ?? 0
        guard spectralNorm > 0 else { throw ModelError("the observations are zero: there is no scale to start from") }
        dataScale = spectralNorm * Double(d1) / context.operatorRescaling.left.trace
        originCurvature = Self.originCurvature(problem, scaledObservations: z, seed: context.seed)
        self.step = step ?? Self.defaultStepFactor / originCurvature
    }

    /// |λ|max of v ↦ K_{b/m}·v by power iteration from a random v (`PCG64(seed:, stream: 3)`);
    /// one pass per step.
    static func originCurvature(_ problem: RecoveryProblem, scaledObservations z: [Double], seed: UInt64) -> Double {
        var generator = PCG64(seed: seed, stream: 3)
        var v = [Double](repeating: 0, count: problem.factorization.parameterCount)
        generator.fillStandardNormal(&v)
        BLAS.scal(1 / BLAS.nrm2(v), &v)
        var estimate = 0.0
        for _ in 0..<curvatureIterations {
            v = problem.pullback(v, z)
            estimate = BLAS.nrm2(v)
            guard estimate > 0 else { break }
            BLAS.scal(1 / estimate, &v)
        }
        return estimate
    }

    /// θ₀ with i.i.d. N(0, α²·σ̂/√(d1·d2)) entries, from `PCG64(seed:, stream: 1)`. A d×k factor
    /// with such entries has spectral norm about α·√σ̂·(1 + √(k/d)), so the starting X₀ is about
    /// α²·σ̂ ≈ α²‖M♮‖_op: α is the start's size relative to the truth's, whatever d, m and the
    /// scale of b.
    func randomStart(initScale alpha: Double) -> [Double] {
        let d1 = Double(problem.factorization.rows), d2 = Double(problem.factorization.columns)
        var generator = PCG64(seed: context.seed, stream: 1)
        var theta = [Double](repeating: 0, count: problem.factorization.parameterCount)
        generator.fillStandardNormal(&theta)
        BLAS.scal(alpha * (dataScale / (d1 * d2).squareRoot()).squareRoot(), &theta)
        return theta
    }

    /// How many of the first steps `sam` and `label-noise` perturb: half of `maxIterations`.
    /// Neither perturbed iteration settles on an interpolant (each hovers at a distance set by
    /// ρ or σ while it drifts along the solution set), so the second half is plain gradient
    /// descent, which from there ends at a nearby interpolant.
    var perturbedSteps: Int { context.limits.maxIterations / 2 }

    /// The gradient of f(θ) = (1/2m)‖A(X(θ)) − b‖² given the residual A(X(θ)) − b: one pass.
    func gradient(at parameters: [Double], residual: [Double]) -> [Double] {
        let m = Double(problem.measurementCount)
        return problem.pullback(parameters, residual.map { $0 / m })
    }

    /// θ ← θ − η·direction(θ, A(X(θ)) − b, t) from `start`, until ‖A(X) − b‖/‖b‖ ≤ tolerance
    /// (converged) or `maxIterations` steps (not converged). Each step costs one pass for the
    /// residual plus what the direction costs. A residual that overflows means the step is
    /// too large for the curvature met on the way, which grows like α² with the start.
    ///
    /// Approaching a low-rank interpolant with wide factors, the last part of the residual can
    /// only be fitted by the spare columns, which are tiny, so the residual falls slowly (on
    /// the instance above, 1e-3 after about 1500 steps, 1.5e-4 after 20000, 1e-5 after 160000):
    /// a tolerance of 1e-10 is out of reach, and the answer is marked not converged.
    func run(from start: [Double],
             direction: (_ parameters: [Double], _ residual: [Double], _ iteration: Int) -> [Double]) throws -> FactoredSolution {
        let scale = max(problem.observationNorm, .leastNormalMagnitude)
        var theta = start
        var iteration = 0
        while true {
            let residual = problem.residual(theta)
            let relativeResidual = BLAS.nrm2(residual) / scale
            guard relativeResidual.isFinite else {
                throw ModelError(String(format: "gradient descent diverged after %d iterations at step η = %.3g; give a smaller --step (a large --init-scale needs one)", iteration, step))
            }
            let done = relativeResidual <= context.limits.tolerance || iteration == context.limits.maxIterations
            if let progress = context.progress, done || iteration % Self.reportInterval == 0 {
                progress(IterationReport(iteration: iteration, relativeResidual: relativeResidual,
                                         flatness: problem.flatness(theta, rescaling: context.operatorRescaling).value,
                                         passes: problem.measurementOperator.usage.passes))
            }
            if done {
                return FactoredSolution(parameters: theta, iterations: iteration,
                                        converged: relativeResidual <= context.limits.tolerance)
            }
            BLAS.axpy(-step, direction(theta, residual, iteration), &theta)
            iteration += 1
        }
    }
}
