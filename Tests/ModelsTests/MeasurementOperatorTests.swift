import Testing
import LinearAlgebra
import RandomNumbers
@testable import Models

/// Every family must satisfy the same identities; each is checked against a route that does
/// not use the code under test (inner products summed by hand, A_i recovered one at a time).
@Suite struct MeasurementOperatorTests {
    @Test(arguments: OperatorFixtures.all())
    func adjointPassesTheDotProductTest(op: any MeasurementOperator) {
        var g = PCG64(seed: 7)
        let x = OperatorFixtures.gaussianMatrix(rows: op.rows, columns: op.columns, generator: &g)
        var y = [Double](repeating: 0, count: op.measurementCount)
        g.fillStandardNormal(&y)
        let lhs = zip(op.apply(x), y).reduce(0) { $0 + $1.0 * $1.1 }       // ⟨A(X), y⟩
        let rhs = zip(x.storage, op.adjoint(y).storage).reduce(0) { $0 + $1.0 * $1.1 }  // ⟨X, A*(y)⟩
        #expect(abs(lhs - rhs) <= 1e-12 * max(1, abs(lhs)), "\(op.family.rawValue): \(lhs) vs \(rhs)")
    }

    @Test(arguments: OperatorFixtures.all())
    func applyIsTheInnerProductWithEachSensingMatrix(op: any MeasurementOperator) {
        var g = PCG64(seed: 8)
        let x = OperatorFixtures.gaussianMatrix(rows: op.rows, columns: op.columns, generator: &g)
        let applied = op.apply(x)
        for i in stride(from: 0, to: op.measurementCount, by: 7) {
            let a = OperatorFixtures.sensingMatrix(op, i)
            let direct = zip(a.storage, x.storage).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(direct - applied[i]) <= 1e-12 * max(1, abs(direct)), "\(op.family.rawValue) measurement \(i)")
        }
    }

    @Test(arguments: OperatorFixtures.all())
    func factoredFormsAgreeWithDenseOnes(op: any MeasurementOperator) {
        var g = PCG64(seed: 9)
        let k = 3
        let left = OperatorFixtures.gaussianMatrix(rows: op.rows, columns: k, generator: &g)
        let right = OperatorFixtures.gaussianMatrix(rows: op.columns, columns: k, generator: &g)
        let product = OperatorFixtures.naiveProduct(left, right.transposed())
        #expect(OperatorFixtures.maxDifference(op.applyFactored(left: left, right: right), op.apply(product)) < 1e-11)
        var y = [Double](repeating: 0, count: op.measurementCount)
        g.fillStandardNormal(&y)
        let dense = op.adjoint(y)
        #expect(OperatorFixtures.maxDifference(op.adjointTimes(y, right: right).storage,
                                               OperatorFixtures.naiveProduct(dense, right).storage) < 1e-11)
        #expect(OperatorFixtures.maxDifference(op.adjointTransposeTimes(y, left: left).storage,
                                               OperatorFixtures.naiveProduct(dense.transposed(), left).storage) < 1e-11)
    }

    @Test(arguments: OperatorFixtures.all())
    func tangentJacobianRowsAreEachSensingMatrixTimesTheBases(op: any MeasurementOperator) {
        var g = PCG64(seed: 11)
        let u = OperatorFixtures.gaussianMatrix(rows: op.rows, columns: 2, generator: &g)
        let v = OperatorFixtures.gaussianMatrix(rows: op.columns, columns: 3, generator: &g)
        let jacobian = op.tangentJacobian(left: u, right: v)
        #expect(jacobian.rows == op.measurementCount && jacobian.columns == op.columns * 2 + op.rows * 3)
        for i in stride(from: 0, to: op.measurementCount, by: 3) {
            let a = OperatorFixtures.sensingMatrix(op, i)
            let expected = OperatorFixtures.naiveProduct(a.transposed(), u).storage + OperatorFixtures.naiveProduct(a, v).storage
            let row = (0..<jacobian.columns).map { jacobian[i, $0] }
            #expect(OperatorFixtures.maxDifference(row, expected) < 1e-12, "\(op.family.rawValue) measurement \(i)")
        }
        // And as a map: J·[vec P; vec Q] = A(U·Pᵀ + Q·Vᵀ).
        let p = OperatorFixtures.gaussianMatrix(rows: op.columns, columns: 2, generator: &g)
        let q = OperatorFixtures.gaussianMatrix(rows: op.rows, columns: 3, generator: &g)
        let tangent = OperatorFixtures.naiveProduct(u, p.transposed()) + OperatorFixtures.naiveProduct(q, v.transposed())
        #expect(OperatorFixtures.maxDifference(BLAS.matvec(jacobian, p.storage + q.storage), op.apply(tangent)) < 1e-11)
    }

    @Test(arguments: OperatorFixtures.all())
    func rescalingMatchesTheDefiningSums(op: any MeasurementOperator) {
        // D1² = (1/(m·d2)) Σ A_iA_iᵀ and D2² = (1/(m·d1)) Σ A_iᵀA_i, summed from each A_i.
        var left = Matrix.zeros(rows: op.rows, columns: op.rows)
        var right = Matrix.zeros(rows: op.columns, columns: op.columns)
        for i in 0..<op.measurementCount {
            let a = OperatorFixtures.sensingMatrix(op, i)
            left = left + OperatorFixtures.naiveProduct(a, a.transposed())
            right = right + OperatorFixtures.naiveProduct(a.transposed(), a)
        }
        let m = Double(op.measurementCount)
        let rescaling = op.rescaling()
        #expect(OperatorFixtures.maxDifference(rescaling.left.matrix.storage, (left * (1 / (m * Double(op.columns)))).storage) < 1e-12)
        #expect(OperatorFixtures.maxDifference(rescaling.right.matrix.storage, (right * (1 / (m * Double(op.rows)))).storage) < 1e-12)
    }

    @Test(arguments: OperatorFixtures.all())
    func scaledTraceEqualsTheGaussNewtonHessianTrace(op: any MeasurementOperator) {
        // At a zero-loss point tr ∇²f = (1/m) Σ_i (‖A_iᵀL‖² + ‖A_iR‖²) (docs/mathematics.md §2), each block
        // summed here from the A_i one at a time.
        var g = PCG64(seed: 10)
        let left = OperatorFixtures.gaussianMatrix(rows: op.rows, columns: 2, generator: &g)
        let right = OperatorFixtures.gaussianMatrix(rows: op.columns, columns: 2, generator: &g)
        var leftBlock = 0.0
        var rightBlock = 0.0
        for i in 0..<op.measurementCount {
            let a = OperatorFixtures.sensingMatrix(op, i)
            leftBlock += OperatorFixtures.naiveProduct(a.transposed(), left).storage.reduce(0) { $0 + $1 * $1 }
            rightBlock += OperatorFixtures.naiveProduct(a, right).storage.reduce(0) { $0 + $1 * $1 }
        }
        let m = Double(op.measurementCount)
        // ‖D1 L‖² = (1/(m·d2)) Σ ‖A_iᵀ L‖²: the L-block divided by d2, the R-block by d1.
        let expected = leftBlock / (m * Double(op.columns)) + rightBlock / (m * Double(op.rows))
        let computed = op.rescaling().scaledTrace(left: left, right: right)
        #expect(abs(computed - expected) <= 1e-10 * expected, "\(op.family.rawValue)")
    }
}
