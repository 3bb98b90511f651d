import Foundation
import Testing
import TestSupport
@testable import Frames

/// The Swift reader against the stream corpus (Tests/Corpus, described in its README): every
/// valid stream reads as the manifest says, every invalid one gets the verdict the manifest
/// gives, the same ones Pipelines/tests/test_corpus.py checks the Python package against, and
/// every stream read, written and read again keeps each attribute value. The manifest is read
/// with Foundation's JSON decoder, not the reader under test.
@Suite struct CorpusTests {
    struct Manifest: Decodable { var streams: [Stream] }

    struct Stream: Decodable, CustomTestStringConvertible {
        var file: String
        var valid: Bool
        var frames: [FrameEntry]?
        var max_frame_bytes: Int?
        var frames_before: [String]?
        var error: Verdict?
        var error_without_decoding: Verdict?
        var testDescription: String { file }
    }

    struct FrameEntry: Decodable {
        var name: String
        var dtype: String
        var shape: [Int]
        var order: String
        var npy_bytes: Int
        var data_sha256: String
        var attributes_json: String
    }

    struct Verdict: Decodable, Equatable {
        var kind: String
        var message: String
        var frame_index: Int
        var frame_name: String?
        var byte_offset: Int
    }

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Corpus").standardized
    static let streams: [Stream] = {
        let data = try! Data(contentsOf: corpus.appendingPathComponent("manifest.json"))
        return try! JSONDecoder().decode(Manifest.self, from: data).streams
    }()
    static let valid = streams.filter(\.valid)
    static let invalid = streams.filter { !$0.valid }

    static func bytes(_ stream: Stream) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: corpus.appendingPathComponent(stream.file)))
    }

    static func limits(_ stream: Stream) -> FrameLimits {
        stream.max_frame_bytes.map { FrameLimits(maximumFrameBytes: $0) } ?? FrameLimits()
    }

    @Test func theCorpusHasEveryKindOfStream() {
        #expect(Self.valid.contains { $0.file.hasPrefix("valid/") } && Self.valid.contains { $0.file.hasPrefix("edge/") })
        let kinds: Set<FrameError.Kind> = [.truncated, .malformed, .unsupportedVersion, .inconsistent, .corrupt, .tooLarge]
        #expect(Set(Self.invalid.compactMap { $0.error?.kind }) == Set(kinds.map(\.rawValue)))
    }

    @Test(arguments: valid)
    func validStreamsReadAsTheManifestSays(stream: Stream) throws {
        let reader = FrameReader(source: MemorySource(try Self.bytes(stream)))
        var frames: [(frame: Frame, npyBytes: Int)] = []
        while try reader.next() != nil { frames.append((try reader.read(), reader.declaredNpyBytes)) }
        let expected = try #require(stream.frames)
        #expect(frames.map(\.frame.header.name) == expected.map(\.name))
        for ((frame, npyBytes), entry) in zip(frames, expected) {
            #expect(frame.header.dtype.rawValue == entry.dtype && frame.header.shape == entry.shape, "\(entry.name)")
            #expect(frame.header.order.rawValue == entry.order && npyBytes == entry.npy_bytes, "\(entry.name)")
            #expect(frame.data.withUnsafeBytes { sha256Hex($0) } == entry.data_sha256, "\(entry.name)")
            #expect(JSONValue.object(frame.header.attributes).encodedString() == entry.attributes_json, "\(entry.name)")
        }
    }

    @Test(arguments: valid)
    func readWriteReadKeepsEveryValue(stream: Stream) throws {
        let original = try Self.bytes(stream)
        let frames = try decodeFrames(original)
        let rewritten = try encodeFrames(frames)
        let again = try decodeFrames(rewritten)
        // Headers equal (attributes by the bits of every number) and data equal bit for bit.
        #expect(again.map(\.header) == frames.map(\.header))
        #expect(again.map { $0.data.withUnsafeBytes { Array($0) } } == frames.map { $0.data.withUnsafeBytes { Array($0) } })
        #expect(zip(again, try #require(stream.frames)).allSatisfy {
            JSONValue.object($0.header.attributes).encodedString() == $1.attributes_json
        })
        if stream.file.hasPrefix("valid/") {
            // The tools wrote these: their headers come back byte for byte.
            #expect(try headers(of: rewritten) == headers(of: original))
        }
    }

    @Test(arguments: invalid)
    func invalidStreamsGetTheirVerdict(stream: Stream) throws {
        let (names, verdict) = try Self.walk(stream) { _ = try $0.read() }
        #expect(names == stream.frames_before)
        #expect(verdict == stream.error)
    }

    @Test(arguments: invalid)
    func walkingWithoutDecodingMeetsTheFramingFaults(stream: Stream) throws {
        let (names, verdict) = try Self.walk(stream) { try $0.skip() }
        #expect(verdict == stream.error_without_decoding)
        if verdict == nil {
            #expect(names.count == (stream.error?.frame_index ?? -1) + 1)
        } else {
            #expect(names == stream.frames_before)
        }
    }

    /// The names of the frames `take` gets through (reading or skipping each payload), and the
    /// verdict of the error that stops it, if one does.
    static func walk(_ stream: Stream, taking take: (FrameReader) throws -> Void) throws -> (names: [String], verdict: Verdict?) {
        let reader = FrameReader(source: MemorySource(try bytes(stream)), limits: limits(stream))
        var names: [String] = []
        do {
            while let header = try reader.next() {
                try take(reader)
                names.append(header.name)
            }
        } catch let error as FrameError {
            return (names, verdict(error))
        }
        return (names, nil)
    }

    static func verdict(_ error: FrameError) -> Verdict {
        Verdict(kind: error.kind.rawValue, message: error.description, frame_index: error.frameIndex ?? -1,
                frame_name: error.frameName, byte_offset: error.byteOffset ?? -1)
    }

    /// The header bytes of each frame, as they are in the stream.
    func headers(of bytes: [UInt8]) throws -> [[UInt8]] {
        let reader = FrameReader(source: MemorySource(bytes))
        var result: [[UInt8]] = []
        while try reader.next() != nil {
            let sink = MemorySink()
            let writer = FrameWriter(sink: sink)
            try reader.forward(to: writer)
            try writer.flush()
            result.append(Array(sink.bytes[0..<StreamSupport.headerLength(sink.bytes)]))
        }
        return result
    }

    @Test func digestsAreSHA256() {
        #expect(sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha256Hex(Array(repeating: UInt8(ascii: "a"), count: 1_000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}
