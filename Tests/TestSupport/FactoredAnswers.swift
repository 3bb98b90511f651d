import LinearAlgebra
import Models
import Problems

// What a factored answer is, and what it is worth, computed densely and apart from the solvers.

/// X(θ) = L·Rᵀ by the triple loop.
public func factoredMatrix(_ parameters: [Double], _ factorization: any Factorization) -> Matrix {
    let (left, right) = factorization.factors(parameters)
    return naiveProduct(left, naiveTranspose(right))
}

/// 2‖D1·X·D2‖_* with D = (D²)^{1/2} formed densely and the nuclear norm from singular values
/// alone: the smallest str of any factorization of X (Theorem 3.2), apart from anything a
/// solver computes.
public func weightedNuclearNorm(_ x: Matrix, _ rescaling: Rescaling) throws -> Double {
    let d1 = try LAPACK.symmetricPower(rescaling.left.matrix, exponent: 0.5)
    let d2 = try LAPACK.symmetricPower(rescaling.right.matrix, exponent: 0.5)
    return 2 * (try LAPACK.nuclearNorm(naiveProduct(naiveProduct(d1, x), d2)))
}

/// 2‖D1XD2‖_* + h(A(X) − b): the value at X of the convex relaxation that every certified lower
/// bound bounds (docs/mathematics.md §4 and §6), whatever produced X.
public func relaxationObjective(_ x: Matrix, measurements: MeasurementSet, dataFit: DataFit, rescaling: Rescaling) throws -> Double {
    let residual = zip(measurements.measurementOperator.apply(x), measurements.observations).map { $0 - $1 }
    return try weightedNuclearNorm(x, rescaling) + dataFit.penalty(residual)
}
