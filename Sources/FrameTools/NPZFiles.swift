import Frames

/// NumPy's `.npz` archives: a zip of `.npy` files, one per array, named by its key
/// (`np.savez(f, truth=…)` stores `truth.npy`). Each entry streams through as a `.npy` file
/// does, so neither side holds an array in memory.
public enum NPZFiles {
    /// Writes every array of the archive as a frame named by its key, in archive order.
    @discardableResult
    public static func importArchive(from input: ByteInput, attributes: JSONObject,
                                     to writer: FrameWriter) throws -> [FrameHeader] {
        let archive = ZipReader(input)
        var headers: [FrameHeader] = []
        while let entry = try archive.nextEntry() {
            if entry.name.hasSuffix("/") { continue }
            guard entry.name.hasSuffix(".npy"), entry.name.count > 4 else {
                throw FrameError(.malformed, "\(entry.label) is not a .npy array; an .npz archive holds only KEY.npy entries")
            }
            let key = String(entry.name.dropLast(4))
            let entryInput = ByteInput(entry, label: entry.label)
            headers.append(try NPYFiles.importArray(from: entryInput, name: key, attributes: attributes, to: writer))
            let left = try entry.finish()
            guard left == 0 else {
                throw FrameError(.inconsistent, "\(entry.label) has \(left) bytes after the array its .npy header describes")
            }
        }
        return headers
    }

    /// Writes the last frame of each name in `spool` as an archive entry `NAME.npy`, stored
    /// (as `np.savez` does) or deflated at `compressionLevel` (`np.savez_compressed`: 6).
    public static func exportArchive(from spool: FrameSpool, compressionLevel: Int32?, to sink: ByteSink) throws {
        let archive = ZipWriter(sink: sink, compressionLevel: compressionLevel)
        try spool.replayLastOfEachName { reader in
            let header = reader.header!
            try archive.addEntry(name: header.name + ".npy") { emit in
                try NPY.headerBytes(for: header).withUnsafeBytes { try emit($0) }
                try reader.readChunks { try emit($0) }
            }
        }
        try archive.finish()
    }
}
