/// What went wrong while reading or writing a stream, with enough context that a person can
/// find the bad byte: `checksum mismatch (frame 2 'observations', byte 4096)`.
public struct FrameError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable {
        /// The stream ended inside a frame.
        case truncated
        /// Bytes that are not a frame of this format.
        case malformed
        /// A format version this reader does not know.
        case unsupportedVersion
        /// Header and payload disagree (dtype, shape, order or length).
        case inconsistent
        /// The payload failed zstd's content checksum or could not be decoded.
        case corrupt
        /// A frame larger than the reader was allowed to allocate.
        case tooLarge
        /// The operating system refused a read or write.
        case io
        /// The reader of our output went away; tools exit quietly on it.
        case brokenPipe
    }

    public var kind: Kind
    public var message: String
    public var frameIndex: Int?
    public var frameName: String?
    public var byteOffset: Int?

    public init(_ kind: Kind, _ message: String, frameIndex: Int? = nil, frameName: String? = nil,
                byteOffset: Int? = nil) {
        self.kind = kind
        self.message = message
        self.frameIndex = frameIndex
        self.frameName = frameName
        self.byteOffset = byteOffset
    }

    public var description: String {
        var context: [String] = []
        if let frameIndex {
            context.append(frameName.map { "frame \(frameIndex) '\($0)'" } ?? "frame \(frameIndex)")
        }
        if let byteOffset { context.append("byte \(byteOffset)") }
        return context.isEmpty ? message : "\(message) (\(context.joined(separator: ", ")))"
    }

    /// The same error with the frame it happened in, unless it already names one; a name the
    /// error found itself (in a header that failed its checks) is kept.
    func locating(frame index: Int, name: String?) -> FrameError {
        var located = self
        if located.frameIndex == nil {
            located.frameIndex = index
            located.frameName = located.frameName ?? name
        }
        return located
    }
}
