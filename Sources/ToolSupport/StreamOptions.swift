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
    /// counted on `progress`.
    public func makeReader(path: String? = nil, progress: ProgressReporter? = nil) throws -> FrameReader {
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

    @Option(parsing: .unconditional,
            help: ArgumentHelp("zstd compression level for new frames: negative (fastest), 1 (fast) to 19 (small); default 3.", valueName: "n"))
    public var level: Int32 = CompressionSettings.defaultLevel

    @Option(parsing: .unconditional, help: ArgumentHelp("Compression threads for large frames (the bytes do not depend on it).", valueName: "n"))
    public var threads: Int = CompressionSettings.availableCores

    public init() {}

    public func validate() throws {
        guard (-7...22).contains(level) else { throw ValidationError("--level must be between -7 and 22") }
        // zstd takes at most 256 workers; more threads than that only cost their stacks.
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    }

    /// The destination stream, its bytes counted on `progress`. Refuses a terminal, as zstd
    /// does: binary frames would only garble it.
    public func makeOutput(progress: ProgressReporter? = nil) throws -> StreamOutput {
        let compression = CompressionSettings(level: level, workers: threads)
        func counted(_ sink: ByteSink) -> ByteSink {
            guard let progress, progress.isEnabled else { return sink }
            return CountingSink(sink, reporter: progress)
        }
        if let output, output != "-" {
            let file = try AtomicFileSink(path: output)
            return StreamOutput(writer: FrameWriter(sink: counted(file), compression: compression), file: file)
        }
        guard !StandardStreams.isTerminal(1) else {
            throw ToolError("refusing to write binary frames to a terminal; redirect stdout or use -o FILE")
        }
        return StreamOutput(writer: FrameWriter(sink: counted(FileDescriptorSink(descriptor: 1)), compression: compression), file: nil)
    }
}

/// A stream being written; `finish()` flushes it and, for a file, moves it into place.
public struct StreamOutput {
    public let writer: FrameWriter
    let file: AtomicFileSink?

    public func finish() throws {
        try writer.flush()
        try file?.commit()
    }
}

/// `--truth` and `--estimate` take auto, dense or factors.
extension DenseStorage: ExpressibleByArgument {}
