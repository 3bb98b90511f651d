import Frames
import LinearAlgebra

/// A frame is how a matrix crosses a pipe; these conversions are the only place the two
/// meet, so every tool reads and writes matrices the same way.
extension Frame {
    public init(name: String, matrix: Matrix, attributes: JSONObject = [:]) {
        self.init(name: name, shape: [matrix.rows, matrix.columns], data: .float64(matrix.storage), attributes: attributes)
    }

    public init(name: String, vector: [Double], attributes: JSONObject = [:]) {
        self.init(name: name, shape: [vector.count], data: .float64(vector), attributes: attributes)
    }

    public init(name: String, integers: [Int], shape: [Int], attributes: JSONObject = [:]) {
        self.init(name: name, shape: shape, data: .int64(integers.map(Int64.init)), attributes: attributes)
    }
}

extension Matrix {
    /// The frame's data as a matrix: 2-D frames keep their shape, 1-D frames become a column,
    /// and an m×d1×d2 frame becomes m × (d1·d2) (row i is vec(A_i)). Any numeric dtype is
    /// widened to Double.
    public init(frame: Frame) throws {
        let shape = frame.header.shape
        guard (1...3).contains(shape.count) else {
            throw ModelError("frame '\(frame.header.name)' has \(shape.count) dimensions; expected a vector or matrix")
        }
        let columnMajor = frame.columnMajor()
        let rows = shape[0]
        let columns = shape.dropFirst().reduce(1, *)
        self.init(rows: rows, columns: columns, columnMajor: columnMajor.data.doubles)
    }
}

/// A stream whose frames do not make a valid instance: missing frames, wrong shapes, or
/// attributes that contradict each other.
public struct ModelError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
