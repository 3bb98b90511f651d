/// The ways `solve-flat` can reach a solution (BRIEF §6).
public enum SolverMethod: String, CaseIterable, Sendable {
    /// Minimize the scaled Hessian trace over the solution set, on the factors.
    case flat
    /// The same with D1 = D2 = I: the minimum-norm factorization.
    case minimumNorm = "min-norm"

    var implementation: any RecoveryMethod {
        switch self {
        case .flat: return FlatMethod(certify: true)
        case .minimumNorm: return FlatMethod(certify: false)
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
    public var seed: UInt64 = 0

    public init() {}
}
