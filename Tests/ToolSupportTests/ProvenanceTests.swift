import Testing
@testable import ToolSupport

@Suite struct ProvenanceTests {
    @Test func outputOnlyOptionsAreLeftOut() {
        let typed = ["--operator", "gaussian", "--threads", "2", "-o", "x.frames", "--quiet", "--threads=4",
                     "--max-frame-bytes", "100", "--seed", "3", "--level", "5"]
        #expect(reproducingArguments(typed) == ["--operator", "gaussian", "--seed", "3", "--level", "5"])
    }

    @Test func largeSeedsStayExact() {
        let entry = provenanceEntry(tool: "t", arguments: [], seed: UInt64.max)
        #expect(entry["seed"] == .string("18446744073709551615"))
        #expect(provenanceEntry(tool: "t", arguments: [], seed: 7)["seed"] == .integer(7))
    }
}
