import Frames

/// The files `frames import` reads and `frames export` writes.
public enum FileFormat: String, CaseIterable, Sendable {
    case npy, npz, mtx, csv

    /// The format of an input, from its first bytes where the format has a signature (.npy,
    /// zip, MatrixMarket), else from the path's extension; text without a signature is CSV.
    /// A frame stream is refused: it needs no import.
    public static func detect(leadingBytes: [UInt8], path: String) throws -> FileFormat {
        if leadingBytes.starts(with: NPY.magic) { return .npy }
        if leadingBytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || leadingBytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .npz }
        if leadingBytes.starts(with: Array("%%MatrixMarket".utf8)) { return .mtx }
        let name = path == "-" ? "stdin" : "'\(path)'"
        if leadingBytes.count >= 4 {
            let magic = leadingBytes.littleEndian(UInt32.self, at: 0)
            if magic == 0xFD2F_B528 || (0x184D_2A50...0x184D_2A5F).contains(magic) {
                throw FrameError(.malformed, "\(name) is a frame stream already; read it directly (frames ls, frames pick), or unpack it with frames export")
            }
        }
        let lowered = path.lowercased()
        for format in [FileFormat.npy, .npz, .mtx] where lowered.hasSuffix(".\(format.rawValue)") {
            throw FrameError(.malformed, "\(name) is not a .\(format.rawValue) file: it does not start with the format's signature")
        }
        return .csv
    }
}
