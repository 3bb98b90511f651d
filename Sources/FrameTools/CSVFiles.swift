import Frames

/// Delimited text for spreadsheets and R: one matrix row per line. A first line that is not
/// all numbers is taken as column names and kept in the `columns` attribute.
public enum CSVFiles {
    /// Parses delimited text into a column-major frame of `dtype` (float64 or an integer type).
    /// `label` names the input in errors. Empty input, a header without rows, a row with a
    /// different number of fields and a field that is not a number are refused, with the line.
    public static func parse(_ text: String, name: String, dtype: DType = .float64, delimiter: CSVDelimiter = .comma,
                             label: String = "CSV", attributes: JSONObject = [:]) throws -> Frame {
        var rows: [[Substring]] = []
        var lineNumbers: [Int] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            rows.append(delimiter.fields(of: trimmed))
            lineNumbers.append(number + 1)
        }
        guard let first = rows.first else {
            throw FrameError(.malformed, "\(label) is empty: no rows to import")
        }
        var attributes = attributes
        if first.contains(where: { parseNumber($0) == nil }) {
            guard rows.count > 1 else {
                throw FrameError(.malformed, "\(label) has one line, taken as column names, and no rows of numbers\(delimiter.hint(for: first))")
            }
            attributes[AttributeKey.columnNames] = .array(first.map { .string(String($0).trimmingQuotes()) })
            rows.removeFirst()
            lineNumbers.removeFirst()
        }
        let columnCount = rows[0].count
        var values = [Double](repeating: 0, count: rows.count * columnCount)
        for (r, row) in rows.enumerated() {
            guard row.count == columnCount else {
                throw FrameError(.malformed, "\(label) line \(lineNumbers[r]) has \(row.count) fields, expected \(columnCount) (delimiter \(delimiter))")
            }
            for (c, field) in row.enumerated() {
                guard let value = parseNumber(field) else {
                    throw FrameError(.malformed, "\(label) line \(lineNumbers[r]) field \(c + 1): '\(field)' is not a number\(delimiter.hint(for: [field]))")
                }
                values[r + c * rows.count] = value
            }
        }
        let shape = [rows.count, columnCount]
        switch dtype {
        case .float64: return Frame(name: name, shape: shape, data: .float64(values), attributes: attributes)
        case .float32: return Frame(name: name, shape: shape, data: .float32(values.map(Float.init)), attributes: attributes)
        case .int64, .int32, .uint8:
            let range: ClosedRange<Double> = dtype == .int64 ? -9.2e18...9.2e18 : dtype == .int32 ? -2_147_483_648...2_147_483_647 : 0...255
            if let bad = values.first(where: { $0 != $0.rounded() || !range.contains($0) }) {
                throw FrameError(.malformed, "\(label) value \(formatNumber(bad)) does not fit \(dtype.rawValue)")
            }
            let data: FrameData = switch dtype {
            case .int64: .int64(values.map { Int64($0) })
            case .int32: .int32(values.map { Int32($0) })
            default: .uint8(values.map { UInt8($0) })
            }
            return Frame(name: name, shape: shape, data: data, attributes: attributes)
        }
    }

    /// Renders a 0-, 1- or 2-D frame as CSV; numbers are written so they read back exactly,
    /// and NaN and infinities as `NaN`, `Inf`, `-Inf`, which R and NumPy both read.
    public static func render(_ frame: Frame, delimiter: CSVDelimiter = .comma) throws -> String {
        let shape = frame.header.shape
        guard shape.count <= 2 else {
            throw FrameError(.malformed, "frame '\(frame.header.name)' has \(shape.count) dimensions; CSV holds at most 2")
        }
        let rows = shape.first ?? 1
        let columns = shape.count == 2 ? shape[1] : 1
        let rowMajor = frame.rowMajor()
        let fields: [String]
        switch rowMajor.data {
        case .float64(let v): fields = v.map { formatNumber($0) }
        case .float32(let v): fields = v.map { formatNumber(Double($0)) }
        case .int64(let v): fields = v.map { String($0) }
        case .int32(let v): fields = v.map { String($0) }
        case .uint8(let v): fields = v.map { String($0) }
        }
        var text = ""
        if let names = frame.header.attributes[AttributeKey.columnNames]?.arrayValue?.compactMap(\.stringValue), names.count == columns {
            text += names.joined(separator: delimiter.written) + "\n"
        }
        for r in 0..<rows {
            text += fields[(r * columns)..<((r + 1) * columns)].joined(separator: delimiter.written) + "\n"
        }
        return text
    }

    static func parseNumber(_ field: Substring) -> Double? {
        let trimmed = field.trimmingCharacters(" \"")
        switch trimmed.lowercased() {
        case "nan", "na": return .nan
        case "inf", "+inf", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: return Double(trimmed)
        }
    }
}

/// What separates the fields of a line: one character (',' by default, ';', a tab), or any run
/// of spaces and tabs, as `np.savetxt` and aligned columns use.
public enum CSVDelimiter: Equatable, Sendable, CustomStringConvertible {
    case character(Character)
    case whitespace

    public static let comma = CSVDelimiter.character(",")

    /// From a command-line value: one character, `tab` or `\\t`, or `space`/`whitespace`/' '
    /// for runs of blanks.
    public init?(argument: String) {
        switch argument {
        case "tab", "\\t", "\t": self = .character("\t")
        case " ", "space", "whitespace": self = .whitespace
        default:
            guard argument.count == 1, let character = argument.first, character != "\"", !character.isNewline else { return nil }
            self = .character(character)
        }
    }

    public var description: String {
        switch self {
        case .character("\t"): return "tab"
        case .character(let c): return "'\(c)'"
        case .whitespace: return "whitespace"
        }
    }

    /// What separates written fields.
    var written: String {
        switch self {
        case .character(let c): return String(c)
        case .whitespace: return " "
        }
    }

    func fields(of line: Substring) -> [Substring] {
        switch self {
        case .whitespace:
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        case .character(let separator):
            return line.split(separator: separator, omittingEmptySubsequences: false)
                .map { $0.drop(while: { $0 == " " }) }
        }
    }

    /// A suggestion when fields look separated by another common delimiter.
    func hint(for fields: [Substring]) -> String {
        for candidate in [";", "\t", ",", " "] where CSVDelimiter(argument: candidate) != self {
            if fields.contains(where: { $0.trimmingCharacters(" ").contains(candidate) }) {
                let shown = candidate == "\t" ? "tab" : candidate == " " ? "' '" : "'\(candidate)'"
                return "; is the delimiter \(shown)? (--delimiter \(candidate == "\t" ? "tab" : candidate == " " ? "whitespace" : "'\(candidate)'"))"
            }
        }
        return ""
    }
}

extension StringProtocol {
    func trimmingCharacters(_ set: String) -> String {
        let characters = Set(set)
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice.removeFirst() }
        while let last = slice.last, characters.contains(last) { slice.removeLast() }
        return String(slice)
    }

    func trimmingQuotes() -> String { trimmingCharacters(" \"") }
}
