import CZlib
import Frames

/// Zip archives as `.npz` files use them: entries stored or deflated, ZIP64 for entries and
/// archives past 4 GiB. Both sides stream. The reader walks the local headers front to back,
/// so an archive reads from a pipe (the central directory at the end only repeats what they
/// say); the writer puts sizes and checksums in data descriptors after each entry, so nothing
/// is sought back and an archive writes to a pipe. Encryption and other compression methods,
/// which NumPy never writes, are refused.
enum ZipSignature {
    static let localHeader: UInt32 = 0x0403_4B50
    static let dataDescriptor: UInt32 = 0x0807_4B50
    static let centralHeader: UInt32 = 0x0201_4B50
    static let end: UInt32 = 0x0605_4B50
    static let zip64End: UInt32 = 0x0606_4B50
    static let zip64Locator: UInt32 = 0x0706_4B50
}

enum ZipMethod {
    static let stored: UInt16 = 0
    static let deflated: UInt16 = 8
}

private enum ZipFlag {
    static let encrypted: UInt16 = 1
    static let dataDescriptor: UInt16 = 1 << 3
    static let utf8Name: UInt16 = 1 << 11
}

private let zip64ExtraTag: UInt16 = 0x0001
private let sizeOverflow: UInt32 = 0xFFFF_FFFF

/// CRC-32 as zip computes it.
struct Checksum {
    private(set) var value: UInt32 = 0

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        value = UInt32(crc32_z(uLong(value), bytes.baseAddress!.assumingMemoryBound(to: Bytef.self), bytes.count))
    }
}

// MARK: - Reading

/// Reads an archive's entries in order from its local headers.
final class ZipReader {
    private let input: ByteInput
    private var current: ZipEntry?

    init(_ input: ByteInput) {
        self.input = input
    }

    /// The next entry, after checking the previous one's size and CRC; nil after the last.
    func nextEntry() throws -> ZipEntry? {
        if let current, !current.isFinished { _ = try current.finish() }
        current = nil
        let signature = try input.peek(4)
        guard signature.count == 4 else {
            if signature.isEmpty, input.consumed == 0 { throw FrameError(.truncated, "\(input.label) is empty, not a zip archive") }
            throw FrameError(.truncated, "\(input.label) ends before the archive's directory")
        }
        switch signature.littleEndian(UInt32.self, at: 0) {
        case ZipSignature.localHeader:
            current = try ZipEntry(input)
            return current
        case ZipSignature.centralHeader, ZipSignature.end, ZipSignature.zip64End:
            return nil
        default:
            throw FrameError(.malformed, "\(input.label) is not a zip archive (no entry header at byte \(input.consumed))")
        }
    }
}

/// One entry's contents, decompressed and checked as they are read.
final class ZipEntry: ByteSource {
    let name: String
    let label: String
    private let input: ByteInput
    private let method: UInt16
    private let usesDescriptor: Bool
    private let zip64: Bool
    private let declaredCRC: UInt32
    /// Sizes from the local header; unknown when a data descriptor follows instead.
    private let declaredCompressedSize: Int?
    private let declaredSize: Int?
    private var compressedRead = 0
    private var produced = 0
    private var checksum = Checksum()
    private var inflater: Inflater?
    private var ended = false
    private(set) var isFinished = false

