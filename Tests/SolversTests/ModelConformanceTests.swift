import Testing
import Frames
import Instances
import LinearAlgebra
import Models
import Problems
import TestSupport
@testable import Solvers

/// Every model passes the shared model conformance checks at a zero-loss point: the loss and
/// its gradient, the Hessian-vector product against the Gauss–Newton form, each block's Hessian
/// trace (central differences against the sum over the A_i) and the closed-form flatness
/// against those traces (see `hessianBlocks` and docs/mathematics.md §2, §7, §9 for the
/// scalings: for X = L·Rᵀ, str = tr_L/d1 + tr_R/d2; for X = USUᵀ, str = tr/(2d)).
@Suite("Models: loss, Hessian and flatness against finite differences and the A_i")
struct ModelConformanceTests {
    /// Random θ of every factorization over every family it applies to.
    @Test(arguments: ModelFixtures.all())
    func everyModelAgreesWithItsIndependentRoutes(fixture: ModelFixture) {
        expectWithinTolerance(modelConformance(fixture.problem, solution: fixture.solution), fixture.name)
    }

    /// The checks themselves: flatness weighted isotropically instead of by the operator's
    /// rescaling fails exactly the check that compares it with the Hessian trace.
    @Test func theChecksCatchFlatnessUnderTheWrongWeights() throws {
        let fixture = ModelFixtures.all()[0]
        let op = fixture.problem.measurementOperator.base
        let isotropic = Rescaling(left: .multipleOfIdentity(1, size: op.rows), right: .multipleOfIdentity(1, size: op.columns))
        let problem = RecoveryProblem(measurements: try MeasurementSet(measurementOperator: op, observations: fixture.problem.observations),
                                      dataFit: .exact, rescaling: isotropic, factorization: fixture.problem.factorization)
        let failed = modelConformance(problem, solution: fixture.solution).filter { !$0.isWithinTolerance }.map(\.check)
        #expect(failed.count == 1 && failed[0].hasPrefix("flatness against the block-weighted Hessian trace"), "\(failed)")
    }

    /// The truths and operators the tools make (generate-ground-truth | sample-measurements),
    /// at the truth's own factors.
    @Test(arguments: [
        (GroundTruthSpecification(rows: 7, columns: 5, rank: 2, seed: 1), OperatorFamily.gaussian),
        (GroundTruthSpecification(rows: 7, columns: 5, rank: 2, seed: 2), .bilinear),
        (GroundTruthSpecification(rows: 7, columns: 5, rank: 2, seed: 3), .completion),
        (GroundTruthSpecification(rows: 7, columns: 5, rank: 2, seed: 4), .identity),
        (GroundTruthSpecification(rows: 6, columns: 6, rank: 2, negativeRank: 1, kind: .signed, seed: 5), .quadratic),
    ])
    func theToolsInstancesAgreeAtTheTruthsFactors(truth: GroundTruthSpecification, family: OperatorFamily) throws {
        let size: SampleSize = family == .completion ? .probability(0.7) : (family == .identity ? .count(35) : .count(60))
        let instance = try StreamInstance(truth: truth, measurements: MeasurementSpecification(family: family, size: size, seed: 9))
        let measurements = try instance.measurements
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
        let problem = RecoveryProblem(measurements: measurements, dataFit: .exact,
                                      rescaling: measurements.measurementOperator.rescaling(), factorization: factorization)
        expectWithinTolerance(modelConformance(problem, solution: parameters), "\(family)")
    }

    /// X = W_3 W_2 W_1 at W_3 = L, W_2 a mixing rotation-and-scale, W_1 = W_2⁻¹Rᵀ: a zero-loss
    /// point whose middle layer is not the identity.
    @Test(arguments: [OperatorFamily.gaussian, .bilinear, .completion, .identity])
    func deepFactorsOfTheToolsTruthsAgree(family: OperatorFamily) throws {
        let truth = GroundTruthSpecification(rows: 6, columns: 5, rank: 2, seed: 31)
        let size: SampleSize = family == .completion ? .probability(0.7) : (family == .identity ? .count(30) : .count(50))
        let instance = try StreamInstance(truth: truth, measurements: MeasurementSpecification(family: family, size: size, seed: 32))
        let measurements = try instance.measurements
        let left = try instance.matrix(FrameName.truthLeft), right = try instance.matrix(FrameName.truthRight)
        let mixing = Matrix(rows: 2, columns: 2, rowMajor: [1.5, 0.4, -0.3, 0.8])
        let inverse = try LAPACK.solve(mixing, Matrix.identity(2))
        let factorization = DeepFactorization(rows: truth.rows, columns: truth.columns, width: 2, depth: 3)
        let parameters = BLAS.matmul(inverse, right, transposeB: true).storage + mixing.storage + left.storage
        let problem = RecoveryProblem(measurements: measurements, dataFit: .exact,
                                      rescaling: measurements.measurementOperator.rescaling(), factorization: factorization)
        expectWithinTolerance(modelConformance(problem, solution: parameters), "\(family), depth 3")
    }
}
