import CTemporaryFiles
#if canImport(Glibc)
import Glibc
#endif

/// A file's identity on its file system, to tell whether two paths (or a path and a
/// descriptor) are the same file.
public struct FileIdentity: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64

    /// The file at `path`, following symbolic links; nil when there is none.
    public init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        self.init(status)
    }

    /// The file open on `descriptor` when it is a regular file (the one a shell redirected),
    /// nil for a pipe, terminal or device, which cannot be overwritten by mistake.
    public init?(regularFileOn descriptor: Int32) {
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        self.init(status)
    }

    private init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}

/// Where `-o PATH` (and every other output path) puts its bytes, following the rules zstd
/// follows:
///
/// - a new name, or an existing regular file given with `--force`: the bytes go to a temporary
///   file beside it, which is renamed into place only once complete, keeping the old file's
///   permissions. A failure, a full disk or a signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) leaves
///   neither a partial file nor the temporary one. An existing file without `--force` is refused.
/// - a symbolic link: the file it points to is what gets written (the link stays).
/// - a fifo, a device, a socket or a `>(…)` process substitution: written through as it is,
///   since there is nothing to replace.
/// - a file that is also an input of the same run is refused.
public final class OutputFile: ByteSink {
    public let path: String
    private let sink: FileDescriptorSink
    private var descriptor: Int32 { sink.descriptor }
    /// Set while the bytes go to a temporary file: where it is and its signal-cleanup slot.
    private let temporary: (path: String, slot: Int32)?
    private let destination: String
    private var finished = false

    public init(path: String, overwrite: Bool, inputs: [FileIdentity] = []) throws {
        self.path = path
        var status = stat()
        if stat(path, &status) == 0 {
            let identity = FileIdentity(path: path)
            if let identity, inputs.contains(identity) {
                throw FrameError(.io, "'\(path)' is also an input of this run; write to another file")
            }
            switch status.st_mode & S_IFMT {
            case S_IFREG:
                guard overwrite else {
                    throw FrameError(.io, "'\(path)' already exists; use -f/--force to overwrite it")
                }
                // Through a symbolic link, the file it points to is replaced, not the link.
                guard let resolved = realpath(path, nil) else {
                    throw FrameError(.io, "cannot resolve '\(path)': \(String(cString: strerror(errno)))")
                }
                destination = String(cString: resolved)
                free(resolved)
                let (created, temporary) = try Self.createTemporary(beside: destination, shown: path)
                (sink, self.temporary) = (FileDescriptorSink(descriptor: created), temporary)
                // The old file's permissions (and owner, where allowed) carry over.
                fchmod(descriptor, status.st_mode & 0o7777)
                _ = fchown(descriptor, status.st_uid, status.st_gid)
            case S_IFDIR:
                throw FrameError(.io, "'\(path)' is a directory")
            default:
                let opened = open(path, O_WRONLY | O_CLOEXEC)
                guard opened >= 0 else {
                    throw FrameError(.io, "cannot open '\(path)': \(String(cString: strerror(errno)))")
                }
                sink = FileDescriptorSink(descriptor: opened)
                temporary = nil
                destination = path
            }
        } else {
            var link = stat()
            if lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK {
                throw FrameError(.io, "'\(path)' is a symbolic link to a file that does not exist")
            }
            destination = path
            let (created, temporary) = try Self.createTemporary(beside: path, shown: path)
            (sink, self.temporary) = (FileDescriptorSink(descriptor: created), temporary)
        }
    }

    deinit {
        if !finished { discard() }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        do {
            try sink.write(bytes)
        } catch let error as FrameError where error.kind == .io {
            throw FrameError(.io, "cannot write '\(path)': \(error.message)")
        }
    }

    /// Makes the output final: closes it and, for a temporary file, renames it into place.
    public func commit() throws {
        finished = true
        guard let temporary else {
            guard close(descriptor) == 0 else {
                throw FrameError(.io, "cannot write '\(path)': \(String(cString: strerror(errno)))")
            }
            return
        }
        defer { flatmin_forget_temporary(temporary.slot) }
        guard close(descriptor) == 0, rename(temporary.path, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw FrameError(.io, "cannot write '\(path)': \(reason)")
        }
    }

    /// Abandons the output: a temporary file is removed, the target left as it was.
    public func discard() {
        finished = true
        close(descriptor)
        if let temporary {
            unlink(temporary.path)
            flatmin_forget_temporary(temporary.slot)
        }
    }

    /// A new file `.NAME.partial-PID-N` in the target's directory, so the final rename stays
    /// within one file system and cannot clash with a concurrent run.
    private static func createTemporary(beside target: String, shown: String) throws -> (Int32, (path: String, slot: Int32)?) {
        let slash = target.lastIndex(of: "/")
        let directory = slash.map { String(target[...$0]) } ?? ""
        let name = slash.map { String(target[target.index(after: $0)...]) } ?? target
        for attempt in 0..<100 {
            let candidate = "\(directory).\(name).partial-\(getpid())-\(attempt)"
            // Mode 0666 less the umask, as any new file gets.
            var slot: Int32 = -1
            let descriptor = flatmin_create_temporary(candidate, 0o666, &slot)
            if descriptor >= 0 { return (descriptor, (candidate, slot)) }
            guard errno == EEXIST else {
                throw FrameError(.io, "cannot create '\(shown)': \(String(cString: strerror(errno)))")
            }
        }
        throw FrameError(.io, "cannot create '\(shown)': no free temporary name beside it")
    }
}