    fileprivate init(_ input: ByteInput) throws {
        self.input = input
        let fixed = try input.readExactly(30, "a zip entry header")
        let flags = fixed.littleEndian(UInt16.self, at: 6)
        method = fixed.littleEndian(UInt16.self, at: 8)
        declaredCRC = fixed.littleEndian(UInt32.self, at: 14)
        let compressedField = fixed.littleEndian(UInt32.self, at: 18)
        let sizeField = fixed.littleEndian(UInt32.self, at: 22)
        let nameBytes = try input.readExactly(Int(fixed.littleEndian(UInt16.self, at: 26)), "a zip entry name")
        let extra = try input.readExactly(Int(fixed.littleEndian(UInt16.self, at: 28)), "a zip entry header")
        name = String(decoding: nameBytes, as: UTF8.self)
        label = "\(input.label) entry '\(name)'"
        guard flags & ZipFlag.encrypted == 0 else { throw FrameError(.malformed, "\(label) is encrypted") }
        guard method == ZipMethod.stored || method == ZipMethod.deflated else {
            throw FrameError(.malformed, "\(label) uses compression method \(method); only stored (0) and deflate (8) are read, the two NumPy writes")
        }
        usesDescriptor = flags & ZipFlag.dataDescriptor != 0
        let zip64Sizes = Self.zip64Sizes(in: extra)
        zip64 = zip64Sizes != nil
        if usesDescriptor {
            declaredCompressedSize = nil
            declaredSize = nil
        } else {
            let size = sizeField == sizeOverflow ? zip64Sizes?.size : UInt64(sizeField)
            let compressed = compressedField == sizeOverflow ? zip64Sizes?.compressed : UInt64(compressedField)
            guard let size, let compressed, let s = Int(exactly: size), let c = Int(exactly: compressed) else {
                throw FrameError(.malformed, "\(label) has sizes of 4 GiB or more without their ZIP64 record")
            }
            declaredSize = s
            declaredCompressedSize = c
        }
        if method == ZipMethod.deflated { inflater = try Inflater(label: label) }
    }

    /// The (size, compressed size) pair of a ZIP64 extra field, whose local form holds both.
    private static func zip64Sizes(in extra: [UInt8]) -> (size: UInt64, compressed: UInt64)? {
        var offset = 0
        while offset + 4 <= extra.count {
            let tag = extra.littleEndian(UInt16.self, at: offset)
            let length = Int(extra.littleEndian(UInt16.self, at: offset + 2))
            if tag == zip64ExtraTag, length >= 16, offset + 4 + length <= extra.count {
                return (extra.littleEndian(UInt64.self, at: offset + 4), extra.littleEndian(UInt64.self, at: offset + 12))
            }
            offset += 4 + length
        }
        return nil
    }

    func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !ended, destination.count > 0 else { return 0 }
        let n: Int
        if let inflater {
            n = try inflater.inflate(into: destination, from: input, compressedLimit: declaredCompressedSize.map { $0 - compressedRead },
                                     compressedRead: &compressedRead)
            if n == 0 { ended = true }
            if inflater.finished, let declaredCompressedSize, compressedRead != declaredCompressedSize {
                throw FrameError(.corrupt, "\(label): its deflate data ends before its declared size")
            }
        } else {
            let limit = declaredCompressedSize.map { min($0 - compressedRead, destination.count) } ?? destination.count
            n = limit == 0 ? 0 : try input.read(into: UnsafeMutableRawBufferPointer(rebasing: destination[0..<limit]))
            if n == 0 {
                ended = true
                if let declaredCompressedSize, compressedRead < declaredCompressedSize {
                    throw FrameError(.truncated, "\(label) ends \(declaredCompressedSize - compressedRead) bytes early")
                }
            }
            compressedRead += n
        }
        produced += n
        checksum.update(UnsafeRawBufferPointer(rebasing: destination[0..<n]))
        return n
    }

    /// Reads what the consumer left, checks sizes and CRC, and returns how many bytes were
    /// left. A stored entry whose size only its data descriptor gives cannot be drained (its
    /// end is unknown until the descriptor), so its consumer must have read it exactly.
    func finish() throws -> Int {
        precondition(!isFinished, "entry finished twice")
        isFinished = true
        var left = 0
        if inflater != nil || declaredCompressedSize != nil {
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
            defer { scratch.deallocate() }
            while case let n = try read(into: scratch), n > 0 { left += n }
        }
        inflater = nil
        var expectedCRC = declaredCRC
        var expectedSize = declaredSize
        if usesDescriptor {
            var descriptor = try input.readExactly(4, "\(label)'s data descriptor")
            if descriptor.littleEndian(UInt32.self, at: 0) == ZipSignature.dataDescriptor {
                descriptor = try input.readExactly(4, "\(label)'s data descriptor")
            }
            expectedCRC = descriptor.littleEndian(UInt32.self, at: 0)
            let sizes = try input.readExactly(zip64 ? 16 : 8, "\(label)'s data descriptor")
            let compressed = zip64 ? Int(truncatingIfNeeded: sizes.littleEndian(UInt64.self, at: 0)) : Int(sizes.littleEndian(UInt32.self, at: 0))
            expectedSize = zip64 ? Int(truncatingIfNeeded: sizes.littleEndian(UInt64.self, at: 8)) : Int(sizes.littleEndian(UInt32.self, at: 4))
            guard compressed == compressedRead else {
                throw FrameError(.corrupt, "\(label): its data descriptor says \(compressed) bytes, the entry held \(compressedRead)")
            }
        }
        guard expectedSize == nil || expectedSize == produced else {
            throw FrameError(.corrupt, "\(label) holds \(produced) bytes, its header says \(expectedSize!)")
        }
        guard checksum.value == expectedCRC else {
            throw FrameError(.corrupt, "\(label) fails its CRC-32 check: the archive is corrupt")
        }
        return left
    }
}

