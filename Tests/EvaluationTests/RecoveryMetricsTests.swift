import Testing
import TestSupport
import Foundation
import LinearAlgebra
import Models
@testable import Evaluation

/// Each metric against a closed form or a second way of computing it.
@Suite("Recovery metrics")
struct RecoveryMetricsTests {
    @Test func relativeErrorIsTheFrobeniusRatio() {
        let truth = Matrix(rows: 2, columns: 2, rowMajor: [3, 0, 0, 4])
        let estimate = Matrix(rows: 2, columns: 2, rowMajor: [3, 1, 0, 4])
        #expect(abs(RecoveryMetrics.relativeError(estimate: estimate, truth: truth) - 1.0 / 5) < 1e-15)
    }

    @Test func residualMatchesMeasurementByMeasurementInnerProducts() throws {
        let (d1, d2, m) = (4, 3, 9)
        let sensing = gaussianMatrix(rows: m, columns: d1 * d2, seed: 1)
        let estimate = gaussianMatrix(rows: d1, columns: d2, seed: 2)
        let observations = gaussianVector(m, seed: 3)
        let set = try MeasurementSet(measurementOperator: GaussianSensing(sensing: sensing, rows: d1, columns: d2),
                                     observations: observations)
        var squaredResidual = 0.0
        for i in 0..<m {
            let a = Fixtures.sensingMatrix(sensing, measurement: i, rows: d1, columns: d2)
            var inner = 0.0
            for p in 0..<d1 { for q in 0..<d2 { inner += a[p, q] * estimate[p, q] } }
            squaredResidual += (inner - observations[i]) * (inner - observations[i])
        }
        let expected = squaredResidual.squareRoot() / observations.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(RecoveryMetrics.relativeResidual(estimate: estimate, measurements: set) - expected) <= 1e-13 * expected)
    }

    /// 2‖D1MD2‖_* computed as 2·tr((WᵀW)^½) with W built from dense square roots, and no
    /// factorization of M doing better than it (Theorem 3.2).
    @Test func flattestIsTheWeightedNuclearNormAndBoundsEveryFactorization() throws {
        let (d1, d2, m, r) = (5, 4, 40, 2)
        let left = gaussianMatrix(rows: d1, columns: r, seed: 4), right = gaussianMatrix(rows: d2, columns: r, seed: 5)
        let truth = BLAS.matmul(left, right, transposeB: true)
        let op = GaussianSensing(sensing: gaussianMatrix(rows: m, columns: d1 * d2, seed: 6), rows: d1, columns: d2)
        let rescaling = op.rescaling()
        let d1Root = try LAPACK.symmetricPower(rescaling.left.matrix, exponent: 0.5)
        let d2Root = try LAPACK.symmetricPower(rescaling.right.matrix, exponent: 0.5)
        let weighted = BLAS.matmul(BLAS.matmul(d1Root, truth), d2Root)
        let gramEigenvalues = try LAPACK.symmetricEigenvalues(BLAS.matmul(weighted, weighted, transposeA: true))
        // M has rank r: WᵀW's other eigenvalues are rounding, whose square roots would be ~1e-8.
        let expected = 2 * gramEigenvalues.sorted().suffix(r).reduce(0) { $0 + $1.squareRoot() }
        let flattest = try RecoveryMetrics.flattestScaledTrace(of: truth, rescaling: rescaling)
        #expect(abs(flattest - expected) <= 1e-10 * expected)
        for seed in UInt64(10)..<UInt64(15) {
            // L·G, R·G⁻ᵀ factor the same matrix for any invertible G.
            let g = gaussianMatrix(rows: r, columns: r, seed: seed)
            let gInverseTransposed = try LAPACK.solve(g, Matrix.identity(r)).transposed()
            let str = rescaling.scaledTrace(left: BLAS.matmul(left, g), right: BLAS.matmul(right, gInverseTransposed))
            #expect(str >= flattest * (1 - 1e-12))
        }
    }

    @Test func flattestUsesTheDiagonalRescalingOfCompletion() throws {
        let truth = Matrix(rows: 2, columns: 2, rowMajor: [1, 2, 3, 4])
        let rescaling = Rescaling(left: .diagonal([4, 9]), right: .diagonal([1, 16]))
        let weighted = Matrix(rows: 2, columns: 2, rowMajor: [2 * 1 * 1, 2 * 2 * 4, 3 * 3 * 1, 3 * 4 * 4])
        let expected = 2 * (try LAPACK.singularValues(weighted)).reduce(0, +)
        #expect(abs(try RecoveryMetrics.flattestScaledTrace(of: truth, rescaling: rescaling) - expected) <= 1e-13 * expected)
    }

    /// From an SVD UΣVᵀ: L = U√Σ, R = V√Σ is balanced and norm-minimal; scaling them by
    /// c and 1/c gives ‖(c² − c⁻²)Σ‖/‖c²Σ‖ = 1 − c⁻⁴ and (c² + c⁻²)/2.
    @Test func balancednessAndNormMinimalityFollowTheirClosedForms() throws {
        let x = BLAS.matmul(gaussianMatrix(rows: 6, columns: 3, seed: 7), gaussianMatrix(rows: 5, columns: 3, seed: 8), transposeB: true)
        let (u, values, vt) = try LAPACK.svd(x)
        let roots = Matrix.diagonal(values.map { $0.squareRoot() })
        let left = BLAS.matmul(u, roots), right = BLAS.matmul(vt, roots, transposeA: true)
        #expect(RecoveryMetrics.balancedness(left: left, right: right) < 1e-12)
        #expect(abs(try RecoveryMetrics.normMinimality(left: left, right: right, estimate: x) - 1) < 1e-12)
        let c = 2.0
        #expect(abs(RecoveryMetrics.balancedness(left: left * c, right: right * (1 / c)) - (1 - pow(c, -4))) < 1e-12)
        #expect(abs(try RecoveryMetrics.normMinimality(left: left * c, right: right * (1 / c), estimate: x) - (c * c + 1 / (c * c)) / 2) < 1e-12)
    }

    @Test func leadingSingularValuesAreTheLargestInOrder() throws {
        let x = Matrix.diagonal([1, 5, 3, 2])
        #expect(try RecoveryMetrics.leadingSingularValues(x, count: 2) == [5, 3])
        #expect(try RecoveryMetrics.leadingSingularValues(x, count: 10) == [5, 3, 2, 1])
    }

    @Test func outliersAreTheEntriesLeftUnfitted() {
        let observations = [10.0, -2, 3, 1, 0]
        // Positions 0 and 2 unfitted, 4 within the threshold (1e-6·10).
        let residual = [5.0, 0, -1, 0, 5e-6]
        let exact = OutlierDetection(residual: residual, observations: observations, support: [0, 2])
        #expect(exact.precision == 1 && exact.recall == 1 && exact.detectedCount == 2)
        let partial = OutlierDetection(residual: residual, observations: observations, support: [0, 1, 3])
        #expect(partial.precision == 0.5 && abs(partial.recall - 1.0 / 3) < 1e-15)
        let loose = OutlierDetection(residual: residual, observations: observations, support: [0, 2], relativeThreshold: 1e-7)
        #expect(loose.detectedCount == 3 && abs(loose.precision - 2.0 / 3) < 1e-15)
        let silent = OutlierDetection(residual: [0, 0], observations: [1, 1], support: [])
        #expect(silent.precision == 1 && silent.recall == 1)
    }
}
