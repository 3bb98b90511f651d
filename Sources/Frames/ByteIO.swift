#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a reader gets bytes: a file descriptor (stdin, a file, a pipe) or memory in tests.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; 0 means end of stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// How many bytes are left, when the source knows; readers size their buffers by it.
    var remainingByteCount: Int? { get }
}

extension ByteSource {
    public var remainingByteCount: Int? { nil }
}

/// Where a writer puts bytes.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

public final class FileDescriptorSource: ByteSource {
    public let descriptor: Int32
    private let closeOnDeinit: Bool

    public init(descriptor: Int32, closeOnDeinit: Bool = false) {
        self.descriptor = descriptor
        self.closeOnDeinit = closeOnDeinit
    }

    deinit {
        if closeOnDeinit { close(descriptor) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw FrameError(.io, "read failed: \(String(cString: strerror(errno)))")
        }
    }
}

public final class FileDescriptorSink: ByteSink {
    public let descriptor: Int32

    public init(descriptor: Int32) {
        self.descriptor = descriptor
        // A closed downstream pipe must surface as an error we can handle (EPIPE), not as a
        // signal that kills the process mid-write.
        signal(SIGPIPE, SIG_IGN)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if n >= 0 {
                offset += n
            } else if errno == EINTR {
                continue
            } else if errno == EPIPE {
                throw FrameError(.brokenPipe, "output pipe closed")
            } else {
                throw FrameError(.io, "write failed: \(String(cString: strerror(errno)))")
            }
        }
    }
}

public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var remainingByteCount: Int? { bytes.count - position }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - position)
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}

public final class MemorySink: ByteSink {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes.append(contentsOf: bytes)
    }
}

/// Collects small writes into large ones: forwarding walks a payload block by block
/// (≤ 128 KiB each), and one write(2) per block would dominate a fast pipe. The buffer starts
/// small and doubles each time it fills, up to `capacity`, so a short stream costs little.
final class BufferedSink {
    private let sink: ByteSink
    private let capacity: Int
    private var buffer: UnsafeMutableRawBufferPointer
    private var used = 0

    init(_ sink: ByteSink, capacity: Int = 1 << 20) {
        self.sink = sink
        self.capacity = capacity
        self.buffer = .allocate(byteCount: min(capacity, 1 << 14), alignment: 64)
    }

    deinit { buffer.deallocate() }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if used + bytes.count > buffer.count {
            try flush()
            if buffer.count < capacity {
                let doubled = min(capacity, 2 * buffer.count)
                buffer.deallocate()
                buffer = .allocate(byteCount: doubled, alignment: 64)
            }
        }
        if bytes.count >= buffer.count {
            try sink.write(bytes)
        } else if bytes.count > 0 {
            (buffer.baseAddress! + used).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            used += bytes.count
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func flush() throws {
        guard used > 0 else { return }
        let pending = used
        used = 0
        try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<pending]))
    }
}

/// Opens a file for reading, with the error a person needs when it is missing.
public func openForReading(_ path: String) throws -> FileDescriptorSource {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
        throw FrameError(.io, "cannot open '\(path)': \(String(cString: strerror(errno)))")
    }
    return FileDescriptorSource(descriptor: descriptor, closeOnDeinit: true)
}
