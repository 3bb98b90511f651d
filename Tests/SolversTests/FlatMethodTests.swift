import Testing
import Frames
import Instances
import LinearAlgebra
import Models
import Problems
import RandomNumbers
import TestSupport
@testable import Solvers

@Suite("flat and min-norm: recovery, certificates and optimality")
struct FlatMethodTests {
    static func gaussian(size: Int, rank: Int, measurements: Int) throws -> StreamInstance {
        try StreamInstance(truth: GroundTruthSpecification(rows: size, columns: size, rank: rank, seed: 1),
                           measurements: MeasurementSpecification(family: .gaussian, size: .count(measurements), seed: 2))
    }

    @Test func gaussianSensingIsRecoveredWithACertifiedFlatFactorization() throws {
        let instance = try Self.gaussian(size: 20, rank: 2, measurements: 5 * 2 * 40)
        let solved = try instance.solve(options())
        #expect(solved.converged)
        let truth = try instance.matrix(FrameName.truth)
        #expect(relativeError(try solved.estimate, truth) <= 1e-8)
        let str = try #require(solved.attribute(SolverAttributeKey.scaledTrace))
        let rescaling = try instance.measurements.measurementOperator.rescaling()
        let independentStr = rescaling.scaledTrace(left: try solved.left, right: try solved.right)
        #expect(abs(str - independentStr) <= 1e-12 * str)
        #expect(abs(str - (try weightedNuclearNorm(try solved.estimate, rescaling))) <= 1e-8 * str)
        let bound = try #require(solved.attribute(SolverAttributeKey.lowerBound))
        #expect(bound <= str * (1 + 1e-12))
        #expect(bound >= str * (1 - FlatMethod.certifiedGap(tolerance: SolverLimits().tolerance)))
        // The augmented Lagrangian alone stops at the 1e-10 tolerance; Newton's finish reaches
        // rounding, and certifies it to rounding too.
        #expect(try #require(solved.attribute(SolverAttributeKey.residual)) <= 1e-13)
        #expect(bound >= str * (1 - NewtonFinisher.certifiedGap))
    }

    @Test func gaussianSensingBelowFullSamplingIsRecovered() throws {
        let instance = try Self.gaussian(size: 30, rank: 2, measurements: 300)
        let solved = try instance.solve(options())
        #expect(solved.converged)
        #expect(relativeError(try solved.estimate, try instance.matrix(FrameName.truth)) <= 1e-8)
        let str = try #require(solved.attribute(SolverAttributeKey.scaledTrace))
        #expect(try #require(solved.attribute(SolverAttributeKey.lowerBound)) >= str * (1 - FlatMethod.certifiedGap(tolerance: SolverLimits().tolerance)))
    }

    @Test(arguments: [
        ("bilinear", GroundTruthSpecification(rows: 24, columns: 16, rank: 2, seed: 3),
         MeasurementSpecification(family: .bilinear, size: .oversampling(5), seed: 4), nil as OutlierHandling?),
        ("completion", GroundTruthSpecification(rows: 30, columns: 30, rank: 2, seed: 5),
         MeasurementSpecification(family: .completion, size: .probability(0.5), seed: 6), nil),
        ("covariance", GroundTruthSpecification(rows: 16, columns: 16, rank: 2, kind: .psd, seed: 7),
         MeasurementSpecification(family: .quadratic, size: .oversampling(5), seed: 8), nil),
        ("quadratic network", GroundTruthSpecification(rows: 16, columns: 16, rank: 2, negativeRank: 1, kind: .signed, seed: 9),
         MeasurementSpecification(family: .quadratic, size: .oversampling(5), seed: 10), nil),
    ])
    func everyModelIsRecoveredInsideThePapersRegime(
        model: String, truth: GroundTruthSpecification, measurements: MeasurementSpecification, outliers: OutlierHandling?
    ) throws {
        let instance = try StreamInstance(truth: truth, measurements: measurements)
        let solved = try instance.solve(options(outliers: outliers))
        #expect(solved.converged, "\(model)")
        #expect(relativeError(try solved.estimate, try instance.matrix(FrameName.truth)) <= 1e-7, "\(model)")
    }

    @Test(arguments: [OutlierHandling.oracleBudget, .penalized(lambda: nil)])
    func robustPCARecoversTheLowRankPartFromSparseOutliers(handling: OutlierHandling) throws {
        let instance = try StreamInstance(
            truth: GroundTruthSpecification(rows: 30, columns: 30, rank: 2, seed: 11),
            measurements: MeasurementSpecification(family: .identity, size: .count(900), seed: 12),
            corruption: SparseCorruptionSpecification(amount: .fraction(0.05), perLine: 3, seed: 13))
        let solved = try instance.solve(options(outliers: handling))
        #expect(solved.converged)
        #expect(relativeError(try solved.estimate, try instance.matrix(FrameName.truth)) <= 1e-7)
        // Without a width, the answer holds exactly the minimizer's rank.
        #expect(try #require(solved.attribute(AttributeKey.rank)) == 2)
        let objective = try #require(solved.attribute(SolverAttributeKey.objective))
        #expect(try #require(solved.attribute(SolverAttributeKey.lowerBound)) >= objective * (1 - FlatMethod.certifiedGap(tolerance: 1e-10)))
    }

