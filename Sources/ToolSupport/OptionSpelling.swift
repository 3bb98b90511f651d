import ArgumentParser

/// A misspelled option is named as such, with the nearest real one: argument-parser itself
/// reports the first problem it meets, which for `generate-ground-truth --rnak 3` is the missing
/// value of a required option rather than the typo. `ToolCommand.main()` checks this first.
extension ParsableCommand {
    /// The message for the first `--option` the command does not have, or nil.
    public static func misspelledOption(in arguments: [String]) -> String? {
        var command: ParsableCommand.Type = Self.self
        var path = [Self._commandName]
        var remaining = arguments[...]
        // The leading words that name subcommands (`frames ls`).
        while let word = remaining.first,
              let sub = command.configuration.subcommands.first(where: { $0._commandName == word }) {
            command = sub
            path.append(word)
            remaining = remaining.dropFirst()
        }
        let known = knownLongOptions(of: command, path: path)
        for argument in remaining {
            if argument == "--" { break }
            guard argument.hasPrefix("--"), argument.count > 2 else { continue }
            let name = String(argument.split(separator: "=", maxSplits: 1)[0])
            if known.contains(name) { continue }
            let tool = path.joined(separator: " ")
            if let nearest = known.min(by: { editDistance(name, $0) < editDistance(name, $1) }),
               editDistance(name, nearest) <= max(2, name.count / 4) {
                return "\(tool): unknown option '\(name)'; did you mean '\(nearest)'?"
            }
            return "\(tool): unknown option '\(name)' (see \(tool) --help)"
        }
        return nil
    }

    /// Every `--name` the help of `command` mentions, and those every command has.
    private static func knownLongOptions(of command: ParsableCommand.Type, path: [String]) -> Set<String> {
        let help = Self.helpMessage(for: command, includeHidden: true, columns: 10_000)
        var names: Set<String> = ["--help", "--version", "--generate-completion-script", "--experimental-dump-help"]
        var characters = help[...]
        while let start = characters.firstRange(of: "--") {
            var end = start.upperBound
            while end < characters.endIndex, characters[end].isLetter || characters[end].isNumber || characters[end] == "-" {
                end = characters.index(after: end)
            }
            if end > start.upperBound { names.insert(String(characters[start.lowerBound..<end])) }
            characters = characters[end...]
        }
        return names
    }
}

/// Levenshtein distance between two option names.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    // previous[j]: the distance between a[..<i] and b[..<j] for the row above.
    var previous = Array(0...b.count)
    for i in a.indices {
        var current = [i + 1]
        for j in b.indices {
            current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (a[i] == b[j] ? 0 : 1)))
        }
        previous = current
    }
    return previous[b.count]
}
