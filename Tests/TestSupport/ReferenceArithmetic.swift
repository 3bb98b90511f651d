import Foundation
import LinearAlgebra

// Reference implementations written as plain loops, so that every check compares BLAS/LAPACK
// output (or a structured operator's shortcut) against arithmetic that shares no code with it.

/// A deterministic dense matrix with no special structure: entries sin((i+1)(j+2) + seed) are
/// rows of a Vandermonde-like family, so small samples have full rank.
public func sampleMatrix(rows: Int, columns: Int, seed: Double = 0) -> Matrix {
    var matrix = Matrix.zeros(rows: rows, columns: columns)
    for i in 0..<rows {
        for j in 0..<columns {
            matrix[i, j] = sin(Double((i + 1) * (j + 2)) + seed)
        }
    }
    return matrix
}

public func sampleVector(count: Int, seed: Double = 0) -> [Double] {
    (0..<count).map { cos(Double($0 * $0 + 1) + seed) }
}

/// A symmetric positive definite matrix BᵀB + I.
public func sampleSPD(_ size: Int, seed: Double = 0) -> Matrix {
    let b = sampleMatrix(rows: size + 2, columns: size, seed: seed)
    return naiveProduct(naiveTranspose(b), b) + Matrix.identity(size)
}

public func naiveTranspose(_ a: Matrix) -> Matrix {
    var result = Matrix.zeros(rows: a.columns, columns: a.rows)
    for i in 0..<a.rows {
        for j in 0..<a.columns {
            result[j, i] = a[i, j]
        }
    }
    return result
}

/// A·B by the triple loop.
public func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
    precondition(a.columns == b.rows, "inner dimensions differ")
    var result = Matrix.zeros(rows: a.rows, columns: b.columns)
    for i in 0..<a.rows {
        for j in 0..<b.columns {
            var sum = 0.0
            for k in 0..<a.columns {
                sum += a[i, k] * b[k, j]
            }
            result[i, j] = sum
        }
    }
    return result
}

public func naiveProduct(_ a: Matrix, _ x: [Double]) -> [Double] {
    naiveProduct(a, Matrix(rows: x.count, columns: 1, columnMajor: x)).column(0)
}

/// U·diag(s)·Vᵀ.
public func reconstruct(u: Matrix, singularValues: [Double], vt: Matrix) -> Matrix {
    var scaledU = u
    for j in 0..<u.columns {
        for i in 0..<u.rows {
            scaledU[i, j] *= singularValues[j]
        }
    }
    return naiveProduct(scaledU, vt)
}

/// Σ a_i b_i, summed in order.
public func innerProduct(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "lengths differ")
    var sum = 0.0
    for (x, y) in zip(a, b) { sum += x * y }
    return sum
}

/// ‖x‖²₂ (for a matrix, its storage: ‖X‖²_F).
public func squaredNorm(_ x: [Double]) -> Double {
    innerProduct(x, x)
}

public func euclideanNorm(_ x: [Double]) -> Double {
    squaredNorm(x).squareRoot()
}

/// max |QᵀQ − I|: zero exactly when the columns of Q are orthonormal.
public func orthonormalityError(columnsOf q: Matrix) -> Double {
    maxAbsDifference(naiveProduct(naiveTranspose(q), q), Matrix.identity(q.columns))
}
