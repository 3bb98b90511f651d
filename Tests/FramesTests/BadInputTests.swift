import Testing
import TestSupport
@testable import Frames

/// Every malformed stream must fail with a typed error naming the frame and byte, never crash
/// or return wrong data.
@Suite struct BadInputTests {
    let frame = Frame(name: "observations", shape: [64, 8], data: .float64(pseudoRandomDoubles(512)))

    func stream() throws -> [UInt8] { try encodeFrames([frame]) }

    @Test func everyTruncationIsReported() throws {
        let bytes = try stream()
        // Cutting at 0 is the empty stream (valid); every other cut must be reported.
        for cut in 1..<bytes.count {
            let error = StreamSupport.decodeError(Array(bytes[0..<cut]))
            #expect(error?.kind == .truncated, "cut at \(cut) gave \(String(describing: error))")
        }
        // Skipping and forwarding walk the payload's blocks; they must notice too.
        for cut in [StreamSupport.headerLength(bytes) + 3, bytes.count - 2] {
            let reader = FrameReader(source: MemorySource(Array(bytes[0..<cut])))
            _ = try reader.next()
            #expect(throws: FrameError.self) { try reader.skip() }
        }
    }

    @Test func truncationErrorNamesFrameAndByte() throws {
        let bytes = try stream()
        let error = StreamSupport.decodeError(Array(bytes[0..<(bytes.count - 10)]))
        #expect(error?.frameIndex == 0)
        #expect(error?.frameName == "observations")
        #expect(error?.description.contains("(frame 0 'observations', byte ") == true)
    }

    @Test func garbageIsNotAStream() {
        let error = StreamSupport.decodeError(Array("hello, this is not a frame stream".utf8))
        #expect(error?.kind == .malformed)
        #expect(error?.description.hasPrefix("not a frame stream (bad magic)") == true)
    }

    @Test func otherSkippableMagicIsRejected() throws {
        var bytes = try stream()
        bytes[0] = 0x50  // 0x184D2A50: a skippable frame, but not ours
        #expect(StreamSupport.decodeError(bytes)?.kind == .malformed)
    }

    @Test func bareZstdFrameIsRejected() throws {
        let bytes = try stream()
        let payloadOnly = Array(bytes[StreamSupport.headerLength(bytes)...])
        #expect(StreamSupport.decodeError(payloadOnly)?.description.contains("without a frame header") == true)
    }

