import Testing
import TestSupport
import Frames
@testable import FrameTools

/// The `.npy` file NumPy writes for `descriptor`, `shape` and raw data bytes.
private func npyFile(descriptor: String, shape: [Int], fortran: Bool = false, data: [UInt8]) -> [UInt8] {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var dict = Array("{'descr': '\(descriptor)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }".utf8)
    while (10 + dict.count + 1) % 64 != 0 { dict.append(0x20) }
    dict.append(0x0A)
    return NPY.magic + [1, 0, UInt8(dict.count & 0xFF), UInt8(dict.count >> 8)] + dict + data
}

private func importNPY(_ bytes: [UInt8]) throws -> Frame {
    let sink = MemorySink()
    let writer = FrameWriter(sink: sink)
    try NPYFiles.importFile(from: ByteInput(MemorySource(bytes), label: "test"), name: "x", attributes: [:], to: writer)
    try writer.flush()
    let reader = FrameReader(source: MemorySource(sink.bytes))
    _ = try reader.next()
    return try reader.read()
}

@Suite struct NPYConversionTests {
    @Test func bigEndianValuesAreByteSwapped() throws {
        // 1.5 is 0x3FF8000000000000; -2 is 0xC000000000000000: written most significant byte first.
        let doubles = try importNPY(npyFile(descriptor: ">f8", shape: [2], data: [0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0]))
        #expect(doubles.data == .float64([1.5, -2]))
        #expect(doubles.header.attributes[AttributeKey.sourceDType] == .string(">f8"))
        let integers = try importNPY(npyFile(descriptor: ">i4", shape: [2], data: [0, 0, 1, 2, 0xFF, 0xFF, 0xFF, 0xFE]))
        #expect(integers.data == .int32([258, -2]))
        let shorts = try importNPY(npyFile(descriptor: ">i2", shape: [2], data: [0x80, 0x00, 0x01, 0x00]))
        #expect(shorts.data == .int32([-32768, 256]))
        let unsigned = try importNPY(npyFile(descriptor: ">u4", shape: [1], data: [0xFF, 0xFF, 0xFF, 0xFF]))
        #expect(unsigned.data == .int64([4_294_967_295]))
    }

    @Test func narrowTypesWidenWithTheirSign() throws {
        #expect(try importNPY(npyFile(descriptor: "|i1", shape: [3], data: [0x80, 0x7F, 0xFF])).data == .int32([-128, 127, -1]))
        #expect(try importNPY(npyFile(descriptor: "<u2", shape: [2], data: [0xFF, 0xFF, 0x01, 0x00])).data == .int32([65535, 1]))
        let booleans = try importNPY(npyFile(descriptor: "|b1", shape: [3], data: [1, 0, 1]))
        #expect(booleans.data == .uint8([1, 0, 1]))
        #expect(booleans.header.attributes[AttributeKey.sourceDType] == .string("|b1"))
    }

    @Test func framesOwnTypesPassVerbatimWithoutAnAttribute() throws {
        let frame = try importNPY(npyFile(descriptor: "<i8", shape: [2, 1], fortran: true, data: [7, 0, 0, 0, 0, 0, 0, 0, 0xF9, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]))
        #expect(frame.data == .int64([7, -7]))
        #expect(frame.header.attributes.isEmpty)
        #expect(try NPYElementType(descriptor: "|u1").isVerbatim)
        #expect(try !NPYElementType(descriptor: "<u8").isVerbatim)
    }

