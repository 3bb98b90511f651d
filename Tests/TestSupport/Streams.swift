import Frames

// Frame streams built and read back in memory, as the tools would write and read them.

/// The bytes a `FrameWriter` produces for `frames`.
public func encodeFrames(_ frames: [Frame], compression: CompressionSettings = CompressionSettings()) throws -> [UInt8] {
    let sink = MemorySink()
    let writer = FrameWriter(sink: sink, compression: compression)
    for frame in frames { try writer.write(frame) }
    try writer.flush()
    return sink.bytes
}

/// Every frame of a stream, in order and in the storage order they were written in.
public func decodeFrames(_ bytes: [UInt8], limits: FrameLimits = FrameLimits()) throws -> [Frame] {
    let reader = FrameReader(source: MemorySource(bytes), limits: limits)
    var frames: [Frame] = []
    while try reader.next() != nil { frames.append(try reader.read()) }
    return frames
}
