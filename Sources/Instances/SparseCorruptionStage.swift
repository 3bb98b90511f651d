import Frames
import Models

/// The stream logic of `corrupt-sparse`, free of I/O so tests can drive it frame by frame.
///
/// The caller decodes the frames `consumes` accepts and passes them to `handle`, writing what
/// it returns in their place; every other frame goes on verbatim. After the last frame,
/// `finish` returns the outlier record to append.
///
/// - The target is replaced in place by its corrupted copy: same name and shape, float64
///   (float32 is widened, exactly), attributes kept plus `outliers` and a provenance entry.
/// - An outlier record already in the stream for the same target (from an earlier stage) is
///   consumed wherever it sits, and the appended record is the merge of it with this stage's
///   outliers, so it always describes `y_final − y_clean`. Records of other targets pass.
public final class SparseCorruptionStage {
    public let target: String
    public let specification: SparseCorruptionSpecification
    private let provenance: JSONValue

    /// Checked before the corrupted copy of the target and the outliers are allocated.
    public var budget: MemoryBudget?
    /// Hears which step is under way.
    public var progress: ((String) -> Void)?

    private var targetShape: [Int]?
    private var added: SparseCorruption?
    private var earlierSupport: Frame?
    private var earlierValues: Frame?

    /// `provenance` is this stage's entry (tool, version, arguments, seed), recorded on the
    /// corrupted target and on the record.
    public init(target: String = FrameName.observations, specification: SparseCorruptionSpecification,
                provenance: JSONValue) throws {
        try specification.validate()
        self.target = target
        self.specification = specification
        self.provenance = provenance
    }

    /// Whether the frame must be decoded and withheld: the target, or a record describing it.
    public func consumes(_ header: FrameHeader) -> Bool {
        header.name == target || isEarlierRecord(header)
    }

    /// Takes a consumed frame; returns the frames that replace it in the stream.
    public func handle(_ frame: Frame) throws -> [Frame] {
        let header = frame.header
        if header.name == target {
            return [try corruptTarget(frame)]
        }
        precondition(isEarlierRecord(header), "handed a frame the stage does not consume")
        let alreadyHeld = header.name == FrameName.outlierSupport ? earlierSupport : earlierValues
        guard alreadyHeld == nil else {
            throw InstanceError("the stream holds two '\(header.name)' frames for '\(target)'")
        }
        if header.name == FrameName.outlierSupport { earlierSupport = frame } else { earlierValues = frame }
        return []
    }

    /// The record to append once the stream has ended.
    public func finish() throws -> [Frame] {
        guard let targetShape, let added else {
            throw InstanceError("no frame named '\(target)' in the stream")
        }
        let entries = targetShape.reduce(1, *)
        progress?("writing the outlier record")
        let ownRecord = OutlierRecord(support: added.support, values: added.values)
        var record = ownRecord
        var stages: [JSONValue] = []
        if let earlierSupport, let earlierValues {
            record = try OutlierRecord(supportFrame: earlierSupport, valuesFrame: earlierValues, entries: entries)
                .merged(with: ownRecord)
            stages = earlierSupport.header.attributes[AttributeKey.provenance]?.arrayValue ?? []
        } else if earlierSupport != nil || earlierValues != nil {
            let (present, missing) = earlierSupport != nil
                ? (FrameName.outlierSupport, FrameName.outlierValues)
                : (FrameName.outlierValues, FrameName.outlierSupport)
            throw InstanceError("the stream holds '\(present)' for '\(target)' but no '\(missing)'")
        }

        var attributes: JSONObject = [
            OutlierAttributeKey.target: .string(target),
            OutlierAttributeKey.count: .integer(Int64(record.count)),
            OutlierAttributeKey.magnitude: .double(added.magnitude),
            OutlierAttributeKey.distribution: .string(specification.distribution.rawValue),
            AttributeKey.provenance: .array(stages + [provenance]),
        ]
        if let perLine = specification.perLine {
            attributes[OutlierAttributeKey.perLine] = .integer(Int64(perLine))
        }
        if targetShape.count == 2 {
            attributes[OutlierAttributeKey.maximumPerLine] =
                .integer(Int64(record.maximumPerLine(rows: targetShape[0], columns: targetShape[1])))
        }
        return record.frames(attributes: attributes)
    }

    /// One line for a person watching: what this stage did.
    public var summary: String? {
        guard let targetShape, let added else { return nil }
        let shape = targetShape.map(String.init).joined(separator: "×")
        let count = added.support.count
        var line = "added \(count) outlier\(count == 1 ? "" : "s") to '\(target)' (\(shape)): \(specification.distribution.rawValue), magnitude \(added.magnitude)"
        if let perLine = specification.perLine { line += ", at most \(perLine) per row and column" }
        return line + ", seed \(specification.seed)"
    }

    private func isEarlierRecord(_ header: FrameHeader) -> Bool {
        guard header.name == FrameName.outlierSupport || header.name == FrameName.outlierValues else { return false }
        return (header.attributes[OutlierAttributeKey.target]?.stringValue ?? FrameName.observations) == target
    }

    private func corruptTarget(_ frame: Frame) throws -> Frame {
        let header = frame.header
        let described = "frame '\(header.name)' (\(header.dtype.rawValue) \(header.shapeDescription))"
        guard targetShape == nil else {
            throw InstanceError("the stream holds a second frame named '\(target)'; only one can be the target")
        }
        guard header.dtype == .float64 || header.dtype == .float32 else {
            throw InstanceError("\(described): outliers go into float64 or float32 data")
        }
        let entries = header.elementCount
        let corruption: SparseCorruption
        do {
            let count = try specification.amount.resolved(entries: entries)
            try budget?.check([
                PlannedArray("the corrupted copy of \(described)", [("its \(entries) entries", entries)]),
                PlannedArray("the outliers' positions, values and draws", [("\(count) outliers", count)], elementBytes: 40),
            ])
            progress?("adding \(count) outliers to '\(header.name)'")
            corruption = try corrupt(values: frame.data.doubles, shape: header.shape, specification: specification)
        } catch let error as InstanceError {
            throw InstanceError("\(described): \(error.description)")
        }
        targetShape = header.shape
        added = corruption
        var attributes = header.attributes
        attributes[OutlierAttributeKey.outliers] = .integer(Int64(corruption.support.count))
        attributes[AttributeKey.provenance] = .array((attributes[AttributeKey.provenance]?.arrayValue ?? []) + [provenance])
        return Frame(name: header.name, shape: header.shape, data: .float64(corruption.corrupted), attributes: attributes)
    }
}
