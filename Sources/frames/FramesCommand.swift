import ArgumentParser
import FrameTools
import Frames
import ToolSupport

@main
struct FramesCommand: ToolCommand {
    static let configuration = CommandConfiguration(
        commandName: "frames",
        abstract: "List, filter, check, import and export matrix-frame streams (.npy, .npz, MatrixMarket, CSV).",
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
                is a stream to read, in order (default: stdin). A pick that matches no frame at \
                all is an error (exit 1).

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
                let patterns = try frameNames(names)
                if files.isEmpty, FileIdentity(path: names) != nil, !names.contains("*") {
                    throw ToolError("'\(names)' is a file, but the first argument is the frame names: \(tool) NAMES \(names)")
                }
                let selector = NameSelector(patterns)
                let progress = progressOptions.reporter(tool: tool)
                let inputs: [String?] = files.isEmpty ? [nil] : files
                let stream = try output.makeOutput(inputs: inputs, progress: progress)
                var kept = 0
                for input in inputs {
                    kept += try filterFrames(try inputOptions.makeReader(path: input, progress: progress), to: stream.writer) {
                        selector.matches($0.name) == keepingMatches
                    }.kept
                }
                // A pick that keeps nothing is a misspelled name, not an empty result to pass on
                // (a list may name frames that only some streams hold: one match is enough).
                if keepingMatches, kept == 0 {
                    throw ToolError("no frame matches '\(names)' in the stream")
                }
                try stream.finish()
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write frames as a .npy, .npz, MatrixMarket or CSV file.",
            discussion: """
                Every tool takes the last frame of a name, and so does export. FILE may be - for \
                stdout (binary .npy and .npz only into a pipe or a file, never a terminal).

                --npy     one frame, any dtype and shape, its storage order kept
                --npz     several frames, one array each, named by their frame names (default: \
                every frame); stored as np.savez does, or deflated with --compressed \
                (np.savez_compressed)
                --mtx     MatrixMarket: completion observations as a coordinate file (1-based \
                row, column, value; the noise level and provenance in a comment), any other \
                1- or 2-D frame as an array file
                --csv     a 0-, 1- or 2-D frame, one row per line

                The stream is FILE, or stdin when none is given; NAMES comes first, so with \
                --npz a file needs NAMES too ('*' for every frame).

                Examples:
                  frames export truth instance.frames --npy truth.npy   # np.load
                  frames export truth,estimate solved.frames --npz run.npz
                  frames export '*' solved.frames --npz all.npz --compressed
                  solve-flat instance.frames | frames export --npz all.npz
                  frames export observations --mtx obs.mtx < instance.frames
                  frames export estimate --csv - --delimiter tab < solved.frames
                """)

        @Argument(help: ArgumentHelp("The frame to export; with --npz, names or patterns, comma-separated (default: every frame).", valueName: "names"))
        var names: String?

        @Argument(help: ArgumentHelp("The stream to read (default: stdin; - is stdin).", valueName: "file"))
        var input: String?

        @Option(help: ArgumentHelp("Write a NumPy .npy file.", valueName: "file"))
        var npy: String?

        @Option(help: ArgumentHelp("Write a NumPy .npz archive of several frames.", valueName: "file"))
        var npz: String?

        @Option(help: ArgumentHelp("Write a MatrixMarket .mtx file.", valueName: "file"))
        var mtx: String?

        @Option(help: ArgumentHelp("Write CSV (one row per line). 0-, 1- and 2-D frames only.", valueName: "file"))
        var csv: String?

        @Flag(help: "With --npz: deflate the arrays, as np.savez_compressed does.")
        var compressed = false

        @Option(help: ArgumentHelp("With --csv: the field separator, one character (default ','), tab, or whitespace (a space).", valueName: "delimiter"))
        var delimiter: String?

        @Flag(name: [.customShort("f"), .long], help: "Overwrite the output file when it exists (never the input).")
        var force = false

        @OptionGroup var progressOptions: ProgressOptions
        @OptionGroup var inputOptions: InputOptions

        func validate() throws {
            guard [npy, npz, mtx, csv].compactMap({ $0 }).count == 1 else {
                throw ValidationError("give exactly one of --npy, --npz, --mtx or --csv FILE")
            }
            guard !compressed || npz != nil else { throw ValidationError("--compressed applies to --npz") }
            guard delimiter == nil || csv != nil else { throw ValidationError("--delimiter applies to --csv") }
            guard delimiter.map({ CSVDelimiter(argument: $0) != nil }) ?? true else {
                throw ValidationError("--delimiter takes one character, tab or whitespace")
            }
            if npz == nil {
                guard let names, !names.isEmpty else { throw ValidationError("name the frame to export") }
                guard !names.contains(",") else { throw ValidationError("--npy, --mtx and --csv write one frame; --npz writes several") }
            }
        }

