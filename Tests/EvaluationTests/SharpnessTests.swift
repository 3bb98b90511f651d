import Testing
import TestSupport
import LinearAlgebra
import Models
import Problems
@testable import Evaluation

/// The exact Hessian-vector products against a dense Hessian built by central differences of
/// the loss's gradient, and Lanczos against LAPACK's eigenvalues of that dense Hessian, on
/// tiny instances away from the solution set (so the residual's curvature term is tested too).
@Suite("Sharpness: Hessian of the loss and its largest eigenvalue")
struct SharpnessTests {
    static func gaussianCase() throws -> (MeasurementSet, any BilinearFactorization, [Double]) {
        let (d1, d2, m, k) = (4, 3, 15, 2)
        let op = GaussianSensing(sensing: gaussianMatrix(rows: m, columns: d1 * d2, seed: 21), rows: d1, columns: d2)
        let set = try MeasurementSet(measurementOperator: op, observations: gaussianVector(m, seed: 22))
        let factorization = GeneralFactorization(rows: d1, columns: d2, width: k)
        return (set, factorization, gaussianVector(factorization.parameterCount, seed: 23))
    }

    static func quadraticCase() throws -> (MeasurementSet, any BilinearFactorization, [Double]) {
        let (d, m) = (4, 12)
        let op = QuadraticSensing(features: gaussianMatrix(rows: m, columns: d, seed: 31))
        let set = try MeasurementSet(measurementOperator: op, observations: gaussianVector(m, seed: 32))
        let factorization = SignedSymmetricFactorization(size: d, positiveWidth: 2, negativeWidth: 1)
        return (set, factorization, gaussianVector(factorization.parameterCount, seed: 33))
    }

    /// Column j is (∇f(θ + h e_j) − ∇f(θ − h e_j)) / 2h, symmetrized.
    static func finiteDifferenceHessian(_ hessian: LossHessian, at point: [Double]) -> Matrix {
        let dense = centralDifferenceJacobian({ hessian.loss(at: $0).gradient }, at: point, step: 1e-5)
        return (dense + dense.transposed()) * 0.5
    }

    @Test(arguments: [0, 1])
    func hessianVectorProductsMatchFiniteDifferencesAndLanczosMatchesLAPACK(caseIndex: Int) throws {
        let (set, factorization, point) = try caseIndex == 0 ? Self.gaussianCase() : Self.quadraticCase()
        let hessian = LossHessian(measurements: set, factorization: factorization, at: point)
        let dense = Self.finiteDifferenceHessian(hessian, at: point)
        let n = point.count
        var exact = Matrix.zeros(rows: n, columns: n)
        for j in 0..<n {
            var unit = [Double](repeating: 0, count: n)
            unit[j] = 1
            let column = hessian.times(unit)
            for i in 0..<n { exact[i, j] = column[i] }
        }
        #expect((exact - dense).frobeniusNorm <= 1e-7 * dense.frobeniusNorm)
        #expect((exact - exact.transposed()).frobeniusNorm <= 1e-12 * exact.frobeniusNorm)
        let largest = try LAPACK.symmetricEigenvalues(dense).last!
        let lanczos = try Lanczos.largestEigenvalue(dimension: n, times: hessian.times)
        #expect(abs(lanczos - largest) <= 1e-7 * abs(largest))
    }

    @Test func lanczosFindsTheLargestOfAWideSpectrum() throws {
        let eigenvalues = (0..<200).map { Double($0) / 10 - 3 }
        let basis = try LAPACK.thinQ(gaussianMatrix(rows: 200, columns: 200, seed: 41))
        let a = BLAS.matmul(BLAS.matmul(basis, Matrix.diagonal(eigenvalues)), basis, transposeB: true)
        let largest = try Lanczos.largestEigenvalue(dimension: 200, times: { BLAS.matvec(a, $0) })
        #expect(abs(largest - eigenvalues.max()!) <= 1e-8 * eigenvalues.max()!)
    }

    @Test func quadraticFactorsAreReadInAnyColumnOrder() throws {
        let u = gaussianMatrix(rows: 3, columns: 3, seed: 51)
        var signedRight = u
        for i in 0..<3 { signedRight[i, 0] = -u[i, 0] }   // the negative column first
        let (factorization, parameters) = try StoredFactors.parameters(left: u, right: signedRight, symmetric: true)
        let (left, right) = factorization.factors(parameters)
        let expected = BLAS.matmul(u, signedRight, transposeB: true)
        #expect((BLAS.matmul(left, right, transposeB: true) - expected).frobeniusNorm <= 1e-14 * expected.frobeniusNorm)
        var unrelated = u
        unrelated[0, 1] += 1
        #expect(throws: ModelError.self) { try StoredFactors.parameters(left: u, right: unrelated, symmetric: true) }
    }
}
