import Foundation
import Frames

/// What `frames ls` says about one frame, learned from its header and zstd framing only.
public struct FrameSummary: Sendable, Equatable {
    public var index: Int
    public var header: FrameHeader
    /// Decompressed size: the `.npy` file inside the payload.
    public var npyBytes: Int
    /// Payload size on the wire (the header's few bytes not included).
    public var compressedBytes: Int

    /// One JSON object, the unit of `frames ls --json` (JSON Lines).
    public func json() -> JSONValue {
        .object([
            "index": .integer(Int64(index)),
            "name": .string(header.name),
            "dtype": .string(header.dtype.rawValue),
            "shape": .array(header.shape.map { .integer(Int64($0)) }),
            "order": .string(header.order.rawValue),
            "npy_bytes": .integer(Int64(npyBytes)),
            "compressed_bytes": .integer(Int64(compressedBytes)),
            "attributes": .object(header.attributes),
        ])
    }

    public static let tableHeading = columns(["#", "name", "dtype", "shape", "compressed", "raw", "attributes"])

    /// A fixed-width row, so rows can be printed as frames arrive.
    public func tableRow() -> String {
        Self.columns([String(index), header.name, header.dtype.rawValue, header.shapeDescription,
                      formatBytes(compressedBytes), formatBytes(npyBytes), keyAttributes()])
    }

    /// Scalar attributes and the stage that made the frame: what a person scans a listing for.
    /// Nested attributes are left to `--json`.
    public func keyAttributes(maximumLength: Int = 72) -> String {
        var parts: [String] = []
        if let tool = header.attributes[AttributeKey.provenance]?.arrayValue?.last?[ProvenanceKey.tool]?.stringValue {
            parts.append("by \(tool)")
        }
        // What a frame is (operator, kind, rank) reads first; the rest alphabetically.
        let leading = [AttributeKey.operatorFamily, AttributeKey.kind, AttributeKey.rank,
                       OutlierAttributeKey.target, SolverAttributeKey.method]
        let keys = leading.filter { header.attributes[$0] != nil }
            + header.attributes.keys.sorted().filter { !leading.contains($0) && $0 != AttributeKey.provenance }
        for key in keys {
            switch header.attributes[key]! {
            case .string(let s): parts.append("\(key)=\(s)")
            case .integer(let i): parts.append("\(key)=\(i)")
            case .double(let d): parts.append("\(key)=\(formatNumber(d, significantDigits: 4))")
            case .bool(let b): parts.append("\(key)=\(b)")
            case .null, .array, .object: continue
            }
        }
        let text = parts.joined(separator: " ")
        return text.count <= maximumLength ? text : String(text.prefix(maximumLength - 1)) + "…"
    }

    private static func columns(_ fields: [String]) -> String {
        let widths = [3, 16, 7, 13, 10, 10]
        var line = ""
        for (field, width) in zip(fields, widths) {
            let isNumeric = width == 3 || width == 10
            let padding = String(repeating: " ", count: max(0, width - field.count))
            line += (isNumeric ? padding + field : field + padding) + "  "
        }
        return line + fields[widths.count]
    }
}

/// Calls `body` with each frame's summary, reading headers and zstd framing but
/// decompressing nothing.
public func summarizeFrames(_ reader: FrameReader, _ body: (FrameSummary) throws -> Void) throws {
    while let header = try reader.next() {
        let npyBytes = reader.declaredNpyBytes
        let compressed = try reader.skip()
        try body(FrameSummary(index: reader.frameIndex, header: header, npyBytes: npyBytes, compressedBytes: compressed))
    }
}

/// Shortest text that reads back as the same Double, or a rounded one for people to scan.
func formatNumber(_ value: Double, significantDigits: Int? = nil) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "Inf" : "-Inf" }
    if value == value.rounded(), abs(value) < 1e15, value != 0 || value.sign == .plus { return String(Int64(value)) }
    if let significantDigits { return String(format: "%.\(significantDigits)g", value) }
    return "\(value)"
}
