import RandomNumbers

// Sparse gross errors added to observations: the `S♮` of robust PCA (`Y = M♮ + S♮`, at
// most `l` outliers per row and column) or corrupted entries of a measurement vector.
//
// Reproducibility: the support is drawn from `PCG64(seed: seed, stream: 0)` and the values
// from `PCG64(seed: seed, stream: 1)`, so the values drawn never depend on how many draws
// placing the support took, and one seed gives the same outliers on every machine.

/// How outlier values are drawn, each scaled by the magnitude `A`.
public enum OutlierDistribution: String, CaseIterable, Sendable {
    /// `A · z` with `z = nextStandardNormal()`.
    case gaussian
    /// `A · (2u − 1)` with `u = nextUniform()`: uniform on `[−A, A)`.
    case uniform
    /// `+A` when `nextUniform() < ½`, else `−A`: random signs, fixed size (the classic
    /// robust-PCA experiment, and the default).
    case sign
    /// `+A` every time, no draws: gross errors that all push the same way, the adversarial
    /// case for estimators that count on outliers cancelling out.
    case constant

    /// One outlier value, in the order the support lists its positions.
    func draw(magnitude: Double, using generator: inout PCG64) -> Double {
        switch self {
        case .gaussian: return magnitude * generator.nextStandardNormal()
        case .uniform: return magnitude * (2 * generator.nextUniform() - 1)
        case .sign: return generator.nextUniform() < 0.5 ? magnitude : -magnitude
        case .constant: return magnitude
        }
    }
}

/// How many entries to corrupt.
public enum OutlierAmount: Sendable, Equatable {
    /// A fraction `F ∈ [0, 1]` of the entries: `round(F · entries)`, halves rounded away from
    /// zero.
    case fraction(Double)
    /// Exactly this many entries.
    case count(Int)

    /// The number of outliers for a target of `entries` entries, once the specification
    /// holding this amount has been validated.
    func resolved(entries: Int) throws -> Int {
        switch self {
        case .fraction(let fraction):
            return Int((fraction * Double(entries)).rounded(.toNearestOrAwayFromZero))
        case .count(let count):
            guard count <= entries else {
                throw InstanceError("\(count) outliers asked for, but the target has only \(entries) entries")
            }
            return count
        }
    }
}

/// Everything that decides which entries are corrupted and by how much.
public struct SparseCorruptionSpecification: Sendable, Equatable {
    /// The default magnitude is this many times the target's root mean square: outliers an
    /// order of magnitude above the typical entry, common in robust-PCA experiments.
    public static let defaultMagnitudeMultiple = 10.0

    public var amount: OutlierAmount
    /// For a matrix target: at most this many outliers in any row and in any column, the `l`
    /// of the robust-PCA recovery theorem. Nil places the support uniformly at random.
    public var perLine: Int?
    /// `A`; nil means `defaultMagnitudeMultiple` × the target's root mean square.
    public var magnitude: Double?
    public var distribution: OutlierDistribution
    public var seed: UInt64

    public init(amount: OutlierAmount, perLine: Int? = nil, magnitude: Double? = nil,
                distribution: OutlierDistribution = .sign, seed: UInt64 = 0) {
        self.amount = amount
        self.perLine = perLine
        self.magnitude = magnitude
        self.distribution = distribution
        self.seed = seed
    }

    /// Rejects values no target could make sense of, so a tool can fail before reading input.
    public func validate() throws {
        switch amount {
        case .fraction(let fraction):
            guard (0 ... 1).contains(fraction) else {
                throw InstanceError("the outlier fraction must lie in [0, 1], got \(fraction)")
            }
        case .count(let count):
            guard count >= 0 else { throw InstanceError("the outlier count must not be negative, got \(count)") }
        }
        if let perLine, perLine < 0 {
            throw InstanceError("the per-line cap must not be negative, got \(perLine)")
        }
        if let magnitude, !(magnitude.isFinite && magnitude >= 0) {
            throw InstanceError("the outlier magnitude must be a finite number ≥ 0, got \(magnitude)")
        }
    }

    /// `A` for this target: the given magnitude, or the default scaled to the target. Only
    /// asked for when there are outliers to draw, so an all-zero target with no outliers is
    /// no error.
    func resolvedMagnitude(for values: [Double]) throws -> Double {
        if let magnitude { return magnitude }
        let sumOfSquares = values.reduce(0) { $0 + $1 * $1 }
        let rootMeanSquare = (sumOfSquares / Double(values.count)).squareRoot()
        let rule = "the default magnitude (a multiple of the target's root mean square)"
        guard rootMeanSquare.isFinite else {
            throw InstanceError("the target has non-finite entries, so \(rule) is undefined; give a magnitude")
        }
        guard rootMeanSquare > 0 else {
            throw InstanceError("the target is all zeros, so \(rule) would add nothing; give a magnitude")
        }
        return Self.defaultMagnitudeMultiple * rootMeanSquare
    }
}

/// A corrupted target and the outliers that made it.
public struct SparseCorruption: Sendable, Equatable {
    /// The target with the outliers added, same length and order as the input.
    public var corrupted: [Double]
    /// Linear indices of the corrupted entries (column-major for a matrix), increasing.
    public var support: [Int]
    /// `corrupted[p] − original[p]` at each support position, as IEEE subtraction gives it:
    /// the amount actually added, which can differ from the drawn value in its last bits when
    /// the sum rounds. Recording it this way makes `corrupted − original` equal the record
    /// exactly, in Swift or NumPy.
    public var values: [Double]
    /// The `A` used, after resolving the default (0 when there were no outliers to draw and
    /// no magnitude was given).
    public var magnitude: Double
}

/// Adds sparse outliers to `original`, a vector (`shape` `[n]`) or a column-major matrix
/// (`shape` `[rows, columns]`).
///
/// The support is a uniformly random set of the requested size, or, with a per-line cap, the
/// capped placement described at `cappedSupport`. Values are drawn in support order.
public func corrupt(values original: [Double], shape: [Int],
                    specification: SparseCorruptionSpecification) throws -> SparseCorruption {
    try specification.validate()
    guard shape.count == 1 || shape.count == 2 else {
        throw InstanceError("outliers go into a vector or a matrix, not an array of shape \(shape)")
    }
    precondition(shape.reduce(1, *) == original.count, "shape \(shape) does not match \(original.count) values")
    let count = try specification.amount.resolved(entries: original.count)

    var positions = PCG64(seed: specification.seed, stream: 0)
    let support: [Int]
    if let perLine = specification.perLine {
        guard shape.count == 2 else {
            throw InstanceError("a per-line cap needs a matrix target, not a vector of \(original.count) entries")
        }
        support = try cappedSupport(count: count, rows: shape[0], columns: shape[1], perLine: perLine, using: &positions)
    } else {
        support = positions.sampleWithoutReplacement(count: count, from: original.count)
    }

    let magnitude = count > 0 ? try specification.resolvedMagnitude(for: original) : specification.magnitude ?? 0
    var draws = PCG64(seed: specification.seed, stream: 1)
    var corrupted = original
    var added: [Double] = []
    added.reserveCapacity(count)
    for position in support {
        corrupted[position] = original[position] + specification.distribution.draw(magnitude: magnitude, using: &draws)
        added.append(corrupted[position] - original[position])
    }
    return SparseCorruption(corrupted: corrupted, support: support, values: added, magnitude: magnitude)
}
