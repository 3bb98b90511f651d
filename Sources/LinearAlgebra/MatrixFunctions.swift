import COpenBLAS
import Foundation

extension LAPACK {
    /// ‖A‖_* = Σσᵢ, the convex surrogate for rank that the flat-minimum relaxation minimizes.
    public static func nuclearNorm(_ a: Matrix) throws(LinearAlgebraError) -> Double {
        let values = try singularValues(a)
        // Singular values are nonnegative, so BLAS's sum of absolute values is their sum.
        return cblas_dasum(blasInt(values.count), values, 1)
    }

    /// ‖A‖₂ = σ₁, the largest singular value (0 for an empty matrix).
    public static func spectralNorm(_ a: Matrix) throws(LinearAlgebraError) -> Double {
        try singularValues(a).first ?? 0
    }

    /// A^p = V·diag(λᵢ^p)·Vᵀ for a symmetric positive semidefinite A, e.g. the square roots
    /// D = (Σ AᵢAᵢᵀ)^½ and their inverses that rescale the measurement operators.
    ///
    /// Eigenvalues within n·ε·max|λ| of zero are rounding noise: tiny negative ones are clamped
    /// to 0 instead of producing NaN. Eigenvalues more negative than that throw
    /// `.notPositiveDefinite` (info = how many), and a negative exponent with an eigenvalue at or
    /// below the threshold throws `.singular` (info = how many), since the inverse would be
    /// dominated by noise. Only the lower triangle of `a` is read. The result is formed as
    /// W·Wᵀ with W = V·diag(λ^(p/2)), so it is exactly symmetric.
    public static func symmetricPower(_ a: Matrix, exponent: Double) throws(LinearAlgebraError) -> Matrix {
        let (eigenvalues, eigenvectors) = try symmetricEigen(a)
        let noiseLevel = Double(a.rows) * .ulpOfOne * (eigenvalues.map(abs).max() ?? 0)
        let negativeCount = eigenvalues.count { $0 < -noiseLevel }
        if negativeCount > 0 {
            throw LinearAlgebraError(.notPositiveDefinite, routine: "symmetricPower", info: negativeCount)
        }
        let clamped = eigenvalues.map { max($0, 0) }
        if exponent < 0 {
            let negligibleCount = clamped.count { $0 <= noiseLevel }
            if negligibleCount > 0 {
                throw LinearAlgebraError(.singular, routine: "symmetricPower", info: negligibleCount)
            }
        }
        var halfPowerFactor = eigenvectors
        halfPowerFactor.withUnsafeMutableBufferPointer { entries in
            guard let base = entries.baseAddress else { return }
            for (column, eigenvalue) in clamped.enumerated() {
                cblas_dscal(blasInt(a.rows), pow(eigenvalue, exponent / 2), base + column * a.rows, 1)
            }
        }
        var power = Matrix.zeros(rows: a.rows, columns: a.columns)
        BLAS.syrk(halfPowerFactor, into: &power)
        return power
    }

    /// The number of singular values above `relativeTolerance`·σ₁. The default,
    /// max(m, n)·ε, counts every direction that rounding alone could not have produced;
    /// pass a larger tolerance to ask how many directions matter at a given accuracy.
    public static func numericalRank(_ a: Matrix, relativeTolerance: Double? = nil) throws(LinearAlgebraError) -> Int {
        let values = try singularValues(a)
        guard let largest = values.first, largest > 0 else { return 0 }
        let tolerance = relativeTolerance ?? Double(max(a.rows, a.columns)) * .ulpOfOne
        return values.count { $0 > tolerance * largest }
    }
}
