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
    /// says which family made it and which frames hold the operator.
    public init(frames: [String: Frame], prefix: String = "") throws {
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
        // Every family's operator sizes itself by d1·d2 somewhere (vec(A_i), the identity's
        // m), so a shape past Int's range must stop here, not trap there.
        guard !d1.multipliedReportingOverflow(by: d2).overflow else {
            throw ModelError("frame '\(name)' says the truth is \(d1)×\(d2), more entries than can be addressed")
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
            measurementOperator = try MatrixCompletion(rows: d1, columns: d2, entryRows: Array(indices[0..<m]),
                                                       entryColumns: Array(indices[m..<(2 * m)]))
        case .identity:
            measurementOperator = IdentityObservation(rows: d1, columns: d2)
        }
        try self.init(measurementOperator: measurementOperator, observations: observations.columnMajor().data.doubles)
    }
}