        func run() throws {
            try runTool("frames export") {
                let reader = try inputOptions.makeReader(path: input)
                if let npz {
                    try exportArchive(reader, to: npz)
                } else if let mtx {
                    let spool = try FrameSpool()
                    while try reader.next() != nil { try spool.keep(reader) }
                    try writeText(try MatrixMarketFiles.export(names!, from: spool), to: mtx)
                } else if npy == "-" {
                    let sink = try standardOutput(binary: true)
                    let spool = try FrameSpool()
                    while let header = try reader.next() {
                        if header.name == names { try spool.keep(reader) }
                    }
                    guard !spool.headers.isEmpty else { throw ToolError("no frame named '\(names!)' in the stream") }
                    try spool.replayLastOfEachName { try NPYFiles.exportCurrentFrame(of: $0, to: sink) }
                } else {
                    try exportLastFrame(reader)
                }
            }
        }

        /// One frame to a .npy file or as CSV: a later frame of the name replaces what an
        /// earlier one wrote, so the file is final only at the end of the stream.
        private func exportLastFrame(_ reader: FrameReader) throws {
            var exported: OutputFile?
            var csvText: String?
            let separator = delimiter.flatMap(CSVDelimiter.init(argument:)) ?? .comma
            while let header = try reader.next() {
                guard header.name == names else { continue }
                exported?.discard()
                if let npy {
                    exported = try OutputFile(path: npy, overwrite: force, inputs: inputIdentities([input]))
                    try NPYFiles.exportCurrentFrame(of: reader, to: exported!)
                } else {
                    csvText = try CSVFiles.render(try reader.read(), delimiter: separator)
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
                throw ToolError("no frame named '\(names!)' in the stream")
            }
        }

        private func exportArchive(_ reader: FrameReader, to path: String) throws {
            let patterns = try names.map { try frameNames($0) } ?? []
            let selector = NameSelector(patterns.isEmpty ? ["*"] : patterns)
            let spool = try FrameSpool()
            while let header = try reader.next() {
                if selector.matches(header.name) { try spool.keep(reader) }
            }
            for pattern in patterns where !spool.headers.contains(where: { NameSelector([pattern]).matches($0.name) }) {
                throw ToolError("no frame matches '\(pattern)' in the stream")
            }
            guard !spool.headers.isEmpty else { throw ToolError("the stream has no frames to export") }
            let level: Int32? = compressed ? 6 : nil
            if path == "-" {
                try NPZFiles.exportArchive(from: spool, compressionLevel: level, to: try standardOutput(binary: true))
            } else {
                let file = try OutputFile(path: path, overwrite: force, inputs: inputIdentities([input]))
                try NPZFiles.exportArchive(from: spool, compressionLevel: level, to: file)
                try file.commit()
            }
        }

        private func writeText(_ bytes: [UInt8], to path: String) throws {
            let sink: ByteSink
            var file: OutputFile?
            if path == "-" {
                sink = try standardOutput(binary: false)
            } else {
                file = try OutputFile(path: path, overwrite: force, inputs: inputIdentities([input]))
                sink = file!
            }
            try bytes.withUnsafeBytes { try sink.write($0) }
            try file?.commit()
        }

        private func standardOutput(binary: Bool) throws -> ByteSink {
            if binary, StandardStreams.isTerminal(1) {
                throw ToolError("refusing to write a binary file to a terminal; redirect stdout or name a file")
            }
            try refuseStandardOutputAsInput([input])
            return FileDescriptorSink(descriptor: 1)
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Turn a .npy, .npz, MatrixMarket or CSV file into frames.",
            discussion: """
                FILE may be - for stdin. The format comes from the file's first bytes (.npy, zip, \
                %%MatrixMarket); text without them is CSV. --format overrides.

                .npy      one frame; streams through without being held in memory. Types a \
                frame does not hold are converted exactly (bool → uint8; int8, int16, uint16 → \
                int32; uint32, uint64 → int64; float16 → float32; big-endian → little-endian), \
                the original kept in the source_dtype attribute; complex, strings and objects \
                are refused.
                .npz      one frame per array, named by its key (np.savez, np.savez_compressed).
                .mtx      a coordinate file (real or integer; symmetric ones expanded) becomes a \
                matrix-completion instance, the frames entries and observations, ready for \
                solve-flat; an array file becomes one dense frame (--name).
                CSV       one frame, float64 (or --dtype); a first non-numeric line is kept as \
                column names.

                Examples:
                  frames import observations.npy --name observations > obs.frames
                  frames import arrays.npz > arrays.frames
                  frames import ratings.mtx | solve-flat \\
                    | frames export estimate --npy estimate.npy
                  frames import table.csv --name truth --delimiter ';' > truth.frames
                  python make_mask.py | frames import - --name mask > mask.frames
                  solve-flat inst.frames \\
                    | frames import --append mask.npy --name mask | evaluate
                  frames import --append mask.npy solved.frames --name mask -o out.frames
                """)

        @Argument(help: "A .npy, .npz, .mtx or CSV file; - for stdin.")
        var file: String

        @Argument(help: ArgumentHelp("With --append: the stream to pass on (default: stdin; - is stdin).", valueName: "stream"))
        var input: String?

        @Option(help: "Name of the new frame (.npy, CSV and array .mtx files).")
        var name: String?

        @Option(help: "File format (default: from the file's first bytes).")
        var format: FileFormat?

        @Option(help: "Element type for CSV input (default float64).")
        var dtype: DType?

        @Option(help: ArgumentHelp("CSV field separator: one character (default ','), tab, or whitespace (runs of spaces and tabs).", valueName: "delimiter"))
        var delimiter: String?

        @Option(name: .customLong("attr"), help: ArgumentHelp("Attribute KEY=VALUE on every frame made (VALUE parsed as JSON when it is JSON, else a string); repeatable.", valueName: "key=value"))
        var attributes: [String] = []

        @Flag(help: "Read a stream (STREAM, or stdin), pass it on, and append the new frames.")
        var append = false

        @OptionGroup var progressOptions: ProgressOptions
        @OptionGroup var inputOptions: InputOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if append, file == "-", input == nil || input == "-" {
                throw ValidationError("with --append the stream comes on stdin: name the file to import, or give the stream after it")
            }
            if !append, input != nil {
                throw ValidationError("a second file is the stream to append to: add --append")
            }
            guard delimiter.map({ CSVDelimiter(argument: $0) != nil }) ?? true else {
                throw ValidationError("--delimiter takes one character, tab or whitespace")
            }
        }

