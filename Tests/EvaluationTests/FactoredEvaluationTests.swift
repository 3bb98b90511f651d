import Testing
import TestSupport
import Frames
import Instances
import LinearAlgebra
import Models
@testable import Evaluation

/// `evaluate` from factors against `evaluate` from the dense matrices, on instances of every
/// family made by the same library code as the tools, at errors from 10⁻¹ down to 10⁻¹².
@Suite("Evaluation from factors")
struct FactoredEvaluationTests {
    static let factorFrames: Set<String> = [FrameName.truthLeft, FrameName.truthRight,
                                            FrameName.estimateLeft, FrameName.estimateRight]

    static func evaluate(_ frames: [Frame], options: EvaluationOptions = EvaluationOptions()) throws -> EvaluationReport {
        let evaluation = StreamEvaluation(options: options)
        try evaluation.consume(FrameReader(source: MemorySource(try encodeFrames(frames))), forwardingTo: nil)
        return try evaluation.report()
    }

    /// The instance streams: truth and its factors, the measurements (with a held-out set,
    /// and outliers for robust PCA), then an estimate off the truth by about `delta` relative,
    /// with factors wider than the truth's (k = r + 2, the spare columns of size δ).
    static func solvedStream(family: OperatorFamily, delta: Double) throws -> (frames: [Frame], estimate: LowRankMatrix, truth: LowRankMatrix) {
        let quadratic = family == .quadratic
        let specification = GroundTruthSpecification(rows: 14, columns: quadratic ? 14 : 10, rank: 2,
                                                      negativeRank: quadratic ? 1 : nil, kind: quadratic ? .signed : .gaussian,
                                                      seed: 40, truthStorage: .dense)
        let generated = try generateGroundTruth(specification)
        let sink = MemorySink()
        let writer = FrameWriter(sink: sink)
        for frame in generated.frames(provenance: .null) { try writer.write(frame) }
        let measurements = MeasurementSpecification(family: family, size: family == .completion ? .count(70) : .oversampling(3),
                                                    holdout: family == .identity ? 0 : 20, seed: 41)
        try writeMeasurements(truth: .factors(LowRankMatrix(left: generated.left, right: generated.right)),
                              rank: specification.totalRank, specification: measurements, provenance: .null, to: writer)
        try writer.flush()
        var frames = try decodeFrames(sink.bytes).map { $0.columnMajor() }
        if family == .identity {
            let stage = try SparseCorruptionStage(specification: SparseCorruptionSpecification(amount: .count(6), seed: 42), provenance: .null)
            frames = try frames.flatMap { stage.consumes($0.header) ? try stage.handle($0) : [$0] } + stage.finish()
        }

        let (left, right): (Matrix, Matrix)
        if quadratic {
            // The model's own factors [U1 U2], [U1 −U2]: perturb U and keep the signs.
            let u = generated.left + gaussianMatrix(rows: 14, columns: 3, seed: 43) * delta
            left = u
            right = Matrix(rows: 14, columns: 3, columnMajor: u.storage.enumerated().map { $0.offset < 28 ? $0.element : -$0.element })
        } else {
            func widened(_ factor: Matrix, seed: UInt64) -> Matrix {
                let perturbed = factor + gaussianMatrix(rows: factor.rows, columns: 2, seed: seed) * delta
                let spare = gaussianMatrix(rows: factor.rows, columns: 2, seed: seed + 1) * delta
                return Matrix(rows: factor.rows, columns: 4, columnMajor: perturbed.storage + spare.storage)
            }
            left = widened(generated.left, seed: 44)
            right = widened(generated.right, seed: 46)
        }
        let estimate = LowRankMatrix(left: left, right: right)
        frames += [Frame(name: FrameName.estimate, matrix: estimate.dense(), attributes: ["method": "flat"]),
                   Frame(name: FrameName.estimateLeft, matrix: left),
                   Frame(name: FrameName.estimateRight, matrix: right)]
        return (frames, estimate, LowRankMatrix(left: generated.left, right: generated.right))
    }

