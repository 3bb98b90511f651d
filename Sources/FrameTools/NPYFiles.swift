import Frames

/// Moves frames to and from NumPy `.npy` files without holding more than a chunk in memory:
/// an `.npy` file is already a frame's payload, so import and export only stream bytes.
public enum NPYFiles {
    /// Reads an `.npy` file's header and streams its data into a new frame named `name`.
    @discardableResult
    public static func importFile(path: String, name: String, attributes: [String: JSONValue],
                                  to writer: FrameWriter) throws -> FrameHeader {
        let source = try openForReading(path)
        let description = try readHeader(source, path: path)
        let header = FrameHeader(name: name, dtype: description.dtype, shape: description.shape,
                                 order: description.order, attributes: attributes)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { chunk.deallocate() }
        try writer.write(header: header) { emit in
            var remaining = header.dataBytes
            while remaining > 0 {
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<min(remaining, chunk.count)]))
                guard n > 0 else {
                    throw FrameError(.truncated, "'\(path)' ends \(remaining) bytes before its data does")
                }
                try emit(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
                remaining -= n
            }
        }
        var extra: UInt8 = 0
        if try withUnsafeMutableBytes(of: &extra, { try source.read(into: $0) }) > 0 {
            throw FrameError(.inconsistent, "'\(path)' has bytes after the data its header describes")
        }
        return header
    }

    /// Writes the current frame of `reader` as an `.npy` file at `path`, streaming its data.
    public static func exportCurrentFrame(of reader: FrameReader, to path: String) throws {
        guard let header = reader.header else { preconditionFailure("no current frame") }
        let file = try AtomicFileSink(path: path)
        let writer = FrameWriter(sink: file)
        try writer.writeVerbatim(NPY.headerBytes(for: header))
        try reader.readChunks { try writer.writeVerbatim($0) }
        try writer.flush()
        try file.commit()
    }

    private static func readHeader(_ source: ByteSource, path: String) throws -> NPY.Description {
        func readExactly(_ count: Int) throws -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            var filled = 0
            try bytes.withUnsafeMutableBytes { buffer in
                while filled < count {
                    let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
                    guard n > 0 else { throw FrameError(.truncated, "'\(path)' is not a complete .npy file") }
                    filled += n
                }
            }
            return bytes
        }
        do {
            let preamble = try readExactly(NPY.preambleBytes)
            let lengthField = try readExactly(try NPY.lengthFieldBytes(preamble: preamble))
            let dictBytes = lengthField.reversed().reduce(0) { $0 << 8 | Int($1) }
            guard dictBytes <= NPY.maximumDictBytes else { throw FrameError(.malformed, "'\(path)' has an implausible .npy header length") }
            return try NPY.parseDict(readExactly(dictBytes))
        } catch var error as FrameError {
            if !error.message.contains(path) { error.message = "'\(path)': \(error.message)" }
            throw error
        }
    }
}
