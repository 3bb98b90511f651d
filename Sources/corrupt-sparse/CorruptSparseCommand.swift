import ArgumentParser
import Frames
import Instances
import Models
import ToolSupport

@main
struct CorruptSparseCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "corrupt-sparse",
        abstract: "Add sparse outliers to one frame of a stream and record where they went.",
        discussion: """
            Reads a stream, replaces the target frame (default 'observations'; a float64 or \
            float32 vector or matrix, written back as float64) in place by y + s, where s has \
            --count or --fraction nonzero entries, and passes every other frame on verbatim \
            and in order. At the end it appends 'outliers_support' (int64 linear indices, \
            increasing, column-major for a matrix) and 'outliers_values' (float64, the amount \
            added there), both with attributes target, count, magnitude, distribution, \
            per_line, max_per_line and provenance, so `evaluate` can score outlier detection.

            The support is uniformly random; with --per-line L (matrices: robust PCA) no row \
            or column gets more than L, the l of the robust-PCA theorem, and a request that \
            cannot fit (more than min(L·d1, L·d2) outliers) is refused. Values are A·N(0,1) \
            (gaussian), uniform on [-A, A) (uniform), ±A with equal odds (sign, the default), \
            or +A (constant: gross errors all one way, the adversarial case). A defaults to 10 \
            times the target's root mean square. --fraction F means round(F · entries).

            Stages stack: a record already in the stream for the same target is consumed and \
            the appended one is the merge (union of supports, values summed where both hit), \
            so it always describes y_final − y_clean. The same seed gives the same bytes.

            Examples:
              generate-ground-truth --d1 50 --d2 50 --rank 3 --seed 1 \\
                | sample-measurements --operator identity --seed 2 \\
                | corrupt-sparse --fraction 0.05 --per-line 5 --seed 3 > rpca.frames
              frames ls rpca.frames       # ends with outliers_support, outliers_values
              corrupt-sparse --count 20 --distribution constant --magnitude 100 \\
                clean.frames -o adversarial.frames
              corrupt-sparse --count 9 --seed 1 < clean.frames \\
                | corrupt-sparse --count 9 --seed 2 > twice.frames   # one merged record
            """,
        version: Toolkit.version)

    @Option(help: ArgumentHelp("Name of the frame to corrupt.", valueName: "name"))
    var target = FrameName.observations

    @Option(parsing: .unconditional, help: ArgumentHelp("Corrupt round(F · entries) entries, F in [0, 1].", valueName: "F"))
    var fraction: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Corrupt exactly N entries.", valueName: "N"))
    var count: Int?

    @Option(name: .customLong("per-line"), parsing: .unconditional,
            help: ArgumentHelp("Matrix targets: at most L outliers in any row and in any column.", valueName: "L"))
    var perLine: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Outlier size A (default: 10 × the target's root mean square).", valueName: "A"))
    var magnitude: Double?

    @Option(help: ArgumentHelp("How outlier values are drawn.", valueName: "name"))
    var distribution: OutlierDistribution = .sign

    @Option(parsing: .unconditional, help: ArgumentHelp("Random seed; the same seed gives the same output bytes.", valueName: "n"))
    var seed: UInt64 = 0

    @OptionGroup var progressOptions: ProgressOptions

    @Argument(help: ArgumentHelp("The stream to read (default: stdin; - is stdin).", valueName: "file"))
    var input: String?

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try runTool("corrupt-sparse") {
            let specification = SparseCorruptionSpecification(
                amount: try amount(), perLine: perLine, magnitude: magnitude, distribution: distribution, seed: seed)
            let stage = try SparseCorruptionStage(
                target: target, specification: specification, provenance: provenanceEntry(tool: "corrupt-sparse", seed: seed, inputs: [input]))
            let progress = progressOptions.reporter(tool: "corrupt-sparse")
            stage.budget = inputOptions.budget
            stage.progress = { progress.report($0) }
            let reader = try inputOptions.makeReader(path: input, progress: progress)
            let stream = try output.makeOutput(inputs: [input], progress: progress)
            try processStream(reader, to: stream.writer, select: { stage.consumes($0) ? .consume : .pass },
                              handle: stage.handle)
            for frame in try stage.finish() { try stream.writer.write(frame) }
            try stream.finish()
            if !progressOptions.quiet, StandardStreams.isTerminal(2), let summary = stage.summary {
                StandardStreams.error("corrupt-sparse: \(summary)")
            }
        }
    }

    /// Checked here rather than in `validate()` so the mistake is reported in the toolkit's
    /// one-line form.
    private func amount() throws -> OutlierAmount {
        switch (fraction, count) {
        case let (fraction?, nil): return .fraction(fraction)
        case let (nil, count?): return .count(count)
        case (nil, nil): throw ToolError("give --fraction F or --count N")
        case (.some, .some): throw ToolError("give --fraction or --count, not both")
        }
    }
}

extension OutlierDistribution: ExpressibleByArgument {}
