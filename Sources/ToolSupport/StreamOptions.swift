import ArgumentParser
import Frames

/// Options every tool that reads a stream accepts.
public struct InputOptions: ParsableArguments {
    @Option(name: .customLong("max-frame-bytes"),
            help: ArgumentHelp("Refuse frames whose decompressed size exceeds this many bytes (default: half of physical memory).",
                               valueName: "bytes"))
    public var maximumFrameBytes: Int?

    public init() {}

    public var limits: FrameLimits {
        FrameLimits(maximumFrameBytes: maximumFrameBytes ?? FrameLimits.defaultMaximumFrameBytes)
    }

    /// A reader over `path`, or standard input when `path` is nil or `-`. A terminal on stdin is
    /// refused, as zstd refuses it: nobody types frames, and waiting silently looks like a hang.
    public func makeReader(path: String? = nil) throws -> FrameReader {
        if path == nil || path == "-", StandardStreams.isTerminal(0) {
            throw ToolError("refusing to read binary frames from a terminal; pipe a stream in or name a file")
        }
        let source: ByteSource = path == nil || path == "-" ? FileDescriptorSource(descriptor: 0) : try openForReading(path!)
        return FrameReader(source: source, limits: limits)
    }
}

/// Options every tool that writes a stream accepts.
public struct OutputOptions: ParsableArguments {
    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write the stream to this file (complete or not at all) instead of stdout.", valueName: "file"))
    public var output: String?

    @Flag(name: [.customShort("f"), .long], help: "Overwrite the -o file when it exists (never an input of the same run).")
    public var force = false

    @Option(parsing: .unconditional,
            help: ArgumentHelp("zstd compression level for new frames: negative (fastest), 1 (fast) to 19 (small); default 3.", valueName: "n"))
    public var level: Int32 = CompressionSettings.defaultLevel

    @Option(help: ArgumentHelp("Compression threads for large frames (the bytes do not depend on it).", valueName: "n"))
    public var threads: Int = CompressionSettings.availableCores

    public init() {}

    public func validate() throws {
        guard (-7...22).contains(level) else { throw ValidationError("--level must be between -7 and 22") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    /// The destination stream, never one of `inputs` (paths; nil or `-` is stdin). Refuses a
    /// terminal, as zstd does: binary frames would only garble it.
    public func makeOutput(inputs: [String?]) throws -> StreamOutput {
        let compression = CompressionSettings(level: level, workers: threads)
        if let output, output != "-" {
            let file = try OutputFile(path: output, overwrite: force, inputs: inputIdentities(inputs))
            return StreamOutput(writer: FrameWriter(sink: file, compression: compression), file: file)
        }
        guard !StandardStreams.isTerminal(1) else {
            throw ToolError("refusing to write binary frames to a terminal; redirect stdout or use -o FILE")
        }
        try refuseStandardOutputAsInput(inputs)
        return StreamOutput(writer: FrameWriter(sink: FileDescriptorSink(descriptor: 1), compression: compression), file: nil)
    }
}

/// A stream being written; `finish()` flushes it and, for a file, moves it into place.
public struct StreamOutput {
    public let writer: FrameWriter
    let file: OutputFile?

    public func finish() throws {
        try writer.flush()
        try file?.commit()
    }
}

/// `--truth` and `--estimate` take auto, dense or factors.
extension DenseStorage: ExpressibleByArgument {}

/// The files a run reads, to refuse writing over one of them: each path, and stdin (nil or
/// `-`) when a shell redirected it from a file.
public func inputIdentities(_ inputs: [String?]) -> [FileIdentity] {
    inputs.compactMap { path in
        path == nil || path == "-" ? FileIdentity(regularFileOn: 0) : FileIdentity(path: path!)
    }
}

/// `tool < a.frames >> a.frames` would read what it writes: refused before anything is written.
public func refuseStandardOutputAsInput(_ inputs: [String?]) throws {
    if let standardOutput = FileIdentity(regularFileOn: 1), inputIdentities(inputs).contains(standardOutput) {
        throw ToolError("stdout is also an input of this run; write to another file")
    }
}
