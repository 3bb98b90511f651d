import Foundation
import FrameTools
import Frames

/// `frames import` on arbitrary file contents: the first byte picks the format (even: `.npy`,
/// odd: CSV, with the dtype from its upper bits), the rest is the file. What imports must be
/// a frame the reader takes back with the same numbers.
@_cdecl("LLVMFuzzerTestOneInput")
public func framesImportFuzzTest(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let selector = data[0]
    let file = inputBytes(data + 1, count - 1)
    let sink = MemorySink()
    let writer = FrameWriter(sink: sink, compression: CompressionSettings(level: 1, workers: 1))
    var written: FrameHeader?
    var csvFrame: Frame?
    rejectingCleanly {
        if selector % 2 == 0 {
            let path = importPath
            guard FileManager.default.createFile(atPath: path, contents: Data(file)) else { fatalError("cannot write \(path)") }
            defer { unlink(path) }
            written = try NPYFiles.importFile(from: ByteInput(path: path), name: "imported", attributes: [:], to: writer)
        } else {
            let dtype = DType.allCases[Int(selector / 2) % DType.allCases.count]
            let frame = try CSVFiles.parse(String(decoding: file, as: UTF8.self), name: "imported", dtype: dtype)
            try writer.write(frame)
            written = frame.header
            csvFrame = frame
        }
        try writer.flush()
    }
    guard let written else { return 0 }
    do {
        let reader = FrameReader(source: MemorySource(sink.bytes), limits: FrameLimits(maximumFrameBytes: Int.max))
        let header = try reader.next()
        require(header == written, "the imported frame's header does not read back")
        let frame = try reader.read()
        if let csvFrame {
            require(canonicalBytes(frame) == canonicalBytes(csvFrame), "a CSV import does not read back")
        } else {
            // A .npy import streams the file's data verbatim after its header.
            let dataStart = file.count - frame.data.withUnsafeBytes { $0.count }
            require(frame.data.withUnsafeBytes { Array($0) } == Array(file[dataStart...]), "a .npy import changed the data")
        }
        let extra = try reader.next()
        require(extra == nil, "an import wrote more than one frame")
    } catch {
        fatalError("an imported frame does not read back: \(error)")
    }
    return 0
}

private let importPath = NSTemporaryDirectory() + "/flatmin-fuzz-import-\(getpid()).npy"
