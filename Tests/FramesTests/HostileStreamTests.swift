import TestSupport
import Testing
@testable import Frames

/// Decompression bombs: a few kilobytes of zstd RLE blocks (4 bytes per 128 KiB of zeros) that
/// a reader must stop decoding long before their end. Where the reader stopped, the error's
/// byte offset, shows that it never expanded them.
@Suite("hostile streams")
struct HostileStreamTests {
    /// A zstd frame holding `prefix` as a raw block, then `zeros` zero bytes as RLE blocks, with
    /// `contentSize` in its header and a checksum field no reader may get to.
    static func zstdFrame(prefix: [UInt8], zeros: Int, contentSize: UInt64) -> [UInt8] {
        func blockHeader(_ size: Int, type: UInt32, last: Bool) -> [UInt8] {
            Array(ZstdFraming.littleEndianBytes(UInt32(size) << 3 | type << 1 | (last ? 1 : 0)).prefix(3))
        }
        var bytes = ZstdFraming.littleEndianBytes(ZstdFraming.frameMagic) + [0xC4, 7 << 3]
        bytes += (0..<8).map { UInt8(truncatingIfNeeded: contentSize >> (8 * $0)) }
        bytes += blockHeader(prefix.count, type: 0, last: zeros == 0) + prefix
        var remaining = zeros
        while remaining > 0 {
            let size = min(remaining, ZstdFraming.maximumBlockBytes)
            remaining -= size
            bytes += blockHeader(size, type: 1, last: remaining == 0) + [0]
        }
        return bytes + [0, 0, 0, 0]
    }

    static func header(shape: [Int], npyBytes: Int) -> [UInt8] {
        StreamSupport.headerFrame(json: #"{"format":"flatmin-frame","version":1,"name":"x","dtype":"float64","shape":\#(shape),"order":"F","npy_bytes":\#(npyBytes),"attributes":{}}"#)
    }

    /// A one-element frame whose `.npy` version 2 length field claims a 1 GiB dict, with
    /// npy_bytes and the zstd content size agreeing: it used to be allocated and filled
    /// (1 GiB resident) before the dict was found to be spaces.
    @Test func aNpyDictOfAGigabyteIsRefusedBeforeItIsRead() throws {
        let dictBytes = 1 << 30
        let preamble: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0] + ZstdFraming.littleEndianBytes(UInt32(dictBytes))
        let total = preamble.count + dictBytes + 8
        let stream = Self.header(shape: [1], npyBytes: total) + Self.zstdFrame(prefix: preamble, zeros: dictBytes + 8, contentSize: UInt64(total))
        #expect(stream.count < 40_000)
        let error = try #require(StreamSupport.decodeError(stream))
        #expect(error.kind == .malformed)
        #expect(error.message.contains("header length \(dictBytes) is implausible"))
        #expect(try #require(error.byteOffset) < 1000)
    }

    /// A three-element frame whose zstd frame announces the right content size and then holds
    /// a gigabyte: decoding stops at the content size, in the first RLE block.
    @Test func contentBeyondTheDeclaredSizeStopsTheDecoder() throws {
        let data = [UInt8](repeating: 0, count: 24)
        let npy = NPY.headerBytes(for: FrameHeader(name: "x", dtype: .float64, shape: [3]))
        let total = npy.count + data.count
        let stream = Self.header(shape: [3], npyBytes: total) + Self.zstdFrame(prefix: npy, zeros: 1 << 30, contentSize: UInt64(total))
        let error = try #require(StreamSupport.decodeError(stream))
        #expect(error.kind == .inconsistent)
        #expect(error.message == "payload is longer than its header says")
        #expect(try #require(error.byteOffset) < 1000)
    }
}
