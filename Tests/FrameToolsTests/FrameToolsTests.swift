import Testing
import TestSupport
import Frames
@testable import FrameTools

private let sample: [Frame] = [
    Frame(name: "truth", shape: [3, 2], data: .float64([1, 2, 3, 4, 5, 6]), attributes: ["rank": 2, "kind": "gaussian"]),
    Frame(name: "factor_left", shape: [3, 1], data: .float64([1, 0, 0])),
    Frame(name: "factor_right", shape: [2, 1], data: .float64([0, 1])),
    Frame(name: "mask", shape: [4], data: .uint8([1, 0, 1, 1])),
]

@Suite struct FrameToolsTests {
    @Test func summariesMatchWhatWasWritten() throws {
        let bytes = try encodeFrames(sample)
        var summaries: [FrameSummary] = []
        try summarizeFrames(FrameReader(source: MemorySource(bytes))) { summaries.append($0) }
        #expect(summaries.map(\.header.name) == sample.map(\.header.name))
        #expect(summaries.map(\.npyBytes) == sample.map(\.header.npyBytes))
        // The summaries' sizes account for every byte of the stream.
        let headerBytes = sample.map { FrameWriter.encodedHeader($0.header).count }.reduce(0, +)
        #expect(summaries.map(\.compressedBytes).reduce(0, +) + headerBytes == bytes.count)
        #expect(summaries[0].keyAttributes() == "kind=gaussian rank=2")
        #expect(summaries[0].json()["compressed_bytes"]?.integerValue == Int64(summaries[0].compressedBytes))
    }

    @Test func pickAndDropPartitionTheStream() throws {
        let bytes = try encodeFrames(sample)
        func run(_ keep: (FrameHeader) -> Bool) throws -> [UInt8] {
            let sink = MemorySink()
            try filterFrames(FrameReader(source: MemorySource(bytes)), to: FrameWriter(sink: sink), keep: keep)
            return sink.bytes
        }
        let factors = NameSelector(["factor_*"])
        let picked = try run { factors.matches($0.name) }
        let dropped = try run { !factors.matches($0.name) }
        #expect(try encodeFrames(Array(sample[1...2])) == picked)
        #expect(try encodeFrames([sample[0], sample[3]]) == dropped)
        #expect(NameSelector(["truth", "m?sk"]).matches("mask"))
        #expect(!NameSelector(["truth"]).matches("truthy"))
    }

    @Test func verificationCountsNonFiniteValues() throws {
        let frames = [Frame(name: "x", shape: [4], data: .float64([1, .nan, .infinity, -0.0])),
                      Frame(name: "y", shape: [2], data: .float32([.nan, 1]))]
        var counts: [Int?] = []
        try verifyFrames(FrameReader(source: MemorySource(try encodeFrames(frames)))) { counts.append($0.nonFiniteCount) }
        #expect(counts == [2, 1])
    }

    @Test func csvRoundTripsExactly() throws {
        let values: [Double] = [0.1, -2.5e-300, .nan, .infinity, 1e22, 3, -0.0, 5e-324]
        let frame = Frame(name: "m", shape: [4, 2], data: .float64(values), attributes: ["columns": ["a", "b"]])
        let text = try CSVFiles.render(frame)
        // Column-major 4×2: row 0 holds values[0] and values[4], row 2 values[2] and values[6].
        #expect(text == "a,b\n0.1,1e+22\n-2.5e-300,3\nNaN,-0.0\nInf,5e-324\n")
        let parsed = try CSVFiles.parse(text, name: "m")
        #expect(parsed.header.shape == [4, 2])
        #expect(parsed.header.attributes["columns"] == ["a", "b"])
        guard case .float64(let back) = parsed.data else { Issue.record("dtype"); return }
        for (a, b) in zip(back, values) { #expect(a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)) }
    }

    @Test func csvRejectsRaggedAndNonNumericRows() throws {
        #expect(throws: FrameError.self) { try CSVFiles.parse("1,2\n3\n", name: "x") }
        let error = #expect(throws: FrameError.self) { try CSVFiles.parse("1,2\n3,abc\n", name: "x") }
        #expect(error?.message == "CSV line 2 field 2: 'abc' is not a number")
        #expect(throws: FrameError.self) { try CSVFiles.parse("1.5\n", name: "x", dtype: .int64) }
        #expect(try CSVFiles.parse("1\n2\n", name: "x", dtype: .uint8).data == .uint8([1, 2]))
    }
}
