import Frames

/// The frame reader on arbitrary bytes: every way of taking a payload (decode, decode into
/// caller memory, decode in chunks, forward) must agree with the others, forwarding must
/// copy exactly the bytes it passed over, and whatever decodes must survive a write and a
/// second read bit for bit. Anything else the reader does with bad bytes must be a
/// `FrameError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func frameReaderFuzzTest(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = inputBytes(data, count)

    // Decoding every frame: the reference the other passes are held to.
    var decoded: [Frame] = []
    var decodedWholeStream = false
    let reference = FrameReader(source: MemorySource(input), limits: fuzzLimits)
    rejectingCleanly {
        while try reference.next() != nil { decoded.append(try reference.read()) }
        decodedWholeStream = true
    }

    // The other ways of taking a payload, in turn, each forwarding what it passes over.
    var completedMixedPass = false
    rejectingCleanly {
        let reader = FrameReader(source: MemorySource(input), limits: fuzzLimits)
        let forwarded = MemorySink()
        let forwarder = FrameWriter(sink: forwarded)
        var end = 0
        defer {
            // A payload that fails midway has had its first bytes passed on already (a pipe
            // cannot take them back): what went out must still be the input's own bytes.
            try? forwarder.flush()
            require(forwarded.bytes.count >= end && forwarded.bytes.count <= input.count
                        && forwarded.bytes[...] == input[0..<forwarded.bytes.count],
                    "forwarding did not copy the input verbatim")
        }
        while let header = try reader.next() {
            let index = reader.frameIndex
            let data: [UInt8]?
            switch index % 4 {
            case 0:
                try reader.forward(to: forwarder)
                data = nil
            case 1:
                var bytes = [UInt8](repeating: 0, count: header.dataBytes)
                try bytes.withUnsafeMutableBytes { try reader.read(into: $0, forwardingTo: forwarder) }
                data = bytes
            case 2:
                var bytes: [UInt8] = []
                try reader.readChunks(chunkBytes: 1 + index % 97, forwardingTo: forwarder) { bytes += $0 }
                require(bytes.count == header.dataBytes, "readChunks delivered \(bytes.count) of \(header.dataBytes) bytes")
                data = bytes
            default:
                data = canonicalBytes(try reader.read(forwardingTo: forwarder)).data
            }
            end = reader.byteOffset
            if let data, index < decoded.count {
                require(data == canonicalBytes(decoded[index]).data, "frame \(index) decodes differently by another route")
            } else if data != nil {
                // Past a frame that was forwarded undecoded there is no reference; at the
                // frame where read() failed, every other decoding route must fail too.
                require(index != reference.frameIndex, "frame \(index) decodes by another route but not by read()")
            }
        }
        completedMixedPass = true
    }
    require(!decodedWholeStream || completedMixedPass, "the stream decodes but forwarding or chunked reading fails")

    // A stream that decodes writes and reads back the same. (Only whole streams: most
    // mutated inputs fail somewhere, and compressing their first frames again would double
    // the cost of every execution to re-test what the seeds already test.)
    guard decodedWholeStream, !decoded.isEmpty else { return 0 }
    let rewritten = MemorySink()
    rejectingCleanly {
        let writer = FrameWriter(sink: rewritten, compression: CompressionSettings(level: 1, workers: 1))
        for frame in decoded { try writer.write(frame) }
        try writer.flush()
    }
    let reader = FrameReader(source: MemorySource(rewritten.bytes), limits: fuzzLimits)
    for (index, original) in decoded.enumerated() {
        do {
            guard try reader.next() != nil else { fatalError("frame \(index) is missing after a rewrite") }
            let again = try reader.read()
            require(canonicalBytes(again) == canonicalBytes(original), "frame \(index) changed in a write and read")
        } catch {
            fatalError("frame \(index) decoded once but not after being rewritten: \(error)")
        }
    }
    return 0
}
