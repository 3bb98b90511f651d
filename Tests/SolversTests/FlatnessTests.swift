import Testing
import Frames
import Instances
import LinearAlgebra
import Models
@testable import Solvers

/// The closed-form flatness against the trace of the Hessian of f = (1/2m)‖A(X(θ)) − b‖²,
/// taken by central differences of the gradient at a zero-loss point, for every model: the
/// formula of docs/mathematics.md §2 and §7 (str = tr_L/d1 + tr_R/d2; for X = USUᵀ, str = tr_U/(2d)) checked
/// through the same pullback the solvers use.
@Suite("Scaled Hessian trace: closed form against finite differences")
struct FlatnessTests {
    @Test(arguments: [
        (GroundTruthSpecification(rows: 7, columns: 5, rank: 2, seed: 1), OperatorFamily.gaussian),
        (GroundTruthSpecification(rows: 7, columns: 5, rank: 2, seed: 2), .bilinear),
        (GroundTruthSpecification(rows: 7, columns: 5, rank: 2, seed: 3), .completion),
        (GroundTruthSpecification(rows: 7, columns: 5, rank: 2, seed: 4), .identity),
        (GroundTruthSpecification(rows: 6, columns: 6, rank: 2, negativeRank: 1, kind: .signed, seed: 5), .quadratic),
    ])
    func closedFormMatchesFiniteDifferenceTrace(truth: GroundTruthSpecification, family: OperatorFamily) throws {
        let size: SampleSize = family == .completion ? .probability(0.7) : (family == .identity ? .count(35) : .count(60))
        let instance = try StreamInstance(truth: truth, measurements: MeasurementSpecification(family: family, size: size, seed: 9))
        let measurements = try instance.measurements
        let rescaling = measurements.measurementOperator.rescaling()
        let left = try instance.matrix(FrameName.truthLeft), right = try instance.matrix(FrameName.truthRight)
        let factorization: any Factorization
        let parameters: [Double]
        if family == .quadratic {
            factorization = SignedSymmetricFactorization(size: truth.rows, positiveWidth: truth.rank,
                                                         negativeWidth: truth.negativeRank ?? 0)
            parameters = left.storage
        } else {
            factorization = GeneralFactorization(rows: truth.rows, columns: truth.columns, width: truth.rank)
            parameters = left.storage + right.storage
        }
        let problem = RecoveryProblem(measurements: measurements, dataFit: .exact, rescaling: rescaling,
                                      factorization: factorization)
        #expect(BLAS.nrm2(problem.residual(parameters)) <= 1e-12 * problem.observationNorm)

        let diagonal = hessianDiagonal(problem, at: parameters)
        let finiteDifference: Double
        if family == .quadratic {
            finiteDifference = diagonal.reduce(0, +) / Double(2 * truth.rows)
        } else {
            let split = truth.rows * truth.rank
            finiteDifference = diagonal[..<split].reduce(0, +) / Double(truth.rows)
                + diagonal[split...].reduce(0, +) / Double(truth.columns)
        }
        let closedForm = problem.flatness(parameters).value
        #expect(abs(closedForm - finiteDifference) <= 1e-6 * closedForm, "\(family): \(closedForm) vs \(finiteDifference)")
    }
}

/// The diagonal of ∇²f at θ by central differences of the gradient, f = (1/2m)‖A(X(θ)) − b‖²:
/// exact up to O(h²) since f is a polynomial in θ.
func hessianDiagonal(_ problem: RecoveryProblem, at parameters: [Double], step: Double = 1e-4) -> [Double] {
    parameters.indices.map { j in
        var forward = parameters, backward = parameters
        forward[j] += step
        backward[j] -= step
        return (problem.loss(forward).gradient[j] - problem.loss(backward).gradient[j]) / (2 * step)
    }
}

/// The same check for X = W_3 W_2 W_1: block traces weighted 1/d2 (W_1), 1 (W_2), 1/d1 (W_3),
/// the middle one through each operator's `sandwichedSquaredNorm`.
@Suite("Deep factorization: Hessian trace against finite differences")
struct DeepFlatnessTests {
    @Test(arguments: [OperatorFamily.gaussian, .bilinear, .completion, .identity])
    func closedFormMatchesFiniteDifferenceTrace(family: OperatorFamily) throws {
        let truth = GroundTruthSpecification(rows: 6, columns: 5, rank: 2, seed: 31)
        let size: SampleSize = family == .completion ? .probability(0.7) : (family == .identity ? .count(30) : .count(50))
        let instance = try StreamInstance(truth: truth, measurements: MeasurementSpecification(family: family, size: size, seed: 32))
        let measurements = try instance.measurements
        let rescaling = measurements.measurementOperator.rescaling()
        let left = try instance.matrix(FrameName.truthLeft), right = try instance.matrix(FrameName.truthRight)
        // W_3 = L, W_2 = a mixing rotation-and-scale, W_1 = W_2⁻¹Rᵀ: a zero-loss point whose
        // middle layer is not the identity.
        let mixing = Matrix(rows: 2, columns: 2, rowMajor: [1.5, 0.4, -0.3, 0.8])
        let inverse = try LAPACK.solve(mixing, Matrix.identity(2))
        let factorization = DeepFactorization(rows: truth.rows, columns: truth.columns, width: 2, depth: 3)
        let parameters = BLAS.matmul(inverse, right, transposeB: true).storage + mixing.storage + left.storage
        let problem = RecoveryProblem(measurements: measurements, dataFit: .exact, rescaling: rescaling,
                                      factorization: factorization)
        #expect(BLAS.nrm2(problem.residual(parameters)) <= 1e-12 * problem.observationNorm)

        let diagonal = hessianDiagonal(problem, at: parameters)
        let first = 2 * truth.columns, middle = first + 4
        let finiteDifference = diagonal[..<first].reduce(0, +) / Double(truth.columns)
            + diagonal[first..<middle].reduce(0, +)
            + diagonal[middle...].reduce(0, +) / Double(truth.rows)
        let closedForm = problem.flatness(parameters)
        #expect(abs(closedForm.value - finiteDifference) <= 1e-6 * closedForm.value,
                "\(family): \(closedForm.value) vs \(finiteDifference)")

        // And its gradient against central differences of the value.
        for j in stride(from: 0, to: parameters.count, by: 3) {
            var forward = parameters, backward = parameters
            forward[j] += 1e-4
            backward[j] -= 1e-4
            let numeric = (problem.flatness(forward).value - problem.flatness(backward).value) / 2e-4
            #expect(abs(numeric - closedForm.gradient[j]) <= 1e-6 * max(1, abs(numeric)), "\(family) coordinate \(j)")
        }
    }
}
