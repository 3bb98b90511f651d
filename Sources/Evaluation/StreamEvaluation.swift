import Frames
import LinearAlgebra
import Models

/// What `evaluate` may be asked to do differently.
public struct EvaluationOptions: Sendable {
    /// `recovered` means relative_error ≤ this.
    public var recoveryTolerance = 1e-6
    /// Singular values below this times σ₁ do not count toward `numerical_rank`. Solvers stop
    /// at a relative residual near 1e-10, which leaves spare directions of about that size;
    /// 1e-8 counts every direction the answer really has and none of that dust.
    public var rankTolerance = 1e-8
    /// An entry is detected as an outlier when |b − A(X̂)| exceeds this times max|b|.
    public var outlierThreshold = OutlierDetection.defaultRelativeThreshold
    /// How many leading singular values of X̂ to list.
    public var singularValueCount = 10
    /// Whether to compute `sharpness` (a few dozen Hessian-vector products, four passes each).
    public var sharpness = false

    public init() {}
}

/// `evaluate` as a stage: it decodes the frames the metrics need, lets the reader forward
/// everything when asked, and at the end of a stream computes its report. Frames that occur
/// twice (as in `cat a b`) count with their last occurrence.
public final class StreamEvaluation {
    public let options: EvaluationOptions
    private var frames: [String: Frame] = [:]

    public init(options: EvaluationOptions) {
        self.options = options
    }

    static let wantedFrames: Set<String> = [
        FrameName.truth, FrameName.estimate, FrameName.estimateLeft, FrameName.estimateRight,
        FrameName.observations, FrameName.sensing, FrameName.sensingLeft, FrameName.sensingRight,
        FrameName.entries, FrameName.features, FrameName.outlierSupport,
    ]

    /// Whether a frame feeds some metric; nothing else is decompressed.
    public func wants(_ header: FrameHeader) -> Bool {
        Self.wantedFrames.contains(header.name) || header.name.hasPrefix(FrameName.holdoutPrefix)
    }

    public func keep(_ frame: Frame) {
        frames[frame.header.name] = frame.columnMajor()
    }

    /// Reads a whole stream, keeping what `wants` asks for and copying every frame verbatim
    /// to `writer` if one is given.
    public func consume(_ reader: FrameReader, forwardingTo writer: FrameWriter?) throws {
        while let header = try reader.next() {
            if wants(header) {
                keep(try reader.read(forwardingTo: writer))
            } else if let writer {
                try reader.forward(to: writer)
            } else {
                try reader.skip()
            }
        }
    }

