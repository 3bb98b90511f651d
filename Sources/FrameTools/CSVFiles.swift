import Frames

/// Comma-separated text for spreadsheets and R: one matrix row per line. A first line that
/// is not all numbers is taken as column names and kept in the `columns` attribute.
public enum CSVFiles {
    /// Parses CSV text into a column-major frame of `dtype` (float64 or an integer type).
    public static func parse(_ text: String, name: String, dtype: DType = .float64,
                             attributes: JSONObject = [:]) throws -> Frame {
        var rows: [[Substring]] = []
        var lineNumbers: [Int] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.allSatisfy({ $0 == " " }) { continue }
            rows.append(trimmed.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.drop(while: { $0 == " " }) })
            lineNumbers.append(number + 1)
        }
        var attributes = attributes
        if let first = rows.first, first.contains(where: { parseNumber($0) == nil }) {
            attributes[AttributeKey.columnNames] = .array(first.map { .string(String($0).trimmingQuotes()) })
            rows.removeFirst()
            lineNumbers.removeFirst()
        }
        let columnCount = rows.first?.count ?? 0
        var values = [Double](repeating: 0, count: rows.count * columnCount)
        for (r, row) in rows.enumerated() {
            guard row.count == columnCount else {
                throw FrameError(.malformed, "CSV line \(lineNumbers[r]) has \(row.count) fields, expected \(columnCount)")
            }
            for (c, field) in row.enumerated() {
                guard let value = parseNumber(field) else {
                    throw FrameError(.malformed, "CSV line \(lineNumbers[r]) field \(c + 1): '\(field)' is not a number")
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
                throw FrameError(.malformed, "CSV value \(formatNumber(bad)) does not fit \(dtype.rawValue)")
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
    public static func render(_ frame: Frame) throws -> String {
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
            text += names.joined(separator: ",") + "\n"
        }
        for r in 0..<rows {
            text += fields[(r * columns)..<((r + 1) * columns)].joined(separator: ",") + "\n"
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
