import ArgumentParser
import Testing
@testable import ToolSupport

private struct Tool: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tool", subcommands: [Listing.self])
    @Option var rank: Int
    @Option(name: .customLong("l1-budget")) var budget: Double?
    @Flag(name: [.short, .long], help: "No progress; see --threads in the other tools.") var quiet = false
}

private struct Listing: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", subcommands: [Nested.self])
    @Flag var json = false
}

/// Named by its type, as most subcommands are.
private struct Nested: ParsableCommand {
    @Flag var deep = false
}

@Suite struct OptionSpellingTests {
    @Test func aTypoNamesTheNearestOption() {
        #expect(Tool.misspelledOption(in: ["--rnak", "3"]) == "tool: unknown option '--rnak'; did you mean '--rank'?")
        #expect(Tool.misspelledOption(in: ["--rank", "3", "--l1-bugdet=2"])
                == "tool: unknown option '--l1-bugdet'; did you mean '--l1-budget'?")
        #expect(Tool.misspelledOption(in: ["ls", "--jsno"]) == "tool ls: unknown option '--jsno'; did you mean '--json'?")
    }

    @Test func anOptionOnlyMentionedInAHelpTextIsNotTheCommands() {
        #expect(Tool.misspelledOption(in: ["--threads", "2"]) != nil)
    }

    @Test func anOptionThatMeansSomethingElseHereGetsItsOwnMessage() {
        #expect(Tool.misspelledOption(in: ["--width", "3"], renamed: ["--width": "the rank is '--rank'"])
                == "tool: unknown option '--width'; the rank is '--rank'")
        // And so does a misspelling of it.
        #expect(Tool.misspelledOption(in: ["--widht", "3"], renamed: ["--width": "the rank is '--rank'"])
                == "tool: unknown option '--widht'; the rank is '--rank'")
    }

    @Test func farFromEveryOptionSaysSo() {
        #expect(Tool.misspelledOption(in: ["--completely-different"]) == "tool: unknown option '--completely-different' (see tool --help)")
    }

    @Test func realOptionsValuesAndPositionalsPass() {
        #expect(Tool.misspelledOption(in: ["--rank", "3", "--quiet", "-q", "--l1-budget=2", "--help"]) == nil)
        #expect(Tool.misspelledOption(in: ["ls", "--json"]) == nil)
        #expect(Tool.misspelledOption(in: ["ls", "nested", "--deep"]) == nil)
        #expect(Tool.misspelledOption(in: ["--rank", "3", "--", "--not-an-option"]) == nil)
    }

    @Test func editDistanceCountsInsertionsDeletionsSubstitutionsAndSwaps() {
        #expect(editDistance("", "abc") == 3 && editDistance("abc", "") == 3)
        #expect(editDistance("kitten", "sitting") == 3)
        // A swap of neighbouring letters is one edit: nearer than two substitutions.
        #expect(editDistance("--rnak", "--rank") == 1)
        #expect(editDistance("--tga", "--tag") == 1 && editDistance("--tga", "--tol") == 2)
    }
}
