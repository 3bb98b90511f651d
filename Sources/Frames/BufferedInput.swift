/// A read-ahead window over a byte source that knows its position in the stream, so every
/// error can say at which byte it happened.
final class BufferedInput {
    private let source: ByteSource
    private var buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var reachedEnd = false
    /// Stream offset of `buffer[start]`.
    private(set) var offset = 0

    /// A source that knows its length gets a window no larger than it needs (a stream in
    /// memory is often a few hundred bytes); `ensure` widens the window when asked for more.
    init(_ source: ByteSource, capacity: Int = 1 << 20) {
        self.source = source
        let needed = source.remainingByteCount.map { max(4096, $0 + 1) } ?? capacity
        self.buffer = .allocate(byteCount: min(capacity, needed), alignment: 64)
    }

    deinit { buffer.deallocate() }

    var available: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[start..<end])
    }

    /// Reads more from the source, keeping unconsumed bytes; false once the source is empty.
    @discardableResult
    func fill() throws -> Bool {
        if reachedEnd { return false }
        if start > 0 {
            let pending = end - start
            if pending > 0 {
                buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: pending)
            }
            start = 0
            end = pending
        }
        guard end < buffer.count else { return true }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[end...]))
        if n == 0 { reachedEnd = true }
        end += n
        return n > 0
    }

    /// Makes at least `count` bytes available; false if the stream ends first.
    func ensure(_ count: Int) throws -> Bool {
        if count > buffer.count { widen(to: count) }
        while end - start < count {
            if try !fill() { return false }
        }
        return true
    }

    private func widen(to count: Int) {
        let wider = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
        if end > start {
            wider.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: end - start)
        }
        buffer.deallocate()
        buffer = wider
        end -= start
        start = 0
    }

    func consume(_ count: Int) {
        precondition(count <= end - start)
        start += count
        offset += count
    }

    /// True when no byte is left: the clean end of a stream.
    func atEnd() throws -> Bool {
        if end > start { return false }
        return try !fill() && end == start
    }

    /// Passes the next `count` bytes to `body` piece by piece as they arrive; false on a short stream.
    func consumeStreaming(_ count: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        var remaining = count
        while remaining > 0 {
            if end == start, try !fill() { return false }
            let piece = min(remaining, end - start)
            try body(UnsafeRawBufferPointer(rebasing: buffer[start..<start + piece]))
            consume(piece)
            remaining -= piece
        }
        return true
    }
}
