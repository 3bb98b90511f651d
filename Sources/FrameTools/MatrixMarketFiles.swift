#if canImport(Glibc)
import Glibc
#endif
import Frames

/// MatrixMarket text files (`.mtx`), the exchange format of sparse-matrix collections and of
/// `scipy.io.mmread`/`mmwrite`. A `coordinate` file lists observed entries (row, column,
/// value), which is what a matrix-completion instance is: it imports as the `entries` and
/// `observations` frames `sample-measurements --operator completion` writes, so it goes
/// straight into `solve-flat`. An `array` file is a dense matrix and imports as one frame.
/// Indices are 1-based in the file and 0-based in frames.
public enum MatrixMarketFiles {
    /// A completion instance read from a coordinate file: observed positions (0-based) and values.
    public struct Observations: Equatable, Sendable {
        public var rows: Int
        public var columns: Int
        public var entryRows: [Int64]
        public var entryColumns: [Int64]
        public var values: [Double]
        /// Attributes a previous export recorded (`% flatmin-attributes {…}`): noise level,
        /// provenance, outlier count.
        public var recordedAttributes: JSONObject
    }

    public enum Contents: Equatable, Sendable {
        case observations(Observations)
        /// A dense d1×d2 matrix, column-major: float64 for `real`, int64 for `integer`.
        case dense(rows: Int, columns: Int, data: FrameData)
    }

    /// The comment line through which an export records the observations' attributes.
    static let attributesComment = "% flatmin-attributes "

    /// The attributes a coordinate file's shape and the instance's layout determine; an
    /// export does not record them, an import sets them.
    static let structuralAttributes: Set<String> = [
        AttributeKey.operatorFamily, AttributeKey.rows, AttributeKey.columns, AttributeKey.operatorFrames,
    ]

    /// The value of the `operator` attribute that marks completion observations.
    static let completionOperator = "completion"

    // MARK: Reading

