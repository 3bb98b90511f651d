import Testing
import TestSupport
import LinearAlgebra

@Suite struct LinearSystemsTests {
    @Test func solveSatisfiesTheSystem() throws {
        let a = sampleMatrix(rows: 5, columns: 5, seed: 1)
        let b = sampleMatrix(rows: 5, columns: 3, seed: 2)
        let x = try LAPACK.solve(a, b)
        #expect(maxAbsDifference(naiveProduct(a, x), b) < 1e-12)
    }

    @Test func solveWithSingularMatrixThrows() {
        let singular = Matrix(rows: 2, columns: 2, rowMajor: [1, 2, 2, 4])
        #expect(throws: LinearAlgebraError(.singular, routine: "dgesv", info: 2)) {
            try LAPACK.solve(singular, Matrix.identity(2))
        }
    }

    @Test func tallLeastSquaresSatisfiesTheNormalEquations() throws {
        let a = sampleMatrix(rows: 8, columns: 3, seed: 1)
        let b = sampleMatrix(rows: 8, columns: 2, seed: 2)
        let x = try LAPACK.leastSquares(a, b)
        #expect(x.rows == 3 && x.columns == 2)
        let residual = naiveProduct(a, x) - b
        #expect(residual.frobeniusNorm > 0.1)  // inconsistent system: the test is not vacuous
        let normalEquations = naiveProduct(naiveTranspose(a), residual)
        #expect(maxAbsDifference(normalEquations, Matrix.zeros(rows: 3, columns: 2)) < 1e-12)
    }

    @Test func wideLeastSquaresGivesMinimumNormSolution() throws {
        let a = sampleMatrix(rows: 3, columns: 7, seed: 1)
        let b = sampleMatrix(rows: 3, columns: 2, seed: 2)
        let x = try LAPACK.leastSquares(a, b)
        #expect(x.rows == 7 && x.columns == 2)
        #expect(maxAbsDifference(naiveProduct(a, x), b) < 1e-12)
        // Minimum norm ⇔ x lies in the row space of A ⇔ projecting onto it changes nothing.
        let rowSpaceBasis = try LAPACK.thinQ(naiveTranspose(a))
        let projected = naiveProduct(rowSpaceBasis, naiveProduct(naiveTranspose(rowSpaceBasis), x))
        #expect(maxAbsDifference(projected, x) < 1e-12)
    }

    @Test func leastSquaresWithRankDeficientMatrixThrows() {
        let deficient = Matrix(rows: 3, columns: 2, rowMajor: [1, 0, 2, 0, 3, 0])
        #expect(throws: LinearAlgebraError(.singular, routine: "dgels", info: 2)) {
            try LAPACK.leastSquares(deficient, Matrix.zeros(rows: 3, columns: 1))
        }
    }
}
