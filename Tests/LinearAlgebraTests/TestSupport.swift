import Foundation
import LinearAlgebra

// Reference implementations written as plain loops, so that every check compares BLAS/LAPACK
// output against arithmetic that shares no code with it.

/// A deterministic dense matrix with no special structure: entries sin((i+1)(j+2) + seed) are
/// rows of a Vandermonde-like family, so small samples have full rank.
func sampleMatrix(rows: Int, columns: Int, seed: Double = 0) -> Matrix {
    var matrix = Matrix.zeros(rows: rows, columns: columns)
    for i in 0 ..< rows {
        for j in 0 ..< columns {
            matrix[i, j] = sin(Double((i + 1) * (j + 2)) + seed)
        }
    }
    return matrix
}

func sampleVector(count: Int, seed: Double = 0) -> [Double] {
    (0 ..< count).map { cos(Double($0 * $0 + 1) + seed) }
}

/// A symmetric positive definite matrix BᵀB + I.
func sampleSPD(_ size: Int, seed: Double = 0) -> Matrix {
    let b = sampleMatrix(rows: size + 2, columns: size, seed: seed)
    return naiveProduct(naiveTranspose(b), b) + Matrix.identity(size)
}

func naiveTranspose(_ a: Matrix) -> Matrix {
    var result = Matrix.zeros(rows: a.columns, columns: a.rows)
    for i in 0 ..< a.rows {
        for j in 0 ..< a.columns {
            result[j, i] = a[i, j]
        }
    }
    return result
}

func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
    precondition(a.columns == b.rows)
    var result = Matrix.zeros(rows: a.rows, columns: b.columns)
    for i in 0 ..< a.rows {
        for j in 0 ..< b.columns {
            var sum = 0.0
            for k in 0 ..< a.columns {
                sum += a[i, k] * b[k, j]
            }
            result[i, j] = sum
        }
    }
    return result
}

func naiveProduct(_ a: Matrix, _ x: [Double]) -> [Double] {
    naiveProduct(a, Matrix(rows: x.count, columns: 1, columnMajor: x)).column(0)
}

/// U·diag(s)·Vᵀ.
func reconstruct(u: Matrix, singularValues: [Double], vt: Matrix) -> Matrix {
    var scaledU = u
    for j in 0 ..< u.columns {
        for i in 0 ..< u.rows {
            scaledU[i, j] *= singularValues[j]
        }
    }
    return naiveProduct(scaledU, vt)
}

func maxAbsDifference(_ a: Matrix, _ b: Matrix) -> Double {
    precondition(a.rows == b.rows && a.columns == b.columns, "shapes differ")
    return maxAbsDifference(a.storage, b.storage)
}

func maxAbsDifference(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "lengths differ")
    return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// max |QᵀQ − I|: zero exactly when the columns of Q are orthonormal.
func orthonormalityError(columnsOf q: Matrix) -> Double {
    maxAbsDifference(naiveProduct(naiveTranspose(q), q), Matrix.identity(q.columns))
}

func euclideanNorm(_ x: [Double]) -> Double {
    x.map { $0 * $0 }.reduce(0, +).squareRoot()
}