/// zlib's raw inflate over compressed bytes taken from an input as needed; bytes it read past
/// the end of the deflate stream go back to the input.
private final class Inflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let compressed = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
    private let label: String
    private(set) var finished = false

    init(label: String) throws {
        self.label = label
        stream.initialize(to: z_stream())
        guard flatmin_inflate_init_raw(stream) == Z_OK else {
            stream.deallocate()
            compressed.deallocate()
            throw FrameError(.io, "zlib could not start inflating \(label)")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        compressed.deallocate()
    }

    func inflate(into destination: UnsafeMutableRawBufferPointer, from input: ByteInput, compressedLimit: Int?,
                 compressedRead: inout Int) throws -> Int {
        guard !finished else { return 0 }
        let capacity = min(destination.count, Int(UInt32.max))
        stream.pointee.next_out = destination.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(capacity)
        var limit = compressedLimit
        while stream.pointee.avail_out == uInt(capacity) {
            if stream.pointee.avail_in == 0 {
                let want = min(compressed.count, limit ?? compressed.count)
                let n = want == 0 ? 0 : try input.read(into: UnsafeMutableRawBufferPointer(rebasing: compressed[0..<want]))
                guard n > 0 else { throw FrameError(.truncated, "\(label) ends inside its deflate data") }
                compressedRead += n
                limit = limit.map { $0 - n }
                stream.pointee.next_in = compressed.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(n)
            }
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            if status == Z_STREAM_END {
                finished = true
                let unused = Int(stream.pointee.avail_in)
                if unused > 0 {
                    input.unread(UnsafeRawBufferPointer(start: stream.pointee.next_in, count: unused))
                    compressedRead -= unused
                }
                break
            }
            guard status == Z_OK || status == Z_BUF_ERROR else {
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw FrameError(.corrupt, "\(label) has corrupt deflate data: \(reason)")
            }
        }
        return capacity - Int(stream.pointee.avail_out)
    }
}

// MARK: - Writing

/// Writes an archive entry by entry to any sink, a pipe included.
final class ZipWriter {
    private let sink: ByteSink
    private var offset: UInt64 = 0
    private var directory: [UInt8] = []
    private var entryCount = 0
    private let compressionLevel: Int32?

    /// `compressionLevel` nil stores entries (`np.savez`); a zlib level deflates them
    /// (`np.savez_compressed` uses 6).
    init(sink: ByteSink, compressionLevel: Int32?) {
        self.sink = sink
        self.compressionLevel = compressionLevel
    }

