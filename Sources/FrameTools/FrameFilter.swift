import Frames
#if canImport(Glibc)
import Glibc
#endif

/// Frame names or shell-style patterns (`obs*`, `factor_?`), as `frames pick` and `frames drop` take them.
public struct NameSelector: Sendable {
    public let patterns: [String]

    public init(_ patterns: [String]) { self.patterns = patterns }

    public func matches(_ name: String) -> Bool {
        patterns.contains { fnmatch($0, name, 0) == 0 }
    }
}

/// Copies the frames `keep` accepts from `reader` to `writer` verbatim, in order; returns how
/// many were kept and how many dropped.
@discardableResult
public func filterFrames(_ reader: FrameReader, to writer: FrameWriter,
                         keep: (FrameHeader) -> Bool) throws -> (kept: Int, dropped: Int) {
    var kept = 0
    var dropped = 0
    while let header = try reader.next() {
        if keep(header) {
            try reader.forward(to: writer)
            kept += 1
        } else {
            try reader.skip()
            dropped += 1
        }
    }
    try writer.flush()
    return (kept, dropped)
}
