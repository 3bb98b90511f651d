import Foundation
import FrameTools
import Frames

/// What the `frames` subcommands do with a stream: `ls` (headers and zstd framing, nothing
/// decompressed) and its table and JSON lines, `verify` (every payload decoded in chunks),
/// `pick`/`drop` (forwarding by name pattern), `export --csv` and `export --npy`. Exported
/// frames must import back to the same numbers.
@_cdecl("LLVMFuzzerTestOneInput")
public func framesToolFuzzTest(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = inputBytes(data, count)

    var listed: [FrameSummary] = []
    rejectingCleanly {
        try summarizeFrames(FrameReader(source: MemorySource(input), limits: fuzzLimits)) { summary in
            _ = summary.tableRow()
            _ = summary.json().encodedString()
            listed.append(summary)
        }
    }

    var verifiedCount = 0
    rejectingCleanly {
        try verifyFrames(FrameReader(source: MemorySource(input), limits: fuzzLimits)) { verified in
            require(verified.summary.header == listed[verified.summary.index].header, "verify and ls disagree on a header")
            require(verified.summary.compressedBytes == listed[verified.summary.index].compressedBytes,
                    "verify and ls disagree on a payload's size")
            verifiedCount += 1
        }
    }

    rejectingCleanly {
        let picked = MemorySink()
        let (kept, dropped) = try filterFrames(FrameReader(source: MemorySource(input), limits: fuzzLimits),
                                               to: FrameWriter(sink: picked)) { NameSelector(["truth*", "?bs*"]).matches($0.name) }
        require(kept + dropped == listed.count, "pick saw \(kept + dropped) frames where ls listed \(listed.count)")
        var again = 0
        try summarizeFrames(FrameReader(source: MemorySource(picked.bytes), limits: fuzzLimits)) { _ in again += 1 }
        require(again == kept, "pick kept \(kept) frames but wrote \(again)")
    }

    rejectingCleanly {
        let reader = FrameReader(source: MemorySource(input), limits: fuzzLimits)
        while let header = try reader.next() {
            switch reader.frameIndex % 2 {
            case 0:
                let frame = try reader.read()
                guard header.shape.count <= 2 else {
                    do {
                        _ = try CSVFiles.render(frame)
                        fatalError("CSV export accepted a \(header.shape.count)-D frame")
                    } catch is FrameError {}
                    continue
                }
                checkCSVRoundTrip(frame, text: try CSVFiles.render(frame))
            default:
                try checkNPYRoundTrip(reader)
            }
        }
    }
    return 0
}

/// float64 data reads back from CSV exactly (shortest round-trip digits, NaN and infinities
/// spelled out); other types and named columns have cases CSV cannot carry back.
private func checkCSVRoundTrip(_ frame: Frame, text: String) {
    guard frame.header.dtype == .float64, frame.header.elementCount > 0,
          frame.header.attributes[AttributeKey.columnNames] == nil else { return }
    do {
        let parsed = try CSVFiles.parse(text, name: frame.header.name)
        let expected = frame.columnMajor().data.withUnsafeBytes { Array($0) }
        require(parsed.data.withUnsafeBytes { Array($0) } == expected
                    || zip(parsed.data.doubles, frame.columnMajor().data.doubles).allSatisfy { $0.isNaN && $1.isNaN || $0 == $1 },
                "CSV export does not read back")
    } catch {
        fatalError("CSV export does not parse: \(error)")
    }
}

private let exportPath = NSTemporaryDirectory() + "/flatmin-fuzz-export-\(getpid()).npy"

/// `export --npy` of the current frame, then `import` of that file: the same dtype, shape
/// and data bytes.
private func checkNPYRoundTrip(_ reader: FrameReader) throws {
    let header = reader.header!
    defer { unlink(exportPath) }
    let file = try OutputFile(path: exportPath, overwrite: true)
    try NPYFiles.exportCurrentFrame(of: reader, to: file)
    try file.commit()
    let imported = MemorySink()
    do {
        let writer = FrameWriter(sink: imported, compression: CompressionSettings(level: 1, workers: 1))
        let importedHeader = try NPYFiles.importFile(from: ByteInput(path: exportPath), name: header.name, attributes: [:], to: writer)
        try writer.flush()
        require(importedHeader.dtype == header.dtype && importedHeader.shape == header.shape,
                "an exported .npy imports as \(importedHeader.dtype) \(importedHeader.shape), not \(header.dtype) \(header.shape)")
        let again = FrameReader(source: MemorySource(imported.bytes), limits: fuzzLimits)
        _ = try again.next()
        _ = try again.read()
    } catch {
        fatalError("an exported .npy does not import: \(error)")
    }
}
