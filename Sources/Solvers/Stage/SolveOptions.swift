import Frames
import LinearAlgebra
import Problems

/// The ways `solve-flat` can reach a solution (docs/mathematics.md §11).
public enum SolverMethod: String, CaseIterable, Sendable {
    /// Minimize the scaled Hessian trace over the solution set, on the factors.
    case flat
    /// The same with D1 = D2 = I: the minimum-norm factorization.
    case minimumNorm = "min-norm"
    /// The weighted nuclear-norm relaxation (docs/mathematics.md §4), factored by its SVD.
    case convex
    /// Plain gradient descent on the loss from a random start (implicit: small start, low
    /// nuclear norm; large start, a sharp interpolant).
    case gradientDescent = "gd"
    /// Sharpness-aware minimization, then gradient descent to an interpolant.
    case sharpnessAware = "sam"
    /// Gradient descent on freshly noised labels, then without noise to an interpolant.
    case labelNoise = "label-noise"
    /// The minimum-Frobenius-norm interpolant A⁺(b): fits, does not recover.
    case leastNorm = "least-norm"

    /// The objective each method minimizes, at θ with residual r = A(X(θ)) − b: the problem's
    /// flatness plus the fit's penalty for flat, min-norm and convex (str, ‖L‖² + ‖R‖², and
    /// 2‖D1XD2‖_* at its optimum; with --penalized, + 2cλ‖r‖₁), the loss (1/2m)‖r‖² for the
    /// descent methods, and ‖X‖_F for least-norm.
    func objective(of problem: RecoveryProblem, at parameters: [Double], residual: [Double]) -> Double {
        switch self {
        case .flat, .minimumNorm, .convex:
            return problem.flatness(parameters).value + problem.dataFit.penalty(residual)
        case .gradientDescent, .sharpnessAware, .labelNoise:
            return BLAS.dot(residual, residual) / (2 * Double(problem.measurementCount))
        case .leastNorm:
            // ‖LRᵀ‖²_F = ⟨LᵀL, RᵀR⟩: no d1×d2 matrix.
            let (left, right) = problem.factorization.factors(parameters)
            let leftGram = BLAS.matmul(left, left, transposeA: true), rightGram = BLAS.matmul(right, right, transposeA: true)
            return max(BLAS.dot(leftGram.storage, rightGram.storage), 0).squareRoot()
        }
    }

    /// Whether the method takes the fit from the stream and the options (noise ball, outlier
    /// budget or penalty); the others interpolate b.
    var choosesItsFit: Bool { [.flat, .minimumNorm, .convex].contains(self) }

    func implementation(options: SolveOptions) -> any RecoveryMethod {
        switch self {
        case .flat, .minimumNorm: return FlatMethod(growsWidth: !options.fixesWidth)
        case .convex: return ConvexMethod(fitsWidth: !options.fixesWidth)
        case .gradientDescent: return GradientDescentMethod(initScale: options.initScale, step: options.step)
        case .sharpnessAware: return SharpnessAwareMethod(initScale: options.initScale, step: options.step, rho: options.rho)
        case .labelNoise: return LabelNoiseMethod(initScale: options.initScale, step: options.step, sigma: options.sigma)
        case .leastNorm: return LeastNormMethod()
        }
    }
}

/// How the data must be fitted when the observations carry sparse outliers.
public enum OutlierHandling: Sendable, Equatable {
    /// ‖A(X) − b‖₁ ≤ τ with τ given.
    case budget(Double)
    /// τ = ‖S♮‖₁ read from the stream's outlier record: the paper's oracle setting.
    case oracleBudget
    /// λ‖A(X) − b‖₁ added to the objective; nil means the standard λ = 1/√max(d1, d2).
    case penalized(lambda: Double?)
}

/// Everything a solve can be asked for, independent of the command line.
public struct SolveOptions: Sendable {
    public var method: SolverMethod = .flat
    /// Factor width k; nil means `defaultWidth`.
    public var width: Int?
    /// Widths of U1 and U2 for the quadratic model; nil means `defaultWidth` for U1 and the
    /// same for U2.
    public var positiveWidth: Int?
    public var negativeWidth: Int?
    public var limits = SolverLimits()
    /// δ of ‖A(X) − b‖₂ ≤ δ; nil means σ·√m from the stream's noise attribute (exact fit when
    /// the stream says it is noiseless).
    public var noiseLevel: Double?
    public var outliers: OutlierHandling?
    /// N of X = W_N⋯W_1; 2 is the usual L·Rᵀ.
    public var depth = 2
    public var seed: UInt64 = 0
    /// gd, sam, label-noise: α, the random start's size relative to ‖M♮‖_op (entries
    /// N(0, α²·σ̂/√(d1·d2)), σ̂ ≈ ‖M♮‖_op). Small, so gd shows its bias toward low rank.
    public var initScale = 1e-3
    /// gd, sam, label-noise: the step η; nil means half the inverse curvature of the loss at
    /// the origin (σ₁((1/m)A*(b)) for L·Rᵀ, twice that for U1U1ᵀ − U2U2ᵀ).
    public var step: Double?
    /// sam: the ascent radius relative to √σ̂, the norm of the truth's leading balanced factor
    /// column.
    public var rho = 0.05
    /// label-noise: the label noise's standard deviation relative to the RMS of b.
    public var sigma = 0.5
    /// Whether the answer is written as the dense `estimate` as well as its factors.
    public var estimateStorage = DenseStorage.auto
    /// Append the `timings` frame (the solve's wall and operator time).
    public var recordsTimings = false

    public init() {}

    /// Whether the user fixed the factor width (flat and min-norm grow it otherwise).
    var fixesWidth: Bool { width != nil || positiveWidth != nil || negativeWidth != nil }
}
