import LinearAlgebra

// Central differences: (g(x + h·v) − g(x − h·v)) / 2h, exact for polynomials of degree two and
// within O(h²) otherwise. Every function differentiated in the suite is a polynomial in its
// argument (losses and flatness of factorizations), so a step of 1e-4..1e-3 on O(1) inputs
// leaves errors near 1e-8 relative, far below any real mistake.

/// ∇f(x) one coordinate at a time.
public func centralDifferenceGradient(_ f: ([Double]) -> Double, at point: [Double], step: Double) -> [Double] {
    point.indices.map { j in
        var forward = point, backward = point
        forward[j] += step
        backward[j] -= step
        return (f(forward) - f(backward)) / (2 * step)
    }
}

/// The derivative of a vector function along `direction`: J(x)·v, or ∇²f(x)·v for g = ∇f.
public func centralDifferenceDerivative(_ g: ([Double]) -> [Double], at point: [Double], along direction: [Double],
                                        step: Double) -> [Double] {
    precondition(direction.count == point.count, "a direction for every coordinate")
    let forward = g(zip(point, direction).map { $0 + step * $1 })
    let backward = g(zip(point, direction).map { $0 - step * $1 })
    return zip(forward, backward).map { ($0 - $1) / (2 * step) }
}

/// The Jacobian of g, column j by differences along e_j; for g = ∇f, the Hessian of f (not
/// symmetrized, so its asymmetry shows the differences' error).
public func centralDifferenceJacobian(_ g: ([Double]) -> [Double], at point: [Double], step: Double) -> Matrix {
    var columns: [Double] = []
    var rows = 0
    for j in point.indices {
        var unit = [Double](repeating: 0, count: point.count)
        unit[j] = 1
        let column = centralDifferenceDerivative(g, at: point, along: unit, step: step)
        rows = column.count
        columns += column
    }
    return Matrix(rows: rows, columns: point.count, columnMajor: columns)
}
