import ArgumentParser
import FrameTools
import Frames
import ToolSupport

@main
struct FramesCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "frames",
        abstract: "List, filter, check, import and export matrix-frame streams.",
        discussion: """
            A stream is a sequence of named arrays, each a zstd skippable frame (JSON header) \
            followed by a zstd frame holding a .npy file. `zstd -dc` decompresses it to .npy files.

            Examples:
              generate-ground-truth --d1 50 --rank 3 > truth.frames
              frames ls truth.frames
              frames import data.npy --name observations > obs.frames
              frames drop 'factor_*' truth.frames obs.frames | frames verify
            """,
        version: Toolkit.version,
        subcommands: [List.self, Pick.self, Drop.self, Export.self, Import.self, Verify.self])
}

extension FramesCommand {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls",
            abstract: "One line per frame: name, dtype, shape, compressed and raw size, key attributes.",
            discussion: """
                Reads headers and zstd framing only; no payload is decompressed.

                Examples:
                  frames ls instance.frames
                  frames ls --json instance.frames | jq -r .name   # JSON Lines
                """)

        @Argument(help: "Stream to list (default: stdin).")
        var file: String?

        @Flag(help: "One JSON object per frame (JSON Lines): index, name, dtype, shape, order, npy_bytes, compressed_bytes, attributes.")
        var json = false

        @OptionGroup var progressOptions: ProgressOptions
        @OptionGroup var input: InputOptions

        func run() throws {
            try runTool("frames ls") {
                let reader = try input.makeReader(path: file, progress: progressOptions.reporter(tool: "frames ls"))
                if !json { try StandardStreams.output(FrameSummary.tableHeading + "\n") }
                try summarizeFrames(reader) { summary in
                    try StandardStreams.output((json ? summary.json().encodedString() : summary.tableRow()) + "\n")
                }
            }
        }
    }

    struct Pick: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keep only the frames with these names (shell patterns allowed), verbatim and in order.",
            discussion: """
                The names come first, as one argument (comma-separated); every further argument \
                is a stream to read, in order (default: stdin).

                Examples:
                  frames pick truth,'sensing*' instance.frames > operator.frames
                  … | frames pick observations | frames ls
                """)

        @OptionGroup var filter: FilterArguments

        func run() throws { try filter.run(tool: "frames pick", keepingMatches: true) }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the frames with these names (shell patterns allowed); pass the rest verbatim.",
            discussion: """
                The names come first, as one argument (comma-separated); every further argument \
                is a stream to read, in order (default: stdin).

                Examples:
                  frames drop truth,'outliers_*' instance.frames | frames ls
                  frames drop 'estimate*' < solved.frames | solve-flat --method min-norm
                """)

        @OptionGroup var filter: FilterArguments

        func run() throws { try filter.run(tool: "frames drop", keepingMatches: false) }
    }

    /// What `pick` and `drop` share: they differ only in which side of the match they keep.
    struct FilterArguments: ParsableArguments {
        @Argument(help: ArgumentHelp("Frame names or patterns, comma-separated: truth,'sensing*'.", valueName: "names"))
        var names: String

        @Argument(help: ArgumentHelp("Streams to read, in order (default: stdin; - is stdin).", valueName: "file"))
        var files: [String] = []

        @OptionGroup var progressOptions: ProgressOptions
        @OptionGroup var inputOptions: InputOptions
        @OptionGroup var output: OutputOptions

        func run(tool: String, keepingMatches: Bool) throws {
            try runTool(tool) {
                let patterns = names.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard !patterns.contains(where: \.isEmpty) else { throw ToolError("an empty name in '\(names)'") }
                if files.isEmpty, FileIdentity(path: names) != nil, !names.contains("*") {
                    throw ToolError("'\(names)' is a file, but the first argument is the frame names: \(tool) NAMES \(names)")
                }
                let selector = NameSelector(patterns)
                let progress = progressOptions.reporter(tool: tool)
                let inputs: [String?] = files.isEmpty ? [nil] : files
                let stream = try output.makeOutput(inputs: inputs, progress: progress)
                for input in inputs {
                    try filterFrames(try inputOptions.makeReader(path: input, progress: progress), to: stream.writer) {
                        selector.matches($0.name) == keepingMatches
                    }
                }
                try stream.finish()
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the frame with this name (the last, if the name repeats) as a .npy or CSV file.",
            discussion: """
                Examples:
                  frames export truth --npy truth.npy < instance.frames   # np.load
                  frames export estimate --csv - < solved.frames   # CSV on stdout
                """)

        @Argument(help: "Name of the frame to export.")
        var name: String

        @Option(help: ArgumentHelp("Write a NumPy .npy file.", valueName: "file"))
        var npy: String?

        @Option(help: ArgumentHelp("Write CSV (one row per line; '-' for stdout). 0-, 1- and 2-D frames only.", valueName: "file"))
        var csv: String?

        @Argument(help: ArgumentHelp("The stream to read (default: stdin; - is stdin).", valueName: "file"))
        var input: String?

        @Flag(name: [.customShort("f"), .long], help: "Overwrite the .npy or CSV file when it exists (never the input).")
        var force = false

        @OptionGroup var progressOptions: ProgressOptions
        @OptionGroup var inputOptions: InputOptions

        func validate() throws {
            guard (npy == nil) != (csv == nil) else { throw ValidationError("give exactly one of --npy FILE or --csv FILE") }
        }

        func run() throws {
            try runTool("frames export") {
                let reader = try inputOptions.makeReader(path: input, progress: progressOptions.reporter(tool: "frames export"))
                // Every tool takes the last frame of a name, so an export is final only at the
                // end of the stream: a later frame of the name replaces the one written so far.
                var exported: OutputFile?
                var csvText: String?
                while let header = try reader.next() {
                    guard header.name == name else { continue }
                    exported?.discard()
                    if let npy {
                        exported = try OutputFile(path: npy, overwrite: force, inputs: inputIdentities([input]))
                        try NPYFiles.exportCurrentFrame(of: reader, to: exported!)
                    } else {
                        // A number takes up to 24 characters and its separator as text.
                        try inputOptions.budget.check([PlannedArray("the CSV text of frame '\(name)'",
                                                                    [("\(header.shapeDescription)", header.elementCount)],
                                                                    elementBytes: 25)])
                        csvText = try CSVFiles.render(try reader.read())
                        if let csv, csv != "-" {
                            exported = try OutputFile(path: csv, overwrite: force, inputs: inputIdentities([input]))
                            var bytes = csvText!
                            try bytes.withUTF8 { try exported!.write(UnsafeRawBufferPointer($0)) }
                        }
                    }
                }
                if let exported {
                    try exported.commit()
                } else if let csvText, csv == "-" {
                    try StandardStreams.output(csvText)
                } else {
                    throw ToolError("no frame named '\(name)' in the stream")
                }
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Turn a .npy or CSV file into a frame.",
            discussion: """
                The .npy data streams through without being held in memory; CSV becomes float64 \
                (or --dtype) with a first non-numeric line kept as column names.

                Examples:
                  frames import observations.npy --name observations > obs.frames
                  frames import table.csv --name truth --attr kind=measured > truth.frames
                  solve-flat inst.frames \\
                    | frames import --append mask.npy --name mask | evaluate
                """)

        @Argument(help: "A .npy or .csv file.")
        var file: String

        @Option(help: "Name of the new frame.")
        var name: String

        @Option(help: "File format (default: from the extension).")
        var format: FileFormat?

        @Option(help: "Element type for CSV input.")
        var dtype: DType = .float64

        @Option(name: .customLong("attr"), help: ArgumentHelp("Attribute KEY=VALUE (VALUE parsed as JSON when it is JSON, else a string); repeatable.", valueName: "key=value"))
        var attributes: [String] = []

        @Flag(help: "Read a stream on stdin, pass it on, and append the new frame.")
        var append = false

        @OptionGroup var progressOptions: ProgressOptions
        @OptionGroup var inputOptions: InputOptions
        @OptionGroup var output: OutputOptions

        enum FileFormat: String, ExpressibleByArgument, CaseIterable { case npy, csv }

        func run() throws {
            try runTool("frames import") {
                var attributes: JSONObject = [:]
                for pair in self.attributes {
                    guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                        throw ToolError("--attr takes KEY=VALUE, got '\(pair)'")
                    }
                    let text = String(pair[pair.index(after: equals)...])
                    attributes[String(pair[..<equals])] = (try? JSONValue.decode(Array(text.utf8))) ?? .string(text)
                }
                attributes = appendingProvenance(provenanceEntry(tool: "frames import"), to: attributes)
                let progress = progressOptions.reporter(tool: "frames import")
                let stream = try output.makeOutput(inputs: append ? [file, nil] : [file], progress: progress)
                if append {
                    try filterFrames(try inputOptions.makeReader(progress: progress), to: stream.writer) { _ in true }
                }
                let detected = format ?? (file.lowercased().hasSuffix(".csv") ? .csv : .npy)
                switch detected {
                case .npy:
                    try NPYFiles.importFile(path: file, name: name, attributes: attributes, to: stream.writer,
                                            budget: inputOptions.budget)
                case .csv:
                    let source = try openForReading(file)
                    // The text, and its numbers (at most one per two bytes of it), are held at once.
                    if let size = regularFileSize(descriptor: source.descriptor) {
                        try inputOptions.budget.check([
                            PlannedArray("the text of '\(file)'", [("its \(size) bytes", size)], elementBytes: 1),
                            PlannedArray("its numbers", [("at most \(size / 2 + 1)", size / 2 + 1)], elementBytes: dtype.byteSize),
                        ])
                    }
                    var bytes: [UInt8] = []
                    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
                    defer { chunk.deallocate() }
                    while case let n = try source.read(into: chunk), n > 0 { bytes += chunk[0..<n] }
                    let frame = try CSVFiles.parse(String(decoding: bytes, as: UTF8.self), name: name, dtype: dtype, attributes: attributes)
                    try stream.writer.write(frame)
                }
                try stream.finish()
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode every frame, check checksums, sizes and shapes, and report.",
            discussion: """
                Exits 0 when every frame checks out, 1 at the first bad frame (named on stderr).

                Examples:
                  frames verify archive/instance.frames
                  generate-ground-truth --d1 20 --rank 2 | frames verify --quiet && echo ok
                """)

        @Argument(help: "Stream to verify (default: stdin).")
        var file: String?

        @Flag(name: [.short, .long], help: "Print nothing when the stream is sound, and no progress on stderr.")
        var quiet = false

        @OptionGroup var input: InputOptions

        func run() throws {
            try runTool("frames verify") {
                let progress = ProgressReporter.standardError(tool: "frames verify", quiet: quiet)
                let reader = try input.makeReader(path: file, progress: progress)
                var frames = 0
                var raw = 0
                var compressed = 0
                try verifyFrames(reader) { verified in
                    frames += 1
                    raw += verified.summary.npyBytes
                    compressed += verified.summary.compressedBytes
                    guard !quiet else { return }
                    let header = verified.summary.header
                    var line = "ok  \(verified.summary.index)  \(header.name)  \(header.dtype.rawValue) \(header.shapeDescription)  \(formatBytes(verified.summary.npyBytes))"
                    if let nonFinite = verified.nonFiniteCount, nonFinite > 0 { line += "  (\(nonFinite) non-finite)" }
                    try StandardStreams.output(line + "\n")
                }
                if !quiet {
                    try StandardStreams.output("verified \(frames) frame\(frames == 1 ? "" : "s"): \(formatBytes(raw)) raw, \(formatBytes(compressed)) compressed\n")
                }
            }
        }
    }
}

extension DType: ExpressibleByArgument {}
