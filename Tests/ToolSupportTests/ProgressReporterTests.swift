import Frames
import Testing
@testable import ToolSupport

/// A reporter on a clock the test moves, drawing into a list instead of a terminal.
private final class Harness {
    var now = 100.0
    var drawn: [String] = []
    lazy var reporter = ProgressReporter(tool: "tool", isEnabled: true, delay: 1, interval: 0.2,
                                         clock: { self.now }, draw: { self.drawn.append($0) })
}

@Suite struct ProgressReporterTests {
    @Test func silentDuringTheDelayThenOneUpdatingLine() {
        let harness = Harness()
        let reporter = harness.reporter
        reporter.report("step one")
        harness.now += 0.5
        reporter.report("step two")
        #expect(harness.drawn.isEmpty)
        harness.now += 0.6
        reporter.report("step three")
        #expect(harness.drawn == ["\rtool: step three\u{1B}[K"])
    }

    @Test func redrawsAtMostOncePerInterval() {
        let harness = Harness()
        let reporter = harness.reporter
        harness.now += 2
        for i in 0..<1000 { reporter.report(String(i)) }
        #expect(harness.drawn.count == 1)
        harness.now += 0.1
        reporter.report("too soon")
        #expect(harness.drawn.count == 1)
        harness.now += 0.15
        reporter.report("in time")
        #expect(harness.drawn.last == "\rtool: in time\u{1B}[K")
        #expect(harness.drawn.count == 2)
    }

    @Test func clearErasesOnlyAShownLine() {
        let harness = Harness()
        let reporter = harness.reporter
        reporter.clear()
        #expect(harness.drawn.isEmpty)
        harness.now += 2
        reporter.report("working hard")
        reporter.clear()
        reporter.clear()
        #expect(harness.drawn == ["\rtool: working hard\u{1B}[K", "\r\u{1B}[K"])
    }

    @Test func disabledDrawsNothingEver() {
        var now = 0.0
        var drawn: [String] = []
        let reporter = ProgressReporter(tool: "tool", isEnabled: false, clock: { now }, draw: { drawn.append($0) })
        now = 100
        reporter.report("status")
        reporter.report("part", completed: 1, of: 2)
        reporter.addBytesWritten(1 << 20)
        reporter.clear()
        #expect(drawn.isEmpty)
    }

    @Test func lineCombinesStatusAndBytes() throws {
        let harness = Harness()
        let reporter = harness.reporter
        reporter.report("drawing", completed: 1, of: 3)
        #expect(reporter.line == "tool: drawing 33%")
        let source = CountingSource(MemorySource([UInt8](repeating: 7, count: 3000)), reporter: reporter, total: 3000)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 8)
        defer { buffer.deallocate() }
        var passed = 0
        while case let n = try source.read(into: buffer), n > 0 { passed += n }
        #expect(passed == 3000)
        let memory = MemorySink()
        try CountingSink(memory, reporter: reporter).write(UnsafeRawBufferPointer(rebasing: buffer[0..<512]))
        #expect(memory.bytes.count == 512)
        #expect(reporter.line == "tool: drawing 33%, read 2.93 KiB of 2.93 KiB, wrote 512 B")
        _ = CountingSource(MemorySource([]), reporter: reporter, total: nil)
        #expect(reporter.line == "tool: drawing 33%, wrote 512 B")
    }
}