    public static func parse(_ text: [UInt8], label: String) throws -> Contents {
        let scanner = LineScanner(text: text, label: label)
        guard let bannerLine = scanner.nextLine() else { throw FrameError(.malformed, "\(label) is empty") }
        let banner = String(decoding: bannerLine, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        guard banner.count == 5, banner[0] == "%%matrixmarket" else {
            throw FrameError(.malformed, "\(label) line 1: expected '%%MatrixMarket matrix FORMAT FIELD SYMMETRY'")
        }
        guard banner[1] == "matrix" else { throw FrameError(.malformed, "\(label) holds a '\(banner[1])', not a matrix") }
        let (format, field, symmetry) = (banner[2], banner[3], banner[4])
        guard format == "coordinate" || format == "array" else {
            throw FrameError(.malformed, "\(label) line 1: unknown format '\(format)' (coordinate or array)")
        }
        switch field {
        case "real", "integer": break
        case "complex": throw FrameError(.malformed, "\(label) holds complex values, which no frame holds")
        case "pattern":
            throw FrameError(.malformed, "\(label) is a pattern matrix: it has positions but no values, and completion needs the observed values")
        default: throw FrameError(.malformed, "\(label) line 1: unknown field '\(field)' (real, integer)")
        }
        guard ["general", "symmetric", "skew-symmetric"].contains(symmetry) else {
            throw FrameError(.malformed, "\(label) line 1: symmetry '\(symmetry)' is not read (general, symmetric, skew-symmetric)")
        }

        // Comments, then the size line.
        var recorded: JSONObject = [:]
        var sizeLine: UnsafeBufferPointer<UInt8>?
        while let line = scanner.nextLine() {
            if line.first == UInt8(ascii: "%") {
                let comment = Array(line)
                if comment.starts(with: Array(attributesComment.utf8)),
                   let object = (try? JSONValue.decode(comment[attributesComment.utf8.count...]))?.objectValue {
                    recorded = object
                }
                continue
            }
            if LineScanner.isBlank(line) { continue }
            sizeLine = line
            break
        }
        guard let sizeLine else { throw FrameError(.malformed, "\(label) has no size line") }
        var sizeFields = TokenCursor(line: sizeLine)
        let rows = try scanner.integer(&sizeFields, what: "the row count")
        let columns = try scanner.integer(&sizeFields, what: "the column count")
        guard rows > 0, columns > 0 else { throw FrameError(.malformed, "\(label) line \(scanner.lineNumber): the matrix is \(rows)×\(columns)") }
        if symmetry != "general", rows != columns {
            throw FrameError(.malformed, "\(label) is \(symmetry) but not square (\(rows)×\(columns))")
        }

        if format == "array" {
            try scanner.expectEnd(&sizeFields, what: "'rows columns'")
            return try parseArray(scanner, rows: rows, columns: columns, integer: field == "integer", symmetry: symmetry)
        }
        let count = try scanner.integer(&sizeFields, what: "the entry count")
        try scanner.expectEnd(&sizeFields, what: "'rows columns entries'")
        guard count > 0 else { throw FrameError(.malformed, "\(label) lists no entries: nothing was observed") }
        // Each entry takes at least six bytes ("1 1 1\n"): a size line cannot ask for more.
        guard count <= scanner.byteCount / 6 else {
            throw FrameError(.truncated, "\(label) declares \(count) entries but is too short to hold them")
        }
        var observations = Observations(rows: rows, columns: columns, entryRows: [], entryColumns: [], values: [],
                                        recordedAttributes: recorded)
        let capacity = symmetry == "general" ? count : 2 * count
        observations.entryRows.reserveCapacity(capacity)
        observations.entryColumns.reserveCapacity(capacity)
        observations.values.reserveCapacity(capacity)
        var lines: [Int] = []
        lines.reserveCapacity(capacity)
        for read in 0..<count {
            guard let line = scanner.nextDataLine() else {
                throw FrameError(.truncated, "\(label) ends after \(read) of its \(count) entries")
            }
            var cursor = TokenCursor(line: line)
            let row = try scanner.integer(&cursor, what: "a row index")
            let column = try scanner.integer(&cursor, what: "a column index")
            let value = try scanner.number(&cursor)
            try scanner.expectEnd(&cursor, what: "'row column value'")
            guard (1...rows).contains(row), (1...columns).contains(column) else {
                throw FrameError(.malformed, "\(label) line \(scanner.lineNumber): entry (\(row), \(column)) is outside the \(rows)×\(columns) matrix")
            }
            observations.append(row - 1, column - 1, value)
            lines.append(scanner.lineNumber)
            if row != column, symmetry != "general" {
                observations.append(column - 1, row - 1, symmetry == "symmetric" ? value : -value)
                lines.append(scanner.lineNumber)
            } else if row == column, symmetry == "skew-symmetric" {
                throw FrameError(.malformed, "\(label) line \(scanner.lineNumber): a skew-symmetric matrix has no diagonal entries")
            }
        }
        try scanner.expectNoMoreData(what: "entries than its size line declares")
        try observations.refuseRepeatedPositions(lines: lines, label: label)
        return .observations(observations)
    }

    private static func parseArray(_ scanner: LineScanner, rows: Int, columns: Int, integer: Bool,
                                   symmetry: String) throws -> Contents {
        // Each value takes at least two bytes ("0\n"): a size line cannot ask for more.
        let (size, overflow) = rows.multipliedReportingOverflow(by: columns)
        let listed = symmetry == "general" ? size : symmetry == "symmetric" ? size / 2 + rows / 2 : size / 2 - rows / 2
        guard !overflow, listed <= scanner.byteCount / 2 else {
            throw FrameError(.truncated, "\(scanner.label) declares a \(rows)×\(columns) matrix but is too short to hold its values")
        }
        var reals = integer ? [] : [Double](repeating: 0, count: rows * columns)
        var integers = integer ? [Int64](repeating: 0, count: rows * columns) : []
        // Column by column; a symmetric file lists the lower triangle (with the diagonal,
        // without it when skew-symmetric) and the upper follows from it.
        for column in 0..<columns {
            let firstRow = symmetry == "general" ? 0 : symmetry == "symmetric" ? column : column + 1
            for row in firstRow..<rows {
                guard let line = scanner.nextDataLine() else {
                    throw FrameError(.truncated, "\(scanner.label) ends before its \(rows)×\(columns) values do")
                }
                var cursor = TokenCursor(line: line)
                let sign: Double = symmetry == "skew-symmetric" ? -1 : 1
                if integer {
                    let value = Int64(try scanner.integer(&cursor, what: "an integer value"))
                    integers[row + column * rows] = value
                    if row != column, symmetry != "general" { integers[column + row * rows] = Int64(sign) * value }
                } else {
                    let value = try scanner.number(&cursor)
                    reals[row + column * rows] = value
                    if row != column, symmetry != "general" { reals[column + row * rows] = sign * value }
                }
                try scanner.expectEnd(&cursor, what: "one value")
            }
        }
        try scanner.expectNoMoreData(what: "values than its size line declares")
        return .dense(rows: rows, columns: columns, data: integer ? .int64(integers) : .float64(reals))
    }

    /// The frames a completion instance travels as: `entries` (m×2 int64) and `observations`
    /// with the attributes `sample-measurements` writes, so that `solve-flat` reads them.
    public static func completionFrames(_ observations: Observations, attributes: JSONObject) -> [Frame] {
        var observationAttributes = JSONObject(observations.recordedAttributes.filter { !structuralAttributes.contains($0.key) }
                                                   .map { ($0.key, $0.value) })
        for (key, value) in attributes where key != AttributeKey.provenance { observationAttributes[key] = value }
        if let entry = attributes[AttributeKey.provenance]?.arrayValue {
            observationAttributes[AttributeKey.provenance] = .array((observationAttributes[AttributeKey.provenance]?.arrayValue ?? []) + entry)
        }
        observationAttributes[AttributeKey.operatorFamily] = .string(completionOperator)
        observationAttributes[AttributeKey.rows] = .integer(Int64(observations.rows))
        observationAttributes[AttributeKey.columns] = .integer(Int64(observations.columns))
        observationAttributes[AttributeKey.operatorFrames] = [.string(FrameName.entries)]
        if observationAttributes[AttributeKey.noiseStandardDeviation] == nil {
            observationAttributes[AttributeKey.noiseStandardDeviation] = .double(0)
        }
        if observationAttributes[AttributeKey.noiseNorm] == nil {
            observationAttributes[AttributeKey.noiseNorm] = .double(0)
        }
        let m = observations.values.count
        let entryAttributes: JSONObject = attributes[AttributeKey.provenance].map { [AttributeKey.provenance: $0] } ?? [:]
        return [
            Frame(name: FrameName.entries, shape: [m, 2], data: .int64(observations.entryRows + observations.entryColumns),
                  attributes: entryAttributes),
            Frame(name: FrameName.observations, shape: [m], data: .float64(observations.values), attributes: observationAttributes),
        ]
    }

    // MARK: Writing

    /// The text of the last frame named `name` in `spool`: a coordinate file when it holds
    /// completion observations (their positions come from the operator frame they name), an
    /// array file for any other 1- or 2-D frame.
    public static func export(_ name: String, from spool: FrameSpool) throws -> [UInt8] {
        guard let header = spool.lastOfEachName.first(where: { $0.name == name }) else {
            throw FrameError(.malformed, "no frame named '\(name)' in the stream")
        }
        guard header.attributes[AttributeKey.operatorFamily]?.stringValue == completionOperator else {
            return try renderDense(try spool.lastFrames(named: [name])[name]!)
        }
        guard let operatorFrames = header.attributes[AttributeKey.operatorFrames]?.arrayValue?.compactMap(\.stringValue),
              operatorFrames.count == 1, let entriesName = operatorFrames.first else {
            throw FrameError(.malformed, "frame '\(name)' holds completion observations but does not name its one positions frame (attribute operator_frames)")
        }
        let frames = try spool.lastFrames(named: [name, entriesName])
        guard let entries = frames[entriesName] else {
            throw FrameError(.malformed, "the positions of '\(name)', frame '\(entriesName)', are not in the stream")
        }
        return try renderObservations(frames[name]!, entries: entries)
    }

    /// A coordinate file of completion observations: their positions from `entries`, 1-based,
    /// and every attribute but the structural ones in a comment, so that an import restores
    /// the instance (noise level included) exactly.
    public static func renderObservations(_ observations: Frame, entries: Frame) throws -> [UInt8] {
        let attributes = observations.header.attributes
        let name = observations.header.name
        guard let rows = attributes[AttributeKey.rows]?.integerValue, let columns = attributes[AttributeKey.columns]?.integerValue,
              rows > 0, columns > 0 else {
            throw FrameError(.malformed, "frame '\(name)' lacks the matrix shape (attributes d1, d2)")
        }
        let m = observations.header.elementCount
        guard observations.header.shape.count == 1, entries.header.shape == [m, 2],
              let indices = entries.columnMajor().data.integers else {
            throw FrameError(.malformed, "frame '\(entries.header.name)' is not the \(m)×2 integer matrix of positions of '\(name)'s \(m) values")
        }
        let values = observations.data.doubles
        var text = "%%MatrixMarket matrix coordinate real general\n"
        text += "% completion observations of a \(rows) x \(columns) matrix, written by frames export; row and column are 1-based\n"
        let recorded = attributes.filter { !structuralAttributes.contains($0.key) }
        text += attributesComment + JSONValue.object(JSONObject(recorded.map { ($0.key, $0.value) })).encodedString() + "\n"
        text += "\(rows) \(columns) \(m)\n"
        var body: [UInt8] = Array(text.utf8)
        body.reserveCapacity(body.count + m * 28)
        for i in 0..<m {
            let (row, column) = (indices[i], indices[i + m])
            guard (0..<Int(rows)).contains(row), (0..<Int(columns)).contains(column) else {
                throw FrameError(.malformed, "frame '\(entries.header.name)' row \(i): position (\(row), \(column)) is outside the \(rows)×\(columns) matrix")
            }
            body += "\(row + 1) \(column + 1) \(render(values[i]))\n".utf8
        }
        return body
    }

    /// An array file of a 1- or 2-D frame: `real` for floating-point data, `integer` otherwise.
    public static func renderDense(_ frame: Frame) throws -> [UInt8] {
        let shape = frame.header.shape
        guard (1...2).contains(shape.count) else {
            throw FrameError(.malformed, "frame '\(frame.header.name)' has \(shape.count) dimensions; a MatrixMarket file holds a matrix")
        }
        let rows = shape[0]
        let columns = shape.count == 2 ? shape[1] : 1
        let data = frame.columnMajor().data
        let integers = data.integers
        var body = Array("%%MatrixMarket matrix array \(integers == nil ? "real" : "integer") general\n".utf8)
        body += "% frame '\(frame.header.name)', written by frames export; column by column\n".utf8
        body += "\(rows) \(columns)\n".utf8
        if let integers {
            for value in integers { body += "\(value)\n".utf8 }
        } else {
            for value in data.doubles { body += "\(render(value))\n".utf8 }
        }
        return body
    }

    /// The shortest text that reads back as the same double; NaN and infinities as strtod and
    /// NumPy spell them.
    static func render(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        return "\(value)"
    }
}

extension MatrixMarketFiles.Observations {
    fileprivate mutating func append(_ row: Int, _ column: Int, _ value: Double) {
        entryRows.append(Int64(row))
        entryColumns.append(Int64(column))
        values.append(value)
    }

