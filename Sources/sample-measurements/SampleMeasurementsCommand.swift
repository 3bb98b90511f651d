import ArgumentParser
import Frames
import Instances
import LinearAlgebra
import Models
import ToolSupport

@main
struct SampleMeasurementsCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-measurements",
        abstract: "Measure the ground truth on stdin with a random operator; append operator and observations.",
        discussion: """
            Reads a stream holding the ground truth, passes every frame on unchanged, and appends \
            the operator's frames and 'observations' (then 'holdout_…' copies with --holdout). \
            The truth measured is 'truth' when the stream has it, else truth_left·truth_rightᵀ \
            (large truths come as factors alone, see generate-ground-truth --truth): completion, \
            bilinear and quadratic sensing then never form the d1×d2 matrix, and the \
            observations agree with those of the dense truth to rounding. \
            The operator is stored compactly: Gaussian as the m×d1×d2 array 'sensing', bilinear \
            as 'sensing_left' (rows a_i) and 'sensing_right' (rows c_i), completion as the m×2 \
            int64 'entries' (row, column; 0-based), quadratic as the m×d 'features' (rows x_i); \
            identity (robust PCA) stores none and observes the whole matrix.

            --noise is the standard deviation of Gaussian noise relative to the RMS of the clean \
            observations (0.01 = 1%); add --noise-absolute to give it in absolute units.

            Examples:
              generate-ground-truth --d1 50 --rank 3 --seed 1 \\
                | sample-measurements --oversampling 5 --seed 2 > inst.frames
              generate-ground-truth --d1 200 --rank 5 \\
                | sample-measurements --operator completion --p 0.2 > c.frames
              generate-ground-truth --d1 40 --kind psd --rank 2 \\
                | sample-measurements --operator quadratic --m 400 \\
                    --noise 0.01 --holdout 200 > q.frames
            """,
        version: Toolkit.version)

    @Option(name: .customLong("operator"), help: "gaussian, bilinear, completion, quadratic or identity.")
    var family: OperatorFamily = .gaussian

    @Option(parsing: .unconditional, help: "Number of measurements m.")
    var m: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("m = ⌈C·r·(d1+d2)⌉ (default 5 when neither --m nor --p is given).", valueName: "C"))
    var oversampling: Double?

    @Option(parsing: .unconditional, help: "Completion: observe each entry independently with this probability.")
    var p: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Gaussian noise standard deviation, relative to the RMS of the clean observations.", valueName: "sigma"))
    var noise: Double = 0

    @Flag(help: "Take --noise in absolute units instead.")
    var noiseAbsolute = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Also draw N held-out measurements from the same distribution.", valueName: "N"))
    var holdout: Int = 0

    @Option(parsing: .unconditional, help: "Seed of the random operator and noise.")
    var seed: UInt64 = 0

    @OptionGroup var progressOptions: ProgressOptions

    @Argument(help: ArgumentHelp("The stream with the truth (default: stdin; - is stdin).", valueName: "file"))
    var file: String?

    @OptionGroup var input: InputOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        let given = [m != nil, oversampling != nil, p != nil].filter { $0 }.count
        guard given <= 1 else { throw ValidationError("give at most one of --m, --oversampling and --p") }
        if family == .identity, given > 0 {
            throw ValidationError("--operator identity observes every entry; --m, --oversampling and --p do not apply")
        }
        if noiseAbsolute, noise == 0 { throw ValidationError("--noise-absolute only applies with --noise") }
    }

    var size: SampleSize {
        if let m { return .count(m) }
        if let p { return .probability(p) }
        return .oversampling(oversampling ?? 5)
    }

    func run() throws {
        try runTool("sample-measurements") {
            // OpenBLAS rounds differently at different thread counts; one thread keeps the
            // observations byte-identical everywhere (the dense work here is a single gemv).
            BLASThreads.runSingleThreaded()
            let progress = progressOptions.reporter(tool: "sample-measurements")
            progress.report("reading the truth")
            let reader = try input.makeReader(path: file, progress: progress)
            let stream = try output.makeOutput(inputs: [file], progress: progress)
            var truthFrames: [String: Frame] = [:]
            var alreadyMeasured = false
            let truthNames: Set = [FrameName.truth, FrameName.truthLeft, FrameName.truthRight]
            try processStream(reader, to: stream.writer, select: { header in
                alreadyMeasured = alreadyMeasured || header.name == FrameName.observations
                return truthNames.contains(header.name) ? .keep : .pass
            }, handle: { frame in
                truthFrames[frame.header.name] = frame
                return []
            })
            let (truth, description) = try measuredTruth(truthFrames)
            guard !alreadyMeasured else {
                throw ToolError("the input already has '\(FrameName.observations)'; remove the old measurements first (frames drop)")
            }
            let rank = try description.attributes[AttributeKey.rank]?.integerValue.map(Int.init) ?? truth.numericalRank()
            let specification = MeasurementSpecification(family: family, size: size, noise: noise,
                                                         noiseIsAbsolute: noiseAbsolute, holdout: holdout,
                                                         seed: seed, threads: output.threads)
            let drawn = try writeMeasurements(truth: truth, rank: rank, specification: specification,
                                              provenance: provenanceEntry(tool: "sample-measurements", seed: seed, inputs: [file]),
                                              to: stream.writer, budget: input.budget, progress: { progress.report($0) })
            try stream.finish()
            if !progressOptions.quiet, StandardStreams.isTerminal(2) {
                StandardStreams.error("sample-measurements: \(family.rawValue), \(drawn) measurements of a \(truth.rows)×\(truth.columns) rank-\(rank) truth\(description.name == FrameName.truth ? "" : " (from its factors)")")
            }
        }
    }
}

