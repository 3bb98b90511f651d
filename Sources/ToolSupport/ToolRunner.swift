import ArgumentParser
import Frames
#if canImport(Glibc)
import CMalloc
import Glibc
#endif

/// The toolkit's version, reported by every tool's `--version` and recorded in provenance.
public enum Toolkit {
    public static let version = "0.1.0"
}

/// A mistake a person made or a condition a tool cannot work under, said in one line.
public struct ToolError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a tool's body with the toolkit's error conventions: one line on stderr,
/// `tool: what went wrong (frame 2 'observations', byte 4096)`, and exit status 1; no stack
/// traces. A closed downstream pipe ends the tool quietly with status 0, as `head` expects.
public func runTool(_ tool: String, _ body: () throws -> Void) throws {
    defer { ActiveProgress.reporter?.clear() }
    do {
        try body()
    } catch let error as FrameError where error.kind == .brokenPipe {
        throw ExitCode.success
    } catch let error as ExitCode {
        throw error
    } catch {
        StandardStreams.error("\(tool): \(error)")
        throw ExitCode.failure
    }
}

/// Text to people (stderr) and scripts (stdout), written straight to the descriptors so a
/// closed pipe is noticed as an error instead of being buffered away.
public enum StandardStreams {
    /// Erases the progress line first, so the text starts at the left margin and stays.
    public static func error(_ line: String) {
        ActiveProgress.reporter?.clear()
        let text = line.hasSuffix("\n") ? line : line + "\n"
        _ = try? write(text, to: 2)
    }

    /// Bytes for the terminal on stderr as they are (the progress line's control sequences).
    static func raw(_ text: String) {
        _ = try? write(text, to: 2)
    }

    /// Erases the progress line first, in case stdout is the same terminal.
    public static func output(_ text: String) throws {
        ActiveProgress.reporter?.clear()
        try write(text, to: 1)
    }

    public static func isTerminal(_ descriptor: Int32) -> Bool {
        isatty(descriptor) == 1
    }

    private static func write(_ text: String, to descriptor: Int32) throws {
        var text = text
        try text.withUTF8 { try FileDescriptorSink(descriptor: descriptor).write(UnsafeRawBufferPointer($0)) }
    }
}

/// One stage's entry in a frame's `provenance` attribute: enough to rerun it. Options that
/// change where output goes or how fast it is made, never what it holds, are left out, so
/// `--threads 1` and `--threads 2` write the same bytes; so are the streams read (`inputs`), so
/// `tool run.frames` and `tool < run.frames` do too.
public func provenanceEntry(tool: String, arguments: [String] = Array(CommandLine.arguments.dropFirst()),
                            seed: UInt64? = nil, inputs: [String?] = []) -> JSONValue {
    let streams = Set(inputs.compactMap { $0 })
    var entry: JSONObject = [
        ProvenanceKey.tool: .string(tool),
        ProvenanceKey.version: .string(Toolkit.version),
        ProvenanceKey.arguments: .array(reproducingArguments(arguments).filter { !streams.contains($0) }.map { .string($0) }),
    ]
    // JSON readers commonly hold integers as Int64; larger seeds are kept exact as text.
    if let seed { entry[ProvenanceKey.seed] = seed <= UInt64(Int64.max) ? .integer(Int64(seed)) : .string(String(seed)) }
    return .object(entry)
}

/// Options that do not affect the frames' content, with whether they take a value.
private let contentNeutralOptions: [String: Bool] = [
    "--threads": true, "-o": true, "--output": true, "--max-frame-bytes": true,
    "--quiet": false, "-q": false, "--force": false, "-f": false,
]

func reproducingArguments(_ arguments: [String]) -> [String] {
    var kept: [String] = []
    var skipValue = false
    for argument in arguments {
        if skipValue {
            skipValue = false
            continue
        }
        let option = String(argument.split(separator: "=", maxSplits: 1).first ?? "")
        if let takesValue = contentNeutralOptions[option] {
            skipValue = takesValue && !argument.contains("=")
            continue
        }
        kept.append(argument)
    }
    return kept
}

/// Appends a provenance entry to a frame's attributes.
public func appendingProvenance(_ entry: JSONValue, to attributes: JSONObject) -> JSONObject {
    var attributes = attributes
    attributes[AttributeKey.provenance] = .array((attributes[AttributeKey.provenance]?.arrayValue ?? []) + [entry])
    return attributes
}

/// How the C allocator treats large buffers.
public enum AllocatorPolicy {
    /// Large buffers come from the heap and freed ones stay with the process, instead of each
    /// being mapped fresh and unmapped on release. An iterative solver allocates buffers of the
    /// same few megabytes every step; mapped fresh, each one costs its pages' faults and zeroing
    /// again (a third of a Newton step's time at d = 50). The peak resident size is unchanged:
    /// memory is reused, not kept in addition.
    public static func reuseLargeBuffers() {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 30)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
    }
}

/// A tool's command: parsed and run like any `ParsableCommand`, except that a mistake on the
/// command line (an unknown option, a value that is not a number, a failed `validate()`) is
/// reported as one line, `tool: what is wrong (see --help)`, with the usage left to `--help`.
public protocol ToolCommand: ParsableCommand {
    /// Options of sibling tools that mean something else here, with what to say when one is
    /// given (see `misspelledOption(in:renamed:)`).
    static var renamedOptions: [String: String] { get }
}

extension ToolCommand {
    public static var renamedOptions: [String: String] { [:] }

    public static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let problem = misspelledOption(in: arguments, renamed: renamedOptions) {
            StandardStreams.error(problem)
            exit(withError: ExitCode.validationFailure)
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            let message = self.message(for: error)
            guard exitCode(for: error) != .success, !message.isEmpty else { exit(withError: error) }
            let firstLine = message.split(separator: "\n").first.map(String.init) ?? message
            StandardStreams.error("\(invokedName(arguments)): \(firstLine) (see --help)")
            exit(withError: exitCode(for: error))
        }
    }

    /// The tool's name, with the subcommand when one was given (`frames export`), as the
    /// tools' other messages name themselves.
    private static func invokedName(_ arguments: [String]) -> String {
        let tool = configuration.commandName ?? "tool"
        guard let first = arguments.first(where: { !$0.hasPrefix("-") }),
              configuration.subcommands.contains(where: { $0._commandName == first }) else { return tool }
        return "\(tool) \(first)"
    }
}
