import CZstd
#if canImport(Glibc)
import Glibc
#endif

/// How much a reader may allocate on a header's word: a hostile or corrupt header must not
/// make a tool try to allocate terabytes.
public struct FrameLimits: Sendable {
    /// Largest `.npy` payload (decompressed) a frame may declare.
    public var maximumFrameBytes: Int
    /// Largest JSON header; real ones are a few kilobytes.
    public var maximumHeaderBytes = 16 << 20

    public init(maximumFrameBytes: Int = FrameLimits.defaultMaximumFrameBytes) {
        self.maximumFrameBytes = maximumFrameBytes
    }

    /// Half of physical memory: a frame larger than that could not be worked on anyway.
    public static var defaultMaximumFrameBytes: Int { MemoryBudget.physicalMemory / 2 }
}

/// Reads a stream frame by frame, holding at most the frame being worked on.
///
/// Call `next()` for each header, then at most one of `read`, `read(into:)`,
/// `readChunks`, `skip` or `forward` for its payload; a payload left untouched is skipped
/// by the following `next()`. Any payload operation can also copy the frame's bytes
/// verbatim to a writer, which is how a stage passes on what it reads.
public final class FrameReader {
    public let limits: FrameLimits
    /// Index of the current frame in the stream, from 0.
    public private(set) var frameIndex = -1
    /// Header of the current frame, nil before the first `next()` and after the end.
    public private(set) var header: FrameHeader?

    private let input: BufferedInput
    private let decompressor: OpaquePointer
    private var rawHeader: [UInt8] = []
    /// The `.npy` length the current header declares: the frame's decompressed size.
    public private(set) var declaredNpyBytes = 0
    private var payloadPending = false
    /// Stream offset of the part being read, the frame header or the payload: what errors name
    /// (FORMAT.md §4).
    private var partStart = 0
    /// While decoding: payload bytes zstd may have before the next block header must be checked,
    /// so that a decoding reader meets framing faults where a skipping one does.
    private var unframedBytes = 0
    private var payloadFraming = PayloadFraming.blocks
    private enum PayloadFraming { case blocks, checksum, ended }

    public init(source: ByteSource, limits: FrameLimits = FrameLimits()) {
        self.input = BufferedInput(source)
        self.limits = limits
        self.decompressor = ZSTD_createDCtx()
    }

    deinit { ZSTD_freeDCtx(decompressor) }

    /// Stream offset of the next unread byte.
    public var byteOffset: Int { input.offset }

    /// Advances to the next frame and returns its header, or nil at the clean end of the stream.
    public func next() throws -> FrameHeader? {
        if payloadPending { _ = try skip() }
        header = nil
        return try locating {
            guard try !input.atEnd() else { return nil }
            frameIndex += 1
            partStart = input.offset
            let (parsed, raw, npyBytes) = try readHeader()
            header = parsed
            rawHeader = raw
            declaredNpyBytes = npyBytes
            payloadPending = true
            return parsed
        }
    }

    /// Decodes the payload into typed storage.
    public func read(forwardingTo writer: FrameWriter? = nil) throws -> Frame {
        let current = try pendingHeader()
        let data = try FrameData.allocate(dtype: current.dtype, count: current.elementCount) { bytes in
            try self.read(into: bytes, forwardingTo: writer)
        }
        return Frame(header: current, data: data)
    }

    /// Decodes the payload's array data (without the `.npy` dict) straight into caller memory
    /// of exactly `header.dataBytes` bytes, so a large frame is never held twice.
    public func read(into destination: UnsafeMutableRawBufferPointer, forwardingTo writer: FrameWriter? = nil) throws {
        let current = try pendingHeader()
        precondition(destination.count == current.dataBytes, "destination must hold the frame's data exactly")
        try decodePayload(forwardingTo: writer) { decode in try decode(destination) }
    }

