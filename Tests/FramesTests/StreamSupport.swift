import TestSupport
@testable import Frames

/// Streams the Frames tests build by hand, with the format's internals: hostile headers, and
/// decoding that is expected to fail.
enum StreamSupport {
    /// Expects decoding to fail and returns the error.
    static func decodeError(_ bytes: [UInt8], limits: FrameLimits = FrameLimits()) -> FrameError? {
        do {
            _ = try decodeFrames(bytes, limits: limits)
            return nil
        } catch let error as FrameError {
            return error
        } catch {
            return nil
        }
    }

    /// A skippable header frame around arbitrary JSON text, for hostile-header tests.
    static func headerFrame(json: String) -> [UInt8] {
        let body = Array(json.utf8)
        return ZstdFraming.littleEndianBytes(ZstdFraming.headerMagic)
            + ZstdFraming.littleEndianBytes(UInt32(body.count)) + body
    }

    /// Offset and length of the first header's skippable frame in `bytes`.
    static func headerLength(_ bytes: [UInt8]) -> Int {
        8 + Int(UInt32(bytes[4]) | UInt32(bytes[5]) << 8 | UInt32(bytes[6]) << 16 | UInt32(bytes[7]) << 24)
    }
}
