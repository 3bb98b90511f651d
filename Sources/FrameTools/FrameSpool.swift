import Frames
#if canImport(Glibc)
import Glibc
#endif

/// Frames set aside, still compressed, in an unlinked temporary file until the stream ends.
/// Every tool takes the last frame of a name, so an export is known only at the end of its
/// input; outputs that cannot take back what they wrote (an archive, stdout) are written from
/// the spool then. Frames pass through verbatim, so spooling decompresses nothing, and the
/// file vanishes with the process however it ends.
public final class FrameSpool {
    private let descriptor: Int32
    private let writer: FrameWriter
    /// The spooled frames' headers, in stream order.
    public private(set) var headers: [FrameHeader] = []

    public init() throws {
        let directory = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(directory)/frames-spool-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw FrameError(.io, "cannot create a temporary file in '\(directory)': \(String(cString: strerror(errno)))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.descriptor = descriptor
        writer = FrameWriter(sink: FileDescriptorSink(descriptor: descriptor))
    }

    deinit { close(descriptor) }

    /// Copies the reader's current frame into the spool.
    public func keep(_ reader: FrameReader) throws {
        guard let header = reader.header else { preconditionFailure("no current frame") }
        try reader.forward(to: writer)
        headers.append(header)
    }

    /// The last spooled header of each name, in the order those frames came.
    public var lastOfEachName: [FrameHeader] {
        lastIndices.sorted().map { headers[$0] }
    }

    /// Reads the spool back, handing `body` a reader positioned on the last frame of each name.
    public func replayLastOfEachName(_ body: (FrameReader) throws -> Void) throws {
        try writer.flush()
        guard lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw FrameError(.io, "cannot reread the temporary file: \(String(cString: strerror(errno)))")
        }
        let wanted = lastIndices
        let reader = FrameReader(source: FileDescriptorSource(descriptor: descriptor))
        var index = 0
        while try reader.next() != nil {
            if wanted.contains(index) { try body(reader) }
            index += 1
        }
    }

    /// The last frame of each of `names` that the spool holds, decoded.
    public func lastFrames(named names: Set<String>) throws -> [String: Frame] {
        var frames: [String: Frame] = [:]
        try replayLastOfEachName { reader in
            if names.contains(reader.header!.name) { frames[reader.header!.name] = try reader.read() }
        }
        return frames
    }

    private var lastIndices: Set<Int> {
        var last: [String: Int] = [:]
        for (index, header) in headers.enumerated() { last[header.name] = index }
        return Set(last.values)
    }
}
