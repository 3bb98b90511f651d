import Testing
import TestSupport
import LinearAlgebra

@Suite struct MatrixTests {
    @Test func columnMajorStorageMapsToSubscript() {
        let matrix = Matrix(rows: 2, columns: 3, columnMajor: [1, 2, 3, 4, 5, 6])
        #expect(matrix[0, 0] == 1 && matrix[1, 0] == 2)
        #expect(matrix[0, 2] == 5 && matrix[1, 2] == 6)
        #expect(matrix.column(1) == [3, 4])
    }

    @Test func rowMajorInitializerReadsRowsInOrder() {
        let entries: [Double] = [1, 2, 3, 4, 5, 6]
        let matrix = Matrix(rows: 2, columns: 3, rowMajor: entries)
        for i in 0 ..< 2 {
            for j in 0 ..< 3 {
                #expect(matrix[i, j] == entries[i * 3 + j])
            }
        }
        #expect(matrix.storage == [1, 4, 2, 5, 3, 6])
    }

    @Test func zerosIdentityAndDiagonal() {
        #expect(Matrix.zeros(rows: 3, columns: 2).storage == [Double](repeating: 0, count: 6))
        #expect(Matrix.identity(3).storage == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        let diagonal = Matrix.diagonal([2, -3, 5])
        for i in 0 ..< 3 {
            for j in 0 ..< 3 {
                #expect(diagonal[i, j] == (i == j ? [2, -3, 5][i] : 0))
            }
        }
        #expect(Matrix.identity(0).storage.isEmpty)
    }

    @Test func transposeSwapsIndices() {
        let matrix = sampleMatrix(rows: 4, columns: 7)
        let transposed = matrix.transposed()
        #expect(transposed.rows == 7 && transposed.columns == 4)
        #expect(transposed == naiveTranspose(matrix))
        #expect(transposed.transposed() == matrix)
        #expect(Matrix.zeros(rows: 0, columns: 3).transposed() == Matrix.zeros(rows: 3, columns: 0))
    }

    @Test func frobeniusNormIsRootSumOfSquares() {
        let matrix = sampleMatrix(rows: 5, columns: 3)
        let sumOfSquares = matrix.storage.map { $0 * $0 }.reduce(0, +)
        #expect(abs(matrix.frobeniusNorm - sumOfSquares.squareRoot()) < 1e-14)
        #expect(Matrix.identity(9).frobeniusNorm == 3)
    }

    @Test func arithmeticIsEntrywise() {
        let a = sampleMatrix(rows: 3, columns: 4, seed: 1)
        let b = sampleMatrix(rows: 3, columns: 4, seed: 2)
        let sum = a + b, difference = a - b, scaled = a * 2.5, leftScaled = -0.5 * b
        for i in 0 ..< 3 {
            for j in 0 ..< 4 {
                #expect(sum[i, j] == a[i, j] + b[i, j])
                #expect(difference[i, j] == a[i, j] - b[i, j])
                #expect(scaled[i, j] == a[i, j] * 2.5)
                #expect(leftScaled[i, j] == -0.5 * b[i, j])
            }
        }
    }

    @Test func copiesAreIndependent() {
        let original = sampleMatrix(rows: 2, columns: 2)
        var copy = original
        copy[1, 1] = 42
        copy.withUnsafeMutableBufferPointer { $0[0] = -1 }
        #expect(copy[0, 0] == -1 && copy[1, 1] == 42)
        #expect(original == sampleMatrix(rows: 2, columns: 2))
        #expect(original.withUnsafeBufferPointer { Array($0) } == original.storage)
    }
}
