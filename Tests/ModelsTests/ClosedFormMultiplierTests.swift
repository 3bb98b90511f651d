import LinearAlgebra
import Models
import TestSupport
import Testing

/// The certificate a family supplies in closed form, against the property that makes it tight.
@Suite("closed-form certificate multipliers")
struct ClosedFormMultiplierTests {
    /// A*(y) = −m·d·D² for quadratic sensing: the weighted adjoint is a multiple of −I, so the
    /// scaled bound −⟨y, b⟩·2/‖D⁻¹A*(y)D⁻¹‖ is 2tr(D²X) for every fit X, which is str at every
    /// positive semidefinite fit.
    @Test func quadraticSensingsMultiplierHasAnAdjointProportionalToTheRescaling() throws {
        let (m, d) = (40, 6)
        let sensing = QuadraticSensing(features: gaussianMatrix(rows: m, columns: d, seed: 7))
        let multipliers = sensing.closedFormMultipliers()
        #expect(multipliers.count == 1)
        let adjoint = sensing.adjoint(try #require(multipliers.first))
        let squared = sensing.rescaling().left.matrix
        let expected = squared * (-Double(m * d))
        #expect(maxAbsDifference(adjoint, expected) <= 1e-12 * maxAbsDifference(expected, Matrix.zeros(rows: d, columns: d)))
        // And the bound it gives at a PSD fit equals that fit's flatness 2tr(D²X).
        let factor = gaussianMatrix(rows: d, columns: 2, seed: 8)
        let fit = BLAS.matmul(factor, factor, transposeB: true)
        let observations = sensing.apply(fit)
        let y = multipliers[0]
        let weighted = try sensing.rescaling().left.pseudoInverseRoot()
        let normalized = weighted.times(weighted.times(adjoint).transposed())
        let spectralNorm = try LAPACK.singularValues(normalized).first ?? 0
        let bound = 2 / spectralNorm * -BLAS.dot(y, observations)
        let flatness = 2 * BLAS.dot(squared.storage, fit.storage)
        #expect(abs(bound - flatness) <= 1e-10 * flatness)
    }

    @Test func familiesWithoutAClosedFormOfferNone() {
        let gaussian = GaussianSensing(sensing: gaussianMatrix(rows: 10, columns: 12, seed: 1), rows: 3, columns: 4)
        let bilinear = BilinearSensing(left: gaussianMatrix(rows: 10, columns: 3, seed: 2), right: gaussianMatrix(rows: 10, columns: 4, seed: 3))
        #expect(gaussian.closedFormMultipliers().isEmpty && bilinear.closedFormMultipliers().isEmpty)
    }
}
