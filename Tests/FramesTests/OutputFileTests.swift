import Foundation
import Testing
@testable import Frames

/// `-o PATH` follows zstd's rules: complete or absent, never over an existing file without
/// --force, never over an input, and never replacing a link, fifo or device.
@Suite final class OutputFileTests {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "output-file-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    func write(_ text: String, to file: OutputFile) throws {
        var text = text
        try text.withUTF8 { try file.write(UnsafeRawBufferPointer($0)) }
    }

    func contents(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    func entries() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory).sorted() }

    func mode(_ name: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path(name))[.posixPermissions] as! NSNumber).intValue
    }

    @Test func aNewFileAppearsOnlyWhenCommitted() throws {
        let file = try OutputFile(path: path("out"), overwrite: false)
        try write("abc", to: file)
        #expect(try !entries().contains("out"))
        #expect(try entries().count == 1, "one temporary file beside the target")
        try file.commit()
        #expect(try entries() == ["out"])
        #expect(try contents("out") == "abc")
    }

    @Test func anExistingFileNeedsForceAndKeepsItsMode() throws {
        FileManager.default.createFile(atPath: path("out"), contents: Data("old".utf8), attributes: [.posixPermissions: 0o600])
        #expect(throws: FrameError.self) { try OutputFile(path: path("out"), overwrite: false) }
        let file = try OutputFile(path: path("out"), overwrite: true)
        try write("new", to: file)
        #expect(try contents("out") == "old", "the old file stays until the new one is complete")
        try file.commit()
        #expect(try contents("out") == "new")
        #expect(try mode("out") == 0o600)
    }

    @Test func anAbandonedOutputLeavesTheTargetAsItWas() throws {
        FileManager.default.createFile(atPath: path("out"), contents: Data("old".utf8))
        do {
            let file = try OutputFile(path: path("out"), overwrite: true)
            try write("half", to: file)
        }
        #expect(try entries() == ["out"])
        #expect(try contents("out") == "old")
        do {
            let file = try OutputFile(path: path("fresh"), overwrite: false)
            try write("half", to: file)
            file.discard()
        }
        #expect(try entries() == ["out"])
    }

    @Test func aSymbolicLinkIsWrittenThroughNotReplaced() throws {
        FileManager.default.createFile(atPath: path("target"), contents: Data("old".utf8))
        try FileManager.default.createSymbolicLink(atPath: path("link"), withDestinationPath: "target")
        let file = try OutputFile(path: path("link"), overwrite: true)
        try write("new", to: file)
        try file.commit()
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: path("link")) == "target")
        #expect(try contents("target") == "new")
        try FileManager.default.createSymbolicLink(atPath: path("dangling"), withDestinationPath: "nowhere")
        #expect(throws: FrameError.self) { try OutputFile(path: path("dangling"), overwrite: true) }
    }

    @Test func aFifoIsWrittenThrough() throws {
        let fifo = path("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        // The read end is open first (without waiting for a writer), so opening the write end
        // does not block, and what was written is there to read once it is closed.
        let readEnd = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(readEnd >= 0)
        defer { close(readEnd) }
        let file = try OutputFile(path: fifo, overwrite: false)
        try write("through", to: file)
        try file.commit()
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(readEnd, &buffer, buffer.count)
        #expect(String(decoding: buffer[0..<max(count, 0)], as: UTF8.self) == "through")
        var status = stat()
        #expect(lstat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
        #expect(try entries() == ["fifo"])
    }

    @Test func anInputIsNeverTheOutput() throws {
        FileManager.default.createFile(atPath: path("in"), contents: Data("input".utf8))
        try FileManager.default.createSymbolicLink(atPath: path("alias"), withDestinationPath: "in")
        let input = try #require(FileIdentity(path: path("in")))
        for target in ["in", "alias"] {
            #expect(throws: FrameError.self) { try OutputFile(path: path(target), overwrite: true, inputs: [input]) }
        }
        #expect(try contents("in") == "input")
    }

    @Test func aWriteErrorIsReportedAndTheDeviceKept() throws {
        let full = "/dev/full"
        guard FileManager.default.fileExists(atPath: full) else { return }
        let file = try OutputFile(path: full, overwrite: false)
        #expect(throws: FrameError.self) { try write("x", to: file) }
        file.discard()
        var status = stat()
        #expect(stat(full, &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)
    }
}
