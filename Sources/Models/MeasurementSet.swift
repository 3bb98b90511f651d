import Frames
import LinearAlgebra

/// An operator together with the observations it produced: what a solver fits, or a
/// held-out set to score an estimate on.
public struct MeasurementSet: Sendable {
    public let measurementOperator: any MeasurementOperator
    public let observations: [Double]

    public init(measurementOperator: any MeasurementOperator, observations: [Double]) throws {
        guard observations.count == measurementOperator.measurementCount else {
            throw ModelError("\(observations.count) observations for an operator with \(measurementOperator.measurementCount) measurements")
        }
        self.measurementOperator = measurementOperator
        self.observations = observations
    }

    /// Rebuilds the set a stream describes: the observations frame named `prefix + observations`
    /// says which family made it and which frames hold the operator. The shape it claims is
    /// checked against the frames before anything of that shape is allocated, and the
    /// completion operator's index (one entry per row and column) and the operator's
    /// rescaling against `budget`.
    public init(frames: [String: Frame], prefix: String = "", budget: MemoryBudget? = nil) throws {
        let name = prefix + FrameName.observations
        guard let observations = frames[name] else {
            throw ModelError("the stream has no '\(name)' frame")
        }
        let attributes = observations.header.attributes
        guard let familyName = attributes[AttributeKey.operatorFamily]?.stringValue else {
            throw ModelError("frame '\(name)' does not say which operator made it (attribute '\(AttributeKey.operatorFamily)')")
        }
        guard let family = OperatorFamily(rawValue: familyName) else {
            throw ModelError("unknown operator '\(familyName)' on frame '\(name)'")
        }
        guard let d1 = attributes[AttributeKey.rows]?.integerValue.map(Int.init),
              let d2 = attributes[AttributeKey.columns]?.integerValue.map(Int.init), d1 > 0, d2 > 0 else {
            throw ModelError("frame '\(name)' lacks the truth's shape (attributes d1, d2)")
        }
        // No frame extent exceeds Int32.max, so no honest stream claims more; sums and
        // products of two such numbers cannot overflow.
        guard d1 <= Int(Int32.max), d2 <= Int(Int32.max) else {
            throw ModelError("frame '\(name)' claims a \(d1)×\(d2) truth, beyond the largest extent a frame can have")
        }
        func operatorFrame(_ base: String) throws -> Frame {
            guard let frame = frames[prefix + base] else {
                throw ModelError("the \(family) operator needs a '\(prefix + base)' frame, which the stream lacks")
            }
            return frame
        }
        func matrix(_ base: String, rows: Int?, columns: Int) throws -> Matrix {
            let frame = try operatorFrame(base)
            let m = try Matrix(frame: frame)
            try Self.requireFinite(m.storage, frame: prefix + base, rows: m.rows)
            guard m.columns == columns, rows == nil || m.rows == rows else {
                throw ModelError("frame '\(prefix + base)' is \(frame.header.shapeDescription), which does not fit a \(d1)×\(d2) \(family) operator")
            }
            return m
        }
        let measurementOperator: any MeasurementOperator
        switch family {
        case .gaussian:
            measurementOperator = GaussianSensing(sensing: try matrix(FrameName.sensing, rows: nil, columns: d1 * d2), rows: d1, columns: d2)
        case .bilinear:
            let left = try matrix(FrameName.sensingLeft, rows: nil, columns: d1)
            measurementOperator = BilinearSensing(left: left, right: try matrix(FrameName.sensingRight, rows: left.rows, columns: d2))
        case .quadratic:
            guard d1 == d2 else { throw ModelError("quadratic sensing needs a square truth, not \(d1)×\(d2)") }
            measurementOperator = QuadraticSensing(features: try matrix(FrameName.features, rows: nil, columns: d1))
        case .completion:
            let entries = try operatorFrame(FrameName.entries)
            guard entries.header.shape.count == 2, entries.header.shape[1] == 2,
                  let indices = entries.columnMajor().data.integers else {
                throw ModelError("frame '\(prefix + FrameName.entries)' must be an m×2 integer matrix of (row, column) positions")
            }
            let m = entries.header.shape[0]
            try budget?.check([PlannedArray("the completion operator's row and column index",
                                            [("d1 \(d1) + d2 \(d2)", d1 + d2)], elementBytes: 16)])
            measurementOperator = try MatrixCompletion(rows: d1, columns: d2, entryRows: Array(indices[0..<m]),
                                                       entryColumns: Array(indices[m..<(2 * m)]))
        case .identity:
            guard observations.header.elementCount == d1 * d2 else {
                throw ModelError("frame '\(name)' holds \(observations.header.shapeDescription) values, not the \(d1)×\(d2) the identity operator observes")
            }
            measurementOperator = IdentityObservation(rows: d1, columns: d2)
        }
        try budget?.check(measurementOperator.plannedRescaling)
        let values = observations.columnMajor().data.doubles
        try Self.requireFinite(values, frame: name)
        try self.init(measurementOperator: measurementOperator, observations: values)
    }

    /// A NaN or infinity in the data would surface deep in LAPACK (or not at all): it is
    /// refused where it is read, with its frame and position.
    /// `rows`: the values are a column-major matrix with this many rows, named by row and column.
    static func requireFinite(_ values: [Double], frame: String, rows: Int? = nil) throws {
        guard let index = values.firstIndex(where: { !$0.isFinite }) else { return }
        let place = rows.map { "row \(index % $0), column \(index / $0)" } ?? "element \(index)"
        throw ModelError("frame '\(frame)' holds \(values[index]) at \(place); measurements and operators must be finite")
    }
}
