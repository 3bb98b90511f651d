import Foundation
import Frames
import LinearAlgebra
import Models
import RandomNumbers

/// How many measurements to take.
public enum SampleSize: Sendable, Equatable {
    /// Exactly m.
    case count(Int)
    /// m = ⌈C·r·(d1 + d2)⌉, the scale at which the theory says recovery starts.
    case oversampling(Double)
    /// Completion only: each entry observed independently with probability p.
    case probability(Double)
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

/// The matrix measured, in the form the stream carries it: the dense `truth` when there is
/// one (so the observations are exactly its entries, as they always were), its factors when
/// the truth came without it. The two agree to rounding, not bit for bit.
public enum MeasuredTruth: Sendable {
    case dense(Matrix)
    case factors(LowRankMatrix)

    public var rows: Int {
        switch self {
        case .dense(let matrix): return matrix.rows
        case .factors(let factors): return factors.rows
        }
    }

    public var columns: Int {
        switch self {
        case .dense(let matrix): return matrix.columns
        case .factors(let factors): return factors.columns
        }
    }

    /// A(M), from the factors in the family's factored form when that is what the stream
    /// has: O(m·k) for completion (a dot product of a factor row pair per entry), never a
    /// d1×d2 matrix for bilinear and quadratic sensing.
    func measured(by measurementOperator: any MeasurementOperator) -> [Double] {
        switch self {
        case .dense(let matrix): return measurementOperator.apply(matrix)
        case .factors(let factors): return measurementOperator.applyFactored(left: factors.left, right: factors.right)
        }
    }

    /// M as d1×d2 numbers, for Gaussian sensing, whose operator holds m·d1·d2.
    var denseMatrix: Matrix {
        switch self {
        case .dense(let matrix): return matrix
        case .factors(let factors): return factors.dense()
        }
    }

    /// The number of singular values above max(d1, d2)·ε·σ₁, each form by its own SVD.
    public func numericalRank() throws -> Int {
        switch self {
        case .dense(let matrix): return try LAPACK.numericalRank(matrix)
        case .factors(let factors): return try factors.numericalRank()
        }
    }

