import Testing
import TestSupport
@testable import Frames

@Suite struct FrameRoundTripTests {
    @Test func everyDTypeAndRankRoundTrips() throws {
        let frames = [
            Frame(name: "scalar", shape: [], data: .float64([3.25])),
            Frame(name: "vector", shape: [5], data: .float32([1, -2, 3.5, 0, 7])),
            Frame(name: "matrix", shape: [2, 3], data: .int64([1, 2, 3, 4, 5, Int64.min])),
            Frame(name: "cube", shape: [2, 2, 2], data: .int32([0, 1, 2, 3, 4, 5, 6, Int32.max])),
            Frame(name: "bytes", shape: [4, 1], data: .uint8([0, 1, 254, 255])),
            Frame(name: "empty", shape: [0, 4], data: .float64([]), attributes: ["note": "no rows"]),
            Frame(name: "column", shape: [3, 1], data: .float64([1, 2, 3])),  // C and F order coincide
            Frame(name: "huge-but-empty", shape: [2_000_000_000, 2_000_000_000, 0], data: .uint8([])),
        ]
        let decoded = try decodeFrames(try encodeFrames(frames))
        #expect(decoded == frames)
    }

    @Test func attributesKeepTheirTypes() throws {
        let attributes: JSONObject = [
            "seed": .integer(9_007_199_254_740_993),  // 2^53 + 1: would not survive as a double
            "sigma": .double(0.125),
            "provenance": [["tool": "test", "arguments": ["--x", "1"]]],
            "flag": true,
            "missing": .null,
        ]
        let frame = Frame(name: "x", shape: [1], data: .float64([1]), attributes: attributes)
        let decoded = try decodeFrames(try encodeFrames([frame]))
        #expect(decoded.first?.header.attributes == attributes)
    }

    @Test func sameFramesGiveSameBytes() throws {
        let frame = Frame(name: "x", shape: [10, 10], data: .float64(pseudoRandomDoubles(100)),
                          attributes: ["b": 1, "a": 2, "c": ["z": 1, "y": 2]])
        #expect(try encodeFrames([frame]) == encodeFrames([frame]))
    }

    @Test func multithreadedOutputDoesNotDependOnWorkerCount() throws {
        let values = pseudoRandomDoubles(1 << 20)  // 8 MiB: over the threshold
        let frame = Frame(name: "big", shape: [1024, 1024], data: .float64(values))
        let one = try encodeFrames([frame], compression: CompressionSettings(workers: 1, multithreadingThreshold: 1 << 20))
        let four = try encodeFrames([frame], compression: CompressionSettings(workers: 4, multithreadingThreshold: 1 << 20))
        #expect(one == four)
        #expect(try decodeFrames(four) == [frame])
    }

