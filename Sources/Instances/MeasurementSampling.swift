import Foundation
import Frames
import LinearAlgebra
import Models
import RandomNumbers

/// The operator families `sample-measurements` can draw (BRIEF §5).
public enum OperatorFamily: String, CaseIterable, Sendable {
    case gaussian, bilinear, completion, quadratic, identity
}

/// How many measurements to take.
public enum SampleSize: Sendable, Equatable {
    /// Exactly m.
    case count(Int)
    /// m = ⌈C·r·(d1 + d2)⌉, the scale at which the theory says recovery starts.
    case oversampling(Double)
    /// Completion only: each entry observed independently with probability p.
    case probability(Double)
}

/// A request that cannot be met, said in terms of the options.
public struct MeasurementSamplingError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public struct MeasurementSpecification: Sendable {
    public var family: OperatorFamily
    public var size: SampleSize
    /// Standard deviation of added Gaussian noise: relative to the RMS of the clean
    /// observations unless `noiseIsAbsolute`.
    public var noise: Double
    public var noiseIsAbsolute: Bool
    /// Fresh measurements from the same distribution, kept apart to measure generalization.
    public var holdout: Int
    public var seed: UInt64
    /// Threads drawing the dense operator; the values do not depend on it.
    public var threads: Int

    public init(family: OperatorFamily, size: SampleSize, noise: Double = 0, noiseIsAbsolute: Bool = false,
                holdout: Int = 0, seed: UInt64 = 0, threads: Int = 1) {
        self.family = family
        self.size = size
        self.noise = noise
        self.noiseIsAbsolute = noiseIsAbsolute
        self.holdout = holdout
        self.seed = seed
        self.threads = threads
    }
}

/// Draws measurements of `truth` and returns the frames to append to the stream: the
/// operator's frames and `observations`, then the same with the `holdout_` prefix when asked.
///
/// Random streams are fixed by purpose, so adding a held-out set or noise never changes the
/// training operator drawn for a seed: stream 1 (and 1·2³² + chunk for dense draws) is the
/// training operator, 2 its noise, 3 the held-out operator, 4 its noise.
public func sampleMeasurements(truth: Matrix, rank: Int, specification spec: MeasurementSpecification,
                               provenance: JSONValue) throws -> [Frame] {
    let d1 = truth.rows
    let d2 = truth.columns
    let m = try measurementCount(spec, rows: d1, columns: d2, rank: rank)
    if spec.family == .quadratic {
        guard d1 == d2 else { throw MeasurementSamplingError("--operator quadratic needs a square truth, got \(d1)×\(d2)") }
        let asymmetry = (truth - truth.transposed()).frobeniusNorm
        guard asymmetry <= 1e-12 * max(truth.frobeniusNorm, 1) else {
            throw MeasurementSamplingError("--operator quadratic needs a symmetric truth (x_iᵀ M x_i only sees its symmetric part); ‖M − Mᵀ‖_F = \(asymmetry)")
        }
    }
    if spec.family == .identity, spec.holdout > 0 {
        throw MeasurementSamplingError("--holdout makes no sense with --operator identity, which observes every entry")
    }
    guard spec.holdout >= 0 else { throw MeasurementSamplingError("--holdout must be at least 0") }
    guard spec.noise >= 0, spec.noise.isFinite else { throw MeasurementSamplingError("--noise must be a finite number ≥ 0") }

    var frames = try measurementFrames(truth: truth, count: m, purpose: 1, excludedEntries: [], prefix: "",
                                       spec: spec, provenance: provenance)
    if spec.holdout > 0 {
        var excluded: Set<Int> = []
        if spec.family == .completion {
            guard let entries = frames.first(where: { $0.header.name == FrameName.entries })?.data.integers else {
                preconditionFailure("completion frames always include entries")
            }
            let half = entries.count / 2
            excluded = Set((0..<half).map { entries[$0] + d1 * entries[half + $0] })
            guard spec.holdout <= d1 * d2 - excluded.count else {
                throw MeasurementSamplingError("--holdout \(spec.holdout) exceeds the \(d1 * d2 - excluded.count) unobserved entries")
            }
        }
        frames += try measurementFrames(truth: truth, count: spec.holdout, purpose: 3, excludedEntries: excluded,
                                        prefix: FrameName.holdoutPrefix, spec: spec, provenance: provenance)
    }
    return frames
}

private func measurementCount(_ spec: MeasurementSpecification, rows d1: Int, columns d2: Int, rank: Int) throws -> Int {
    let entries = d1 * d2
    switch (spec.family, spec.size) {
    case (.identity, _):
        return entries
    case (.completion, .probability(let p)):
        guard p > 0, p <= 1 else { throw MeasurementSamplingError("--p must be in (0, 1], got \(p)") }
        return -1  // drawn: each entry independently
    case (_, .probability):
        throw MeasurementSamplingError("--p applies to --operator completion only; use --m or --oversampling")
    case (_, .count(let m)):
        guard m >= 1 else { throw MeasurementSamplingError("--m must be at least 1, got \(m)") }
        if spec.family == .completion, m > entries {
            throw MeasurementSamplingError("--m \(m) exceeds the \(entries) entries of a \(d1)×\(d2) matrix")
        }
        return m
    case (_, .oversampling(let c)):
        guard c > 0, c.isFinite else { throw MeasurementSamplingError("--oversampling must be positive, got \(c)") }
        let m = Int((c * Double(rank * (d1 + d2))).rounded(.up))
        if spec.family == .completion, m > entries {
            throw MeasurementSamplingError("--oversampling \(c) asks for \(m) entries of a \(d1)×\(d2) matrix, which has \(entries)")
        }
        return max(m, 1)
    }
}

