import ArgumentParser

/// A misspelled option is named as such, with the nearest real one: argument-parser itself
/// reports the first problem it meets, which for `generate-ground-truth --rnak 3` is the missing
/// value of a required option rather than the typo. `ToolCommand.main()` checks this first.
extension ParsableCommand {
    /// The message for the first `--option` the command does not have, or nil. `renamed` maps
    /// an option a user may bring from a sibling tool, where it means something else, to what to
    /// say instead of a near spelling (`--rank` in `solve-flat`, whose factor width is `--width`).
    public static func misspelledOption(in arguments: [String], renamed: [String: String] = [:]) -> String? {
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
            // A renamed option itself is at distance 0; ties go to the first name in order.
            if case let (distance, nearest)? = known.union(renamed.keys).map({ (editDistance(name, $0), $0) }).min(by: <),
               distance <= max(2, name.count / 4) {
                if let hint = renamed[nearest] { return "\(tool): unknown option '\(name)'; \(hint)" }
                return "\(tool): unknown option '\(name)'; did you mean '\(nearest)'?"
            }
            return "\(tool): unknown option '\(name)' (see \(tool) --help)"
        }
        return nil
    }

    /// Every `--name` the command has: those on its usage line and at the start of its option
    /// lines (a description that mentions another tool's option does not count), and those
    /// every command has.
    private static func knownLongOptions(of command: ParsableCommand.Type, path: [String]) -> Set<String> {
        let help = Self.helpMessage(for: command, includeHidden: true, columns: 10_000)
        var names: Set<String> = ["--help", "--version", "--generate-completion-script", "--experimental-dump-help"]
        for line in help.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            let synopsis: Substring
            if trimmed.hasPrefix("USAGE:") {
                synopsis = trimmed
            } else if trimmed.hasPrefix("-") {
                // The option's names and value, up to the gap before its description.
                synopsis = trimmed.firstRange(of: "  ").map { trimmed[..<$0.lowerBound] } ?? trimmed
            } else {
                continue
            }
            var characters = synopsis
            while let start = characters.firstRange(of: "--") {
                var end = start.upperBound
                while end < characters.endIndex, characters[end].isLetter || characters[end].isNumber || characters[end] == "-" {
                    end = characters.index(after: end)
                }
                if end > start.upperBound { names.insert(String(characters[start.lowerBound..<end])) }
                characters = characters[end...]
            }
        }
        return names
    }
}

/// Edit distance between two option names, counting a swap of neighbouring letters as one
/// edit (`--tga` is one from `--tag`, two from `--tol`): the optimal string alignment distance.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    // distance[i][j]: between a[..<i] and b[..<j].
    var distance = (0...a.count).map { i in (0...b.count).map { j in i == 0 ? j : (j == 0 ? i : 0) } }
    for (i, x) in zip(1..., a) {
        for (j, y) in zip(1..., b) {
            distance[i][j] = min(distance[i - 1][j] + 1, distance[i][j - 1] + 1, distance[i - 1][j - 1] + (x == y ? 0 : 1))
            if i > 1, j > 1, x == b[j - 2], a[i - 2] == y {
                distance[i][j] = min(distance[i][j], distance[i - 2][j - 2] + 1)
            }
        }
    }
    return distance[a.count][b.count]
}
