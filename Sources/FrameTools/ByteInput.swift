import Frames

/// A read-ahead window over a file, pipe or stdin for the format readers: a peek at the first
/// bytes to tell the format, exact reads of headers, and everything else passed on as read.
/// Nothing is ever sought, so every format reads from a pipe as it reads from a file.
public final class ByteInput: ByteSource {
    private let source: ByteSource
    private var buffer: [UInt8] = []
    private var start = 0
    /// Bytes handed out so far, for error messages.
    public private(set) var consumed = 0
    /// What the input is called in errors: a path, or `stdin`.
    public let label: String

    public init(_ source: ByteSource, label: String) {
        self.source = source
        self.label = label
    }

    /// Opens a file, or standard input for `-`.
    public convenience init(path: String) throws {
        if path == "-" {
            self.init(FileDescriptorSource(descriptor: 0), label: "stdin")
        } else {
            self.init(try openForReading(path), label: "'\(path)'")
        }
    }

    /// Up to `count` bytes ahead without consuming them; fewer only at the end of the input.
    public func peek(_ count: Int) throws -> [UInt8] {
        try fill(count)
        return Array(buffer[start..<min(buffer.count, start + count)])
    }

    public func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        guard destination.count > 0 else { return 0 }
        let buffered = buffer.count - start
        if buffered == 0 {
            let n = try source.read(into: destination)
            consumed += n
            return n
        }
        let n = min(buffered, destination.count)
        buffer.withUnsafeBytes { bytes in
            destination.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: n)
        }
        start += n
        consumed += n
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return n
    }

    /// Exactly `count` bytes, or an error naming `what` was cut short.
    public func readExactly(_ count: Int, _ what: @autoclosure () -> String) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let filled = try bytes.withUnsafeMutableBytes { try readFully(into: $0) }
        guard filled == count else {
            throw FrameError(.truncated, "\(label) ends inside \(what())")
        }
        return bytes
    }

    /// Fills `destination` unless the input ends first; returns how many bytes it holds.
    public func readFully(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < destination.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: destination[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// Everything left, for the text formats, which are parsed whole.
    public func readToEnd() throws -> [UInt8] {
        var bytes = Array(buffer[start...])
        consumed += bytes.count
        buffer.removeAll()
        start = 0
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { chunk.deallocate() }
        while case let n = try source.read(into: chunk), n > 0 {
            bytes += chunk[0..<n]
            consumed += n
        }
        return bytes
    }

    /// Puts bytes read too far back in front of the input (a decompressor reads ahead of the
    /// end of its data, which belongs to whatever follows).
    public func unread(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        buffer = Array(bytes) + buffer[start...]
        start = 0
        consumed -= bytes.count
    }

    /// True when no byte is left.
    public func atEnd() throws -> Bool {
        try fill(1)
        return start == buffer.count
    }

    private func fill(_ count: Int) throws {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 4096), alignment: 8)
        defer { chunk.deallocate() }
        while buffer.count - start < count {
            let n = try source.read(into: chunk)
            if n == 0 { return }
            buffer += chunk[0..<n]
        }
    }
}

/// Little-endian integers from header bytes.
extension Array where Element == UInt8 {
    func littleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        for i in 0..<MemoryLayout<T>.size { value |= T(self[offset + i]) << (8 * i) }
        return value
    }
}

/// Appends little-endian integers to bytes being written.
extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        for i in 0..<MemoryLayout<T>.size { append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
    }
}
