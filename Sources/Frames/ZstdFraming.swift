/// The parts of zstd's framing (RFC 8878 §3.1) that let a reader find where a frame ends
/// without decompressing it: frame header, block headers, checksum.
enum ZstdFraming {
    static let frameMagic: UInt32 = 0xFD2F_B528
    static let headerMagic: UInt32 = 0x184D_2A5C
    static let skippableMagicRange: ClosedRange<UInt32> = 0x184D_2A50...0x184D_2A5F
    static let maximumBlockBytes = 128 * 1024
    /// Magic, descriptor, window byte, dictionary id and content size at their largest.
    static let maximumFrameHeaderBytes = 18

    struct FrameHeader {
        var headerBytes: Int
        var contentSize: UInt64?
        var hasChecksum: Bool
    }

    /// How many header bytes the descriptor byte (the fifth byte of the frame) announces.
    static func frameHeaderBytes(descriptor: UInt8) -> Int {
        let singleSegment = descriptor & 0x20 != 0
        let dictionaryIDBytes = [0, 1, 2, 4][Int(descriptor & 0x03)]
        let contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][Int(descriptor >> 6)]
        return 5 + (singleSegment ? 0 : 1) + dictionaryIDBytes + contentSizeBytes
    }

    /// Parses a frame header from its first bytes (at least `frameHeaderBytes(descriptor:)`).
    static func parseFrameHeader(_ bytes: UnsafeRawBufferPointer) throws -> FrameHeader {
        guard bytes.count >= 5, readUInt32(bytes, at: 0) == frameMagic else {
            throw FrameError(.malformed, "expected a zstd frame holding the payload")
        }
        let descriptor = bytes[4]
        guard descriptor & 0x08 == 0 else {
            throw FrameError(.malformed, "payload zstd frame header has its reserved bit set")
        }
        guard descriptor & 0x03 == 0 else {
            throw FrameError(.malformed, "payload zstd frame names a dictionary")
        }
        let headerBytes = frameHeaderBytes(descriptor: descriptor)
        precondition(bytes.count >= headerBytes)
        let singleSegment = descriptor & 0x20 != 0
        let dictionaryIDBytes = [0, 1, 2, 4][Int(descriptor & 0x03)]
        let contentSizeFlag = Int(descriptor >> 6)
        let contentSizeOffset = 5 + (singleSegment ? 0 : 1) + dictionaryIDBytes
        var contentSize: UInt64?
        switch (contentSizeFlag, singleSegment) {
        case (0, false): contentSize = nil
        case (0, true): contentSize = UInt64(bytes[contentSizeOffset])
        case (1, _): contentSize = readLittleEndian(bytes, at: contentSizeOffset, count: 2) + 256
        case (2, _): contentSize = readLittleEndian(bytes, at: contentSizeOffset, count: 4)
        default: contentSize = readLittleEndian(bytes, at: contentSizeOffset, count: 8)
        }
        return FrameHeader(headerBytes: headerBytes, contentSize: contentSize, hasChecksum: descriptor & 0x04 != 0)
    }

    struct BlockHeader {
        var isLast: Bool
        /// Bytes of block content that follow the 3-byte block header.
        var contentBytes: Int
    }

    static func parseBlockHeader(_ bytes: UnsafeRawBufferPointer) throws -> BlockHeader {
        let word = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16
        let size = Int(word >> 3)
        switch (word >> 1) & 0x3 {
        case 1:  // RLE: one byte repeated `size` times
            return BlockHeader(isLast: word & 1 != 0, contentBytes: 1)
        case 3:
            throw FrameError(.malformed, "payload zstd frame has a reserved block type")
        default:
            guard size <= maximumBlockBytes else {
                throw FrameError(.malformed, "payload zstd block claims \(size) bytes, more than zstd allows")
            }
            return BlockHeader(isLast: word & 1 != 0, contentBytes: size)
        }
    }

    static func readUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(readLittleEndian(bytes, at: offset, count: 4))
    }

    static func readLittleEndian(_ bytes: UnsafeRawBufferPointer, at offset: Int, count: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in (0..<count).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
        return value
    }

    static func littleEndianBytes(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}