    /// Adds an entry whose bytes `produce` hands over in pieces.
    func addEntry(name: String, produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 0xFFFF else { throw FrameError(.malformed, "zip entry name '\(name.prefix(40))…' is too long") }
        let method = compressionLevel == nil ? ZipMethod.stored : ZipMethod.deflated
        let flags = ZipFlag.dataDescriptor | (nameBytes.allSatisfy { $0 < 0x80 } ? 0 : ZipFlag.utf8Name)
        let headerOffset = offset

        // Sizes and CRC follow the data (flag bit 3); the ZIP64 field makes that descriptor's
        // sizes 8 bytes, so any entry may pass 4 GiB.
        var header: [UInt8] = []
        header.appendLittleEndian(ZipSignature.localHeader)
        header.appendLittleEndian(UInt16(45))  // version needed: ZIP64
        header.appendLittleEndian(flags)
        header.appendLittleEndian(method)
        header.appendLittleEndian(UInt16(0))  // time 00:00
        header.appendLittleEndian(Self.dosDate)
        header.appendLittleEndian(UInt32(0))  // CRC, in the descriptor
        header.appendLittleEndian(sizeOverflow)
        header.appendLittleEndian(sizeOverflow)
        header.appendLittleEndian(UInt16(nameBytes.count))
        header.appendLittleEndian(UInt16(20))
        header += nameBytes
        header.appendLittleEndian(zip64ExtraTag)
        header.appendLittleEndian(UInt16(16))
        header.appendLittleEndian(UInt64(0))
        header.appendLittleEndian(UInt64(0))
        try emit(header)

        var checksum = Checksum()
        var size: UInt64 = 0
        let compressedStart = offset
        if let compressionLevel {
            let deflater = try Deflater(level: compressionLevel)
            try produce { piece in
                checksum.update(piece)
                size += UInt64(piece.count)
                try deflater.deflate(piece, finish: false) { try self.emit($0) }
            }
            try deflater.deflate(UnsafeRawBufferPointer(start: nil, count: 0), finish: true) { try self.emit($0) }
        } else {
            try produce { piece in
                checksum.update(piece)
                size += UInt64(piece.count)
                try self.emit(piece)
            }
        }
        let compressedSize = offset - compressedStart

        var descriptor: [UInt8] = []
        descriptor.appendLittleEndian(ZipSignature.dataDescriptor)
        descriptor.appendLittleEndian(checksum.value)
        descriptor.appendLittleEndian(compressedSize)
        descriptor.appendLittleEndian(size)
        try emit(descriptor)

        // The central record carries ZIP64 values only where a field overflows.
        var zip64Fields: [UInt8] = []
        func field(_ value: UInt64) -> UInt32 {
            guard value >= UInt64(sizeOverflow) else { return UInt32(value) }
            zip64Fields.appendLittleEndian(value)
            return sizeOverflow
        }
        let sizeField = field(size)
        let compressedField = field(compressedSize)
        let offsetField = field(headerOffset)
        var record: [UInt8] = []
        record.appendLittleEndian(ZipSignature.centralHeader)
        record.appendLittleEndian(UInt16(3 << 8 | 45))  // made by: Unix, ZIP64
        record.appendLittleEndian(UInt16(45))
        record.appendLittleEndian(flags)
        record.appendLittleEndian(method)
        record.appendLittleEndian(UInt16(0))
        record.appendLittleEndian(Self.dosDate)
        record.appendLittleEndian(checksum.value)
        record.appendLittleEndian(compressedField)
        record.appendLittleEndian(sizeField)
        record.appendLittleEndian(UInt16(nameBytes.count))
        record.appendLittleEndian(UInt16(zip64Fields.isEmpty ? 0 : 4 + zip64Fields.count))
        record.appendLittleEndian(UInt16(0))  // comment
        record.appendLittleEndian(UInt16(0))  // disk
        record.appendLittleEndian(UInt16(0))  // internal attributes
        record.appendLittleEndian(UInt32(0o100644) << 16)  // a regular file, rw-r--r--
        record.appendLittleEndian(offsetField)
        record += nameBytes
        if !zip64Fields.isEmpty {
            record.appendLittleEndian(zip64ExtraTag)
            record.appendLittleEndian(UInt16(zip64Fields.count))
            record += zip64Fields
        }
        directory += record
        entryCount += 1
    }

