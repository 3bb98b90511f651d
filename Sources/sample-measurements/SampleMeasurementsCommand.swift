import ArgumentParser
import Frames
import Instances
import LinearAlgebra
import Models
import ToolSupport

@main
struct SampleMeasurementsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-measurements",
        abstract: "Measure the ground truth on stdin with a random operator; append operator and observations.",
        discussion: """
            Reads a stream holding a 'truth' frame, passes every frame on unchanged, and appends \
            the operator's frames and 'observations' (then 'holdout_…' copies with --holdout). \
            The operator is stored compactly: Gaussian as the m×d1×d2 array 'sensing', bilinear \
            as 'sensing_left' (rows a_i) and 'sensing_right' (rows c_i), completion as the m×2 \
            int64 'entries' (row, column; 0-based), quadratic as the m×d 'features' (rows x_i); \
            identity (robust PCA) stores none and observes the whole matrix.

            --noise is the standard deviation of Gaussian noise relative to the RMS of the clean \
            observations (0.01 = 1%); add --noise-absolute to give it in absolute units.

            Examples:
              generate-ground-truth --d1 50 --rank 3 --seed 1 \\
                | sample-measurements --operator gaussian --oversampling 5 --seed 2 > inst.frames
              generate-ground-truth --d1 200 --rank 5 | sample-measurements --operator completion --p 0.2
              generate-ground-truth --d1 40 --kind psd --rank 2 \\
                | sample-measurements --operator quadratic --m 400 --noise 0.01 --holdout 200
            """,
        version: Toolkit.version)

    @Option(name: .customLong("operator"), help: "gaussian, bilinear, completion, quadratic or identity.")
    var family: OperatorFamily = .gaussian

    @Option(help: "Number of measurements m.")
    var m: Int?

    @Option(help: ArgumentHelp("m = ⌈C·r·(d1+d2)⌉ (default 5 when neither --m nor --p is given).", valueName: "C"))
    var oversampling: Double?

    @Option(help: "Completion: observe each entry independently with this probability.")
    var p: Double?

    @Option(help: ArgumentHelp("Gaussian noise standard deviation, relative to the RMS of the clean observations.", valueName: "sigma"))
    var noise: Double = 0

    @Flag(help: "Take --noise in absolute units instead.")
    var noiseAbsolute = false

    @Option(help: ArgumentHelp("Also draw N held-out measurements from the same distribution.", valueName: "N"))
    var holdout: Int = 0

    @Option(help: "Seed of the random operator and noise.")
    var seed: UInt64 = 0

    @Flag(name: [.short, .long], help: "Print nothing on stderr.")
    var quiet = false

    @OptionGroup var input: InputOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        let given = [m != nil, oversampling != nil, p != nil].filter { $0 }.count
        guard given <= 1 else { throw ValidationError("give at most one of --m, --oversampling and --p") }
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
            let reader = try input.makeReader()
            let stream = try output.makeOutput()
            var truth: Frame?
            var alreadyMeasured = false
            try processStream(reader, to: stream.writer, select: { header in
                alreadyMeasured = alreadyMeasured || header.name == FrameName.observations
                return header.name == FrameName.truth ? .keep : .pass
            }, handle: { frame in
                truth = frame
                return []
            })
            guard let truth else {
                throw ToolError("the input has no '\(FrameName.truth)' frame (pipe generate-ground-truth into this tool)")
            }
            guard !alreadyMeasured else {
                throw ToolError("the input already has '\(FrameName.observations)'; remove the old measurements first (frames drop)")
            }
            guard truth.header.shape.count == 2 else { throw ToolError("frame '\(FrameName.truth)' must be a matrix, not \(truth.header.shapeDescription)") }
            let matrix = try Matrix(frame: truth)
            let rank = try truth.header.attributes[AttributeKey.rank]?.integerValue.map(Int.init) ?? LAPACK.numericalRank(matrix)
            let specification = MeasurementSpecification(family: family, size: size, noise: noise,
                                                         noiseIsAbsolute: noiseAbsolute, holdout: holdout,
                                                         seed: seed, threads: output.threads)
            let drawn = try writeMeasurements(truth: matrix, rank: rank, specification: specification,
                                              provenance: provenanceEntry(tool: "sample-measurements", seed: seed),
                                              to: stream.writer)
            try stream.finish()
            if !quiet, StandardStreams.isTerminal(2) {
                StandardStreams.error("sample-measurements: \(family.rawValue), \(drawn) measurements of a \(matrix.rows)×\(matrix.columns) rank-\(rank) truth")
            }
        }
    }
}

extension OperatorFamily: ExpressibleByArgument {}
