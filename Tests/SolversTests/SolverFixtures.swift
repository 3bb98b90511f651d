import Frames
import Instances
import LinearAlgebra
import Models
import RandomNumbers
import TestSupport
@testable import Solvers

/// An instance as the tools make it: a frame stream in memory, built by the same library
/// code as generate-ground-truth | sample-measurements [| corrupt-sparse].
struct StreamInstance {
    let frames: [Frame]

    init(truth: GroundTruthSpecification, measurements: MeasurementSpecification,
         corruption: SparseCorruptionSpecification? = nil) throws {
        let generated = try generateGroundTruth(truth)
        let sink = MemorySink()
        let writer = FrameWriter(sink: sink)
        for frame in generated.frames(provenance: .null) { try writer.write(frame) }
        // As sample-measurements does: the dense truth when the stream carries it, else its factors.
        let measured = generated.truth.map(MeasuredTruth.dense) ?? .factors(LowRankMatrix(left: generated.left, right: generated.right))
        _ = try writeMeasurements(truth: measured, rank: truth.totalRank, specification: measurements,
                                  provenance: .null, to: writer)
        try writer.flush()
        var frames = try Self.decode(sink.bytes)
        if let corruption {
            let stage = try SparseCorruptionStage(specification: corruption, provenance: .null)
            var corrupted: [Frame] = []
            for frame in frames {
                if stage.consumes(frame.header) { corrupted += try stage.handle(frame) } else { corrupted.append(frame) }
            }
            frames = corrupted + (try stage.finish())
        }
        self.frames = frames
    }

    static func decode(_ bytes: [UInt8]) throws -> [Frame] {
        try decodeFrames(bytes).map { $0.columnMajor() }
    }

    func matrix(_ name: String) throws -> Matrix {
        guard let frame = frames.first(where: { $0.header.name == name }) else { throw ModelError("no frame \(name)") }
        return try Matrix(frame: frame)
    }

    var measurements: MeasurementSet {
        get throws { try MeasurementSet(frames: Dictionary(frames.map { ($0.header.name, $0) }, uniquingKeysWith: { $1 })) }
    }

    /// What solve-flat appends, by name, after seeing only the frames it asks for.
    func solve(_ options: SolveOptions, dropping excluded: Set<String> = []) throws -> Solved {
        let stage = SolveStage(options: options, provenance: .null)
        for frame in frames where !excluded.contains(frame.header.name) && stage.wants(frame.header) {
            stage.keep(frame)
        }
        let sink = MemorySink()
        let writer = FrameWriter(sink: sink)
        try stage.finish(writingTo: writer)
        try writer.flush()
        return Solved(frames: Dictionary(try Self.decode(sink.bytes).map { ($0.header.name, $0) }, uniquingKeysWith: { $1 }),
                      converged: stage.converged, diagnosis: stage.diagnosis)
    }
}

struct Solved {
    let frames: [String: Frame]
    let converged: Bool
    /// What solve-flat says on stderr about an unconverged answer, when it says more.
    var diagnosis: String? = nil

    var estimate: Matrix { get throws { try Matrix(frame: frames[FrameName.estimate]!) } }
    var left: Matrix { get throws { try Matrix(frame: frames[FrameName.estimateLeft]!) } }
    var right: Matrix { get throws { try Matrix(frame: frames[FrameName.estimateRight]!) } }

    /// From the first frame of the answer: `estimate`, or `estimate_left` when it is left out.
    func attribute(_ key: String) -> Double? {
        (frames[FrameName.estimate] ?? frames[FrameName.estimateLeft])?.header.attributes[key]?.doubleValue
    }
}

func options(_ method: SolverMethod = .flat, width: Int? = nil, tolerance: Double = 1e-10,
             outliers: OutlierHandling? = nil) -> SolveOptions {
    var options = SolveOptions()
    options.method = method
    options.width = width
    options.limits.tolerance = tolerance
    options.outliers = outliers
    return options
}

/// Rank-2 completion of a 24×24 matrix whose rows 0–5 are sampled at 0.9 and the rest at 0.35,
/// so D1 is far from a multiple of the identity: the instance on which flat and min-norm differ.
func unevenCompletion() throws -> (truth: Matrix, completion: MatrixCompletion, measurements: MeasurementSet) {
    let size = 24, rank = 2
    var generator = PCG64(seed: 1)
    let truth = lowRankMatrix(rows: size, columns: size, rank: rank, generator: &generator)
    var rows: [Int] = [], columns: [Int] = []
    for j in 0..<size {
        for i in 0..<size where generator.nextUniform() < (i < 6 ? 0.9 : 0.35) {
            rows.append(i); columns.append(j)
        }
    }
    let completion = try MatrixCompletion(rows: size, columns: size, entryRows: rows, entryColumns: columns)
    return (truth, completion, try MeasurementSet(measurementOperator: completion, observations: completion.apply(truth)))
}