    /// A position listed twice would be two measurements of one entry; MatrixMarket readers
    /// add them up, which is not what an observation means, so it is refused.
    fileprivate func refuseRepeatedPositions(lines: [Int], label: String) throws {
        var order = Array(values.indices)
        let key = { (i: Int) in self.entryRows[i] &* Int64(self.columns) &+ self.entryColumns[i] }
        order.sort { key($0) < key($1) }
        for (a, b) in zip(order, order.dropFirst()) where key(a) == key(b) {
            let (first, second) = (min(lines[a], lines[b]), max(lines[a], lines[b]))
            throw FrameError(.malformed, "\(label) line \(second) repeats entry (\(entryRows[a] + 1), \(entryColumns[a] + 1)) of line \(first)")
        }
    }
}

/// Lines of a text file held in memory, with their numbers for errors.
final class LineScanner {
    private let text: UnsafeMutableBufferPointer<UInt8>
    let label: String
    private var position = 0
    private(set) var lineNumber = 0

    init(text: [UInt8], label: String) {
        // A terminating NUL stops strtod at the end of the last line.
        self.text = .allocate(capacity: text.count + 1)
        _ = self.text.initialize(from: text + [0])
        self.label = label
    }

    deinit { text.deallocate() }

    /// Bytes of text, to bound what a size line may declare before anything is allocated.
    var byteCount: Int { text.count - 1 }

