import Testing
import TestSupport
import LinearAlgebra

@Suite struct MatrixFunctionsTests {
    @Test func normsOfDiagonalMatrix() throws {
        let diagonal = Matrix.diagonal([-3, 2, 0.5])
        #expect(abs(try LAPACK.nuclearNorm(diagonal) - 5.5) < 1e-15)
        #expect(abs(try LAPACK.spectralNorm(diagonal) - 3) < 1e-15)
    }

    @Test func nuclearNormOfRankOneMatrixIsNormTimesNorm() throws {
        let left = sampleVector(count: 4, seed: 1), right = sampleVector(count: 6, seed: 2)
        let outer = naiveProduct(Matrix(rows: 4, columns: 1, columnMajor: left),
                                 Matrix(rows: 1, columns: 6, columnMajor: right))
        let expected = euclideanNorm(left) * euclideanNorm(right)
        #expect(abs(try LAPACK.nuclearNorm(outer) - expected) < 1e-13)
        #expect(abs(try LAPACK.spectralNorm(outer) - expected) < 1e-13)
    }

    @Test func squareRootSquaresBackToTheMatrix() throws {
        let a = sampleSPD(5)
        let root = try LAPACK.symmetricPower(a, exponent: 0.5)
        #expect(root == naiveTranspose(root))
        #expect(maxAbsDifference(naiveProduct(root, root), a) < 1e-11)
        let inverseRoot = try LAPACK.symmetricPower(a, exponent: -0.5)
        #expect(maxAbsDifference(naiveProduct(inverseRoot, root), Matrix.identity(5)) < 1e-12)
    }

    @Test func squareRootOfSingularSemidefiniteMatrixClampsRoundoff() throws {
        // BBᵀ with B 5×2 has three zero eigenvalues, computed as ±(rounding noise).
        let b = sampleMatrix(rows: 5, columns: 2, seed: 1)
        let a = naiveProduct(b, naiveTranspose(b))
        let root = try LAPACK.symmetricPower(a, exponent: 0.5)
        #expect(root.storage.allSatisfy { $0.isFinite })
        #expect(maxAbsDifference(naiveProduct(root, root), a) < 1e-13)
        #expect(throws: LinearAlgebraError(.singular, routine: "symmetricPower", info: 3)) {
            try LAPACK.symmetricPower(a, exponent: -0.5)
        }
    }

    @Test func powerOfIndefiniteMatrixThrows() {
        #expect(throws: LinearAlgebraError(.notPositiveDefinite, routine: "symmetricPower", info: 1)) {
            try LAPACK.symmetricPower(Matrix.diagonal([4, -1, 9]), exponent: 0.5)
        }
    }

    @Test func numericalRankCountsSignificantDirections() throws {
        let product = naiveProduct(sampleMatrix(rows: 6, columns: 2, seed: 1), sampleMatrix(rows: 2, columns: 5, seed: 2))
        #expect(try LAPACK.numericalRank(product) == 2)
        #expect(try LAPACK.numericalRank(Matrix.identity(4)) == 4)
        #expect(try LAPACK.numericalRank(Matrix.zeros(rows: 3, columns: 2)) == 0)
        #expect(try LAPACK.numericalRank(Matrix.diagonal([1, 1e-3, 1e-9]), relativeTolerance: 1e-6) == 2)
    }
}
