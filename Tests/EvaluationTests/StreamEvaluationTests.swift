import Testing
import TestSupport
import Foundation
import Frames
import LinearAlgebra
import Models
@testable import Evaluation

/// The report of a whole stream: which keys each set of frames gives, what is said missing,
/// and the three formats.
@Suite("Stream evaluation")
struct StreamEvaluationTests {
    static let truth = BLAS.matmul(gaussianMatrix(rows: 5, columns: 2, seed: 61),
                                   gaussianMatrix(rows: 4, columns: 2, seed: 62), transposeB: true)

    static func evaluate(_ frames: [Frame], options: EvaluationOptions = EvaluationOptions()) throws -> EvaluationReport {
        let evaluation = StreamEvaluation(options: options)
        try evaluation.consume(FrameReader(source: MemorySource(try encodeFrames(frames))), forwardingTo: nil)
        return try evaluation.report()
    }

    /// An estimate off the truth by a rank-one perturbation (so of rank 3), with balanced factors.
    static func solvedFrames() throws -> [Frame] {
        var estimate = truth
        estimate[0, 0] += 1e-3
        let (u, values, vt) = try LAPACK.svd(estimate)
        let roots = Matrix.diagonal(values.map { $0.squareRoot() })
        let provenance: JSONValue = .array([.object(["tool": "solve-flat", "arguments": .array(["--width", "4"]), "seed": 9])])
        let attributes: JSONObject = ["method": "flat", "rank": 4, "converged": true, "provenance": provenance]
        return [Frame(name: FrameName.truth, matrix: truth)]
            + Fixtures.gaussianFrames(truth: truth, measurements: 30, seed: 63)
            + Fixtures.gaussianFrames(truth: truth, measurements: 10, seed: 64, prefix: FrameName.holdoutPrefix)
            + [Frame(name: FrameName.estimate, matrix: estimate, attributes: attributes),
               Frame(name: FrameName.estimateLeft, matrix: BLAS.matmul(u, roots)),
               Frame(name: FrameName.estimateRight, matrix: BLAS.matmul(vt, roots, transposeA: true)),
               Frame(name: FrameName.timings, shape: [2], data: .float64([0.5, 0.25]),
                     attributes: ["seconds": 0.5, "operator_seconds": 0.25])]
    }

    @Test func aCompleteStreamGivesEveryKeyButTheOptionalOnes() throws {
        var options = EvaluationOptions()
        options.sharpness = true
        let report = try Self.evaluate(try Self.solvedFrames(), options: options)
        #expect(report.missing.isEmpty)
        let unmeasured = EvaluationReport.keys.filter { report[$0] == .null }
        #expect(Set(unmeasured) == ["input", "data_fit", "iterations", "passes", "lower_bound", "outlier_precision", "outlier_recall",
                                    "truth_seed", "truth_args", "measurement_seed", "measurement_args", "outlier_seed", "outlier_args"])
        #expect(report["solve_seed"] == 9 && report["solve_args"] == "--width 4", "from the estimate's provenance")
        #expect(report["method"] == "flat" && report["rank"] == 4 && report["operator"] == "gaussian" && report["m"] == 30)
        #expect(report["seconds"] == 0.5, "from the timings frame")
        let error = try #require(report["relative_error"].doubleValue)
        #expect(abs(error - 1e-3 / Self.truth.frobeniusNorm) < 1e-12)
        #expect(report["recovered"] == false && report["truth_rank"] == 2 && report["numerical_rank"] == 3)
        #expect(try #require(report["balancedness"].doubleValue) < 1e-12)
        #expect(abs(try #require(report["norm_minimality"].doubleValue) - 1) < 1e-12)
        #expect(try #require(report["holdout_error"].doubleValue) > 0)
    }

    @Test func missingFramesAreNamedAndTheirKeysLeftNull() throws {
        let withoutTruth = try Self.solvedFrames().filter { $0.header.name != FrameName.truth }
        let report = try Self.evaluate(withoutTruth)
        #expect(report.missing == [FrameName.truth])
        #expect(report["relative_error"] == .null && report["flattest"] == .null && report["recovered"] == .null)
        #expect(report["residual"] != .null && report["scaled_trace"] != .null)

        let withoutOperator = try Self.solvedFrames().filter { $0.header.name != FrameName.sensing }
        let blind = try Self.evaluate(withoutOperator)
        #expect(blind.missing == [FrameName.sensing])
        #expect(blind["residual"] == .null && blind["relative_error"] != .null && blind["holdout_error"] != .null)

        let truthOnly = try Self.evaluate([Frame(name: FrameName.truth, matrix: Self.truth)])
        #expect(truthOnly.missing == [FrameName.estimate, FrameName.estimateLeft, FrameName.estimateRight, FrameName.observations])
        #expect(truthOnly["truth_rank"] == 2)
    }

    @Test func aStreamWithNeitherTruthNorEstimateIsAnError() throws {
        #expect(throws: ModelError.self) { try Self.evaluate(Fixtures.gaussianFrames(truth: Self.truth, measurements: 30, seed: 1)) }
    }

    @Test func theFactorsStandInForAMissingEstimate() throws {
        let frames = try Self.solvedFrames().filter { $0.header.name != FrameName.estimate }
        let report = try Self.evaluate(frames)
        #expect(report.missing.isEmpty)
        #expect(abs(try #require(report["relative_error"].doubleValue) - 1e-3 / Self.truth.frobeniusNorm) < 1e-12)
    }

    @Test func jsonAndCSVCarryEveryKeyInOrder() throws {
        let report = try Self.evaluate(try Self.solvedFrames())
        let parsed = try JSONValue.decode(Array(report.json.utf8))
        #expect(Set(parsed.objectValue!.keys) == Set(EvaluationReport.keys))
        #expect(parsed["relative_error"] == report["relative_error"] && parsed["missing"] == .array([]))
        let positions = EvaluationReport.keys.map { report.json.range(of: "\"\($0)\":")!.lowerBound }
        #expect(positions == positions.sorted())
        #expect(EvaluationReport.csvHeader().split(separator: ",").map(String.init) == EvaluationReport.keys)
        let cells = report.csvRow.split(separator: ",", omittingEmptySubsequences: false)
        #expect(cells.count == EvaluationReport.keys.count)
        #expect(Double(cells[EvaluationReport.keys.firstIndex(of: "relative_error")!]) == report["relative_error"].doubleValue)
        let table = report.table(title: "s")
        #expect(table.contains("relative_error") && !table.contains("outlier_recall") && !table.contains("missing"))
    }
}
