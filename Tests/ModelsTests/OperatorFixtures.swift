import LinearAlgebra
import RandomNumbers
@testable import Models

/// Small random instances of every family, for tests that must hold for all of them.
enum OperatorFixtures {
    static func gaussianMatrix(rows: Int, columns: Int, generator: inout PCG64) -> Matrix {
        var values = [Double](repeating: 0, count: rows * columns)
        generator.fillStandardNormal(&values)
        return Matrix(rows: rows, columns: columns, columnMajor: values)
    }

    static func all(d1: Int = 7, d2: Int = 5, m: Int = 40, seed: UInt64 = 1) -> [any MeasurementOperator] {
        var g = PCG64(seed: seed)
        let square = max(d1, d2)
        let entries = g.sampleWithoutReplacement(count: min(m, d1 * d2), from: d1 * d2)
        return [
            GaussianSensing(sensing: gaussianMatrix(rows: m, columns: d1 * d2, generator: &g), rows: d1, columns: d2),
            BilinearSensing(left: gaussianMatrix(rows: m, columns: d1, generator: &g),
                                    right: gaussianMatrix(rows: m, columns: d2, generator: &g)),
            QuadraticSensing(features: gaussianMatrix(rows: m, columns: square, generator: &g)),
            try! MatrixCompletion(rows: d1, columns: d2, entryRows: entries.map { $0 % d1 }, entryColumns: entries.map { $0 / d1 }),
            IdentityObservation(rows: d1, columns: d2),
        ]
    }

    /// A_i itself, recovered as A*(e_i): the independent route to every structured formula.
    static func sensingMatrix(_ op: any MeasurementOperator, _ i: Int) -> Matrix {
        var unit = [Double](repeating: 0, count: op.measurementCount)
        unit[i] = 1
        return op.adjoint(unit)
    }

    static func naiveProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix.zeros(rows: a.rows, columns: b.columns)
        for i in 0..<a.rows { for j in 0..<b.columns { for l in 0..<a.columns { c[i, j] += a[i, l] * b[l, j] } } }
        return c
    }

    static func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}
