import Foundation
import Testing
import TestSupport
import LinearAlgebra

/// Everything `LowRankMatrix` says about L·Rᵀ, against the dense product and a full SVD of it,
/// and the distance between nearly equal products against its exact value.
@Suite struct LowRankMatrixTests {
    @Test(arguments: [(9, 4), (4, 9), (5, 5), (6, 1)])
    func thinTriangleHasTheGramMatrixOfItsInput(rows: Int, columns: Int) throws {
        let a = gaussianMatrix(rows: rows, columns: columns, seed: 1)
        let r = try LAPACK.thinR(a)
        #expect(r.rows == min(rows, columns) && r.columns == columns)
        for j in 0..<columns {
            for i in (j + 1)..<max(r.rows, j + 1) { #expect(r[i, j] == 0) }
        }
        #expect(maxAbsDifference(naiveProduct(naiveTranspose(r), r), naiveProduct(naiveTranspose(a), a)) < 1e-12)
    }

    /// Widths below, at and above the dimensions: a factor wider than the matrix is tall no more.
    @Test(arguments: [(12, 9, 3), (12, 9, 9), (12, 9, 15), (7, 7, 1)])
    func spectrumAndNormsAreThoseOfTheDenseProduct(rows: Int, columns: Int, width: Int) throws {
        let x = LowRankMatrix(left: gaussianMatrix(rows: rows, columns: width, seed: 2),
                              right: gaussianMatrix(rows: columns, columns: width, seed: 3))
        let dense = naiveProduct(x.left, naiveTranspose(x.right))
        #expect(maxAbsDifference(x.dense(), dense) < 1e-13)
        let expected = try LAPACK.singularValues(dense)
        let values = try x.singularValues()
        #expect(values.count == min(rows, columns, width))
        #expect(relativeMaxDifference(values, Array(expected.prefix(values.count))) < 1e-13)
        #expect(expected.dropFirst(values.count).allSatisfy { $0 < 1e-13 * expected[0] })
        #expect(relativeError(try x.frobeniusNorm(), dense.frobeniusNorm) < 1e-14)
        #expect(relativeError(try x.nuclearNorm(), expected.reduce(0, +)) < 1e-13)
        #expect(try x.numericalRank(relativeTolerance: 1e-8) == min(rows, columns, width))
    }

    @Test func rankDeficientFactorsGiveTheirTrueRank() throws {
        let u = gaussianMatrix(rows: 10, columns: 2, seed: 4)
        // Four columns spanning two directions: rank 2 from width 4.
        let left = Matrix(rows: 10, columns: 4, columnMajor: u.storage + u.storage.map { 2 * $0 })
        let x = LowRankMatrix(left: left, right: gaussianMatrix(rows: 8, columns: 4, seed: 5))
        #expect(try x.numericalRank(relativeTolerance: 1e-8) == 2)
        #expect(try x.singularValues()[2] < 1e-14 * x.singularValues()[0])
    }

    /// Y's left factor is X's plus δ·E; the difference of the stored factors is exact in floating
    /// point (Sterbenz), so ‖X − Y‖ = ‖D·Vᵀ‖ with D = fl(U + δE) − U, a product of small numbers
    /// with no cancellation. The stacked-QR distance must find it to a few digits at 10⁻¹²
    /// relative, where an expansion through Gram matrices only sees rounding (about 10⁻⁸).
    @Test(arguments: [1e-2, 1e-6, 1e-9, 1e-12, 1e-14])
    func distanceOfNearlyEqualProductsIsAccurateToRoundingOfTheirSize(delta: Double) throws {
        let u = gaussianMatrix(rows: 30, columns: 3, seed: 6), v = gaussianMatrix(rows: 20, columns: 3, seed: 7)
        let e = gaussianMatrix(rows: 30, columns: 3, seed: 8)
        let x = LowRankMatrix(left: u, right: v)
        let perturbed = u + e * delta
        let y = LowRankMatrix(left: perturbed, right: v)
        let exact = naiveProduct(perturbed - u, naiveTranspose(v)).frobeniusNorm
        let scale = x.dense().frobeniusNorm
        #expect(exact > 0.1 * delta * scale)
        let distance = try x.frobeniusDistance(to: y)
        // Absolute accuracy a small multiple of ε‖X‖ and never worse than 1e-12 relative.
        #expect(abs(distance - exact) <= 1e-12 * exact + 3e-15 * scale, "δ = \(delta): \(distance) vs \(exact)")
        #expect(abs(try y.frobeniusDistance(to: x) - distance) <= 3e-15 * scale)
        #expect(try x.frobeniusDistance(to: x) <= 3e-15 * scale)
    }

    @Test func distanceBetweenDifferentWidthsIsTheDenseOne() throws {
        let x = LowRankMatrix(left: gaussianMatrix(rows: 9, columns: 2, seed: 9), right: gaussianMatrix(rows: 6, columns: 2, seed: 10))
        let y = LowRankMatrix(left: gaussianMatrix(rows: 9, columns: 5, seed: 11), right: gaussianMatrix(rows: 6, columns: 5, seed: 12))
        let dense = (naiveProduct(x.left, naiveTranspose(x.right)) - naiveProduct(y.left, naiveTranspose(y.right))).frobeniusNorm
        #expect(relativeError(try x.frobeniusDistance(to: y), dense) < 1e-14)
    }
}
