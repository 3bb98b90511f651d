import Frames

/// The result of decoding one frame completely: its checksum held and its content matched
/// its header, and for floating-point data how many elements are NaN or infinite.
public struct VerifiedFrame: Sendable {
    public var summary: FrameSummary
    public var nonFiniteCount: Int?
}

/// Decodes every frame (checksums, `.npy` dicts, sizes) without keeping any of them, calling
/// `body` for each frame that passed; the first failure is thrown.
public func verifyFrames(_ reader: FrameReader, _ body: (VerifiedFrame) throws -> Void) throws {
    while let header = try reader.next() {
        let npyBytes = reader.declaredNpyBytes
        let payloadStart = reader.byteOffset
        var nonFinite = 0
        try reader.readChunks { bytes in
            switch header.dtype {
            case .float64: nonFinite += bytes.bindMemory(to: Double.self).reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            case .float32: nonFinite += bytes.bindMemory(to: Float.self).reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
            case .int64, .int32, .uint8: break
            }
        }
        let isFloat = header.dtype == .float64 || header.dtype == .float32
        let summary = FrameSummary(index: reader.frameIndex, header: header, npyBytes: npyBytes,
                                   compressedBytes: reader.byteOffset - payloadStart)
        try body(VerifiedFrame(summary: summary, nonFiniteCount: isFloat ? nonFinite : nil))
    }
}