    /// Every metric whose frames are present. Throws when there is neither an estimate nor a
    /// truth (nothing to evaluate) and when frames are present but contradict each other.
    public func report() throws -> EvaluationReport {
        var report = EvaluationReport()
        let truth = try frames[FrameName.truth].map(Matrix.init(frame:))
        let factors = try storedFactors()
        let estimate = try frames[FrameName.estimate].map(Matrix.init(frame:))
            ?? factors.map { BLAS.matmul($0.left, $0.right, transposeB: true) }
        guard truth != nil || estimate != nil else {
            throw ModelError("the stream has neither '\(FrameName.truth)' nor '\(FrameName.estimate)': nothing to evaluate")
        }
        if truth == nil { report.noteMissing(FrameName.truth) }
        if estimate == nil { report.noteMissing(FrameName.estimate) }
        if factors == nil {
            for name in [FrameName.estimateLeft, FrameName.estimateRight] where frames[name] == nil { report.noteMissing(name) }
        }
        if let truth, let estimate, truth.rows != estimate.rows || truth.columns != estimate.columns {
            throw ModelError("the estimate is \(estimate.rows)×\(estimate.columns) but the truth \(truth.rows)×\(truth.columns)")
        }
        if let shape = truth ?? estimate {
            report["d1"] = .integer(Int64(shape.rows))
            report["d2"] = .integer(Int64(shape.columns))
        }
        copySolverAttributes(into: &report)

        if let truth {
            report["truth_rank"] = .integer(Int64(try LAPACK.numericalRank(truth, relativeTolerance: options.rankTolerance)))
        }
        if let estimate {
            report["numerical_rank"] = .integer(Int64(try LAPACK.numericalRank(estimate, relativeTolerance: options.rankTolerance)))
            report["singular_values"] = .array(try RecoveryMetrics.leadingSingularValues(estimate, count: options.singularValueCount).map { .double($0) })
            if let truth {
                let error = RecoveryMetrics.relativeError(estimate: estimate, truth: truth)
                report["relative_error"] = .double(error)
                report["recovered"] = .bool(error <= options.recoveryTolerance)
            }
        }
        if let factors {
            report["balancedness"] = .double(RecoveryMetrics.balancedness(left: factors.left, right: factors.right))
            if let estimate {
                report["norm_minimality"] = .double(try RecoveryMetrics.normMinimality(left: factors.left, right: factors.right, estimate: estimate))
            }
        }

        if let estimate, frames.keys.contains(where: { $0.hasPrefix(FrameName.holdoutPrefix) }),
           let holdout = try measurementSet(prefix: FrameName.holdoutPrefix, report: &report) {
            report["holdout_error"] = .double(RecoveryMetrics.relativeResidual(estimate: estimate, measurements: holdout))
        }

        guard let measurements = try measurementSet(prefix: "", report: &report) else { return report }
        report["operator"] = .string(measurements.measurementOperator.family.rawValue)
        report["m"] = .integer(Int64(measurements.observations.count))
        let rescaling = measurements.measurementOperator.rescaling()
        if let truth {
            report["flattest"] = .double(try RecoveryMetrics.flattestScaledTrace(of: truth, rescaling: rescaling))
        }
        if let factors {
            report["scaled_trace"] = .double(rescaling.scaledTrace(left: factors.left, right: factors.right))
            if options.sharpness {
                let stored = try StoredFactors.parameters(left: factors.left, right: factors.right,
                                                          symmetric: measurements.measurementOperator.parametrization == .signedSymmetric)
                let hessian = LossHessian(measurements: measurements, factorization: stored.factorization, at: stored.parameters)
                report["sharpness"] = .double(try Lanczos.largestEigenvalue(dimension: hessian.dimension, times: hessian.times))
            }
        }
        guard let estimate else { return report }
        let residual = RecoveryMetrics.residual(estimate: estimate, measurements: measurements)
        report["residual"] = .double(RecoveryMetrics.relativeNorm(residual, observations: measurements.observations))
        if let support = try outlierSupport(measurementCount: measurements.observations.count) {
            let detection = OutlierDetection(residual: residual, observations: measurements.observations, support: support,
                                             relativeThreshold: options.outlierThreshold)
            report["outlier_precision"] = .double(detection.precision)
            report["outlier_recall"] = .double(detection.recall)
        }
        return report
    }

    /// The solver's own account, copied from the estimate's attributes as they are.
    private func copySolverAttributes(into report: inout EvaluationReport) {
        guard let attributes = frames[FrameName.estimate]?.header.attributes else { return }
        let passedThrough = [SolverAttributeKey.method, AttributeKey.rank, SolverAttributeKey.dataFit,
                             SolverAttributeKey.converged, SolverAttributeKey.iterations, SolverAttributeKey.passes,
                             SolverAttributeKey.seconds, SolverAttributeKey.lowerBound]
        for key in passedThrough {
            if let value = attributes[key] { report[key] = value }
        }
    }

    private func storedFactors() throws -> (left: Matrix, right: Matrix)? {
        guard let left = frames[FrameName.estimateLeft], let right = frames[FrameName.estimateRight] else { return nil }
        let l = try Matrix(frame: left), r = try Matrix(frame: right)
        guard l.columns == r.columns else {
            throw ModelError("estimate_left has \(l.columns) columns but estimate_right \(r.columns)")
        }
        return (l, r)
    }

    /// The measurement set under `prefix`, or nil with the frames it lacks noted. A set whose
    /// frames are all there but do not fit together is an error.
    private func measurementSet(prefix: String, report: inout EvaluationReport) throws -> MeasurementSet? {
        let name = prefix + FrameName.observations
        guard let observations = frames[name] else {
            report.noteMissing(name)
            return nil
        }
        let operatorFrames = observations.header.attributes[AttributeKey.operatorFrames]?.arrayValue?.compactMap(\.stringValue) ?? []
        let absent = operatorFrames.filter { frames[$0] == nil }
        guard absent.isEmpty else {
            absent.forEach { report.noteMissing($0) }
            return nil
        }
        return try MeasurementSet(frames: frames, prefix: prefix)
    }

    /// The injected positions, when the record describes the training observations.
    private func outlierSupport(measurementCount: Int) throws -> [Int]? {
        guard let record = frames[FrameName.outlierSupport] else { return nil }
        let target = record.header.attributes[OutlierAttributeKey.target]?.stringValue ?? FrameName.observations
        guard target == FrameName.observations else { return nil }
        guard let support = record.data.integers, support.allSatisfy({ (0..<measurementCount).contains($0) }) else {
            throw ModelError("'\(FrameName.outlierSupport)' must hold integer positions in 0..<\(measurementCount)")
        }
        return support
    }
}
