import Frames
#if canImport(Glibc)
import Glibc
#endif

/// One line on stderr that says how far a long step has got, redrawn in place with `\r`.
///
/// Every tool reports through one of these: what it is doing (`status`), and how many bytes
/// it has read and written, which the counting source and sink of ``InputOptions`` and
/// ``OutputOptions`` add up. It draws only on a terminal and without `--quiet`, so pipes,
/// logs and scripts see nothing extra; it stays silent for the first `delay` seconds, so a
/// quick run never flickers; it redraws at most every `interval` seconds, so reporting from a
/// tight loop costs a clock read. Any other line on stderr erases it first
/// (``StandardStreams/error(_:)``), and ``runTool(_:_:)`` erases it at the end.
public final class ProgressReporter: @unchecked Sendable {
    public let tool: String
    /// Whether anything is ever drawn: stderr is a terminal and the tool is not quiet.
    public let isEnabled: Bool
    private let clock: () -> Double
    private let draw: (String) -> Void
    private let delay: Double
    private let interval: Double
    private let started: Double
    private var lastDrawn = -Double.infinity
    private var isShowing = false
    private var status: String?
    private var bytesRead = 0
    private var bytesReadTotal: Int?
    private var bytesWritten = 0
    private var lock = pthread_mutex_t()

    /// `clock` returns seconds on any monotonic scale; `draw` receives the exact bytes for the
    /// terminal (carriage returns and the erase-line sequence included).
    public init(tool: String, isEnabled: Bool, delay: Double = 1, interval: Double = 0.2,
                clock: @escaping () -> Double = ProgressReporter.monotonicSeconds,
                draw: ((String) -> Void)? = nil) {
        self.tool = tool
        self.isEnabled = isEnabled
        self.delay = delay
        self.interval = interval
        self.clock = clock
        self.draw = draw ?? { StandardStreams.raw($0) }
        self.started = clock()
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    /// The reporter of this process, drawing on stderr when it is a terminal and `quiet` is
    /// false; later lines on stderr and the end of ``runTool(_:_:)`` erase its line.
    public static func standardError(tool: String, quiet: Bool) -> ProgressReporter {
        let reporter = ProgressReporter(tool: tool, isEnabled: !quiet && StandardStreams.isTerminal(2))
        ActiveProgress.reporter = reporter
        return reporter
    }

    /// What the tool is doing now; replaces the previous status. Built only when it will be
    /// drawn.
    public func report(_ status: @autoclosure () -> String) {
        guard isEnabled else { return }
        update { $0.status = status() }
    }

    /// `status` with how much of it is done, as a percentage.
    public func report(_ status: String, completed: Int, of total: Int) {
        guard isEnabled else { return }
        update { reporter in
            let percent = total > 0 ? min(100, 100 * Double(completed) / Double(total)) : 100
            reporter.status = "\(status) \(Int(percent))%"
        }
    }

    /// Starts counting a new input from zero; `total` is its size when it is a file.
    public func beginInput(total: Int?) {
        guard isEnabled else { return }
        update { reporter in
            reporter.bytesRead = 0
            reporter.bytesReadTotal = total
        }
    }

    /// Counts bytes read from the current input.
    public func addBytesRead(_ count: Int) {
        guard isEnabled else { return }
        update { $0.bytesRead += count }
    }

    public func addBytesWritten(_ count: Int) {
        guard isEnabled else { return }
        update { $0.bytesWritten += count }
    }

    /// Erases the line if it is showing; the next report may draw it again.
    public func clear() {
        guard isEnabled else { return }
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if isShowing {
            draw("\r\u{1B}[K")
            isShowing = false
        }
    }

    /// The text of the line, without the terminal control bytes.
    var line: String {
        var parts: [String] = []
        if let status { parts.append(status) }
        if bytesRead > 0 {
            parts.append("read " + formatBytes(bytesRead) + (bytesReadTotal.map { " of " + formatBytes($0) } ?? ""))
        }
        if bytesWritten > 0 { parts.append("wrote " + formatBytes(bytesWritten)) }
        return "\(tool): " + (parts.isEmpty ? "working" : parts.joined(separator: ", "))
    }

    private func update(_ change: (ProgressReporter) -> Void) {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        change(self)
        let now = clock()
        guard now - started >= delay, now - lastDrawn >= interval else { return }
        lastDrawn = now
        isShowing = true
        draw("\r" + line + "\u{1B}[K")
    }

    public static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

/// The process's reporter, so that any line written to stderr can erase its line first.
enum ActiveProgress {
    nonisolated(unsafe) static var reporter: ProgressReporter?
}

/// A source that tells a reporter how many bytes have come through.
public final class CountingSource: ByteSource {
    private let source: ByteSource
    private let reporter: ProgressReporter

    /// `total` is the source's size when it is known (a file).
    public init(_ source: ByteSource, reporter: ProgressReporter, total: Int?) {
        self.source = source
        self.reporter = reporter
        reporter.beginInput(total: total)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try source.read(into: buffer)
        reporter.addBytesRead(count)
        return count
    }
}

/// A sink that tells a reporter how many bytes have gone out.
public final class CountingSink: ByteSink {
    private let sink: ByteSink
    private let reporter: ProgressReporter

    public init(_ sink: ByteSink, reporter: ProgressReporter) {
        self.sink = sink
        self.reporter = reporter
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try sink.write(bytes)
        reporter.addBytesWritten(bytes.count)
    }
}

/// The size of the regular file open on `descriptor`, or nil for a pipe or terminal.
public func regularFileSize(descriptor: Int32) -> Int? {
    var status = stat()
    guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
    return Int(status.st_size)
}