    /// The next line without its line break; nil at the end. Valid while the scanner lives.
    func nextLine() -> UnsafeBufferPointer<UInt8>? {
        guard position < text.count - 1 else { return nil }
        let start = position
        let end = text[start..<(text.count - 1)].firstIndex(of: UInt8(ascii: "\n")) ?? text.count - 1
        position = end + 1
        lineNumber += 1
        let trimmedEnd = end > start && text[end - 1] == UInt8(ascii: "\r") ? end - 1 : end
        return UnsafeBufferPointer(rebasing: text[start..<trimmedEnd])
    }

    /// The next line that is neither blank nor a comment.
    func nextDataLine() -> UnsafeBufferPointer<UInt8>? {
        while let line = nextLine() {
            if !Self.isBlank(line), line.first != UInt8(ascii: "%") { return line }
        }
        return nil
    }

    func expectNoMoreData(what: String) throws {
        if nextDataLine() != nil {
            throw FrameError(.malformed, "\(label) line \(lineNumber): more \(what)")
        }
    }

    static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    func integer(_ cursor: inout TokenCursor, what: String) throws -> Int {
        guard let token = cursor.next() else { throw FrameError(.malformed, "\(label) line \(lineNumber): missing \(what)") }
        guard let value = Int(String(decoding: token, as: UTF8.self)) else {
            throw FrameError(.malformed, "\(label) line \(lineNumber): '\(String(decoding: token, as: UTF8.self))' is not \(what)")
        }
        return value
    }

