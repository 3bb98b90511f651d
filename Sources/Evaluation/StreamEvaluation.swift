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
    /// The largest dense truth or estimate, in entries, that is decoded at all. Every metric
    /// comes from the factors when the stream has them; a matrix the stream carries only
    /// densely is used up to this size, and above it its metrics are left null with a note.
    public var denseLimit = DenseMatrixLimit.entries
    /// What the dense products of factors and the Lanczos basis are checked against before
    /// they are allocated; nil checks nothing.
    public var budget: MemoryBudget?

    public init() {}
}

/// A matrix the report is about, in the form the stream carries it.
enum StoredMatrix {
    /// Factors, X = L·Rᵀ: every metric, at any size.
    case factors(LowRankMatrix)
    /// A dense frame within the dense limit.
    case dense(Matrix)
    /// A dense frame above the dense limit, and no factors: skipped undecoded.
    case oversized(FrameHeader)

    var shape: (rows: Int, columns: Int) {
        switch self {
        case .factors(let factors): return (factors.rows, factors.columns)
        case .dense(let matrix): return (matrix.rows, matrix.columns)
        case .oversized(let header): return (header.shape[0], header.shape[1])
        }
    }

    /// The matrix as d1×d2 numbers when that is within `limit` entries: the dense frame, or the
    /// product of the factors, formed only for a metric that has nothing else to work with
    /// and only once `budget` admits it.
    func dense(limit: Int, budget: MemoryBudget?) throws -> Matrix? {
        switch self {
        case .dense(let matrix): return matrix
        case .factors(let factors):
            guard DenseMatrixLimit.admits(rows: factors.rows, columns: factors.columns, limit: limit) else { return nil }
            try budget?.check([PlannedArray("the dense product of the factors (within --dense-limit \(limit))",
                                            [("d1 \(factors.rows)", factors.rows), ("d2 \(factors.columns)", factors.columns)])])
            return factors.dense()
        case .oversized: return nil
        }
    }

    var factors: LowRankMatrix? {
        if case .factors(let factors) = self { return factors }
        return nil
    }

    /// For a progress line: a dense SVD is what takes long.
    var denseNote: String {
        if case .dense(let matrix) = self { return " (dense \(matrix.rows)×\(matrix.columns) SVD)" }
        return ""
    }

    /// How many σ_i exceed `relativeTolerance`·σ₁; nil when oversized.
    func numericalRank(relativeTolerance: Double) throws -> Int? {
        switch self {
        case .factors(let factors): return try factors.numericalRank(relativeTolerance: relativeTolerance)
        case .dense(let matrix): return try LAPACK.numericalRank(matrix, relativeTolerance: relativeTolerance)
        case .oversized: return nil
        }
    }
}

/// `evaluate` as a stage: it decodes the frames the metrics need, lets the reader forward
/// everything when asked, and at the end of a stream computes its report. Frames that occur
/// twice (as in `cat a b`) count with their last occurrence.
///
/// Every metric is computed from the factors of the truth and the estimate when the stream
/// has them, in O((d1 + d2)·k² + m·k): at 10⁴×10⁴ seconds and megabytes, where the dense
/// matrices took a quarter of an hour and 3 GB. Dense `truth` and `estimate` frames are
/// decoded only up to `denseLimit` entries, so a stream that carries them at any size costs
/// no more than one that does not.
public final class StreamEvaluation {
    public let options: EvaluationOptions
    /// Hears which metric is being computed.
    public var progress: ((String) -> Void)?
    private var frames: [String: Frame] = [:]
    /// The dense frames left undecoded because they exceed the limit.
    private var oversized: [String: FrameHeader] = [:]
    /// Every wanted frame's header, decoded or not (the solver's attributes live on them).
    private var headers: [String: FrameHeader] = [:]

    public init(options: EvaluationOptions) {
        self.options = options
    }

    static let wantedFrames: Set<String> = [
        FrameName.truth, FrameName.truthLeft, FrameName.truthRight,
        FrameName.estimate, FrameName.estimateLeft, FrameName.estimateRight,
        FrameName.observations, FrameName.sensing, FrameName.sensingLeft, FrameName.sensingRight,
        FrameName.entries, FrameName.features, FrameName.outlierSupport, FrameName.timings,
    ]

    /// The d1×d2 frames that have factors to stand in for them.
    static let denseFrames: Set<String> = [FrameName.truth, FrameName.estimate]

