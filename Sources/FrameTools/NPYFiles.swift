import Frames

/// Moves frames to and from NumPy `.npy` files without holding more than a chunk in memory:
/// an `.npy` file of a frame's dtype is already a frame's payload, so import and export only
/// stream bytes; other numeric types are converted chunk by chunk as they stream
/// (`NPYElementType`), and the file's type is kept in the `source_dtype` attribute.
public enum NPYFiles {
    static let chunkBytes = 1 << 20

    /// Reads a whole `.npy` file and streams its data into a new frame.
    @discardableResult
    public static func importFile(from input: ByteInput, name: String, attributes: JSONObject,
                                  to writer: FrameWriter, budget: MemoryBudget? = nil) throws -> FrameHeader {
        let header = try importArray(from: input, name: name, attributes: attributes, to: writer, budget: budget)
        guard try input.atEnd() else {
            throw FrameError(.inconsistent, "\(input.label) has bytes after the data its .npy header describes")
        }
        return header
    }

    /// Reads one `.npy` array from `input`, consuming exactly its bytes (an archive entry may
    /// be followed by more), and writes it as a frame named `name`, once `budget` admits a frame
    /// of that size.
    @discardableResult
    public static func importArray(from input: ByteInput, name: String, attributes: JSONObject,
                                   to writer: FrameWriter, budget: MemoryBudget? = nil) throws -> FrameHeader {
        let fields = try readHeader(input)
        let elements: NPYElementType
        do {
            elements = try NPYElementType(descriptor: fields.descriptor)
        } catch var error as FrameError {
            error.message = "\(input.label): \(error.message)"
            throw error
        }
        var attributes = attributes
        if !elements.isVerbatim { attributes[AttributeKey.sourceDType] = .string(elements.descriptor) }
        let header = FrameHeader(name: name, dtype: elements.dtype, shape: fields.shape,
                                 order: fields.order, attributes: attributes)
        try budget?.check([PlannedArray("frame '\(name)'", [("\(input.label) \(header.shapeDescription)", header.elementCount)],
                                        elementBytes: header.dtype.byteSize, isHeld: false)])
        let elementCount = header.elementCount
        let chunkElements = max(1, chunkBytes / elements.sourceBytes)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkElements * elements.sourceBytes, alignment: 64)
        defer { chunk.deallocate() }
        let converted = elements.isVerbatim ? nil
            : UnsafeMutableRawBufferPointer.allocate(byteCount: chunkElements * elements.dtype.byteSize, alignment: 64)
        defer { converted?.deallocate() }
        try writer.write(header: header) { emit in
            var done = 0
            while done < elementCount {
                let count = min(chunkElements, elementCount - done)
                let piece = UnsafeMutableRawBufferPointer(rebasing: chunk[0..<(count * elements.sourceBytes)])
                let filled = try input.readFully(into: piece)
                guard filled == piece.count else {
                    let missing = (elementCount - done) * elements.sourceBytes - filled
                    throw FrameError(.truncated, "\(input.label) ends \(missing) bytes before its .npy data does")
                }
                if let converted {
                    let target = UnsafeMutableRawBufferPointer(rebasing: converted[0..<(count * elements.dtype.byteSize)])
                    do {
                        try elements.convert(UnsafeRawBufferPointer(piece), into: target, firstElement: done)
                    } catch var error as FrameError {
                        error.message = "\(input.label): \(error.message)"
                        throw error
                    }
                    try emit(UnsafeRawBufferPointer(target))
                } else {
                    try emit(UnsafeRawBufferPointer(piece))
                }
                done += count
            }
        }
        return header
    }

    /// Writes the current frame of `reader` as an `.npy` file into `sink`, streaming its data.
    public static func exportCurrentFrame(of reader: FrameReader, to sink: ByteSink) throws {
        guard let header = reader.header else { preconditionFailure("no current frame") }
        let writer = FrameWriter(sink: sink)
        try writer.writeVerbatim(NPY.headerBytes(for: header))
        try reader.readChunks { try writer.writeVerbatim($0) }
        try writer.flush()
    }

    private static func readHeader(_ input: ByteInput) throws -> NPY.HeaderFields {
        do {
            let preamble = try input.readExactly(NPY.preambleBytes, "a .npy header")
            let lengthField = try input.readExactly(try NPY.lengthFieldBytes(preamble: preamble), "a .npy header")
            let dictBytes = lengthField.reversed().reduce(0) { $0 << 8 | Int($1) }
            guard dictBytes <= NPY.maximumDictBytes else { throw FrameError(.malformed, "implausible .npy header length \(dictBytes)") }
            return try NPY.parseHeaderFields(input.readExactly(dictBytes, "a .npy header"))
        } catch var error as FrameError {
            if !error.message.hasPrefix(input.label) { error.message = "\(input.label): \(error.message)" }
            throw error
        }
    }
}