    @Test func outputDoesNotDependOnHowDataIsChunked() throws {
        let values = pseudoRandomDoubles(300_000)
        let header = FrameHeader(name: "x", dtype: .float64, shape: [300_000])
        func encode(chunkElements: Int) throws -> [UInt8] {
            let sink = MemorySink()
            let writer = FrameWriter(sink: sink, compression: CompressionSettings(workers: 2, multithreadingThreshold: 1 << 20))
            try writer.write(header: header) { emit in
                try values.withUnsafeBytes { all in
                    var start = 0
                    while start < all.count {
                        let end = min(all.count, start + chunkElements * 8)
                        try emit(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                        start = end
                    }
                }
            }
            try writer.flush()
            return sink.bytes
        }
        #expect(try encode(chunkElements: 300_000) == encode(chunkElements: 1_000))
    }

    @Test func rowMajorFramesConvertToColumnMajor() throws {
        // The 2×3 matrix [[1,2,3],[4,5,6]] as NumPy stores it (C order) and as BLAS does (F order).
        let rowMajor = Frame(header: FrameHeader(name: "m", dtype: .float64, shape: [2, 3], order: .rowMajor),
                             data: .float64([1, 2, 3, 4, 5, 6]))
        let columnMajor = rowMajor.columnMajor()
        #expect(columnMajor.data == .float64([1, 4, 2, 5, 3, 6]))
        #expect(columnMajor.rowMajor() == rowMajor)
        let decoded = try decodeFrames(try encodeFrames([rowMajor]))
        #expect(decoded == [rowMajor])
    }

    @Test func threeDimensionalReorderMatchesIndexFormula() {
        let shape = [2, 3, 4]
        // Row-major: element (i,j,k) at i*12 + j*4 + k holds its own "ijk" code.
        var values: [Int64] = []
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 { values.append(Int64(100 * i + 10 * j + k)) } } }
        let frame = Frame(header: FrameHeader(name: "t", dtype: .int64, shape: shape, order: .rowMajor), data: .int64(values))
        guard case .int64(let reordered) = frame.columnMajor().data else { Issue.record("dtype changed"); return }
        for i in 0..<2 { for j in 0..<3 { for k in 0..<4 {
            #expect(reordered[i + 2 * j + 6 * k] == Int64(100 * i + 10 * j + k))
        } } }
    }

    @Test func concatenatedStreamsHoldBothFramesInOrder() throws {
        let a = Frame(name: "a", shape: [2], data: .float64([1, 2]))
        let b = Frame(name: "b", shape: [1], data: .uint8([7]))
        let joined = try encodeFrames([a]) + encodeFrames([b])
        #expect(try decodeFrames(joined) == [a, b])
        #expect(try decodeFrames([]) == [])
    }

    @Test func forwardingCopiesFramesByteForByteWithoutDecoding() throws {
        let frames = [
            Frame(name: "a", shape: [50, 40], data: .float64(pseudoRandomDoubles(2000))),
            Frame(name: "b", shape: [3], data: .int64([1, 2, 3])),
            Frame(name: "c", shape: [0], data: .float32([])),
        ]
        let stream = try encodeFrames(frames)
        let reader = FrameReader(source: MemorySource(stream))
        let sink = MemorySink()
        let writer = FrameWriter(sink: sink)
        var names: [String] = []
        while let header = try reader.next() {
            names.append(header.name)
            if header.name == "a" {
                _ = try reader.read(forwardingTo: writer)  // decode and forward at once
            } else {
                try reader.forward(to: writer)
            }
        }
        try writer.flush()
        #expect(names == ["a", "b", "c"])
        #expect(sink.bytes == stream)
    }

    @Test func skipReportsTheCompressedPayloadSize() throws {
        let frame = Frame(name: "a", shape: [1000], data: .float64(pseudoRandomDoubles(1000)))
        let stream = try encodeFrames([frame])
        let reader = FrameReader(source: MemorySource(stream))
        _ = try reader.next()
        let payload = try reader.skip()
        #expect(payload == stream.count - StreamSupport.headerLength(stream))
        #expect(try reader.next() == nil)
    }

    @Test func chunkedReadSeesTheSameBytes() throws {
        let values = pseudoRandomDoubles(10_000)
        let stream = try encodeFrames([Frame(name: "a", shape: [10_000], data: .float64(values))])
        let reader = FrameReader(source: MemorySource(stream))
        _ = try reader.next()
        var collected: [UInt8] = []
        var pieces = 0
        try reader.readChunks(chunkBytes: 4096) { collected += $0; pieces += 1 }
        #expect(pieces == (80_000 + 4095) / 4096)
        #expect(collected == values.withUnsafeBytes { Array($0) })
    }

    @Test func npyHeaderMatchesNumPyLayout() {
        // NEP 1's layout; the Python tests compare these bytes with what numpy itself writes.
        let header = FrameHeader(name: "m", dtype: .float64, shape: [3, 4])
        let bytes = NPY.headerBytes(for: header)
        #expect(bytes.count % 64 == 0)
        #expect(Array(bytes[0..<8]) == NPY.magic + [1, 0])
        let text = String(decoding: bytes[10...], as: UTF8.self)
        #expect(text.hasPrefix("{'descr': '<f8', 'fortran_order': True, 'shape': (3, 4), }"))
        #expect(text.hasSuffix(" \n"))
        #expect(String(decoding: NPY.headerBytes(for: FrameHeader(name: "v", dtype: .uint8, shape: [7]))[10...], as: UTF8.self)
            .hasPrefix("{'descr': '|u1', 'fortran_order': False, 'shape': (7,), }"))
    }
}