    @Test func unknownVersionAndFormatAreRejected() {
        let future = StreamSupport.headerFrame(json: #"{"format":"flatmin-frame","version":2,"name":"x","dtype":"float64","shape":[1],"order":"F","npy_bytes":136,"attributes":{}}"#)
        #expect(StreamSupport.decodeError(future)?.kind == .unsupportedVersion)
        let other = StreamSupport.headerFrame(json: #"{"format":"something-else","version":1}"#)
        #expect(StreamSupport.decodeError(other)?.kind == .malformed)
        let notJSON = StreamSupport.headerFrame(json: "{not json")
        #expect(StreamSupport.decodeError(notJSON)?.description.hasPrefix("header is not valid JSON") == true)
    }

    @Test func unknownDTypeIsRejected() {
        let bytes = StreamSupport.headerFrame(json: #"{"format":"flatmin-frame","version":1,"name":"x","dtype":"complex128","shape":[1],"order":"F","npy_bytes":144,"attributes":{}}"#)
        let error = StreamSupport.decodeError(bytes)
        #expect(error?.description.hasPrefix(#"unknown dtype "complex128" (frame 0 'x', byte 0)"#) == true)
        #expect(error?.frameIndex == 0)
    }

    @Test func checksumMismatchIsDetected() throws {
        var bytes = try stream()
        // Pseudo-random doubles leave the low mantissa bytes stored literally; flipping one of
        // them near the end changes the content without breaking zstd's block structure.
        bytes[bytes.count - 40] ^= 0x01
        let error = StreamSupport.decodeError(bytes)
        #expect(error?.kind == .corrupt)
        #expect(error?.description.contains("checksum mismatch") == true)
    }

    @Test func headerShapeThatDoesNotFitThePayloadIsRejected() throws {
        let bytes = try stream()
        // Same payload, header claiming 64×9 instead of 64×8 with the original npy_bytes.
        var json = String(decoding: bytes[8..<StreamSupport.headerLength(bytes)], as: UTF8.self)
        json = json.replacingOccurrences(of: "[64,8]", with: "[64,9]")
        let forged = StreamSupport.headerFrame(json: json) + bytes[StreamSupport.headerLength(bytes)...]
        let error = StreamSupport.decodeError(forged)
        #expect(error?.kind == .inconsistent)
    }

    @Test func headerWhoseNpyBytesDisagreeWithPayloadIsRejected() throws {
        let bytes = try stream()
        var json = String(decoding: bytes[8..<StreamSupport.headerLength(bytes)], as: UTF8.self)
        json = json.replacingOccurrences(of: "\"npy_bytes\":4224", with: "\"npy_bytes\":4232")
        let forged = StreamSupport.headerFrame(json: json) + bytes[StreamSupport.headerLength(bytes)...]
        #expect(StreamSupport.decodeError(forged)?.description.hasPrefix("payload holds 4224 bytes but the header says npy_bytes 4232") == true)
    }

    @Test func frameOverTheLimitIsRefusedBeforeAllocating() throws {
        let huge = StreamSupport.headerFrame(json: #"{"format":"flatmin-frame","version":1,"name":"x","dtype":"float64","shape":[1000000,1000000],"order":"F","npy_bytes":8000000000128,"attributes":{}}"#)
        let error = StreamSupport.decodeError(huge, limits: FrameLimits(maximumFrameBytes: 1 << 30))
        #expect(error?.kind == .tooLarge)
        #expect(error?.description.contains("--max-frame-bytes") == true)
        let small = StreamSupport.decodeError(try stream(), limits: FrameLimits(maximumFrameBytes: 1000))
        #expect(small?.kind == .tooLarge)
    }

    @Test func headerLengthOverTheLimitIsRefused() {
        let bytes = ZstdFraming.littleEndianBytes(ZstdFraming.headerMagic) + ZstdFraming.littleEndianBytes(0xFFFF_FFFF)
        #expect(StreamSupport.decodeError(bytes)?.kind == .tooLarge)
    }

    @Test func payloadDictThatDisagreesWithHeaderIsRejected() throws {
        // A float32 payload announced as int32: same sizes, different dtype.
        let real = try encodeFrames([Frame(name: "x", shape: [4], data: .float32([1, 2, 3, 4]))])
        var json = String(decoding: real[8..<StreamSupport.headerLength(real)], as: UTF8.self)
        json = json.replacingOccurrences(of: "float32", with: "int32")
        let forged = StreamSupport.headerFrame(json: json) + real[StreamSupport.headerLength(real)...]
        #expect(StreamSupport.decodeError(forged)?.kind == .inconsistent)
    }

    @Test func overflowingShapesAreRefusedNotTrapped() throws {
        let npy = Array("{'descr': '<f8', 'fortran_order': True, 'shape': (99999, 99999, 99999, 99999, 1), }".utf8)
        #expect(throws: FrameError.self) { try NPY.parseDict(npy) }
        let header = StreamSupport.headerFrame(json: #"{"format":"flatmin-frame","version":1,"name":"x","dtype":"float64","shape":[2000000000,2000000000,2000000000],"order":"F","npy_bytes":200,"attributes":{}}"#)
        #expect(StreamSupport.decodeError(header)?.kind == .tooLarge)
    }

    @Test func attributesMustBeAnObject() {
        let json = #"{"format":"flatmin-frame","version":1,"name":"x","dtype":"uint8","shape":[1],"order":"F","npy_bytes":129,"attributes":[]}"#
        #expect(StreamSupport.decodeError(StreamSupport.headerFrame(json: json))?.description.hasPrefix("header has no attributes object") == true)
    }
}
