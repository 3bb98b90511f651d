import ArgumentParser
import FrameTools
import Frames
import ToolSupport

@main
struct FramesCommand: ParsableCommand {
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
              cat truth.frames obs.frames | frames drop 'factor_*' | frames verify
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
                  frames ls --json instance.frames | jq -r .name     # JSON Lines, one object per frame
                """)

        @Argument(help: "Stream to list (default: stdin).")
        var file: String?

        @Flag(help: "One JSON object per frame (JSON Lines): index, name, dtype, shape, order, npy_bytes, compressed_bytes, attributes.")
        var json = false

        @OptionGroup var input: InputOptions

        func run() throws {
            try runTool("frames ls") {
                let reader = try input.makeReader(path: file)
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
                Example:
                  frames pick truth 'sensing*' < instance.frames > operator.frames
                """)

        @OptionGroup var filter: FilterArguments

        func run() throws { try filter.run(tool: "frames pick", keepingMatches: true) }
    }

    struct Drop: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the frames with these names (shell patterns allowed); pass the rest verbatim.",
            discussion: """
                Example:
                  frames drop truth 'outliers_*' < instance.frames | frames ls
                """)

        @OptionGroup var filter: FilterArguments

        func run() throws { try filter.run(tool: "frames drop", keepingMatches: false) }
    }

    /// What `pick` and `drop` share: they differ only in which side of the match they keep.
    struct FilterArguments: ParsableArguments {
        @Argument(help: "Frame names or patterns such as 'sensing*'.")
        var names: [String]

        @Option(name: [.short, .long], help: ArgumentHelp("Read this stream instead of stdin.", valueName: "file"))
        var input: String?

        @OptionGroup var inputOptions: InputOptions
        @OptionGroup var output: OutputOptions

        func run(tool: String, keepingMatches: Bool) throws {
            try runTool(tool) {
                let selector = NameSelector(names)
                let reader = try inputOptions.makeReader(path: input)
                let stream = try output.makeOutput(inputs: [input])
                try filterFrames(reader, to: stream.writer) { selector.matches($0.name) == keepingMatches }
                try stream.finish()
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the first frame with this name as a .npy or CSV file.",
            discussion: """
                Examples:
                  frames export truth --npy truth.npy < instance.frames     # numpy: np.load('truth.npy')
                  frames export estimate --csv - < solved.frames            # CSV on stdout, for R or a spreadsheet
                """)

        @Argument(help: "Name of the frame to export.")
        var name: String

        @Option(help: ArgumentHelp("Write a NumPy .npy file.", valueName: "file"))
        var npy: String?

        @Option(help: ArgumentHelp("Write CSV (one row per line; '-' for stdout). 0-, 1- and 2-D frames only.", valueName: "file"))
        var csv: String?

        @Option(name: [.short, .long], help: ArgumentHelp("Read this stream instead of stdin.", valueName: "file"))
        var input: String?

        @Flag(name: [.customShort("f"), .long], help: "Overwrite the .npy or CSV file when it exists (never the input).")
        var force = false

        @OptionGroup var inputOptions: InputOptions

        func validate() throws {
            guard (npy == nil) != (csv == nil) else { throw ValidationError("give exactly one of --npy FILE or --csv FILE") }
        }

        func run() throws {
            try runTool("frames export") {
                let reader = try inputOptions.makeReader(path: input)
                while let header = try reader.next() {
                    guard header.name == name else { continue }
                    if let npy {
                        let file = try OutputFile(path: npy, overwrite: force, inputs: inputIdentities([input]))
                        try NPYFiles.exportCurrentFrame(of: reader, to: file)
                    } else if let csv {
                        let text = try CSVFiles.render(try reader.read())
                        if csv == "-" {
                            try StandardStreams.output(text)
                        } else {
                            let file = try OutputFile(path: csv, overwrite: force, inputs: inputIdentities([input]))
                            var bytes = text
                            try bytes.withUTF8 { try file.write(UnsafeRawBufferPointer($0)) }
                            try file.commit()
                        }
                    }
                    return
                }
                throw ToolError("no frame named '\(name)' in the stream")
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
                  solve-flat < inst.frames | frames import --append mask.npy --name mask | evaluate
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

        @Flag(help: "Read a stream on stdin (or --input), pass it on, and append the new frame.")
        var append = false

        @Option(name: [.short, .long], help: ArgumentHelp("With --append: read this stream instead of stdin.", valueName: "file"))
        var input: String?

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
                let stream = try output.makeOutput(inputs: append ? [file, input] : [file])
                if append {
                    try filterFrames(try inputOptions.makeReader(path: input), to: stream.writer) { _ in true }
                }
                let detected = format ?? (file.lowercased().hasSuffix(".csv") ? .csv : .npy)
                switch detected {
                case .npy:
                    try NPYFiles.importFile(path: file, name: name, attributes: attributes, to: stream.writer)
                case .csv:
                    let source = try openForReading(file)
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

        @Flag(name: [.short, .long], help: "Print nothing when the stream is sound.")
        var quiet = false

        @OptionGroup var input: InputOptions

        func run() throws {
            try runTool("frames verify") {
                let reader = try input.makeReader(path: file)
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
