import Frames
import LinearAlgebra
import Models
import TestSupport

/// Gaussian operators as the metrics see them: their dense storage and their frames.
enum Fixtures {
    /// Row i of `sensing` is vec(A_i); A_i[p, q] is entry p + q·d1 of that row.
    static func sensingMatrix(_ sensing: Matrix, measurement i: Int, rows d1: Int, columns d2: Int) -> Matrix {
        var a = Matrix.zeros(rows: d1, columns: d2)
        for q in 0..<d2 { for p in 0..<d1 { a[p, q] = sensing[i, p + q * d1] } }
        return a
    }

    /// The frames sample-measurements writes for a Gaussian operator, made by hand.
    static func gaussianFrames(truth: Matrix, measurements m: Int, seed: UInt64, prefix: String = "") -> [Frame] {
        let sensing = gaussianMatrix(rows: m, columns: truth.rows * truth.columns, seed: seed)
        let observations = GaussianSensing(sensing: sensing, rows: truth.rows, columns: truth.columns).apply(truth)
        let attributes: JSONObject = [
            AttributeKey.operatorFamily: "gaussian",
            AttributeKey.rows: .integer(Int64(truth.rows)), AttributeKey.columns: .integer(Int64(truth.columns)),
            AttributeKey.operatorFrames: [.string(prefix + FrameName.sensing)],
        ]
        return [Frame(name: prefix + FrameName.sensing, shape: [m, truth.rows, truth.columns], data: .float64(sensing.storage)),
                Frame(name: prefix + FrameName.observations, vector: observations, attributes: attributes)]
    }
}
