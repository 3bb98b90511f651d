import LinearAlgebra
import Models
import RandomNumbers

/// An operator with the name test reports give it.
public struct OperatorFixture: Sendable, CustomStringConvertible {
    public let name: String
    public let measurementOperator: any MeasurementOperator

    public init(_ name: String, _ measurementOperator: any MeasurementOperator) {
        self.name = name
        self.measurementOperator = measurementOperator
    }

    public var description: String { name }
}

/// Small random instances of every family, for checks that must hold for all of them.
public enum OperatorFixtures {
    /// Gaussian, bilinear, quadratic (d × d with d = max(d1, d2)), completion of three quarters
    /// of the entries (at most m; rows and columns observed unevenly, so its rescaling is not a
    /// multiple of the identity) and full observation, all d1×d2 with m measurements where the
    /// family allows a choice.
    public static func all(rows d1: Int = 7, columns d2: Int = 5, measurements m: Int = 40,
                           seed: UInt64 = 1) -> [OperatorFixture] {
        var g = PCG64(seed: seed)
        let square = max(d1, d2)
        let entries = g.sampleWithoutReplacement(count: min(m, 3 * d1 * d2 / 4), from: d1 * d2)
        let completion = try! MatrixCompletion(rows: d1, columns: d2, entryRows: entries.map { $0 % d1 },
                                               entryColumns: entries.map { $0 / d1 })
        return [
            OperatorFixture("gaussian", GaussianSensing(sensing: gaussianMatrix(rows: m, columns: d1 * d2, generator: &g),
                                                        rows: d1, columns: d2)),
            OperatorFixture("bilinear", BilinearSensing(left: gaussianMatrix(rows: m, columns: d1, generator: &g),
                                                        right: gaussianMatrix(rows: m, columns: d2, generator: &g))),
            OperatorFixture("quadratic", QuadraticSensing(features: gaussianMatrix(rows: m, columns: square, generator: &g))),
            OperatorFixture("completion", completion),
            OperatorFixture("identity", IdentityObservation(rows: d1, columns: d2)),
        ]
    }
}

/// A_i itself, recovered as A*(e_i): the independent route to every structured formula.
public func sensingMatrix(_ op: any MeasurementOperator, _ i: Int) -> Matrix {
    var unit = [Double](repeating: 0, count: op.measurementCount)
    unit[i] = 1
    return op.adjoint(unit)
}

/// Every A_i = A*(e_i), in order.
public func sensingMatrices(_ op: any MeasurementOperator) -> [Matrix] {
    (0..<op.measurementCount).map { sensingMatrix(op, $0) }
}

/// A as a dense m × (d1·d2) matrix whose row i is vec(A_i).
public func denseOperator(_ op: any MeasurementOperator) -> Matrix {
    var dense = Matrix.zeros(rows: op.measurementCount, columns: op.rows * op.columns)
    for i in 0..<op.measurementCount {
        for (j, value) in sensingMatrix(op, i).storage.enumerated() { dense[i, j] = value }
    }
    return dense
}
