import Testing
import TestSupport
import LinearAlgebra

@Suite struct DecompositionTests {
    @Test(arguments: [(6, 4), (4, 6), (5, 5)])
    func svdReconstructsWithOrthonormalFactors(rows: Int, columns: Int) throws {
        let a = sampleMatrix(rows: rows, columns: columns)
        let (u, singularValues, vt) = try LAPACK.svd(a)
        let p = min(rows, columns)
        #expect(u.rows == rows && u.columns == p && vt.rows == p && vt.columns == columns)
        #expect(maxAbsDifference(reconstruct(u: u, singularValues: singularValues, vt: vt), a) < 1e-13)
        #expect(orthonormalityError(columnsOf: u) < 1e-13)
        #expect(orthonormalityError(columnsOf: naiveTranspose(vt)) < 1e-13)
        #expect(singularValues == singularValues.sorted(by: >))
        #expect(singularValues.allSatisfy { $0 >= 0 })
        #expect(maxAbsDifference(try LAPACK.singularValues(a), singularValues) < 1e-13)
    }

    @Test func rankOneMatrixHasOneSingularValueOfNormTimesNorm() throws {
        let left = sampleVector(count: 5, seed: 1), right = sampleVector(count: 3, seed: 2)
        let outer = naiveProduct(Matrix(rows: 5, columns: 1, columnMajor: left),
                                 Matrix(rows: 1, columns: 3, columnMajor: right))
        let singularValues = try LAPACK.singularValues(outer)
        #expect(abs(singularValues[0] - euclideanNorm(left) * euclideanNorm(right)) < 1e-14)
        #expect(singularValues.dropFirst().allSatisfy { $0 < 1e-15 })
    }

    @Test func singularValuesOfDiagonalMatrixAreSortedAbsoluteValues() throws {
        #expect(try LAPACK.singularValues(Matrix.diagonal([1, -4, 2])) == [4, 2, 1])
    }

    @Test func symmetricEigenpairsSatisfyTheEigenEquation() throws {
        let a = sampleSPD(5) - 3 * Matrix.identity(5)  // symmetric and indefinite
        let (eigenvalues, eigenvectors) = try LAPACK.symmetricEigen(a)
        #expect(eigenvalues == eigenvalues.sorted())
        #expect(eigenvalues.first! < 0 && eigenvalues.last! > 0)
        for (index, eigenvalue) in eigenvalues.enumerated() {
            let vector = eigenvectors.column(index)
            #expect(maxAbsDifference(naiveProduct(a, vector), vector.map { eigenvalue * $0 }) < 1e-12)
        }
        #expect(orthonormalityError(columnsOf: eigenvectors) < 1e-13)
        #expect(maxAbsDifference(try LAPACK.symmetricEigenvalues(a), eigenvalues) < 1e-12)
    }

    @Test func eigenvaluesOfTwoByTwoClosedForm() throws {
        // [[2, 1], [1, 2]] has eigenvalues 2 ∓ 1.
        let eigenvalues = try LAPACK.symmetricEigenvalues(Matrix(rows: 2, columns: 2, rowMajor: [2, 1, 1, 2]))
        #expect(maxAbsDifference(eigenvalues, [1, 3]) < 1e-15)
    }

    @Test func choleskyFactorIsLowerTriangularAndReproducesTheMatrix() throws {
        let a = sampleSPD(6)
        let factor = try LAPACK.choleskyFactor(a)
        for j in 1 ..< 6 {
            for i in 0 ..< j {
                #expect(factor[i, j] == 0)
            }
        }
        #expect((0 ..< 6).allSatisfy { factor[$0, $0] > 0 })
        #expect(maxAbsDifference(naiveProduct(factor, naiveTranspose(factor)), a) < 1e-12)
    }

    @Test func choleskySolveSatisfiesTheSystem() throws {
        let a = sampleSPD(6)
        let b = sampleMatrix(rows: 6, columns: 2, seed: 7)
        let x = try LAPACK.choleskySolve(factor: try LAPACK.choleskyFactor(a), b)
        #expect(maxAbsDifference(naiveProduct(a, x), b) < 1e-12)
    }

    @Test func choleskyOfIndefiniteMatrixThrowsWithFailingMinor() {
        // Leading 1×1 minor is 1 > 0; the 2×2 minor is 1 − 4 < 0.
        let indefinite = Matrix(rows: 3, columns: 3, rowMajor: [1, 2, 0, 2, 1, 0, 0, 0, 1])
        #expect(throws: LinearAlgebraError(.notPositiveDefinite, routine: "dpotrf", info: 2)) {
            try LAPACK.choleskyFactor(indefinite)
        }
    }

    @Test func thinQIsOrthonormalWithNonnegativeDiagonalOfR() throws {
        let a = sampleMatrix(rows: 7, columns: 4, seed: 3)
        let q = try LAPACK.thinQ(a)
        #expect(q.rows == 7 && q.columns == 4)
        #expect(orthonormalityError(columnsOf: q) < 1e-14)
        let r = naiveProduct(naiveTranspose(q), a)
        for j in 0 ..< 4 {
            #expect(r[j, j] >= 0)
            for i in j + 1 ..< 4 {
                #expect(abs(r[i, j]) < 1e-13)
            }
        }
        #expect(maxAbsDifference(naiveProduct(q, r), a) < 1e-13)
    }

    @Test func emptyMatricesGiveEmptyFactors() throws {
        let (u, singularValues, vt) = try LAPACK.svd(Matrix.zeros(rows: 0, columns: 3))
        #expect(u == Matrix.zeros(rows: 0, columns: 0) && singularValues.isEmpty && vt == Matrix.zeros(rows: 0, columns: 3))
        #expect(try LAPACK.spectralNorm(Matrix.zeros(rows: 4, columns: 0)) == 0)
        #expect(try LAPACK.symmetricEigen(Matrix.zeros(rows: 0, columns: 0)).eigenvalues.isEmpty)
        #expect(try LAPACK.thinQ(Matrix.zeros(rows: 3, columns: 0)) == Matrix.zeros(rows: 3, columns: 0))
    }

    @Test func nanInputThrowsInsteadOfReturningGarbage() {
        let poisoned = Matrix(rows: 2, columns: 2, columnMajor: [.nan, 1, 2, 3])
        let error = #expect(throws: LinearAlgebraError.self) { try LAPACK.singularValues(poisoned) }
        #expect(error?.kind == .illegalArgument && error?.routine == "dgesdd")
    }

    @Test func errorDescriptionNamesRoutineAndInfo() {
        let error = LinearAlgebraError(.notPositiveDefinite, routine: "dpotrf", info: 2)
        #expect(error.description == "dpotrf: matrix is not positive definite (info = 2)")
    }
}