    /// Equal to 1e-12 relative, with an absolute floor of 1e-15 (in units of the value's own
    /// scale, which is ‖M♮‖ for the relative quantities): at an error of 1e-12 that floor is
    /// 0.1% of it, where the expansion through Gram matrices would be off by a factor 10⁴.
    static func agree(_ a: Double, _ b: Double, scale: Double = 1) -> Bool {
        abs(a - b) <= 1e-12 * abs(b) + 1e-15 * scale
    }

    @Test(arguments: [OperatorFamily.gaussian, .bilinear, .completion, .quadratic, .identity], [1e-1, 1e-6, 1e-12])
    func everyKeyFromFactorsEqualsItsDenseValue(family: OperatorFamily, delta: Double) throws {
        let (frames, estimate, truth) = try Self.solvedStream(family: family, delta: delta)
        let factored = try Self.evaluate(frames)
        let dense = try Self.evaluate(frames.filter { !Self.factorFrames.contains($0.header.name) })
        #expect(factored.missing.isEmpty && factored.notes.isEmpty)

        let error = try #require(factored["relative_error"].doubleValue)
        let denseError = try #require(dense["relative_error"].doubleValue)
        #expect(Self.agree(error, denseError), "\(family) δ = \(delta): \(error) vs \(denseError)")
        #expect(factored["recovered"] == dense["recovered"])
        #expect(error > 0.1 * delta && error < 10 * delta)
        for key in ["residual", "holdout_error", "flattest"] where dense[key] != .null {
            let value = try #require(factored[key].doubleValue), reference = try #require(dense[key].doubleValue)
            #expect(Self.agree(value, reference, scale: key == "flattest" ? reference : 1), "\(key): \(value) vs \(reference)")
        }
        for key in ["truth_rank", "numerical_rank", "operator", "m", "d1", "d2", "outlier_precision", "outlier_recall"] {
            #expect(factored[key] == dense[key], "\(key)")
        }
        let values = try #require(factored["singular_values"].arrayValue).compactMap(\.doubleValue)
        let denseValues = try #require(dense["singular_values"].arrayValue).compactMap(\.doubleValue)
        #expect(values.count == denseValues.count)
        #expect(maxAbsDifference(values, denseValues) <= 1e-13 * denseValues[0])

        // The keys that need the estimate's factors, against their dense definitions.
        let normMinimality = try RecoveryMetrics.normMinimality(left: estimate.left, right: estimate.right, estimate: estimate.dense())
        #expect(Self.agree(try #require(factored["norm_minimality"].doubleValue), normMinimality))

        // And the error against its exact value: the difference of the stored factors is
        // formed without cancellation (Sterbenz), so this reference has full relative accuracy.
        let exact = exactDistance(estimate, truth) / truth.dense().frobeniusNorm
        #expect(abs(error - exact) <= 1e-12 * exact + 1e-15, "\(error) vs exact \(exact)")
    }

    /// ‖L̂R̂ᵀ − UVᵀ‖_F from the differences of the factors, in plain loops: for the general
    /// estimates of `solvedStream`, L̂ = [U + D, S], R̂ = [V + D', S'], so the difference is
    /// D·V'ᵀ + U·D'ᵀ + S·S'ᵀ with V' = V + D', every term of size δ.
    func exactDistance(_ estimate: LowRankMatrix, _ truth: LowRankMatrix) -> Double {
        let r = truth.width
        func columns(_ m: Matrix, _ range: Range<Int>) -> Matrix {
            Matrix(rows: m.rows, columns: range.count, columnMajor: Array(m.storage[(range.lowerBound * m.rows)..<(range.upperBound * m.rows)]))
        }
        let leftMoved = columns(estimate.left, 0..<r) - truth.left
        let rightMoved = columns(estimate.right, 0..<r) - truth.right
        var difference = naiveProduct(leftMoved, naiveTranspose(columns(estimate.right, 0..<r)))
            + naiveProduct(truth.left, naiveTranspose(rightMoved))
        if estimate.width > r {
            difference = difference + naiveProduct(columns(estimate.left, r..<estimate.width),
                                                   naiveTranspose(columns(estimate.right, r..<estimate.width)))
        }
        return difference.frobeniusNorm
    }

