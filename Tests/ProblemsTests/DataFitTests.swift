import Testing
import TestSupport
@testable import Problems

@Suite("Data fits: proximal points")
struct DataFitTests {
    @Test func l1BallProjectionMatchesBisectionOnTheThreshold() {
        let r = [3.0, -1.0, 0.5, -2.5, 0.0, 4.0]
        let radius = 5.0
        let projected = projectOntoL1Ball(r, radius: radius)
        #expect(abs(projected.reduce(0) { $0 + abs($1) } - radius) < 1e-12)
        // Independent route: the projection is soft thresholding at the θ where the ℓ1 norm is τ.
        var low = 0.0, high = 4.0
        for _ in 0..<200 {
            let mid = (low + high) / 2
            let norm = r.reduce(0) { $0 + max(abs($1) - mid, 0) }
            if norm > radius { low = mid } else { high = mid }
        }
        for (value, original) in zip(projected, r) {
            let expected = (original > 0 ? 1.0 : -1.0) * max(abs(original) - low, 0)
            #expect(abs(value - expected) < 1e-12)
        }
    }

    /// Condat's pass against the sort-and-threshold rule (Duchi et al. 2008), written here as
    /// the reference, over vectors that exercise its set-aside and cleanup phases: increasing and
    /// decreasing orders, ties, one dominant entry, radii from tiny to nearly the whole norm.
    @Test func l1BallProjectionAgreesWithSortingOnManyVectors() {
        func sortedThreshold(_ r: [Double], _ radius: Double) -> Double {
            let sorted = r.map(abs).sorted(by: >)
            var cumulative = 0.0, threshold = 0.0
            for (index, value) in sorted.enumerated() {
                cumulative += value
                let candidate = (cumulative - radius) / Double(index + 1)
                if value > candidate { threshold = candidate } else { break }
            }
            return threshold
        }
        var cases: [[Double]] = [(0..<50).map(Double.init), (0..<50).map { Double(50 - $0) }, [Double](repeating: 2, count: 30),
                                 [100] + [Double](repeating: 0.01, count: 40), [0.01, 0.02, 100, 0.03]]
        for size in [1, 2, 7, 100, 1000] {
            cases.append(gaussianVector(size, seed: UInt64(size)).map { 3 * $0 })
        }
        for r in cases {
            let norm = r.reduce(0) { $0 + abs($1) }
            for fraction in [1e-6, 0.01, 0.3, 0.9, 0.999999] where norm > 0 {
                let radius = fraction * norm
                let threshold = sortedThreshold(r, radius)
                let projected = projectOntoL1Ball(r, radius: radius)
                for (value, original) in zip(projected, r) {
                    let expected = (original > 0 ? 1.0 : -1.0) * max(abs(original) - threshold, 0)
                    #expect(abs(value - expected) <= 1e-12 * max(1, abs(original)), "size \(r.count), radius \(radius)")
                }
                #expect(abs(projected.reduce(0) { $0 + abs($1) } - radius) <= 1e-10 * norm)
            }
        }
    }
}
