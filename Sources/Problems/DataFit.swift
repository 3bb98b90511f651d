import LinearAlgebra

/// How the estimate must fit the measurements, as a closed convex set or penalty on the
/// residual s = A(X) − b. Every model reduces to one of these, so one augmented-Lagrangian
/// solver serves them all: it only needs the proximal point of the fit, which is a projection
/// for the sets and a soft threshold for the ℓ1 penalty.
public enum DataFit: Sendable, Equatable {
    /// A(X) = b: noiseless measurements.
    case exact
    /// ‖A(X) − b‖₂ ≤ δ: Gaussian noise of known size.
    case euclideanBall(radius: Double)
    /// ‖A(X) − b‖₁ ≤ τ: sparse gross errors with an ℓ1 budget (the paper's robust-PCA set Ω).
    case l1Ball(radius: Double)
    /// λ‖A(X) − b‖₁ added to the objective: the penalized robust-PCA form.
    case l1Penalty(weight: Double)

    /// The residual closest to `r` in the sense of the fit scaled by 1/ρ:
    /// argmin_s h(s) + (ρ/2)‖r − s‖².
    public func proximalPoint(_ r: [Double], penaltyParameter rho: Double) -> [Double] {
        switch self {
        case .exact:
            return [Double](repeating: 0, count: r.count)
        case .euclideanBall(let radius):
            let norm = BLAS.nrm2(r)
            return norm <= radius ? r : r.map { $0 * radius / norm }
        case .l1Ball(let radius):
            return projectOntoL1Ball(r, radius: radius)
        case .l1Penalty(let weight):
            let threshold = weight / rho
            return r.map { $0 > threshold ? $0 - threshold : ($0 < -threshold ? $0 + threshold : 0) }
        }
    }

    /// h(s): what the fit adds to the objective at an admissible residual.
    public func penalty(_ s: [Double]) -> Double {
        if case .l1Penalty(let weight) = self { return weight * s.reduce(0) { $0 + abs($1) } }
        return 0
    }

    /// How far the residual s is from admissible: ‖s − P(s)‖₂ (zero for a penalty).
    public func violation(_ s: [Double]) -> Double {
        switch self {
        case .l1Penalty: return 0
        default:
            let admissible = proximalPoint(s, penaltyParameter: 1)
            return BLAS.nrm2(zip(s, admissible).map { $0 - $1 })
        }
    }

    /// Short name for reports.
    public var name: String {
        switch self {
        case .exact: return "exact"
        case .euclideanBall: return "l2-ball"
        case .l1Ball: return "l1-ball"
        case .l1Penalty: return "l1-penalty"
        }
    }
}

/// Euclidean projection onto {s : ‖s‖₁ ≤ τ} by the sort-and-threshold rule of Duchi et al.
/// (2008): shrink every entry by the θ that makes the ℓ1 norm exactly τ.
func projectOntoL1Ball(_ r: [Double], radius: Double) -> [Double] {
    let magnitudes = r.map(abs)
    guard magnitudes.reduce(0, +) > radius else { return r }
    guard radius > 0 else { return [Double](repeating: 0, count: r.count) }
    let sorted = magnitudes.sorted(by: >)
    var cumulative = 0.0, threshold = 0.0
    for (index, value) in sorted.enumerated() {
        cumulative += value
        let candidate = (cumulative - radius) / Double(index + 1)
        if value > candidate { threshold = candidate } else { break }
    }
    return r.map { value in
        let shrunk = abs(value) - threshold
        return shrunk > 0 ? (value > 0 ? shrunk : -shrunk) : 0
    }
}
