@testable import Frames

/// Helpers shared by the Frames tests: build streams in memory and read them back.
enum StreamSupport {
    static func encode(_ frames: [Frame], compression: CompressionSettings = CompressionSettings()) throws -> [UInt8] {
        let sink = MemorySink()
        let writer = FrameWriter(sink: sink, compression: compression)
        for frame in frames { try writer.write(frame) }
        try writer.flush()
        return sink.bytes
    }

    static func decodeAll(_ bytes: [UInt8], limits: FrameLimits = FrameLimits()) throws -> [Frame] {
        let reader = FrameReader(source: MemorySource(bytes), limits: limits)
        var frames: [Frame] = []
        while try reader.next() != nil { frames.append(try reader.read()) }
        return frames
    }

    /// Expects decoding to fail and returns the error.
    static func decodeError(_ bytes: [UInt8], limits: FrameLimits = FrameLimits()) -> FrameError? {
        do {
            _ = try decodeAll(bytes, limits: limits)
            return nil
        } catch let error as FrameError {
            return error
        } catch {
            return nil
        }
    }

    /// A deterministic, barely compressible sequence (a 64-bit LCG), independent of the code under test.
    static func pseudoRandomDoubles(_ count: Int, seed: UInt64 = 1) -> [Double] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(Int64(bitPattern: state) >> 11) / Double(1 << 52)
        }
    }

    /// A skippable header frame around arbitrary JSON text, for hostile-header tests.
    static func headerFrame(json: String) -> [UInt8] {
        let body = Array(json.utf8)
        return ZstdFraming.littleEndianBytes(ZstdFraming.headerMagic)
            + ZstdFraming.littleEndianBytes(UInt32(body.count)) + body
    }

    /// Offset and length of the first header's skippable frame in `bytes`.
    static func headerLength(_ bytes: [UInt8]) -> Int {
        8 + Int(UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24)
    }
}
