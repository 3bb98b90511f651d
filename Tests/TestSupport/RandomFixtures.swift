import LinearAlgebra
import RandomNumbers

// Random inputs drawn from PCG64 one standard normal at a time, in column-major order, so a
// fixture is the same numbers whichever helper draws it and however its draws are grouped.

/// A rows×columns matrix of i.i.d. N(0, 1) entries, the next rows·columns draws of `generator`.
public func gaussianMatrix(rows: Int, columns: Int, generator: inout PCG64) -> Matrix {
    var values = [Double](repeating: 0, count: rows * columns)
    generator.fillStandardNormal(&values)
    return Matrix(rows: rows, columns: columns, columnMajor: values)
}

/// The same from a fresh generator seeded with `seed`.
public func gaussianMatrix(rows: Int, columns: Int, seed: UInt64) -> Matrix {
    var generator = PCG64(seed: seed)
    return gaussianMatrix(rows: rows, columns: columns, generator: &generator)
}

/// `count` i.i.d. N(0, 1) draws.
public func gaussianVector(_ count: Int, generator: inout PCG64) -> [Double] {
    var values = [Double](repeating: 0, count: count)
    generator.fillStandardNormal(&values)
    return values
}

public func gaussianVector(_ count: Int, seed: UInt64) -> [Double] {
    var generator = PCG64(seed: seed)
    return gaussianVector(count, generator: &generator)
}

/// L·Rᵀ with L (rows×rank) and then R (columns×rank) Gaussian: rank `rank` almost surely.
public func lowRankMatrix(rows: Int, columns: Int, rank: Int, generator: inout PCG64) -> Matrix {
    let left = gaussianMatrix(rows: rows, columns: rank, generator: &generator)
    let right = gaussianMatrix(rows: columns, columns: rank, generator: &generator)
    return BLAS.matmul(left, right, transposeB: true)
}

public func lowRankMatrix(rows: Int, columns: Int, rank: Int, seed: UInt64) -> Matrix {
    var generator = PCG64(seed: seed)
    return lowRankMatrix(rows: rows, columns: columns, rank: rank, generator: &generator)
}

/// A deterministic, barely compressible sequence in [−1, 1) from a 64-bit LCG: inputs that
/// share no code with PCG64, for tests of code built on it.
public func pseudoRandomDoubles(_ count: Int, seed: UInt64 = 1) -> [Double] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(Int64(bitPattern: state) >> 11) / Double(1 << 52)
    }
}
