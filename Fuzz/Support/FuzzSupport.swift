import Frames

/// What every target shares: the limits its readers run under and the rule that a rejected
/// input surfaces as an error the tools can print in one line.

/// The tools' `--max-frame-bytes` at a size a fuzzer's inputs stay far below when honest, so
/// a few bytes that claim gigabytes are refused on the header, as they are in the tools
/// (the default there is half of physical memory, which only a real stream can reach).
let fuzzLimits = FrameLimits(maximumFrameBytes: 1 << 22)

/// The input as an array, the form `MemorySource` reads.
func inputBytes(_ data: UnsafePointer<UInt8>, _ count: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: count))
}

/// Runs `body`, accepting the errors the tools report as one line (`runTool` prints any
/// error's description) and stopping the fuzzer on anything else: a crash, an assertion, or
/// an error of a type `accepted` does not list, which would mean the parsing path lets a
/// foreign error through where a frame error was due.
func rejectingCleanly(_ accepted: [(any Error) -> Bool] = [], _ body: () throws -> Void) {
    do {
        try body()
    } catch is FrameError {
    } catch {
        guard accepted.contains(where: { $0(error) }) else {
            fatalError("unexpected error type \(type(of: error)): \(error)")
        }
    }
}

/// Stops the fuzzer with `message` when a property of the parsed input fails.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError(message()) }
}

/// A frame's header as canonical JSON bytes and its data as raw bytes: comparing these
/// compares frames bit for bit, NaN payloads included (`Frame`'s `==` says NaN ≠ NaN).
func canonicalBytes(_ frame: Frame) -> (header: [UInt8], data: [UInt8]) {
    (FrameWriter.encodedHeader(frame.header), frame.data.withUnsafeBytes { Array($0) })
}

/// Whether `header` is observations of matrix completion on a d1×d2 shape above 2²⁰ on a
/// side. Completion is the one family whose operator is sized by the `d1`, `d2` attributes
/// alone rather than by a frame: its entry index and rescaling hold d1 + d2 numbers, so a
/// stream of a few hundred bytes claiming d1 = 10⁹ asks for gigabytes before any check.
/// That is a known open problem (README, "Failure behaviour"); the targets that build
/// measurement sets leave such streams out instead of reporting it again on every run.
func claimsOversizedCompletion(_ header: FrameHeader) -> Bool {
    guard header.name.hasSuffix("observations"), header.attributes["operator"]?.stringValue == "completion" else { return false }
    let sides = ["d1", "d2"].map { header.attributes[$0]?.integerValue ?? 0 }
    return sides.contains { $0 > 1 << 20 }
}
