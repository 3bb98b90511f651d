import Testing
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
}