    /// Whether a frame feeds some metric; nothing else is decompressed.
    public func wants(_ header: FrameHeader) -> Bool {
        Self.wantedFrames.contains(header.name) || header.name.hasPrefix(FrameName.holdoutPrefix)
    }

    /// Whether a wanted frame is a dense truth or estimate too large to decode; checked on the
    /// header, before anything is allocated.
    func exceedsDenseLimit(_ header: FrameHeader) -> Bool {
        guard Self.denseFrames.contains(header.name), header.shape.count == 2 else { return false }
        return !DenseMatrixLimit.admits(rows: header.shape[0], columns: header.shape[1], limit: options.denseLimit)
    }

    public func keep(_ frame: Frame) {
        headers[frame.header.name] = frame.header
        oversized[frame.header.name] = nil
        frames[frame.header.name] = frame.columnMajor()
    }

    /// Reads a whole stream, keeping what `wants` asks for and copying every frame verbatim
    /// to `writer` if one is given.
    public func consume(_ reader: FrameReader, forwardingTo writer: FrameWriter?) throws {
        while let header = try reader.next() {
            if wants(header), exceedsDenseLimit(header) {
                headers[header.name] = header
                oversized[header.name] = header
                frames[header.name] = nil
            } else if wants(header) {
                keep(try reader.read(forwardingTo: writer))
                continue
            }
            if let writer {
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
        var skipped = SkippedMetrics()
        try measure(into: &report, skipping: &skipped)
        report.notes = skipped.notes(limit: options.denseLimit)
        return report
    }

    private func measure(into report: inout EvaluationReport, skipping skipped: inout SkippedMetrics) throws {
        let truth = try storedMatrix(dense: FrameName.truth, left: FrameName.truthLeft, right: FrameName.truthRight)
        let estimate = try storedMatrix(dense: FrameName.estimate, left: FrameName.estimateLeft, right: FrameName.estimateRight)
        let factors = estimate?.factors
        guard truth != nil || estimate != nil else {
            throw ModelError("the stream has neither '\(FrameName.truth)' nor '\(FrameName.estimate)' (nor their factors): nothing to evaluate")
        }
        if truth == nil { report.noteMissing(FrameName.truth) }
        if estimate == nil { report.noteMissing(FrameName.estimate) }
        if factors == nil {
            for name in [FrameName.estimateLeft, FrameName.estimateRight] where frames[name] == nil { report.noteMissing(name) }
        }
        if let truth, let estimate, truth.shape != estimate.shape {
            throw ModelError("the estimate is \(estimate.shape.rows)×\(estimate.shape.columns) but the truth \(truth.shape.rows)×\(truth.shape.columns)")
        }
        let shape = truth?.shape ?? estimate?.shape
        if let shape {
            report["d1"] = .integer(Int64(shape.rows))
            report["d2"] = .integer(Int64(shape.columns))
        }
        copySolverAttributes(into: &report)
        copyProvenance(into: &report)

        if let truth {
            progress?("rank of the truth" + truth.denseNote)
            if let rank = try truth.numericalRank(relativeTolerance: options.rankTolerance) {
                report["truth_rank"] = .integer(Int64(rank))
            } else {
                skipped.note("truth_rank", for: truth)
            }
        }
        if let estimate {
            progress?("rank and singular values of the estimate" + estimate.denseNote)
            switch estimate {
            case .factors(let factors):
                report["numerical_rank"] = .integer(Int64(try factors.numericalRank(relativeTolerance: options.rankTolerance)))
                report["singular_values"] = .array(try RecoveryMetrics.leadingSingularValues(factors, count: options.singularValueCount).map { .double($0) })
            case .dense(let matrix):
                report["numerical_rank"] = .integer(Int64(try LAPACK.numericalRank(matrix, relativeTolerance: options.rankTolerance)))
                report["singular_values"] = .array(try RecoveryMetrics.leadingSingularValues(matrix, count: options.singularValueCount).map { .double($0) })
            case .oversized:
                skipped.note("numerical_rank", "singular_values", for: estimate)
            }
            if let truth {
                progress?("relative error")
                if let error = try relativeError(estimate: estimate, truth: truth, skipped: &skipped) {
                    report["relative_error"] = .double(error)
                    report["recovered"] = .bool(error <= options.recoveryTolerance)
                }
            }
        }
        if let factors {
            report["balancedness"] = .double(RecoveryMetrics.balancedness(left: factors.left, right: factors.right))
            report["norm_minimality"] = .double(try RecoveryMetrics.normMinimality(left: factors.left, right: factors.right))
        }

        if estimate != nil, frames.keys.contains(where: { $0.hasPrefix(FrameName.holdoutPrefix) }) {
            progress?("holdout error")
        }
        if let estimate, frames.keys.contains(where: { $0.hasPrefix(FrameName.holdoutPrefix) }),
           let holdout = try measurementSet(prefix: FrameName.holdoutPrefix, shape: shape, report: &report) {
            if let residual = residual(estimate: estimate, measurements: holdout) {
                report["holdout_error"] = .double(RecoveryMetrics.relativeNorm(residual, observations: holdout.observations))
            } else {
                skipped.note("holdout_error", for: estimate)
            }
        }

        guard let measurements = try measurementSet(prefix: "", shape: shape, report: &report) else { return }
        report["operator"] = .string(measurements.measurementOperator.family.rawValue)
        report["m"] = .integer(Int64(measurements.observations.count))
        let rescaling = measurements.measurementOperator.rescaling()
        if let truth { progress?("flattest factorization of the truth" + truth.denseNote) }
        switch truth {
        case .factors(let factors)?:
            report["flattest"] = .double(try RecoveryMetrics.flattestScaledTrace(of: factors, rescaling: rescaling))
        case .dense(let matrix)?:
            report["flattest"] = .double(try RecoveryMetrics.flattestScaledTrace(of: matrix, rescaling: rescaling))
        case .oversized(let header)?:
            skipped.note("flattest", for: .oversized(header))
        case nil:
            break
        }
        if let factors {
            report["scaled_trace"] = .double(rescaling.scaledTrace(left: factors.left, right: factors.right))
            if options.sharpness {
                let stored = try StoredFactors.parameters(left: factors.left, right: factors.right,
                                                          symmetric: measurements.measurementOperator.parametrization == .signedSymmetric)
                let hessian = LossHessian(measurements: measurements, factorization: stored.factorization, at: stored.parameters)
                let steps = min(Lanczos.defaultMaxIterations, hessian.dimension)
                try options.budget?.check([PlannedArray("the Lanczos basis for sharpness",
                                                        [("up to \(steps) vectors", steps),
                                                         ("\(hessian.dimension) parameters", hessian.dimension)])])
                report["sharpness"] = .double(try Lanczos.largestEigenvalue(
                    dimension: hessian.dimension, times: hessian.times,
                    step: { self.progress?("sharpness: Lanczos step \($0) (of at most \(steps))") }))
            }
        }
        guard let estimate else { return }
        progress?("residual")
        let support = try outlierSupport(measurementCount: measurements.observations.count)
        guard let residual = residual(estimate: estimate, measurements: measurements) else {
            skipped.note("residual", for: estimate)
            if support != nil { skipped.note("outlier_precision", "outlier_recall", for: estimate) }
            return
        }
        report["residual"] = .double(RecoveryMetrics.relativeNorm(residual, observations: measurements.observations))
        if let support {
            let detection = OutlierDetection(residual: residual, observations: measurements.observations, support: support,
                                             relativeThreshold: options.outlierThreshold)
            report["outlier_precision"] = .double(detection.precision)
            report["outlier_recall"] = .double(detection.recall)
        }
    }

    /// The truth or the estimate: its factors when both are there, else its dense frame
    /// (decoded, or left undecoded above the limit), else nil.
    private func storedMatrix(dense name: String, left leftName: String, right rightName: String) throws -> StoredMatrix? {
        if let left = frames[leftName], let right = frames[rightName] {
            let l = try Matrix(frame: left), r = try Matrix(frame: right)
            guard l.columns == r.columns else {
                throw ModelError("\(leftName) has \(l.columns) columns but \(rightName) \(r.columns)")
            }
            return .factors(LowRankMatrix(left: l, right: r))
        }
        if let frame = frames[name] {
            return .dense(try Matrix(frame: frame))
        }
        if let header = oversized[name] {
            guard header.shape.count == 2 else {
                throw ModelError("frame '\(name)' must be a matrix, not \(header.shapeDescription)")
            }
            return .oversized(header)
        }
        return nil
    }

    /// ‖X̂ − M♮‖_F / ‖M♮‖_F from the factors of both when the stream has them; else densely,
    /// forming whichever side has only factors, when that fits the dense limit.
    private func relativeError(estimate: StoredMatrix, truth: StoredMatrix, skipped: inout SkippedMetrics) throws -> Double? {
        if case .factors(let x) = estimate, case .factors(let m) = truth {
            return try RecoveryMetrics.relativeError(estimate: x, truth: m)
        }
        // Shapes agree, and a dense frame was decoded only within the limit, so this fails
        // only for a side that is an oversized dense frame.
        guard let x = try estimate.dense(limit: options.denseLimit, budget: options.budget),
              let m = try truth.dense(limit: options.denseLimit, budget: options.budget) else {
            for side in [estimate, truth] { skipped.note("relative_error", "recovered", for: side) }
            return nil
        }
        return RecoveryMetrics.relativeError(estimate: x, truth: m)
    }

    /// A(X̂) − b: from the factors, or from the dense estimate; nil when it is too large.
    private func residual(estimate: StoredMatrix, measurements: MeasurementSet) -> [Double]? {
        switch estimate {
        case .factors(let factors): return RecoveryMetrics.residual(estimate: factors, measurements: measurements)
        case .dense(let matrix): return RecoveryMetrics.residual(estimate: matrix, measurements: measurements)
        case .oversized: return nil
        }
    }

    /// Each stage's seed and arguments, from the provenance on the frames it made, so a table
    /// of reports joins back to the parameters of every stage.
    private func copyProvenance(into report: inout EvaluationReport) {
        for (tool, names, prefix) in EvaluationReport.provenanceColumns {
            let entries = names.lazy.compactMap { self.headers[$0]?.attributes[AttributeKey.provenance]?.arrayValue }.first ?? []
            guard let entry = entries.last(where: { $0[ProvenanceKey.tool] == .string(tool) }) else { continue }
            if let seed = entry[ProvenanceKey.seed] { report["\(prefix)_seed"] = seed }
            // A stage run with its defaults has no arguments: null, as CSV could not tell "" apart.
            if let arguments = entry[ProvenanceKey.arguments]?.arrayValue, !arguments.isEmpty {
                report["\(prefix)_args"] = .string(arguments.compactMap(\.stringValue).joined(separator: " "))
            }
        }
    }

    /// The solver's own account, copied from the estimate's attributes as they are.
    private func copySolverAttributes(into report: inout EvaluationReport) {
        guard let attributes = (headers[FrameName.estimate] ?? headers[FrameName.estimateLeft])?.attributes else { return }
        let passedThrough = [SolverAttributeKey.method, AttributeKey.rank, SolverAttributeKey.dataFit,
                             SolverAttributeKey.converged, SolverAttributeKey.iterations, SolverAttributeKey.passes,
                             SolverAttributeKey.lowerBound]
        for key in passedThrough {
            if let value = attributes[key] { report[key] = value }
        }
        if let timings = headers[FrameName.timings]?.attributes, let seconds = timings[SolverAttributeKey.seconds] {
            report[SolverAttributeKey.seconds] = seconds
        }
    }

    /// The measurement set under `prefix`, or nil with the frames it lacks noted. A set whose
    /// frames are all there but do not fit together, or that measures matrices of another
    /// shape than the truth's and the estimate's, is an error.
    private func measurementSet(prefix: String, shape: (rows: Int, columns: Int)?,
                                report: inout EvaluationReport) throws -> MeasurementSet? {
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
        let set = try MeasurementSet(frames: frames, prefix: prefix, budget: options.budget)
        let measured = (rows: set.measurementOperator.rows, columns: set.measurementOperator.columns)
        if let shape, shape != measured {
            throw ModelError("'\(name)' measures \(measured.rows)×\(measured.columns) matrices but the truth and estimate are \(shape.rows)×\(shape.columns)")
        }
        return set
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

/// Metrics left null because the only form of their matrix is a dense frame above the limit,
/// grouped by that frame so that `evaluate` can say why in one line each.
struct SkippedMetrics {
    private var keysByFrame: [(header: FrameHeader, keys: [String])] = []

    mutating func note(_ keys: String..., for matrix: StoredMatrix) {
        guard case .oversized(let header) = matrix else { return }
        if let index = keysByFrame.firstIndex(where: { $0.header.name == header.name }) {
            keysByFrame[index].keys += keys.filter { !keysByFrame[index].keys.contains($0) }
        } else {
            keysByFrame.append((header, keys))
        }
    }

    func notes(limit: Int) -> [String] {
        keysByFrame.map { header, keys in
            let factors = header.name == FrameName.truth ? [FrameName.truthLeft, FrameName.truthRight]
                : [FrameName.estimateLeft, FrameName.estimateRight]
            return "\(keys.joined(separator: ", ")) skipped: '\(header.name)' is \(header.shapeDescription), more than "
                + "--dense-limit \(limit) entries, and the stream lacks '\(factors[0])' and '\(factors[1])' to work from"
        }
    }
}