    /// ‖M − Mᵀ‖_F and ‖M‖_F, for a square M; from the factors, M − Mᵀ = [L R]·[R −L]ᵀ.
    func asymmetry() throws -> (asymmetry: Double, norm: Double) {
        switch self {
        case .dense(let matrix):
            return ((matrix - matrix.transposed()).frobeniusNorm, matrix.frobeniusNorm)
        case .factors(let factors):
            let transposed = LowRankMatrix(left: factors.right, right: factors.left)
            return (try factors.frobeniusDistance(to: transposed), try factors.frobeniusNorm())
        }
    }
}

/// Draws measurements of `truth` and writes them to `writer`: the operator's frames and
/// `observations`, then the same with the `holdout_` prefix when asked.
///
/// Random streams are fixed by purpose, so adding a held-out set or noise never changes the
/// training operator drawn for a seed: stream 1 (and 1·2³² + chunk for dense draws) is the
/// training operator, 2 its noise, 3 the held-out operator, 4 its noise.
/// Returns the number of training measurements drawn.
///
/// Before anything is drawn, the arrays this will hold and the frames it will write are
/// checked against `budget`; `progress` hears which step is under way.
@discardableResult
public func writeMeasurements(truth: Matrix, rank: Int, specification spec: MeasurementSpecification,
                              provenance: JSONValue, to writer: FrameWriter) throws -> Int {
    try writeMeasurements(truth: .dense(truth), rank: rank, specification: spec, provenance: provenance, to: writer)
}

@discardableResult
public func writeMeasurements(truth: MeasuredTruth, rank: Int, specification spec: MeasurementSpecification,
                              provenance: JSONValue, to writer: FrameWriter, budget: MemoryBudget? = nil,
                              progress: ((String) -> Void)? = nil) throws -> Int {
    let d1 = truth.rows
    let d2 = truth.columns
    let m = try measurementCount(spec, rows: d1, columns: d2, rank: rank)
    if spec.family == .quadratic {
        guard d1 == d2 else { throw InstanceError("--operator quadratic needs a square truth, got \(d1)×\(d2)") }
        let (asymmetry, norm) = try truth.asymmetry()
        guard asymmetry <= 1e-12 * max(norm, 1) else {
            throw InstanceError("--operator quadratic needs a symmetric truth (x_iᵀ M x_i only sees its symmetric part); ‖M − Mᵀ‖_F = \(asymmetry)")
        }
    }
    if spec.family == .identity, spec.holdout > 0 {
        throw InstanceError("--holdout makes no sense with --operator identity, which observes every entry")
    }
    guard spec.holdout >= 0 else { throw InstanceError("--holdout must be at least 0") }
    guard spec.noise >= 0, spec.noise.isFinite else { throw InstanceError("--noise must be a finite number ≥ 0") }
    if let budget {
        var plan = plannedArrays(truth: truth, count: m, countSource: countSource(spec, count: m, entries: d1 * d2),
                                 prefix: "", spec: spec)
        if spec.holdout > 0 {
            plan += plannedArrays(truth: truth, count: spec.holdout, countSource: "--holdout \(spec.holdout)",
                                  prefix: FrameName.holdoutPrefix, spec: spec)
        }
        try budget.check(plan)
    }
    let progress = progress ?? { _ in }

    let (observed, drawn) = try writeMeasurementSet(truth: truth, count: m, purpose: 1, excludedEntries: [], prefix: "",
                                                    spec: spec, provenance: provenance, to: writer, progress: progress)
    if spec.holdout > 0 {
        guard spec.holdout <= d1 * d2 - observed.count || spec.family != .completion else {
            throw InstanceError("--holdout \(spec.holdout) exceeds the \(d1 * d2 - observed.count) unobserved entries")
        }
        try writeMeasurementSet(truth: truth, count: spec.holdout, purpose: 3, excludedEntries: observed,
                                prefix: FrameName.holdoutPrefix, spec: spec, provenance: provenance, to: writer,
                                progress: { progress("held-out set: " + $0) })
    }
    return drawn
}

private func measurementCount(_ spec: MeasurementSpecification, rows d1: Int, columns d2: Int, rank: Int) throws -> Int {
    let entries = d1 * d2
    switch (spec.family, spec.size) {
    case (.identity, _):
        return entries
    case (.completion, .probability(let p)):
        guard p > 0, p <= 1 else { throw InstanceError("--p must be in (0, 1], got \(p)") }
        return -1  // drawn: each entry independently
    case (_, .probability):
        throw InstanceError("--p applies to --operator completion only; use --m or --oversampling")
    case (_, .count(let m)):
        guard m >= 1 else { throw InstanceError("--m must be at least 1, got \(m)") }
        if spec.family == .completion, m > entries {
            throw InstanceError("--m \(m) exceeds the \(entries) entries of a \(d1)×\(d2) matrix")
        }
        return m
    case (_, .oversampling(let c)):
        guard c > 0, c.isFinite else { throw InstanceError("--oversampling must be positive, got \(c)") }
        let requested = (c * Double(rank) * Double(d1 + d2)).rounded(.up)
        guard requested < 0x1p62 else {
            throw InstanceError("--oversampling \(c) asks for \(requested) measurements, more than can be counted")
        }
        let m = Int(requested)
        if spec.family == .completion, m > entries {
            throw InstanceError("--oversampling \(c) asks for \(m) entries of a \(d1)×\(d2) matrix, which has \(entries)")
        }
        return max(m, 1)
    }
}

/// How the message about a measurement count names where it came from.
private func countSource(_ spec: MeasurementSpecification, count: Int, entries: Int) -> String {
    switch spec.size {
    case .count(let m): return "--m \(m)"
    case .oversampling(let c): return "--oversampling \(c) (m = \(count))"
    case .probability(let p): return "--p \(p) (about \(Int((p * Double(entries)).rounded(.up))) entries)"
    }
}

/// What one measurement set holds and writes: its frames, and for completion the sampled
/// positions with the operator's index of them (counted as 64 bytes a measurement: the hash
/// set the sampler fills, the sorted positions, the row and column lists and their grouping);
/// a Gaussian operator is written piece by piece and never held.
private func plannedArrays(truth: MeasuredTruth, count: Int, countSource: String, prefix: String,
                           spec: MeasurementSpecification) -> [PlannedArray] {
    let d1 = ("d1 \(truth.rows)", truth.rows), d2 = ("d2 \(truth.columns)", truth.columns)
    let entries = truth.rows * truth.columns
    // With --p the count is drawn; its expectation stands for it.
    let expected: Int
    if count < 0, case .probability(let p) = spec.size { expected = Int((p * Double(entries)).rounded(.up)) } else { expected = count }
    let m = (countSource, expected)
    let measured = spec.family == .identity ? [d1, d2] : [m]
    var plan = [PlannedArray("frame '\(prefix + FrameName.observations)'", measured)]
    if spec.noise > 0 { plan.append(PlannedArray("the noise", measured)) }
    var formsDenseTruth = spec.family == .identity
    switch spec.family {
    case .gaussian:
        plan.append(PlannedArray("frame '\(prefix + FrameName.sensing)'", [m, d1, d2], isHeld: false))
        formsDenseTruth = true
    case .bilinear:
        plan += [PlannedArray("frame '\(prefix + FrameName.sensingLeft)'", [m, d1]),
                 PlannedArray("frame '\(prefix + FrameName.sensingRight)'", [m, d2])]
    case .quadratic:
        plan.append(PlannedArray("frame '\(prefix + FrameName.features)'", [m, d1]))
    case .completion:
        plan += [PlannedArray("frame '\(prefix + FrameName.entries)'", [m, ("(row, column)", 2)]),
                 PlannedArray("the sampled positions and their index", [m], elementBytes: 64)]
    case .identity:
        break
    }
    if formsDenseTruth, case .factors = truth {
        plan.append(PlannedArray("the dense truth formed from its factors", [d1, d2]))
    }
    return plan
}

/// One set of measurements (training or held-out): operator frames, then observations.
/// Returns the observed positions for completion (so a held-out set can avoid them; empty for
/// other families) and the number of measurements.
@discardableResult
private func writeMeasurementSet(truth: MeasuredTruth, count: Int, purpose: UInt64, excludedEntries: Set<Int>,
                                 prefix: String, spec: MeasurementSpecification, provenance: JSONValue,
                                 to writer: FrameWriter, progress: (String) -> Void) throws -> (observed: Set<Int>, count: Int) {
    let d1 = truth.rows
    let d2 = truth.columns
    let seed = spec.seed
    func gaussianMatrix(rows: Int, columns: Int, part: UInt64) -> Matrix {
        let values = ParallelNormals.array(count: rows * columns, seed: seed, streamBase: purpose << 32 | part << 24,
                                           threads: spec.threads)
        return Matrix(rows: rows, columns: columns, columnMajor: values)
    }
    let attributes: JSONObject = [AttributeKey.provenance: [provenance]]
    var operatorFrames: [Frame] = []
    var operatorFrameNames: [String] = []
    var observed: Set<Int> = []
    let measurementOperator: (any MeasurementOperator)?
    switch spec.family {
    case .gaussian:
        measurementOperator = nil
        operatorFrameNames = [prefix + FrameName.sensing]
    case .bilinear:
        progress("drawing the operator")
        let left = gaussianMatrix(rows: count, columns: d1, part: 0)
        let right = gaussianMatrix(rows: count, columns: d2, part: 1)
        measurementOperator = BilinearSensing(left: left, right: right)
        operatorFrames = [Frame(name: prefix + FrameName.sensingLeft, matrix: left, attributes: attributes),
                          Frame(name: prefix + FrameName.sensingRight, matrix: right, attributes: attributes)]
    case .quadratic:
        progress("drawing the operator")
        let features = gaussianMatrix(rows: count, columns: d1, part: 0)
        measurementOperator = QuadraticSensing(features: features)
        operatorFrames = [Frame(name: prefix + FrameName.features, matrix: features, attributes: attributes)]
    case .completion:
        progress("sampling the entries")
        let positions = completionPositions(count: count, entries: d1 * d2, excluded: excludedEntries,
                                            spec: spec, purpose: purpose)
        guard !positions.isEmpty else {
            throw InstanceError("no entry was sampled; raise --p or use --m")
        }
        let completion = try MatrixCompletion(rows: d1, columns: d2, entryRows: positions.map { $0 % d1 },
                                               entryColumns: positions.map { $0 / d1 })
        measurementOperator = completion
        observed = Set(positions)
        operatorFrames = [Frame(name: prefix + FrameName.entries, integers: completion.entryRows + completion.entryColumns,
                                shape: [positions.count, 2], attributes: attributes)]
    case .identity:
        measurementOperator = IdentityObservation(rows: d1, columns: d2)
    }

    if spec.family != .gaussian { operatorFrameNames = operatorFrames.map(\.header.name) }
    for frame in operatorFrames {
        progress("writing '\(frame.header.name)'")
        try writer.write(frame)
    }
    var observations: [Double]
    if let measurementOperator {
        // From factors, the identity's observations are the d1×d2 product (it observes every
        // entry); the other families never form it.
        progress("measuring the truth")
        observations = truth.measured(by: measurementOperator)
    } else {
        // The sensing array written holds m·d1·d2 numbers, m times the dense truth.
        observations = try writeGaussianSensing(truth: truth.denseMatrix, count: count, name: prefix + FrameName.sensing,
                                                attributes: attributes, seed: seed, streamBase: purpose << 32,
                                                threads: spec.threads, to: writer, progress: progress)
    }
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
    observationAttributes[AttributeKey.operatorFrames] = .array(operatorFrameNames.map { .string($0) })
    observationAttributes[AttributeKey.noiseStandardDeviation] = .double(noiseStandardDeviation)
    observationAttributes[AttributeKey.noiseNorm] = .double(noiseNorm)
    let shape = spec.family == .identity ? [d1, d2] : [observations.count]
    progress("writing '\(prefix + FrameName.observations)'")
    try writer.write(Frame(name: prefix + FrameName.observations, shape: shape, data: .float64(observations),
                           attributes: observationAttributes))
    return (observed, observations.count)
}

/// Draws the m×d1×d2 Gaussian sensing array batch by batch, compressing each batch while the
/// next is drawn and accumulating A(X) = Σ_c x_c · (column c of the m × d1·d2 matrix) as it
/// goes, so the operator is never held in memory: at 400 MB it would be most of the cost.
/// The values are those of `ParallelNormals.array` over the whole array.
private func writeGaussianSensing(truth: Matrix, count m: Int, name: String, attributes: JSONObject,
                                  seed: UInt64, streamBase: UInt64, threads: Int, to writer: FrameWriter,
                                  progress: (String) -> Void) throws -> [Double] {
    let total = m * truth.rows * truth.columns
    let header = FrameHeader(name: name, dtype: .float64, shape: [m, truth.rows, truth.columns], attributes: attributes)
    let batchChunks = 8
    let batch = UnsafeMutableBufferPointer<Double>.allocate(capacity: min(total, batchChunks * ParallelNormals.chunkSize))
    defer { batch.deallocate() }
    var observations = [Double](repeating: 0, count: m)
    try writer.write(header: header) { emit in
        var start = 0
        while start < total {
            let values = UnsafeMutableBufferPointer(rebasing: batch[0..<min(batch.count, total - start)])
            ParallelNormals.fill(values, seed: seed, streamBase: streamBase,
                                 firstChunk: start / ParallelNormals.chunkSize, threads: threads)
            // Element e of the batch is A[i, c] with i = (start + e) mod m, c = (start + e) / m.
            var offset = 0
            while offset < values.count {
                let row = (start + offset) % m
                let column = (start + offset) / m
                let length = min(m - row, values.count - offset)
                observations.withUnsafeMutableBufferPointer { b in
                    BLAS.axpy(truth.storage[column], UnsafeBufferPointer(rebasing: values[offset..<(offset + length)]),
                              UnsafeMutableBufferPointer(rebasing: b[row..<(row + length)]))
                }
                offset += length
            }
            try emit(UnsafeRawBufferPointer(values))
            start += values.count
            progress("drawing and writing '\(name)' \(Int(100 * Double(start) / Double(total)))%")
        }
    }
    return observations
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