    /// Completion whose first rows are sampled far more often than the rest, so D1 is far from
    /// a multiple of the identity: flat recovers the truth, min-norm does not, and each is
    /// optimal for its own objective.
    @Test func flatAndMinimumNormDifferWhenTheRescalingIsUneven() throws {
        let (truth, completion, measurements) = try unevenCompletion()
        let size = truth.rows
        let rescaling = completion.rescaling()
        let factorization = GeneralFactorization(rows: size, columns: size, width: size)
        func solve(weights: Rescaling, tolerance: Double) throws -> (solution: FactoredSolution, problem: RecoveryProblem) {
            let problem = RecoveryProblem(measurements: measurements, dataFit: .exact, rescaling: weights, factorization: factorization)
            let context = MethodContext(operatorRescaling: rescaling, limits: SolverLimits(tolerance: tolerance), seed: 1, progress: nil)
            return (try FlatMethod(growsWidth: false).solve(problem, context: context), problem)
        }
        // min-norm's answer has a graded spectrum, which the factored method reaches slowly.
        let flat = try solve(weights: rescaling, tolerance: 1e-9)
        let minimumNorm = try solve(weights: rescaling.isotropic, tolerance: 1e-6)
        #expect(flat.solution.converged)
        // min-norm's graded spectrum leaves its certificate short of 1e-4 at this tolerance; its
        // bound must still be a bound.
        let minimumNormObjective = minimumNorm.problem.objective(minimumNorm.solution.parameters)
        #expect(try #require(minimumNorm.solution.lowerBound) <= minimumNormObjective * (1 + 1e-12))
        let flatEstimate = factoredMatrix(flat.solution.parameters, factorization)
        let minimumNormEstimate = factoredMatrix(minimumNorm.solution.parameters, factorization)
        #expect(relativeError(flatEstimate, truth) < 1e-7)
        #expect(relativeError(minimumNormEstimate, truth) > 1e-2)
        // Each wins on its own objective: str for flat, ‖L‖² + ‖R‖² for min-norm.
        let str = { (p: [Double]) in flat.problem.flatness(p, rescaling: rescaling).value }
        let norm = { (p: [Double]) in flat.problem.flatness(p, rescaling: rescaling.isotropic).value }
        #expect(str(flat.solution.parameters) < str(minimumNorm.solution.parameters) * (1 - 1e-4))
        #expect(norm(minimumNorm.solution.parameters) < norm(flat.solution.parameters) * (1 - 1e-4))
    }

    @Test func runningOutOfIterationsStillReturnsTheBestIterateMarkedUnconverged() throws {
        let instance = try Self.gaussian(size: 20, rank: 2, measurements: 400)
        var limited = options()
        limited.limits.maxIterations = 1
        let solved = try instance.solve(limited)
        #expect(!solved.converged)
        #expect(solved.frames[FrameName.estimate]?.header.attributes[SolverAttributeKey.converged] == .bool(false))
        #expect(try #require(solved.attribute(SolverAttributeKey.residual)) > 1e-10)
        #expect(try solved.estimate.rows == 20)
    }

    /// `--estimate factors` (the default above 2^24 entries) writes the answer as its factors
    /// alone, with the solve's attributes on `estimate_left`; `dense` writes the product too.
    @Test func theEstimateCanTravelAsFactorsAlone() throws {
        let instance = try StreamInstance(truth: GroundTruthSpecification(rows: 12, columns: 10, rank: 2, seed: 3),
                                          measurements: MeasurementSpecification(family: .gaussian, size: .oversampling(4), seed: 4))
        var factorsOnly = options()
        factorsOnly.estimateStorage = .factors
        let lean = try instance.solve(factorsOnly)
        let full = try instance.solve(options())
        #expect(lean.frames[FrameName.estimate] == nil)
        #expect(full.frames[FrameName.estimate] != nil)
        #expect(full.frames[FrameName.estimateLeft]?.header.attributes[SolverAttributeKey.objective] == nil)
        #expect(lean.attribute(SolverAttributeKey.objective) == full.attribute(SolverAttributeKey.objective))
        #expect(relativeError(BLAS.matmul(try lean.left, try lean.right, transposeB: true), try full.estimate) <= 1e-15)
    }
}