/// The truth to measure and the frame whose header describes it: `truth` when the stream has
/// it, else `truth_left`·`truth_rightᵀ`.
private func measuredTruth(_ frames: [String: Frame]) throws -> (truth: MeasuredTruth, description: FrameHeader) {
    func matrix(_ name: String) throws -> Matrix? {
        guard let frame = frames[name] else { return nil }
        guard frame.header.shape.count == 2 else {
            throw ToolError("frame '\(name)' must be a matrix, not \(frame.header.shapeDescription)")
        }
        return try Matrix(frame: frame)
    }
    let dense = try matrix(FrameName.truth)
    let left = try matrix(FrameName.truthLeft), right = try matrix(FrameName.truthRight)
    var factors: LowRankMatrix?
    if let left, let right {
        guard left.columns == right.columns else {
            throw ToolError("frames '\(FrameName.truthLeft)' (\(left.rows)×\(left.columns)) and '\(FrameName.truthRight)' (\(right.rows)×\(right.columns)) must have the same number of columns")
        }
        factors = LowRankMatrix(left: left, right: right)
    }
    if let dense {
        if let factors, factors.rows != dense.rows || factors.columns != dense.columns {
            throw ToolError("frame '\(FrameName.truth)' is \(dense.rows)×\(dense.columns) but its factors make a \(factors.rows)×\(factors.columns) matrix")
        }
        return (.dense(dense), frames[FrameName.truth]!.header)
    }
    guard let factors else {
        let present = [FrameName.truthLeft, FrameName.truthRight].filter { frames[$0] != nil }
        throw ToolError(present.isEmpty
            ? "the input has neither a '\(FrameName.truth)' frame nor '\(FrameName.truthLeft)' and '\(FrameName.truthRight)' (pipe generate-ground-truth into this tool)"
            : "the input has '\(present[0])' but not its partner, nor a '\(FrameName.truth)' frame")
    }
    return (.factors(factors), frames[FrameName.truthLeft]!.header)
}

extension OperatorFamily: ExpressibleByArgument {}
