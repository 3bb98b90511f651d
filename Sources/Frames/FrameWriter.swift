import CZstd
#if canImport(Glibc)
import Glibc
#endif

/// How payloads are compressed.
public struct CompressionSettings: Sendable, Equatable {
    /// zstd level (1 fastest … 19 smallest; negative levels are faster still).
    public var level: Int32
    /// Worker threads for payloads at or above `multithreadingThreshold`.
    public var workers: Int
    /// Payloads from this size on use zstd's multi-threaded mode. The choice depends on the
    /// size alone, never on the machine, because that mode's output is the same for any
    /// number of workers but differs from single-threaded output.
    public var multithreadingThreshold: Int

    public static let defaultLevel: Int32 = 3

    public init(level: Int32 = CompressionSettings.defaultLevel,
                workers: Int = CompressionSettings.availableCores,
                multithreadingThreshold: Int = 8 << 20) {
        self.level = level
        self.workers = max(1, workers)
        self.multithreadingThreshold = multithreadingThreshold
    }

    public static var availableCores: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

/// Writes frames to a sink: new frames are compressed as they are written, forwarded ones
/// are copied verbatim.
public final class FrameWriter {
    public let compression: CompressionSettings
    private let output: BufferedSink
    private let compressor: OpaquePointer
    private var compressedBuffer: UnsafeMutableRawBufferPointer

    public init(sink: ByteSink, compression: CompressionSettings = CompressionSettings()) {
        self.output = BufferedSink(sink)
        self.compression = compression
        self.compressor = ZSTD_createCCtx()
        self.compressedBuffer = .allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 64)
    }

    deinit {
        ZSTD_freeCCtx(compressor)
        compressedBuffer.deallocate()
    }

    public func write(_ frame: Frame) throws {
        try frame.data.withUnsafeBytes { bytes in
            try write(header: frame.header) { emit in try emit(bytes) }
        }
    }

    /// Writes a frame whose data `produce` hands over in pieces, in storage order, so data
    /// larger than memory (an imported file) streams through. The pieces must add up to
    /// `header.dataBytes` exactly.
    public func write(header: FrameHeader,
                      produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        try output.write(Self.encodedHeader(header))
        let npyHeader = NPY.headerBytes(for: header)
        try startPayload(contentBytes: npyHeader.count + header.dataBytes)
        try npyHeader.withUnsafeBytes { try compress($0, directive: ZSTD_e_continue) }
        var written = 0
        try produce { piece in
            written += piece.count
            precondition(written <= header.dataBytes, "frame '\(header.name)' was given more data than its shape holds")
            try compress(piece, directive: ZSTD_e_continue)
        }
        precondition(written == header.dataBytes, "frame '\(header.name)' was given \(written) of \(header.dataBytes) data bytes")
        try compress(UnsafeRawBufferPointer(start: nil, count: 0), directive: ZSTD_e_end)
    }

    /// Copies bytes of an existing stream unchanged (used by `FrameReader` when forwarding).
    public func writeVerbatim(_ bytes: UnsafeRawBufferPointer) throws {
        try output.write(bytes)
    }

    public func writeVerbatim(_ bytes: [UInt8]) throws {
        try output.write(bytes)
    }

    /// Pushes buffered bytes to the sink; call before exiting or handing the sink elsewhere.
    public func flush() throws {
        try output.flush()
    }

    /// The skippable frame carrying a header's JSON.
    public static func encodedHeader(_ header: FrameHeader) -> [UInt8] {
        let json = header.jsonValue().encodedBytes()
        return ZstdFraming.littleEndianBytes(ZstdFraming.headerMagic)
            + ZstdFraming.littleEndianBytes(UInt32(json.count)) + json
    }

    private func startPayload(contentBytes: Int) throws {
        ZSTD_CCtx_reset(compressor, ZSTD_reset_session_only)
        let workers = contentBytes >= compression.multithreadingThreshold ? compression.workers : 0
        try check(ZSTD_CCtx_setParameter(compressor, ZSTD_c_compressionLevel, compression.level))
        try check(ZSTD_CCtx_setParameter(compressor, ZSTD_c_checksumFlag, 1))
        try check(ZSTD_CCtx_setParameter(compressor, ZSTD_c_contentSizeFlag, 1))
        try check(ZSTD_CCtx_setParameter(compressor, ZSTD_c_nbWorkers, Int32(workers)))
        try check(ZSTD_CCtx_setPledgedSrcSize(compressor, UInt64(contentBytes)))
    }

    private func compress(_ bytes: UnsafeRawBufferPointer, directive: ZSTD_EndDirective) throws {
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while true {
            var out = ZSTD_outBuffer(dst: compressedBuffer.baseAddress, size: compressedBuffer.count, pos: 0)
            let remaining = ZSTD_compressStream2(compressor, &out, &input, directive)
            try check(remaining)
            if out.pos > 0 {
                try output.write(UnsafeRawBufferPointer(rebasing: compressedBuffer[0..<out.pos]))
            }
            let done = directive == ZSTD_e_end ? remaining == 0 : input.pos == input.size
            if done { return }
        }
    }

    private func check(_ code: Int) throws {
        if ZSTD_isError(code) != 0 {
            throw FrameError(.io, "compression failed: \(String(cString: ZSTD_getErrorName(code)))")
        }
    }
}