    @Test func halfPrecisionValuesAreExact() {
        let cases: [(UInt16, Float)] = [
            (0x3C00, 1), (0xC000, -2), (0x7BFF, 65504), (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24),
            (0x0400, 0x1p-14), (0x3555, 0x1.554p-2), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        for (bits, value) in cases { #expect(NPYElementType.float(half: bits) == value) }
        #expect(NPYElementType.float(half: 0x8000).bitPattern == (-0.0 as Float).bitPattern)
        // A NaN keeps its payload in the high fraction bits.
        #expect(NPYElementType.float(half: 0x7E01).bitPattern == 0x7FC0_2000)
    }

    @Test func unrepresentableTypesAndValuesAreRefused() throws {
        for descriptor in ["<c16", "<f16", "|O", "<U3", "|S4", "<M8[D]", "|V8"] {
            #expect(throws: FrameError.self) { try NPYElementType(descriptor: descriptor) }
        }
        let tooLarge = npyFile(descriptor: "<u8", shape: [2], data: [1, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0, 0, 0, 0, 0x80])
        let error = #expect(throws: FrameError.self) { try importNPY(tooLarge) }
        #expect(error?.message == "test: uint64 value 9223372036854775808 (element 1) is above int64's range, the widest integer a frame holds")
        let structured = Array("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }".utf8)
        #expect(throws: FrameError.self) { try NPY.parseHeaderFields(structured) }
    }

    @Test func truncatedAndOverlongFilesAreRefused() {
        let file = npyFile(descriptor: ">f4", shape: [2], data: [0x3F, 0x80, 0, 0, 0x40, 0, 0, 0])
        #expect(throws: FrameError.self) { try importNPY(Array(file.dropLast())) }
        #expect(throws: FrameError.self) { try importNPY(file + [0]) }
    }
}

@Suite struct ZipArchiveTests {
    @Test func checksumMatchesTheStandardCheckValue() {
        var checksum = Checksum()
        Array("123456789".utf8).withUnsafeBytes { checksum.update($0) }
        #expect(checksum.value == 0xCBF4_3926)
    }

    private func archive(_ entries: [(String, [UInt8])], level: Int32?) throws -> [UInt8] {
        let sink = MemorySink()
        let writer = ZipWriter(sink: sink, compressionLevel: level)
        for (name, bytes) in entries {
            try writer.addEntry(name: name) { emit in
                // In uneven pieces, as frames arrive.
                var offset = 0
                while offset < bytes.count {
                    let end = min(bytes.count, offset + 1 + offset % 7000)
                    try bytes[offset..<end].withUnsafeBytes { try emit($0) }
                    offset = end
                }
            }
        }
        try writer.finish()
        return sink.bytes
    }

    /// The entries' names and contents. A stored entry's size is only in the descriptor after
    /// it, so, as the .npy inside tells the importer, `sizes` tells this reader where it ends.
    private func entries(of bytes: [UInt8], sizes: [Int]) throws -> [(String, [UInt8])] {
        let reader = ZipReader(ByteInput(MemorySource(bytes), label: "test"))
        var result: [(String, [UInt8])] = []
        while let entry = try reader.nextEntry() {
            let input = ByteInput(entry, label: entry.label)
            result.append((entry.name, try input.readExactly(sizes[result.count], "an entry")))
            #expect(try entry.finish() == 0)
        }
        return result
    }

    @Test(arguments: [nil, 1, 6] as [Int32?])
    func entriesReadBackAsWritten(level: Int32?) throws {
        var generator = SplitMix(seed: 3)
        let noise = (0..<100_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let repetitive = (0..<70_000).map { UInt8($0 % 13) }
        let written: [(String, [UInt8])] = [("noise.npy", noise), ("empty.npy", []), ("naïve.npy", repetitive)]
        let bytes = try archive(written, level: level)
        let read = try entries(of: bytes, sizes: written.map(\.1.count))
        #expect(read.map(\.0) == written.map(\.0))
        #expect(read.map(\.1) == written.map(\.1))
        if level != nil { #expect(bytes.count < noise.count + repetitive.count / 2) }
    }

    @Test func corruptionIsCaughtByTheChecksum() throws {
        var bytes = try archive([("x.npy", Array(repeating: 7, count: 1000))], level: nil)
        bytes[500] ^= 1
        let error = #expect(throws: FrameError.self) { _ = try entries(of: bytes, sizes: [1000]) }
        #expect(error?.message.contains("fails its CRC-32 check") == true)
        #expect(throws: FrameError.self) { _ = try entries(of: Array(bytes.prefix(700)), sizes: [1000]) }
    }
}

/// A small generator for test bytes (SplitMix64), independent of the toolkit's PCG64.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct MatrixMarketTests {
    private func parse(_ text: String) throws -> MatrixMarketFiles.Contents {
        try MatrixMarketFiles.parse(Array(text.utf8), label: "test")
    }

    @Test func coordinateFilesBecomeZeroBasedObservations() throws {
        let contents = try parse("%%MatrixMarket matrix coordinate real general\n% a comment\n\n3 2 3\n1 1 0.5\n3 2 -1e-3\n2 1 4\n")
        guard case .observations(let observations) = contents else { Issue.record("not observations"); return }
        #expect(observations.rows == 3 && observations.columns == 2)
        #expect(observations.entryRows == [0, 2, 1] && observations.entryColumns == [0, 1, 0])
        #expect(observations.values == [0.5, -0.001, 4])
        let frames = MatrixMarketFiles.completionFrames(observations, attributes: [:])
        #expect(frames[0].header.name == "entries" && frames[0].header.shape == [3, 2])
        #expect(frames[0].data == .int64([0, 2, 1, 0, 1, 0]))
        #expect(frames[1].header.attributes[AttributeKey.operatorFrames] == ["entries"])
    }

    @Test func symmetricFilesAreExpanded() throws {
        guard case .observations(let symmetric) = try parse("%%MatrixMarket matrix coordinate integer symmetric\n2 2 2\n1 1 3\n2 1 5\n") else {
            Issue.record("not observations"); return
        }
        #expect(symmetric.entryRows == [0, 1, 0] && symmetric.entryColumns == [0, 0, 1] && symmetric.values == [3, 5, 5])
        guard case .dense(_, _, let data) = try parse("%%MatrixMarket matrix array real skew-symmetric\n3 3\n1\n2\n3\n") else {
            Issue.record("not dense"); return
        }
        // Lower triangle column by column: (2,1) = 1, (3,1) = 2, (3,2) = 3; the upper is its negative.
        #expect(data == .float64([0, 1, 2, -1, 0, 3, -2, -3, 0]))
    }

    @Test func exportedObservationsParseBackExactly() throws {
        let values: [Double] = [0.1, -2.5e-300, 1e22, 5e-324, -0.0, .pi]
        let entries = Frame(name: "entries", shape: [6, 2], data: .int64([0, 1, 2, 3, 4, 0, 0, 0, 0, 1, 1, 1]))
        let observations = Frame(name: "observations", shape: [6], data: .float64(values), attributes: [
            "operator": "completion", "d1": 5, "d2": 2, "operator_frames": ["entries"], "noise_std": 0.25,
        ])
        let text = try MatrixMarketFiles.renderObservations(observations, entries: entries)
        guard case .observations(let back) = try MatrixMarketFiles.parse(text, label: "test") else { Issue.record("not observations"); return }
        #expect(back.values.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(back.entryRows == [0, 1, 2, 3, 4, 0] && back.entryColumns == [0, 0, 0, 1, 1, 1])
        #expect(back.recordedAttributes == ["noise_std": 0.25])
        let dense = Frame(name: "m", shape: [2, 2], data: .int32([1, -2, 3, 4]))
        guard case .dense(2, 2, let data) = try MatrixMarketFiles.parse(MatrixMarketFiles.renderDense(dense), label: "test") else {
            Issue.record("not dense"); return
        }
        #expect(data == .int64([1, -2, 3, 4]))
    }

    @Test func badFilesNameTheirLine() {
        let cases: [(String, String)] = [
            ("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n1 1 2\n", "test line 4 repeats entry (1, 1) of line 3"),
            ("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1\n", "test line 3: missing the value"),
            ("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1 1\n", "test line 3: expected 'row column value', found more"),
            ("%%MatrixMarket matrix coordinate real symmetric\n2 3 1\n1 1 1\n", "test is symmetric but not square (2×3)"),
            ("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n", "test ends before its 2×2 values do"),
            ("%%MatrixMarket matrix coordinate real general\n1000000 1000000 1000000\n1 1 1\n", "test declares 1000000 entries but is too short to hold them"),
            ("%%MatrixMarket vector coordinate real general\n", "test holds a 'vector', not a matrix"),
        ]
        for (text, message) in cases {
            let error = #expect(throws: FrameError.self) { try parse(text) }
            #expect(error?.message == message)
        }
    }
}

@Suite struct DelimitedTextTests {
    @Test func delimitersSplitFields() throws {
        let semicolons = try CSVFiles.parse("x;y\n1;2\n3;4\n", name: "t", delimiter: try #require(CSVDelimiter(argument: ";")))
        #expect(semicolons.header.shape == [2, 2] && semicolons.data == .float64([1, 3, 2, 4]))
        let tabs = try CSVFiles.parse("1\t2\n", name: "t", delimiter: try #require(CSVDelimiter(argument: "tab")))
        #expect(tabs.data == .float64([1, 2]))
        let aligned = try CSVFiles.parse("  1    2\n 10   -3\n", name: "t", delimiter: .whitespace)
        #expect(aligned.data == .float64([1, 10, 2, -3]))
        #expect(try CSVFiles.render(aligned, delimiter: .character("\t")) == "1\t2\n10\t-3\n")
        #expect(CSVDelimiter(argument: "ab") == nil && CSVDelimiter(argument: "\"") == nil)
    }

    @Test func emptyHeaderOnlyAndRaggedInputsAreRefused() {
        let cases: [(String, String)] = [
            ("", "CSV is empty: no rows to import"),
            (" \n\n", "CSV is empty: no rows to import"),
            ("1;2;3\n", "CSV has one line, taken as column names, and no rows of numbers; is the delimiter ';'? (--delimiter ';')"),
            ("1,2\n3,4,5\n", "CSV line 2 has 3 fields, expected 2 (delimiter ',')"),
        ]
        for (text, message) in cases {
            let error = #expect(throws: FrameError.self) { try CSVFiles.parse(text, name: "t") }
            #expect(error?.message == message)
        }
    }

    @Test func formatsAreToldByTheirFirstBytes() throws {
        #expect(try FileFormat.detect(leadingBytes: NPY.magic + [1, 0], path: "-") == .npy)
        #expect(try FileFormat.detect(leadingBytes: [0x50, 0x4B, 0x03, 0x04], path: "data.bin") == .npz)
        #expect(try FileFormat.detect(leadingBytes: Array("%%MatrixMarket matrix".utf8), path: "-") == .mtx)
        #expect(try FileFormat.detect(leadingBytes: Array("1,2\n".utf8), path: "table.txt") == .csv)
        #expect(throws: FrameError.self) { try FileFormat.detect(leadingBytes: Array("1,2\n".utf8), path: "x.npy") }
        #expect(throws: FrameError.self) { try FileFormat.detect(leadingBytes: [0x5C, 0x2A, 0x4D, 0x18], path: "-") }
    }
}
