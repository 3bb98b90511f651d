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

/// Euclidean projection onto {s : ‖s‖₁ ≤ τ}: every entry shrunk by the θ that makes the ℓ1
/// norm exactly τ. It runs once per trial step of every augmented-Lagrangian subproblem, on
/// m = d1·d2 residuals for robust PCA, where sorting them dominated the solve; θ comes from
/// `simplexThreshold` instead, in a few linear passes.
func projectOntoL1Ball(_ r: [Double], radius: Double) -> [Double] {
    var total = 0.0
    for value in r { total += abs(value) }
    guard total > radius else { return r }
    guard radius > 0 else { return [Double](repeating: 0, count: r.count) }
    let threshold = simplexThreshold(r, size: radius, total: total)
    return r.map { value in
        let shrunk = abs(value) - threshold
        return shrunk > 0 ? (value > 0 ? shrunk : -shrunk) : 0
    }
}

/// The θ with Σ max(|r_i| − θ, 0) = size, for 0 < size < total = Σ|r_i|, by Michelot's
/// iteration (A finite algorithm for finding the projection of a point onto the canonical
/// simplex, JOTA 1986): θ = (Σ_S |r_i| − size)/|S| over the candidate set S, then S ← {i ∈ S :
/// |r_i| > θ}, until S stops shrinking. θ only grows, every entry it passes is out for good,
/// and the passes shrink fast: a residual of many tiny entries and a few outliers (robust
/// PCA's) is down to the outliers after the first. Exact: the final S is the support.
private func simplexThreshold(_ r: [Double], size: Double, total: Double) -> Double {
    // Written before read, so no pass of zeros first.
    let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: r.count)
    defer { buffer.deallocate() }
    return r.withUnsafeBufferPointer { values -> Double in
        var threshold = (total - size) / Double(values.count)
        var count = 0, sum = 0.0
        for value in values {
            let magnitude = abs(value)
            if magnitude > threshold {
                buffer[count] = magnitude
                count += 1
                sum += magnitude
            }
        }
        if count == values.count { return threshold }
        while true {
            threshold = (sum - size) / Double(count)
            var kept = 0, keptSum = 0.0
            for j in 0..<count where buffer[j] > threshold {
                buffer[kept] = buffer[j]
                kept += 1
                keptSum += buffer[j]
            }
            if kept == count { return threshold }
            count = kept
            sum = keptSum
        }
    }
}