        func run() throws {
            try runTool("frames import") {
                let attributes = try parsedAttributes()
                // The stream to pass on is checked first: a terminal on stdin is refused before anything is read.
                let appended = append ? try inputOptions.makeReader(path: input) : nil
                if file == "-", StandardStreams.isTerminal(0) {
                    throw ToolError("refusing to read a file from a terminal; pipe one in or name a file")
                }
                let source = try ByteInput(path: file)
                let format = try self.format ?? FileFormat.detect(leadingBytes: source.peek(16), path: file)
                guard format == .csv || (dtype == nil && delimiter == nil) else {
                    throw ToolError("--dtype and --delimiter apply to CSV input, and \(source.label) is .\(format.rawValue)")
                }
                // Text formats are parsed whole before anything is written; binary ones stream.
                switch format {
                case .npy:
                    let name = try requiredName()
                    try writeFrames(after: appended) { try NPYFiles.importFile(from: source, name: name, attributes: attributes, to: $0,
                                                                                     budget: inputOptions.budget) }
                case .npz:
                    guard name == nil else { throw ToolError("--name does not apply to .npz: each array becomes a frame named by its key") }
                    try writeFrames(after: appended) { try NPZFiles.importArchive(from: source, attributes: attributes, to: $0) }
                case .mtx:
                    let frames: [Frame]
                    switch try MatrixMarketFiles.parse(source.readToEnd(), label: source.label) {
                    case .observations(let observations):
                        guard name == nil else {
                            throw ToolError("a coordinate .mtx becomes the frames 'entries' and 'observations'; --name applies to array files")
                        }
                        frames = MatrixMarketFiles.completionFrames(observations, attributes: attributes)
                    case .dense(let rows, let columns, let data):
                        frames = [Frame(name: try requiredName(), shape: [rows, columns], data: data, attributes: attributes)]
                    }
                    try writeFrames(after: appended) { writer in for frame in frames { try writer.write(frame) } }
                case .csv:
                    let name = try requiredName()
                    let text = String(decoding: try source.readToEnd(), as: UTF8.self)
                    let frame = try CSVFiles.parse(text, name: name, dtype: dtype ?? .float64,
                                                   delimiter: delimiter.flatMap(CSVDelimiter.init(argument:)) ?? .comma,
                                                   label: "CSV \(source.label)", attributes: attributes)
                    try writeFrames(after: appended) { try $0.write(frame) }
                }
            }
        }

        /// Opens the output, passes the --append stream on, and lets `body` add the new frames.
        private func writeFrames(after appended: FrameReader?, _ body: (FrameWriter) throws -> Void) throws {
            let stream = try output.makeOutput(inputs: append ? [file, input] : [file])
            if let appended {
                try filterFrames(appended, to: stream.writer) { _ in true }
            }
            try body(stream.writer)
            try stream.finish()
        }

        private func requiredName() throws -> String {
            guard let name, !name.isEmpty else { throw ToolError("give the new frame's name with --name") }
            return name
        }

        private func parsedAttributes() throws -> JSONObject {
            var attributes: JSONObject = [:]
            for pair in self.attributes {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw ToolError("--attr takes KEY=VALUE, got '\(pair)'")
                }
                let text = String(pair[pair.index(after: equals)...])
                attributes[String(pair[..<equals])] = (try? JSONValue.decode(Array(text.utf8))) ?? .string(text)
            }
            return appendingProvenance(provenanceEntry(tool: "frames import"), to: attributes)
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
extension FileFormat: ExpressibleByArgument {}

/// Comma-separated frame names, none empty.
private func frameNames(_ list: String) throws -> [String] {
    let names = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    guard !names.contains(where: \.isEmpty) else { throw ToolError("an empty name in '\(list)'") }
    return names
}