    /// Decodes the payload's array data in pieces of at most `chunkBytes`, for work that needs
    /// to see every byte but not to keep them (verification, export).
    public func readChunks(chunkBytes: Int = 1 << 20, forwardingTo writer: FrameWriter? = nil,
                           _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let current = try pendingHeader()
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, min(chunkBytes, current.dataBytes)), alignment: 64)
        defer { scratch.deallocate() }
        try decodePayload(forwardingTo: writer) { decode in
            var remaining = current.dataBytes
            while remaining > 0 {
                let piece = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<min(remaining, scratch.count)])
                try decode(piece)
                try body(UnsafeRawBufferPointer(piece))
                remaining -= piece.count
            }
        }
    }

    /// Passes over the payload without decompressing it; returns its compressed size.
    @discardableResult
    public func skip() throws -> Int {
        try walkPayload(forwardingTo: nil)
    }

    /// Copies the whole frame, header and payload, to `writer` byte for byte; returns the
    /// payload's compressed size.
    @discardableResult
    public func forward(to writer: FrameWriter) throws -> Int {
        try walkPayload(forwardingTo: writer)
    }

    // MARK: - Header

    private func readHeader() throws -> (FrameHeader, [UInt8], Int) {
        guard try input.ensure(8) else {
            throw FrameError(.truncated, "stream ends inside a frame header")
        }
        let magic = ZstdFraming.readUInt32(input.available, at: 0)
        guard magic == ZstdFraming.headerMagic else {
            if ZstdFraming.skippableMagicRange.contains(magic) {
                throw FrameError(.malformed, "skippable frame with magic 0x\(String(magic, radix: 16, uppercase: true)) is not a frame header")
            }
            if magic == ZstdFraming.frameMagic {
                throw FrameError(.malformed, "zstd frame without a frame header before it")
            }
            throw FrameError(.malformed, "not a frame stream (bad magic)")
        }
        let length = Int(ZstdFraming.readUInt32(input.available, at: 4))
        guard length <= limits.maximumHeaderBytes else {
            throw FrameError(.tooLarge, "frame header of \(length) bytes exceeds the \(limits.maximumHeaderBytes)-byte limit")
        }
        var raw = Array(UnsafeRawBufferPointer(rebasing: input.available[0..<8]))
        input.consume(8)
        raw.reserveCapacity(8 + length)
        guard try input.consumeStreaming(length, { raw.append(contentsOf: $0) }) else {
            throw FrameError(.truncated, "stream ends inside a frame header")
        }
        let (parsed, npyBytes) = try FrameHeader.parse(json: raw[8...])
        header = parsed
        guard npyBytes <= limits.maximumFrameBytes else {
            throw FrameError(.tooLarge, "frame claims \(npyBytes) bytes, over the \(limits.maximumFrameBytes)-byte limit (--max-frame-bytes)")
        }
        return (parsed, raw, npyBytes)
    }

    private func pendingHeader() throws -> FrameHeader {
        guard payloadPending, let header else {
            preconditionFailure("payload read without a current frame; call next() first")
        }
        return header
    }

    // MARK: - Payload without decompression

    private func walkPayload(forwardingTo writer: FrameWriter?) throws -> Int {
        _ = try pendingHeader()
        payloadPending = false
        partStart = input.offset
        return try locating {
            let frame = try payloadFrameHeader()
            if let writer { try writer.writeVerbatim(rawHeader) }
            let start = input.offset
            let pass: (UnsafeRawBufferPointer) throws -> Void = { bytes in try writer?.writeVerbatim(bytes) }
            guard try input.consumeStreaming(frame.headerBytes, pass) else { throw truncatedPayload() }
            var isLast = false
            while !isLast {
                guard try input.ensure(3) else { throw truncatedPayload() }
                let block = try ZstdFraming.parseBlockHeader(input.available)
                isLast = block.isLast
                guard try input.consumeStreaming(3 + block.contentBytes, pass) else { throw truncatedPayload() }
            }
            guard try input.consumeStreaming(4, pass) else { throw truncatedPayload() }
            return input.offset - start
        }
    }

    /// Checks the payload's zstd frame header without consuming it.
    private func payloadFrameHeader() throws -> ZstdFraming.FrameHeader {
        guard try input.ensure(5) else { throw truncatedPayload() }
        guard ZstdFraming.readUInt32(input.available, at: 0) == ZstdFraming.frameMagic else {
            throw FrameError(.malformed, "frame header is not followed by a zstd payload frame")
        }
        let headerBytes = ZstdFraming.frameHeaderBytes(descriptor: input.available[4])
        guard try input.ensure(headerBytes) else { throw truncatedPayload() }
        let frame = try ZstdFraming.parseFrameHeader(input.available)
        guard frame.hasChecksum else {
            throw FrameError(.malformed, "payload has no content checksum")
        }
        guard let contentSize = frame.contentSize else {
            throw FrameError(.malformed, "payload zstd frame does not record its content size")
        }
        guard contentSize == UInt64(declaredNpyBytes) else {
            throw FrameError(.inconsistent, "payload holds \(contentSize) bytes but the header says npy_bytes \(declaredNpyBytes)")
        }
        return frame
    }

    private func truncatedPayload() -> FrameError {
        FrameError(.truncated, "stream ends inside the payload")
    }

    // MARK: - Payload decoding

    /// Runs the checks common to every decode, then lets `body` pull the array data through
    /// the `decode` function it is given, and finally requires the zstd frame to end cleanly.
    private func decodePayload(forwardingTo writer: FrameWriter?,
                               _ body: ((UnsafeMutableRawBufferPointer) throws -> Void) throws -> Void) throws {
        let current = try pendingHeader()
        payloadPending = false
        partStart = input.offset
        try locating {
            unframedBytes = try payloadFrameHeader().headerBytes
            payloadFraming = .blocks
            if let writer { try writer.writeVerbatim(rawHeader) }
            ZSTD_DCtx_reset(decompressor, ZSTD_reset_session_only)
            var frameEnded = false
            let decode: (UnsafeMutableRawBufferPointer) throws -> Void = { destination in
                try self.decompress(into: destination, frameEnded: &frameEnded, forwardingTo: writer)
            }
            try checkNpyHeader(of: current, decode: decode)
            try body(decode)
            try finishFrame(frameEnded: &frameEnded, forwardingTo: writer)
        }
    }

    private func checkNpyHeader(of current: FrameHeader, decode: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        var preamble = [UInt8](repeating: 0, count: NPY.preambleBytes)
        try preamble.withUnsafeMutableBytes { try decode($0) }
        let lengthBytes = try NPY.lengthFieldBytes(preamble: preamble)
        var lengthField = [UInt8](repeating: 0, count: lengthBytes)
        try lengthField.withUnsafeMutableBytes { try decode($0) }
        let dictBytes = lengthField.reversed().reduce(0) { $0 << 8 | Int($1) }
        guard dictBytes <= NPY.maximumDictBytes else {
            throw FrameError(.malformed, "payload .npy header length \(dictBytes) is implausible (at most \(NPY.maximumDictBytes))")
        }
        guard NPY.preambleBytes + lengthBytes + dictBytes + current.dataBytes == declaredNpyBytes else {
            throw FrameError(.inconsistent, "shape \(current.shapeDescription) \(current.dtype.rawValue) does not fit a payload of \(declaredNpyBytes) bytes")
        }
        var dict = [UInt8](repeating: 0, count: dictBytes)
        try dict.withUnsafeMutableBytes { try decode($0) }
        let description = try NPY.parseDict(dict)
        guard description.dtype == current.dtype, description.shape == current.shape,
              NPY.isLayoutAmbiguous(current.shape) || description.order == current.order
        else {
            throw FrameError(.inconsistent, "payload .npy says \(description.dtype.rawValue) \(description.shape) order \(description.order.rawValue), header says \(current.dtype.rawValue) \(current.shape) order \(current.order.rawValue)")
        }
    }

    /// Fills `destination` exactly from the zstd frame.
    private func decompress(into destination: UnsafeMutableRawBufferPointer, frameEnded: inout Bool,
                            forwardingTo writer: FrameWriter?) throws {
        var output = ZSTD_outBuffer(dst: destination.baseAddress, size: destination.count, pos: 0)
        while output.pos < output.size {
            if frameEnded {
                throw FrameError(.inconsistent, "payload is shorter than its header says")
            }
            try decompressStep(&output, frameEnded: &frameEnded, forwardingTo: writer)
        }
    }

    /// Lets zstd read the rest of the frame (last block, checksum) once all data is out; any
    /// further output means the content is longer than declared.
    private func finishFrame(frameEnded: inout Bool, forwardingTo writer: FrameWriter?) throws {
        let extra = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1)
        defer { extra.deallocate() }
        while !frameEnded {
            var output = ZSTD_outBuffer(dst: extra, size: 1, pos: 0)
            try decompressStep(&output, frameEnded: &frameEnded, forwardingTo: writer)
            if output.pos > 0 {
                throw FrameError(.inconsistent, "payload is longer than its header says")
            }
        }
    }

    /// One call into zstd with whatever input is buffered; every compressed byte it consumes
    /// is copied to `writer` when forwarding.
    private func decompressStep(_ output: inout ZSTD_outBuffer, frameEnded: inout Bool,
                                forwardingTo writer: FrameWriter?) throws {
        let outputBefore = output.pos
        try checkFramingAhead()
        let available = UnsafeRawBufferPointer(rebasing: input.available.prefix(unframedBytes))
        var zInput = ZSTD_inBuffer(src: available.baseAddress, size: available.count, pos: 0)
        let result = ZSTD_decompressStream(decompressor, &output, &zInput)
        if ZSTD_isError(result) != 0 {
            let code = ZSTD_getErrorCode(result)
            // zstd stops a frame at its content size (checked against npy_bytes before
            // decoding) with this code: content beyond it, as in a decompression bomb behind a
            // small header.
            if code == ZSTD_error_dstSize_tooSmall {
                throw FrameError(.inconsistent, "payload is longer than its header says")
            }
            let reason = String(cString: ZSTD_getErrorName(result))
            throw FrameError(.corrupt, code == ZSTD_error_checksum_wrong ? "checksum mismatch: payload is corrupt" : "payload cannot be decoded: \(reason)")
        }
        if zInput.pos > 0 {
            try writer?.writeVerbatim(UnsafeRawBufferPointer(rebasing: available[0..<zInput.pos]))
            input.consume(zInput.pos)
            unframedBytes -= zInput.pos
        }
        if result == 0 {
            frameEnded = true
        } else if zInput.pos == 0, output.pos == outputBefore {
            // zstd made no progress with what it had: it needs bytes past the checksum, which
            // its own framing cannot, or more bytes than the stream has.
            if payloadFraming == .ended, unframedBytes == 0 {
                throw FrameError(.corrupt, "payload cannot be decoded: the zstd frame does not end with its checksum")
            }
            if try !input.fill() { throw truncatedPayload() }
        }
    }

    /// Once zstd has had every byte up to the next block header, checks that header as
    /// `walkPayload` does, and lets zstd have the block (or, after the last, the checksum).
    private func checkFramingAhead() throws {
        guard unframedBytes == 0 else { return }
        switch payloadFraming {
        case .blocks:
            guard try input.ensure(3) else { throw truncatedPayload() }
            let block = try ZstdFraming.parseBlockHeader(input.available)
            unframedBytes = 3 + block.contentBytes
            if block.isLast { payloadFraming = .checksum }
        case .checksum:
            unframedBytes = 4
            payloadFraming = .ended
        case .ended:
            break
        }
    }

    /// Attaches the current frame and the start of the part being read to errors thrown by `body`.
    private func locating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var error as FrameError {
            if error.byteOffset == nil { error.byteOffset = partStart }
            if frameIndex >= 0 { error = error.locating(frame: frameIndex, name: header?.name) }
            throw error
        }
    }
}
