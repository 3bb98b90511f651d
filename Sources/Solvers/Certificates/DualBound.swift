import LinearAlgebra
import Models
import Problems
import RandomNumbers

/// A lower bound on the flattest value min_X 2‖D1XD2‖_* + h(A(X) − b) from any multiplier y,
/// by weak duality for the convex relaxation of docs/mathematics.md §4 and §6 (which bounds every factorization
/// from below): the dual function is g(y) = −⟨y, b⟩ − h*(y) wherever
/// ‖D1⁻¹A*(y)D2⁻¹‖_op ≤ 2, and y is scaled into that set.
struct DualBound {
    let problem: RecoveryProblem
    /// The operator's rescaling: the bound is on its str, whatever the method minimized.
    let rescaling: Rescaling

    /// Matrices up to this many entries get an exact dense spectral norm; beyond it the norm
    /// comes from Lanczos bidiagonalization (`LanczosBidiagonalization`), taken as its Ritz
    /// value plus the residual, which is at least the singular value it converged to.
    static let denseLimit = 1_000_000
    /// The Lanczos residual, relative to the value, at which the norm is taken: far below the
    /// gaps a certificate is asked to close.
    static let normAccuracy = 1e-12
    /// Numbers the Lanczos bases may hold (steps·(d1 + d2)); an unconverged norm is still taken
    /// conservatively, so the cap can only cost a bound its tightness.
    static let lanczosSpace = 1 << 25

    func bound(multiplier y: [Double]) throws -> Double {
        let d1 = problem.factorization.rows, d2 = problem.factorization.columns
        // Pseudo-inverses: rows or columns the data never touch are free in X and constrain no dual.
        let leftInverse = try rescaling.left.pseudoInverseRoot(), rightInverse = try rescaling.right.pseudoInverseRoot()
        let spectralNorm: Double
        if d1 * d2 <= Self.denseLimit {
            let weighted = leftInverse.sandwiching(problem.measurementOperator.adjoint(y), right: rightInverse)
            spectralNorm = try LAPACK.spectralNorm(weighted)
        } else {
            let maps = SubspaceIteration(adjointOf: y, under: problem.measurementOperator, rows: d1, columns: d2,
                                         leftWeight: leftInverse, rightWeight: rightInverse)
            var generator = PCG64(seed: 0x5eed)
            var start = [Double](repeating: 0, count: d2)
            generator.fillStandardNormal(&start)
            spectralNorm = maps.lanczos.largestSingularValue(from: start, accuracy: Self.normAccuracy,
                                                             maximumSteps: Self.lanczosSpace / (d1 + d2)).upperValue
        }
        guard spectralNorm > 0 else { return 0 }
        let scale = 2 / spectralNorm
        let value: Double
        switch problem.dataFit {
        case .exact:
            value = -BLAS.dot(y, problem.observations)
        case .euclideanBall(let radius):
            value = -BLAS.dot(y, problem.observations) - radius * BLAS.nrm2(y)
        case .l1Ball(let radius):
            value = -BLAS.dot(y, problem.observations) - radius * (y.map(abs).max() ?? 0)
        case .l1Penalty(let weight):
            // g(t·y) = −t⟨y, b⟩ needs t·‖y‖∞ ≤ λ as well as t ≤ 2/σ.
            let largest = y.map(abs).max() ?? 0
            let t = largest > 0 ? min(scale, weight / largest) : scale
            return max(0, -t * BLAS.dot(y, problem.observations))
        }
        return max(0, scale * value)
    }
}
