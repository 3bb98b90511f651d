import Frames

/// What a stage does with a frame it reads.
public enum FrameDisposition: Sendable {
    /// Forward it verbatim without decoding.
    case pass
    /// Forward it verbatim and also hand the decoded frame to the stage.
    case keep
    /// Hand it to the stage and do not forward it; the stage writes what replaces it.
    case consume
    /// Skip it without decoding: the stage writes a new frame of that name.
    case drop
}

/// Runs the body of a filter: every frame goes out verbatim and in order unless `select`
/// says `consume`; `handle` sees each kept or consumed frame (column-major) and returns the
/// frames to write at that point of the stream (replacements, or nothing). The caller appends
/// its own frames afterwards and finishes the output.
public func processStream(_ reader: FrameReader, to writer: FrameWriter,
                          select: (FrameHeader) -> FrameDisposition,
                          handle: (Frame) throws -> [Frame]) throws {
    while let header = try reader.next() {
        switch select(header) {
        case .pass:
            try reader.forward(to: writer)
        case .keep:
            let frame = try reader.read(forwardingTo: writer).columnMajor()
            for replacement in try handle(frame) { try writer.write(replacement) }
        case .consume:
            let frame = try reader.read().columnMajor()
            for replacement in try handle(frame) { try writer.write(replacement) }
        case .drop:
            try reader.skip()
        }
    }
}
