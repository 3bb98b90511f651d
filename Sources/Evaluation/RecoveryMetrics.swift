import LinearAlgebra
import Models

/// The numbers `evaluate` reports, each a plain function of matrices and measurement sets so
/// that a test can check it against an independent computation. None of them reads a frame.
public enum RecoveryMetrics {
    /// ‖X̂ − M♮‖_F / ‖M♮‖_F: the paper's notion of recovery, measured directly.
    public static func relativeError(estimate: Matrix, truth: Matrix) -> Double {
        (estimate - truth).frobeniusNorm / max(truth.frobeniusNorm, .leastNormalMagnitude)
    }

    /// ‖A(X̂) − b‖₂ / ‖b‖₂ over a measurement set: the training residual on the training set,
    /// the generalization error on a held-out one. Recomputed from the operator so that it
    /// does not depend on what a solver claims.
    public static func relativeResidual(estimate: Matrix, measurements: MeasurementSet) -> Double {
        relativeNorm(residual(estimate: estimate, measurements: measurements), observations: measurements.observations)
    }

    /// ‖residual‖₂ / ‖b‖₂, for a residual already at hand.
    public static func relativeNorm(_ residual: [Double], observations: [Double]) -> Double {
        BLAS.nrm2(residual) / max(BLAS.nrm2(observations), .leastNormalMagnitude)
    }

    /// A(X̂) − b.
    public static func residual(estimate: Matrix, measurements: MeasurementSet) -> [Double] {
        var values = measurements.measurementOperator.apply(estimate)
        BLAS.axpy(-1, measurements.observations, &values)
        return values
    }

    /// 2‖D1 M D2‖_*: by Theorem 3.2 the smallest scaled trace of any factorization of M, so for
    /// M = M♮ the flattest value a solution that recovers the truth can have. Dense: it forms
    /// the d1×d2 matrix D1·M·D2 and takes its SVD.
    public static func flattestScaledTrace(of matrix: Matrix, rescaling: Rescaling) throws -> Double {
        let leftRoot = try rescaling.left.power(0.5), rightRoot = try rescaling.right.power(0.5)
        // M·D2 = (D2·Mᵀ)ᵀ, since D2 is symmetric.
        let weighted = rightRoot.times(leftRoot.times(matrix).transposed()).transposed()
        return 2 * (try LAPACK.nuclearNorm(weighted))
    }

    /// ‖LᵀL − RᵀR‖_F / ‖LᵀL‖_F: zero for a balanced factorization, which every flat solution
    /// of an isotropic operator is. Relative, so that it compares across scales of M♮.
    public static func balancedness(left: Matrix, right: Matrix) -> Double {
        let leftGram = BLAS.matmul(left, left, transposeA: true)
        let rightGram = BLAS.matmul(right, right, transposeA: true)
        return (leftGram - rightGram).frobeniusNorm / max(leftGram.frobeniusNorm, .leastNormalMagnitude)
    }

    /// (‖L‖²_F + ‖R‖²_F) / (2‖X̂‖_*): at least 1 for any factorization of X̂, and 1 exactly for
    /// the minimum-norm ones (‖Z‖_* = min over L·Rᵀ = Z of (‖L‖² + ‖R‖²)/2).
    public static func normMinimality(left: Matrix, right: Matrix, estimate: Matrix) throws -> Double {
        let squaredNorms = BLAS.dot(left.storage, left.storage) + BLAS.dot(right.storage, right.storage)
        return squaredNorms / max(2 * (try LAPACK.nuclearNorm(estimate)), .leastNormalMagnitude)
    }

    /// The `count` largest singular values of X̂, in descending order.
    public static func leadingSingularValues(_ estimate: Matrix, count: Int) throws -> [Double] {
        Array(try LAPACK.singularValues(estimate).prefix(count))
    }
}
