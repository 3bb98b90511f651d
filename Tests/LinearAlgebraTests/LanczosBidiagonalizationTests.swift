import Testing
import TestSupport
import LinearAlgebra

/// Lanczos bidiagonalization against LAPACK's dense SVD of the same matrix, on spectra whose
/// leading values cluster (where a fixed number of power steps stops well short of σ₁).
@Suite struct LanczosBidiagonalizationTests {
    /// G = Q1·diag(values)·Q2ᵀ, 160×120, with the given leading values and a tail below 0.8.
    static func matrix(leading: [Double]) throws -> (matrix: Matrix, values: [Double]) {
        let rows = 160, columns = 120
        let q1 = try LAPACK.thinQ(sampleMatrix(rows: rows, columns: columns, seed: 0.3) + sampleMatrix(rows: rows, columns: columns, seed: 1.7) * 0.5)
        let q2 = try LAPACK.thinQ(sampleMatrix(rows: columns, columns: columns, seed: 2.9) + Matrix.identity(columns))
        let tail = (0..<(columns - leading.count)).map { 0.8 * Double(columns - leading.count - $0) / Double(columns) }
        let values = leading + tail
        return (BLAS.matmul(BLAS.matmul(q1, Matrix.diagonal(values)), q2, transposeB: true), values)
    }

    static func lanczos(_ g: Matrix) -> LanczosBidiagonalization {
        LanczosBidiagonalization(rows: g.rows, columns: g.columns, timesRight: { BLAS.matvec(g, $0) },
                                 transposeTimesLeft: { BLAS.matvec(g, $0, transpose: true) })
    }

    @Test func theLargestValueOfAClusterIsFoundToTheAccuracyAsked() throws {
        // Ten values within 10⁻⁵ of the largest.
        let (g, values) = try Self.matrix(leading: (0..<10).map { 1 - 1e-6 * Double($0) })
        let dense = try LAPACK.spectralNorm(g)
        #expect(abs(dense - values[0]) <= 1e-13)
        let estimate = Self.lanczos(g).largestSingularValue(from: sampleVector(count: g.columns, seed: 0.5),
                                                            accuracy: 1e-12, maximumSteps: 120)
        #expect(estimate.residual <= 1e-12 * estimate.value)
        #expect(abs(estimate.value - dense) <= 1e-12)
        #expect(estimate.upperValue >= dense * (1 - 1e-14))
    }

    @Test func aCappedRunStillReportsHowFarOffItMayBe() throws {
        let (g, _) = try Self.matrix(leading: (0..<10).map { 1 - 1e-6 * Double($0) })
        let dense = try LAPACK.spectralNorm(g)
        let estimate = Self.lanczos(g).largestSingularValue(from: sampleVector(count: g.columns, seed: 0.5),
                                                            accuracy: 1e-14, maximumSteps: 6)
        #expect(estimate.steps == 6)
        #expect(estimate.value <= dense * (1 + 1e-14))
        // A singular value lies within ρ of θ: the one it approaches is the largest.
        #expect(estimate.upperValue >= dense * (1 - 1e-14))
    }

    @Test func theTriplesAboveAThresholdAreThoseOfTheDenseSVD() throws {
        let leading = [3.0, 2.5, 2.5 - 1e-4, 2.2, 2.05, 1.99]
        let (g, values) = try Self.matrix(leading: leading)
        let triples = Self.lanczos(g).leadingTriples(from: sampleVector(count: g.columns, seed: 0.9), above: 2,
                                                     accuracy: 1e-10, maximumSteps: 120)
        #expect(triples.values.count == 5)
        #expect(maxAbsDifference(triples.values, Array(values.prefix(5))) <= 1e-9)
        #expect(orthonormalityError(columnsOf: triples.left) <= 1e-10)
        #expect(orthonormalityError(columnsOf: triples.right) <= 1e-10)
        for j in 0..<triples.values.count {
            let image = BLAS.matvec(g, triples.right.column(j))
            #expect(maxAbsDifference(image, triples.left.column(j).map { triples.values[j] * $0 }) <= 1e-9)
            let back = BLAS.matvec(g, triples.left.column(j), transpose: true)
            #expect(maxAbsDifference(back, triples.right.column(j).map { triples.values[j] * $0 }) <= 1e-9)
        }
    }
}
