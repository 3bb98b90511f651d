import ArgumentParser
import Evaluation
import Frames
import LinearAlgebra
import ToolSupport

@main
struct EvaluateCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Report how well the estimate in a stream recovers the truth, how flat it is, and what the solver said.",
        discussion: """
            Reads one stream per input (the files given, or stdin; one input is one stream and \
            gets one report: frames named twice, as in `cat a b`, count with their last \
            occurrence) and reports every metric its frames allow. Keys, stable for scripts:

              operator d1 d2 m      the instance
              truth_rank            numerical rank of M♮ (as numerical_rank)
              method rank data_fit converged iterations passes seconds
              lower_bound           the estimate's attributes, as solve-flat wrote them
              relative_error        ‖X̂ − M♮‖_F / ‖M♮‖_F
              recovered             relative_error ≤ --tol (default 1e-6)
              numerical_rank        #{σ_i(X̂) > --rank-tol·σ₁} (default 1e-8)
              singular_values       the 10 largest σ_i(X̂) (fewer when min(d1, d2) < 10)
              residual              ‖A(X̂) − b‖/‖b‖, recomputed from the operator
              holdout_error         ‖A_h(X̂) − b_h‖/‖b_h‖ on the holdout_ frames
              scaled_trace          str = ‖D1L‖² + ‖D2R‖² of estimate_left, _right
              flattest              2‖D1 M♮ D2‖_*, the least str of any factorization
                                    of M♮ (from truth_left, truth_right: (D1U)(D2V)ᵀ)
              balancedness          ‖LᵀL − RᵀR‖_F / ‖LᵀL‖_F
              norm_minimality       (‖L‖² + ‖R‖²)/(2‖X̂‖_*), 1 when minimum-norm
              outlier_precision     with an outliers_support record: of the
              outlier_recall        positions with |b − A(X̂)| > t·max|b|
                                    (t = --outlier-threshold, default 1e-6)
              sharpness             --sharpness: λ_max of the Hessian of
                                    f = (1/2m)‖A(L·Rᵀ) − b‖² at the stored factors
                                    (quadratic model: in U = [U1 U2]), by Lanczos
                                    on exact Hessian-vector products (4 passes each)
              missing               frames the stream lacks that some key needed

            A key whose frames are absent is null (JSON), empty (CSV) or left out (table), and \
            the absent frames are listed under 'missing'; the exit status is still 0. A stream \
            with neither a truth nor an estimate is an error (exit 1).

            Factors first: with estimate_left and estimate_right, X̂ = L·Rᵀ, and with \
            truth_left and truth_right, M♮ = U·Vᵀ; every key then comes from the factors in \
            O((d1 + d2)·k² + m·k), no d1×d2 matrix formed (relative_error through thin QR of \
            [L U] and [R −V], accurate to about 1e-16·‖M♮‖; singular values from a k×k core, \
            zeros past the factors' width). The dense 'truth' and 'estimate' frames are used \
            only when their factors are absent, and are decoded only up to --dense-limit \
            entries (default 2^24 = 16777216): above it, the keys that would need one are null \
            and one line on stderr says which and why. For --depth N estimates, the factor \
            metrics and sharpness refer to the two factors in the stream (W_N⋯W_2 and W_1ᵀ).

            Formats: table for people; json, one object per line per stream (JSON Lines); csv, \
            a header and one row per stream, lists joined by ';' within a cell. The default is \
            table when the report goes to a terminal and json otherwise.

            --pass forwards every input byte for byte to stdout (refused on a terminal), so \
            evaluate can sit mid-pipe; the report then goes to stderr, or to --report FILE.

            Examples:
              generate-ground-truth --d1 20 --rank 2 --seed 1 \\
                | sample-measurements --holdout 100 --seed 2 \\
                | solve-flat | evaluate
              evaluate --format csv run1.frames run2.frames > results.csv
              … | solve-flat | evaluate --pass --report solved.json | frames ls
              evaluate --sharpness --format json solved.frames | jq .sharpness
            """,
        version: Toolkit.version)

    @Argument(help: ArgumentHelp("Streams to evaluate, one report each (default: stdin; - is stdin).", valueName: "file"))
    var files: [String] = []

    @Option(help: ArgumentHelp("table, json or csv (default: table on a terminal, json otherwise).", valueName: "format"))
    var format: ReportFormat?

    @Option(parsing: .unconditional, help: ArgumentHelp("recovered means relative_error ≤ t.", valueName: "t"))
    var tol = EvaluationOptions().recoveryTolerance

    @Option(name: .customLong("rank-tol"), parsing: .unconditional, help: ArgumentHelp("numerical_rank counts singular values above t·σ₁.", valueName: "t"))
    var rankTolerance = EvaluationOptions().rankTolerance

    @Option(name: .customLong("outlier-threshold"), parsing: .unconditional,
            help: ArgumentHelp("A position is detected as an outlier when |b − A(X̂)| > t·max|b|.", valueName: "t"))
    var outlierThreshold = EvaluationOptions().outlierThreshold

    @Option(name: .customLong("dense-limit"), parsing: .unconditional,
            help: ArgumentHelp("Decode a dense truth or estimate without factors only up to n entries (d1·d2).", valueName: "n"))
    var denseLimit = EvaluationOptions().denseLimit

    @Flag(help: "Also report sharpness, the largest Hessian eigenvalue of the loss at the stored factors.")
    var sharpness = false

    @Flag(name: .customLong("pass"), help: "Forward the input unchanged to stdout and write the report to stderr (or -o).")
    var passThrough = false

    @Option(name: [.customShort("o"), .customLong("output"), .customLong("report")],
            help: ArgumentHelp("Write the report to this file (complete or not at all) instead of stdout.", valueName: "file"))
    var report: String?

    @Option(name: .customLong("tag"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Add a column KEY with VALUE (a number or true/false when it reads as one, else text) to every row; repeatable.", valueName: "key=value"))
    var tags: [String] = []

    @Flag(name: [.customShort("f"), .long], help: "Overwrite the -o file when it exists (never an input of the same run).")
    var force = false

    @OptionGroup var progressOptions: ProgressOptions
    @OptionGroup var inputOptions: InputOptions

    func run() throws {
        try runTool("evaluate") {
            // The same report at any OPENBLAS_NUM_THREADS: threaded BLAS sums in another order.
            BLASThreads.runSingleThreaded()
            let options = try evaluationOptions()
            let progress = progressOptions.reporter(tool: "evaluate")
            var forwarding: FrameWriter?
            if passThrough {
                guard !StandardStreams.isTerminal(1) else {
                    throw ToolError("refusing to write binary frames to a terminal; redirect stdout, or drop --pass")
                }
                forwarding = FrameWriter(sink: FileDescriptorSink(descriptor: 1))
            }
            let inputs: [String?] = files.isEmpty ? [nil] : files
            if passThrough { try refuseStandardOutputAsInput(inputs) }
            let destination = try ReportDestination(path: report, descriptor: passThrough ? 2 : 1, overwrite: force,
                                                    inputs: inputIdentities(inputs))
            let chosenFormat = format ?? (destination.isTerminal ? .table : .json)
            let tags = try parsedTags()
            if chosenFormat == .csv { try destination.write(EvaluationReport.csvHeader(tagKeys: tags.map(\.key)) + "\n") }
            for path in files.isEmpty ? ["-"] : files {
                let evaluation = StreamEvaluation(options: options)
                evaluation.progress = { progress.report($0) }
                progress.report("reading \(path == "-" ? "stdin" : path)")
                try evaluation.consume(try inputOptions.makeReader(path: path, progress: progress), forwardingTo: forwarding)
                var result = try evaluation.report()
                result["input"] = .string(path)
                result.tags = tags
                for note in result.notes { StandardStreams.error("evaluate: \(path == "-" ? "stdin" : path): \(note)") }
                progress.clear()
                switch chosenFormat {
                case .table: try destination.write(result.table(title: path == "-" ? "stdin" : path))
                case .json: try destination.write(result.json + "\n")
                case .csv: try destination.write(result.csvRow + "\n")
                }
            }
            try forwarding?.flush()
            try destination.finish()
        }
    }

    /// `--tag KEY=VALUE`s as columns: a key may not repeat a report key or another tag.
    private func parsedTags() throws -> [EvaluationReport.Tag] {
        var seen = Set(EvaluationReport.keys)
        return try tags.map { pair in
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ToolError("--tag takes KEY=VALUE, got '\(pair)'")
            }
            let key = String(pair[..<equals]), text = String(pair[pair.index(after: equals)...])
            guard seen.insert(key).inserted else { throw ToolError("--tag \(key) repeats a column of the report") }
            let value: JSONValue
            switch try? JSONValue.decode(Array(text.utf8)) {
            case .integer(let n)?: value = .integer(n)
            case .double(let d)?: value = .double(d)
            case .bool(let b)?: value = .bool(b)
            default: value = .string(text)
            }
            return EvaluationReport.Tag(key: key, value: value)
        }
    }

    private func evaluationOptions() throws -> EvaluationOptions {
        guard tol >= 0 else { throw ToolError("--tol must be ≥ 0") }
        guard rankTolerance > 0, rankTolerance < 1 else { throw ToolError("--rank-tol must be in (0, 1)") }
        guard outlierThreshold >= 0 else { throw ToolError("--outlier-threshold must be ≥ 0") }
        guard denseLimit >= 0 else { throw ToolError("--dense-limit must be ≥ 0") }
        var options = EvaluationOptions()
        options.recoveryTolerance = tol
        options.rankTolerance = rankTolerance
        options.outlierThreshold = outlierThreshold
        options.sharpness = sharpness
        options.denseLimit = denseLimit
        options.budget = inputOptions.budget
        return options
    }
}

enum ReportFormat: String, ExpressibleByArgument {
    case table, json, csv
}

/// Where the report text goes: a descriptor (stdout, or stderr when the stream itself goes to
/// stdout), or a file that appears only once every report is in it.
struct ReportDestination {
    let sink: any ByteSink
    let file: OutputFile?
    let isTerminal: Bool

    init(path: String?, descriptor: Int32, overwrite: Bool, inputs: [FileIdentity]) throws {
        if let path {
            let file = try OutputFile(path: path, overwrite: overwrite, inputs: inputs)
            (sink, self.file, isTerminal) = (file, file, false)
        } else {
            (sink, file, isTerminal) = (FileDescriptorSink(descriptor: descriptor), nil, StandardStreams.isTerminal(descriptor))
        }
    }

    func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try sink.write(UnsafeRawBufferPointer($0)) }
    }

    func finish() throws {
        try file?.commit()
    }
}