    func number(_ cursor: inout TokenCursor) throws -> Double {
        guard let token = cursor.next() else { throw FrameError(.malformed, "\(label) line \(lineNumber): missing the value") }
        // The token is followed by a space, a line break or the final NUL, where strtod stops.
        var end: UnsafeMutablePointer<CChar>?
        let start = UnsafeMutableRawPointer(mutating: token.baseAddress!).assumingMemoryBound(to: CChar.self)
        let value = strtod(start, &end)
        guard end == start + token.count else {
            throw FrameError(.malformed, "\(label) line \(lineNumber): '\(String(decoding: token, as: UTF8.self))' is not a number")
        }
        return value
    }

    func expectEnd(_ cursor: inout TokenCursor, what: String) throws {
        if cursor.next() != nil {
            throw FrameError(.malformed, "\(label) line \(lineNumber): expected \(what), found more")
        }
    }
}

/// Space- or tab-separated tokens of one line.
struct TokenCursor {
    let line: UnsafeBufferPointer<UInt8>
    var position = 0

    init(line: UnsafeBufferPointer<UInt8>) { self.line = line }

    mutating func next() -> UnsafeBufferPointer<UInt8>? {
        while position < line.count, line[position] == 0x20 || line[position] == 0x09 { position += 1 }
        guard position < line.count else { return nil }
        let start = position
        while position < line.count, line[position] != 0x20, line[position] != 0x09 { position += 1 }
        return UnsafeBufferPointer(rebasing: line[start..<position])
    }
}