    @Test func aFactorsOnlyStreamGivesTheSameReportAsOneWithDenseFrames() throws {
        let (frames, _, _) = try Self.solvedStream(family: .completion, delta: 1e-9)
        let withDense = try Self.evaluate(frames)
        let factorsOnly = try Self.evaluate(frames.filter { $0.header.name != FrameName.truth && $0.header.name != FrameName.estimate })
        #expect(factorsOnly.missing.isEmpty)
        // The solver's attributes live on the dense frame, which is gone.
        #expect(factorsOnly["method"] == .null && withDense["method"] == "flat")
        for key in EvaluationReport.keys where key != "method" {
            #expect(factorsOnly[key] == withDense[key], "\(key)")
        }
    }

    /// Above the limit a dense frame is skipped on its header: its payload is never decoded
    /// (a broken checksum goes unnoticed), and what only it could give is null with a note.
    @Test func denseFramesAboveTheLimitAreNeverDecoded() throws {
        let (frames, _, _) = try Self.solvedStream(family: .completion, delta: 1e-6)
        var bytes = try encodeFrames(frames.filter { $0.header.name == FrameName.truth })
        bytes[bytes.count - 1] ^= 0xFF  // the last byte of the payload's XXH64 checksum
        bytes += try encodeFrames(frames.filter { $0.header.name != FrameName.truth })
        func evaluate(limit: Int) throws -> EvaluationReport {
            var options = EvaluationOptions()
            options.denseLimit = limit
            let evaluation = StreamEvaluation(options: options)
            try evaluation.consume(FrameReader(source: MemorySource(bytes)), forwardingTo: nil)
            return try evaluation.report()
        }
        #expect(throws: FrameError.self) { try evaluate(limit: 14 * 10) }
        let report = try evaluate(limit: 14 * 10 - 1)
        #expect(report.notes.isEmpty && report["relative_error"] != .null && report["flattest"] != .null)

        let denseOnly = frames.filter { !Self.factorFrames.contains($0.header.name) }
        var options = EvaluationOptions()
        options.denseLimit = 100
        let skipped = try Self.evaluate(denseOnly, options: options)
        for key in ["truth_rank", "flattest", "relative_error", "recovered", "numerical_rank", "singular_values",
                    "residual", "holdout_error"] {
            #expect(skipped[key] == .null, "\(key)")
        }
        #expect(skipped["m"] == .integer(Int64(frames.first { $0.header.name == FrameName.observations }!.header.elementCount)))
        #expect(skipped.notes.count == 2)
        #expect(skipped.notes[0].hasPrefix("truth_rank, relative_error, recovered, flattest skipped: 'truth' is 14×10, more than --dense-limit 100 entries"))
        #expect(skipped.notes[1].contains("'estimate' is 14×10") && skipped.notes[1].contains("'estimate_left' and 'estimate_right'"))
        #expect(skipped.missing == [FrameName.estimateLeft, FrameName.estimateRight])
    }

    /// Factors of the wrong size are refused in a sentence, never indexed out of range.
    @Test func factorsOfAnotherShapeThanTheMeasurementsAreAnError() throws {
        let (frames, _, _) = try Self.solvedStream(family: .completion, delta: 1e-6)
        let shorter = Frame(name: FrameName.truthLeft, matrix: gaussianMatrix(rows: 13, columns: 2, seed: 50))
        let truthOnly = frames.filter { !$0.header.name.hasPrefix("estimate") && $0.header.name != FrameName.truth }
        let mismatched = truthOnly.map { $0.header.name == FrameName.truthLeft ? shorter : $0 }
        #expect { try Self.evaluate(mismatched) } throws: { error in
            "\(error)".contains("'observations' measures 14×10 matrices but the truth and estimate are 13×10")
        }
        let narrower = Frame(name: FrameName.truthLeft, matrix: gaussianMatrix(rows: 14, columns: 3, seed: 51))
        #expect { try Self.evaluate(truthOnly.map { $0.header.name == FrameName.truthLeft ? narrower : $0 }) } throws: { error in
            "\(error)" == "truth_left has 3 columns but truth_right 2"
        }
    }
}
