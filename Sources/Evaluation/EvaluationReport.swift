import Foundation
import Frames

/// What `evaluate` says about one stream: a value (or null) for every key of `keys`, in that
/// order, and the frames whose absence left some of them null. Scripts rely on the keys, so
/// they are fixed here and documented in the README.
public struct EvaluationReport: Equatable, Sendable {
    /// Every key, in the order of the table, the JSON object and the CSV columns.
    public static let keys = [
        "input",
        "operator", "d1", "d2", "m", "truth_rank",
        "method", "rank", "data_fit", "converged", "iterations", "passes", "seconds",
        "relative_error", "recovered", "numerical_rank", "singular_values",
        "residual", "holdout_error",
        "scaled_trace", "flattest", "lower_bound", "balancedness", "norm_minimality",
        "outlier_precision", "outlier_recall", "sharpness",
        "truth_seed", "truth_args", "measurement_seed", "measurement_args",
        "outlier_seed", "outlier_args", "solve_seed", "solve_args",
        "missing",
    ]

    /// The stages whose provenance becomes columns, with the frames that carry it (the first
    /// present is read) and the column prefix: the seed and the arguments that remake each.
    static let provenanceColumns: [(tool: String, frames: [String], prefix: String)] = [
        ("generate-ground-truth", [FrameName.truth, FrameName.truthLeft], "truth"),
        ("sample-measurements", [FrameName.observations], "measurement"),
        ("corrupt-sparse", [FrameName.outlierSupport], "outlier"),
        ("solve-flat", [FrameName.estimate, FrameName.estimateLeft], "solve"),
    ]

    public private(set) var values: JSONObject = [:]
    /// `evaluate --tag key=value`: extra columns after the fixed keys, in the order given.
    public var tags: [Tag] = []

    public struct Tag: Equatable, Sendable {
        public let key: String
        public let value: JSONValue
        public init(key: String, value: JSONValue) { (self.key, self.value) = (key, value) }
    }
    /// Frames the stream lacks that some key needed, in the order they were noticed.
    public private(set) var missing: [String] = []
    /// Why keys whose frames are present were left null anyway (a dense matrix above the
    /// dense limit with no factors to stand in for it), one line each for stderr. Not part of
    /// the row: the keys stay what scripts rely on.
    public var notes: [String] = []

    public init() {}

    public subscript(key: String) -> JSONValue {
        get { key == "missing" ? .array(missing.map { .string($0) }) : values[key] ?? .null }
        set {
            precondition(Self.keys.contains(key) && key != "missing", "'\(key)' is not a report key")
            values[key] = newValue
        }
    }

    public mutating func noteMissing(_ frame: String) {
        if !missing.contains(frame) { missing.append(frame) }
    }

    /// One JSON object on one line, keys in the order of `keys`; null where nothing was measured.
    public var json: String {
        "{" + cells.map { "\(JSONValue.string($0.key).encodedString()):\($0.value.encodedString())" }.joined(separator: ",") + "}"
    }

    /// The fixed keys and then the tags, as the row's cells.
    private var cells: [(key: String, value: JSONValue)] {
        Self.keys.map { ($0, self[$0]) } + tags.map { ($0.key, $0.value) }
    }

    /// The CSV header line, for reports with these tag keys.
    public static func csvHeader(tagKeys: [String] = []) -> String {
        (keys + tagKeys).map(csvCell).joined(separator: ",")
    }

    /// One CSV row under `csvHeader`: empty where null; lists joined by ';' in one cell.
    public var csvRow: String {
        cells.map { key, value in
            let cell: String
            switch value {
            case .null: cell = ""
            case .array(let items): cell = items.map(Self.plainText).joined(separator: ";")
            case let value: cell = Self.plainText(value)
            }
            return Self.csvCell(cell)
        }.joined(separator: ",")
    }

    private static func csvCell(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// An aligned key–value table for people, under a title line; null keys are left out and
    /// the missing frames are said in a closing line.
    public func table(title: String) -> String {
        var lines = [title]
        let width = Self.keys.map(\.count).max() ?? 0
        for (key, value) in cells where key != "missing" && value != .null {
            lines.append("  " + key.padding(toLength: max(width, key.count), withPad: " ", startingAt: 0) + "  " + Self.readable(value))
        }
        if !missing.isEmpty {
            lines.append("  missing: " + missing.joined(separator: ", ") + " (the keys that need them are left out; see evaluate --help)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Exact text: doubles in the shortest form that reads back to the same value.
    private static func plainText(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .double(let d): return d.isFinite ? "\(d)" : JSONValue.double(d).encodedString().replacingOccurrences(of: "\"", with: "")
        default: return value.encodedString()
        }
    }

    /// Six significant digits: what a person compares at a glance.
    private static func readable(_ value: JSONValue) -> String {
        switch value {
        case .double(let d): return String(format: "%.6g", d)
        case .array(let items): return items.map(readable).joined(separator: " ")
        default: return plainText(value)
        }
    }
}