/// One set of measurements (training or held-out): operator frames, then observations.
private func measurementFrames(truth: Matrix, count: Int, purpose: UInt64, excludedEntries: Set<Int>,
                               prefix: String, spec: MeasurementSpecification,
                               provenance: JSONValue) throws -> [Frame] {
    let d1 = truth.rows
    let d2 = truth.columns
    let seed = spec.seed
    func normals(_ n: Int) -> [Double] {
        ParallelNormals.array(count: n, seed: seed, streamBase: purpose << 32, threads: spec.threads)
    }
    func gaussianMatrix(rows: Int, columns: Int, part: UInt64) -> Matrix {
        let values = ParallelNormals.array(count: rows * columns, seed: seed, streamBase: purpose << 32 | part << 24,
                                           threads: spec.threads)
        return Matrix(rows: rows, columns: columns, columnMajor: values)
    }
    let attributes: [String: JSONValue] = [AttributeKey.provenance: [provenance]]
    var operatorFrames: [Frame] = []
    let measurementOperator: any MeasurementOperator
    switch spec.family {
    case .gaussian:
        let sensing = Matrix(rows: count, columns: d1 * d2, columnMajor: normals(count * d1 * d2))
        measurementOperator = GaussianSensing(sensing: sensing, rows: d1, columns: d2)
        operatorFrames = [Frame(name: prefix + FrameName.sensing, shape: [count, d1, d2], data: .float64(sensing.storage), attributes: attributes)]
    case .bilinear:
        let left = gaussianMatrix(rows: count, columns: d1, part: 0)
        let right = gaussianMatrix(rows: count, columns: d2, part: 1)
        measurementOperator = RankOneSensing.bilinear(left: left, right: right)
        operatorFrames = [Frame(name: prefix + FrameName.sensingLeft, matrix: left, attributes: attributes),
                          Frame(name: prefix + FrameName.sensingRight, matrix: right, attributes: attributes)]
    case .quadratic:
        let features = gaussianMatrix(rows: count, columns: d1, part: 0)
        measurementOperator = RankOneSensing.quadratic(features: features)
        operatorFrames = [Frame(name: prefix + FrameName.features, matrix: features, attributes: attributes)]
    case .completion:
        let positions = completionPositions(count: count, entries: d1 * d2, excluded: excludedEntries,
                                            spec: spec, purpose: purpose)
        guard !positions.isEmpty else {
            throw MeasurementSamplingError("no entry was sampled; raise --p or use --m")
        }
        let completion = try MatrixCompletion(rows: d1, columns: d2, entryRows: positions.map { $0 % d1 },
                                               entryColumns: positions.map { $0 / d1 })
        measurementOperator = completion
        operatorFrames = [Frame(name: prefix + FrameName.entries, integers: completion.entryRows + completion.entryColumns,
                                shape: [positions.count, 2], attributes: attributes)]
    case .identity:
        measurementOperator = IdentityObservation(rows: d1, columns: d2)
    }

    var observations = measurementOperator.apply(truth)
    var noiseStandardDeviation = 0.0
    var noiseNorm = 0.0
    if spec.noise > 0 {
        let rms = (observations.reduce(0) { $0 + $1 * $1 } / Double(max(observations.count, 1))).squareRoot()
        noiseStandardDeviation = spec.noiseIsAbsolute ? spec.noise : spec.noise * rms
        var generator = PCG64(seed: seed, stream: purpose + 1)
        var noise = [Double](repeating: 0, count: observations.count)
        generator.fillStandardNormal(&noise)
        for i in observations.indices { observations[i] += noiseStandardDeviation * noise[i] }
        noiseNorm = noiseStandardDeviation * BLAS.nrm2(noise)
    }
    var observationAttributes = attributes
    observationAttributes[AttributeKey.operatorFamily] = .string(spec.family.rawValue)
    observationAttributes[AttributeKey.rows] = .integer(Int64(d1))
    observationAttributes[AttributeKey.columns] = .integer(Int64(d2))
    observationAttributes[AttributeKey.operatorFrames] = .array(operatorFrames.map { .string($0.header.name) })
    observationAttributes[AttributeKey.noiseStandardDeviation] = .double(noiseStandardDeviation)
    observationAttributes[AttributeKey.noiseNorm] = .double(noiseNorm)
    let shape = spec.family == .identity ? [d1, d2] : [observations.count]
    let observationFrame = Frame(name: prefix + FrameName.observations, shape: shape, data: .float64(observations),
                                 attributes: observationAttributes)
    return operatorFrames + [observationFrame]
}

/// Observed positions as sorted column-major linear indices: exactly `count` uniformly
/// without replacement, or each entry with probability p when `count` is -1; never one of
/// `excluded` (the training entries, when drawing a held-out set).
private func completionPositions(count: Int, entries: Int, excluded: Set<Int>, spec: MeasurementSpecification,
                                 purpose: UInt64) -> [Int] {
    var generator = PCG64(seed: spec.seed, stream: purpose)
    if count < 0, case .probability(let p) = spec.size {
        return generator.bernoulliIndices(probability: p, count: entries)
    }
    guard !excluded.isEmpty else {
        return generator.sampleWithoutReplacement(count: count, from: entries)
    }
    let available = (0..<entries).filter { !excluded.contains($0) }
    return generator.sampleWithoutReplacement(count: count, from: available.count).map { available[$0] }
}