    /// Writes the central directory; the archive is complete after it.
    func finish() throws {
        let directoryOffset = offset
        let directorySize = UInt64(directory.count)
        try emit(directory)
        let needsZip64 = entryCount >= 0xFFFF || directoryOffset >= UInt64(sizeOverflow) || directorySize >= UInt64(sizeOverflow)
        var end: [UInt8] = []
        if needsZip64 {
            let recordOffset = offset
            end.appendLittleEndian(ZipSignature.zip64End)
            end.appendLittleEndian(UInt64(44))
            end.appendLittleEndian(UInt16(3 << 8 | 45))
            end.appendLittleEndian(UInt16(45))
            end.appendLittleEndian(UInt32(0))
            end.appendLittleEndian(UInt32(0))
            end.appendLittleEndian(UInt64(entryCount))
            end.appendLittleEndian(UInt64(entryCount))
            end.appendLittleEndian(directorySize)
            end.appendLittleEndian(directoryOffset)
            end.appendLittleEndian(ZipSignature.zip64Locator)
            end.appendLittleEndian(UInt32(0))
            end.appendLittleEndian(recordOffset)
            end.appendLittleEndian(UInt32(1))
        }
        end.appendLittleEndian(ZipSignature.end)
        end.appendLittleEndian(UInt32(0))  // disks
        end.appendLittleEndian(UInt16(min(entryCount, 0xFFFF)))
        end.appendLittleEndian(UInt16(min(entryCount, 0xFFFF)))
        end.appendLittleEndian(UInt32(min(directorySize, UInt64(sizeOverflow))))
        end.appendLittleEndian(UInt32(min(directoryOffset, UInt64(sizeOverflow))))
        end.appendLittleEndian(UInt16(0))  // comment
        try emit(end)
    }

    /// 1980-01-01, zip's earliest date: entries carry no time, so an archive's bytes depend
    /// only on its contents.
    private static let dosDate: UInt16 = 1 << 5 | 1

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try emit($0) }
    }

    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        try sink.write(bytes)
        offset += UInt64(bytes.count)
    }
}

/// zlib's raw deflate, handing each filled output buffer to a closure.
private final class Deflater {
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 8)

    init(level: Int32) throws {
        stream.initialize(to: z_stream())
        guard flatmin_deflate_init_raw(stream, level) == Z_OK else {
            stream.deallocate()
            output.deallocate()
            throw FrameError(.io, "zlib could not start deflating at level \(level)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        output.deallocate()
    }

    func deflate(_ input: UnsafeRawBufferPointer, finish: Bool, emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        var remaining = input
        repeat {
            let piece = UnsafeRawBufferPointer(rebasing: remaining.prefix(Int(UInt32.max)))
            remaining = UnsafeRawBufferPointer(rebasing: remaining.dropFirst(piece.count))
            stream.pointee.next_in = UnsafeMutablePointer(mutating: piece.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(piece.count)
            let flush = finish && remaining.isEmpty ? Z_FINISH : Z_NO_FLUSH
            var status: Int32
            repeat {
                stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(output.count)
                status = CZlib.deflate(stream, flush)
                guard status != Z_STREAM_ERROR else { throw FrameError(.io, "zlib deflate failed") }
                let produced = output.count - Int(stream.pointee.avail_out)
                if produced > 0 { try emit(UnsafeRawBufferPointer(rebasing: output[0..<produced])) }
            } while stream.pointee.avail_out == 0 || (flush == Z_FINISH && status != Z_STREAM_END)
        } while !remaining.isEmpty
    }
}
