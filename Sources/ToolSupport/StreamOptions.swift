import ArgumentParser
import Frames

/// How much memory a tool may ask for: `--max-frame-bytes`, the largest frame it reads and the
/// largest array or frame it makes, checked before anything is allocated.
public struct MemoryOptions: ParsableArguments {
    @Option(name: .customLong("max-frame-bytes"), parsing: .unconditional,
            help: ArgumentHelp("Refuse any frame read, and any array or frame to be made, larger than this many bytes (default: half of physical memory).",
                               valueName: "bytes"))
    public var maximumFrameBytes: Int?

    public init() {}

    public func validate() throws {
        if let maximumFrameBytes, maximumFrameBytes < 1 {
            throw ValidationError("--max-frame-bytes must be at least 1, got \(maximumFrameBytes)")
        }
    }

    public var limits: FrameLimits {
        FrameLimits(maximumFrameBytes: maximumFrameBytes ?? FrameLimits.defaultMaximumFrameBytes)
    }

    public var budget: MemoryBudget { MemoryBudget(maximumFrameBytes: maximumFrameBytes) }
}

/// Options every tool that reads a stream accepts.
public struct InputOptions: ParsableArguments {
    @OptionGroup public var memory: MemoryOptions

    public init() {}

    public var limits: FrameLimits { memory.limits }
    public var budget: MemoryBudget { memory.budget }

    /// A reader over `path`, or standard input when `path` is nil or `-`; what it reads is
    /// counted on `progress`. A terminal on stdin is refused, as zstd refuses it: nobody types
    /// frames, and waiting silently looks like a hang.
    public func makeReader(path: String? = nil, progress: ProgressReporter? = nil) throws -> FrameReader {
        if path == nil || path == "-", StandardStreams.isTerminal(0) {
            throw ToolError("refusing to read binary frames from a terminal; pipe a stream in or name a file")
        }
        let file: FileDescriptorSource = path == nil || path == "-" ? FileDescriptorSource(descriptor: 0) : try openForReading(path!)
        guard let progress, progress.isEnabled else { return FrameReader(source: file, limits: limits) }
        let counted = CountingSource(file, reporter: progress, total: regularFileSize(descriptor: file.descriptor))
        return FrameReader(source: counted, limits: limits)
    }
}

/// `-q/--quiet`, read the same by every tool: no progress line and no summary on stderr.
public struct ProgressOptions: ParsableArguments {
    @Flag(name: [.short, .long], help: "No progress and no summary on stderr (errors and warnings still appear).")
    public var quiet = false

    public init() {}

    /// The tool's progress line: drawn on stderr when it is a terminal and --quiet is not given.
    public func reporter(tool: String) -> ProgressReporter {
        ProgressReporter.standardError(tool: tool, quiet: quiet)
    }
}

/// Options every tool that writes a stream accepts.
public struct OutputOptions: ParsableArguments {
    @Option(name: [.customShort("o"), .long], help: ArgumentHelp("Write the stream to this file (complete or not at all) instead of stdout.", valueName: "file"))
    public var output: String?

    @Flag(name: [.customShort("f"), .long], help: "Overwrite the -o file when it exists (never an input of the same run).")
    public var force = false

    @Option(parsing: .unconditional,
            help: ArgumentHelp("zstd compression level for new frames: negative (fastest), 1 (fast) to 19 (small).", valueName: "n"))
    public var level: Int32 = CompressionSettings.defaultLevel

    @Option(parsing: .unconditional, help: ArgumentHelp("Compression threads for large frames (the bytes do not depend on it).", valueName: "n"))
    public var threads: Int = CompressionSettings.availableCores

    public init() {}

    public func validate() throws {
        guard (-7...22).contains(level) else { throw ValidationError("--level must be between -7 and 22") }
        // zstd takes at most 256 workers; more threads than that only cost their stacks.
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    }

    /// The destination stream, never one of `inputs` (paths; nil or `-` is stdin), its bytes
    /// counted on `progress`. Refuses a terminal, as zstd does: binary frames would only garble it.
    public func makeOutput(inputs: [String?], progress: ProgressReporter? = nil) throws -> StreamOutput {
        let compression = CompressionSettings(level: level, workers: threads)
        func counted(_ sink: ByteSink) -> ByteSink {
            guard let progress, progress.isEnabled else { return sink }
            return CountingSink(sink, reporter: progress)
        }
        if let output, output != "-" {
            let file = try OutputFile(path: output, overwrite: force, inputs: inputIdentities(inputs))
            return StreamOutput(writer: FrameWriter(sink: counted(file), compression: compression), file: file)
        }
        guard !StandardStreams.isTerminal(1) else {
            throw ToolError("refusing to write binary frames to a terminal; redirect stdout or use -o FILE")
        }
        try refuseStandardOutputAsInput(inputs)
        return StreamOutput(writer: FrameWriter(sink: counted(FileDescriptorSink(descriptor: 1)), compression: compression), file: nil)
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
