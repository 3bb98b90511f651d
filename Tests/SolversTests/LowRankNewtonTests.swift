import Testing
import Frames
import Instances
import LinearAlgebra
import Models
import Problems
import RandomNumbers
import TestSupport
@testable import Solvers

@Suite("Newton's method on the rank-s matrices, and its certificate")
struct LowRankNewtonTests {
    /// θ of width k for X = truth's balanced factors plus a perturbation of relative size
    /// `noise` in every entry, so Newton's method starts near, not at, the answer.
    static func perturbedTruth(_ truth: Matrix, rank: Int, width: Int, noise: Double, seed: UInt64) throws -> [Double] {
        let (u, values, vt) = try LAPACK.svd(truth)
        var generator = PCG64(seed: seed)
        let scale = noise * values[0].squareRoot()
        var left = Matrix.zeros(rows: truth.rows, columns: width), right = Matrix.zeros(rows: truth.columns, columns: width)
        for j in 0..<width {
            let root = j < rank ? values[j].squareRoot() : 0
            for i in 0..<truth.rows { left[i, j] = u[i, j] * root + scale * generator.nextStandardNormal() }
            for i in 0..<truth.columns { right[i, j] = vt[j, i] * root + scale * generator.nextStandardNormal() }
        }
        return left.storage + right.storage
    }

    @Test func fromNearTheTruthItConvergesToItAndTheBoundMatchesStr() throws {
        let instance = try FlatMethodTests.gaussian(size: 20, rank: 2, measurements: 400)
        let measurements = try instance.measurements, truth = try instance.matrix(FrameName.truth)
        let rescaling = measurements.measurementOperator.rescaling()
        let factorization = GeneralFactorization(rows: 20, columns: 20, width: 5)
        let problem = RecoveryProblem(measurements: measurements, dataFit: .exact, rescaling: rescaling, factorization: factorization)
        let newton = try #require(LowRankNewton(problem: problem))
        let start = try Self.perturbedTruth(truth, rank: 2, width: 5, noise: 1e-2, seed: 3)
        let refined = try #require(newton.refine(start, rank: 2, tolerance: 1e-10))
        let x = factoredMatrix(refined.parameters, factorization)
        #expect(relativeError(x, truth) <= 1e-12)
        #expect(BLAS.nrm2(problem.residual(refined.parameters)) <= 1e-13 * problem.observationNorm)
        // The balanced factors of Theorem 3.2 (str = 2‖D1XD2‖_*, computed densely apart from
        // the solver), certified by the multiplier to rounding.
        let str = problem.flatness(refined.parameters).value
        #expect(abs(str - (try weightedNuclearNorm(x, rescaling))) <= 1e-10 * str)
        // With data this plentiful the multiplier of least norm certifies on its own.
        let bound = try DualBound(problem: problem, rescaling: rescaling).bound(multiplier: try refined.multipliers[0]())
        #expect(bound <= str * (1 + 1e-12) && bound >= str * (1 - 1e-10))
    }

    @Test func fromTooFarAwayItGivesUpInsteadOfWandering() throws {
        let instance = try FlatMethodTests.gaussian(size: 20, rank: 2, measurements: 400)
        let measurements = try instance.measurements
        let problem = RecoveryProblem(measurements: measurements, dataFit: .exact,
                                      rescaling: measurements.measurementOperator.rescaling(),
                                      factorization: GeneralFactorization(rows: 20, columns: 20, width: 3))
        let newton = try #require(LowRankNewton(problem: problem))
        // Rank 1 fits nothing here: the residual cannot keep halving.
        let start = try Self.perturbedTruth(try instance.matrix(FrameName.truth), rank: 2, width: 3, noise: 1e-2, seed: 4)
        #expect(newton.refine(start, rank: 1, tolerance: 1e-10) == nil)
    }

    /// Completion with rows 0–5 sampled more (the instance of FlatMethodTests on which flat and
    /// min-norm differ): the truth is a rank-2 fit Newton's method reaches under either
    /// weights, but only the operator's weights make it the flattest, and the finisher keeps it
    /// only there.
    @Test func theFinisherKeepsOnlyWhatTheBoundCertifies() throws {
        let (truth, completion, measurements) = try unevenCompletion()
        let size = truth.rows, rank = 2
        let factorization = GeneralFactorization(rows: size, columns: size, width: 4)
        let start = try Self.perturbedTruth(truth, rank: rank, width: 4, noise: 1e-3, seed: 5)
        func finished(_ weights: Rescaling) throws -> [Double]? {
            let problem = RecoveryProblem(measurements: measurements, dataFit: .exact, rescaling: weights, factorization: factorization)
            let finisher = try #require(NewtonFinisher(problem: problem, tolerance: 1e-10))
            #expect(finisher.isPromising(start))
            let newton = try #require(LowRankNewton(problem: problem))
            let refined = try #require(newton.refine(start, rank: rank, tolerance: 1e-10))
            #expect(relativeError(factoredMatrix(refined.parameters, factorization), truth) <= 1e-10)
            guard case .certified(let parameters, _, _) = finisher.finish(start, multiplier: [Double](repeating: 0, count: measurements.observations.count))
            else { return nil }
            return parameters
        }
        let rescaling = completion.rescaling()
        #expect(try finished(rescaling) != nil)
        #expect(try finished(rescaling.isotropic) == nil)
    }

    /// At m = 2.5·r(d1+d2) with factors of full width, the multiplier of least norm is not a
    /// certificate (its part off the tangent space exceeds norm 1), and the augmented
    /// Lagrangian's own multiplier, projected onto the tangent conditions, is: the solve still
    /// ends in Newton's method, at rounding.
    @Test func nearTheRecoveryThresholdTheMethodsOwnMultiplierCertifies() throws {
        let instance = try Self.thresholdInstance()
        let solved = try instance.solve(options(width: 24))
        #expect(solved.converged)
        #expect(try #require(solved.attribute(SolverAttributeKey.residual)) <= 1e-13)
        #expect(relativeError(try solved.estimate, try instance.matrix(FrameName.truth)) <= 1e-12)
        let str = try #require(solved.attribute(SolverAttributeKey.scaledTrace))
        #expect(try #require(solved.attribute(SolverAttributeKey.lowerBound)) >= str * (1 - NewtonFinisher.certifiedGap))
        // Newton's method alone, from near the truth and with no reference: it reaches the
        // truth, and the least-norm multiplier's bound falls short of its str.
        let (problem, refined) = try Self.refinedFromNearTheTruth(instance)
        #expect(relativeError(factoredMatrix(refined.parameters, problem.factorization), try instance.matrix(FrameName.truth)) <= 1e-12)
        let leastNormBound = try DualBound(problem: problem, rescaling: problem.rescaling).bound(multiplier: try refined.multipliers[0]())
        #expect(leastNormBound < problem.flatness(refined.parameters).value * (1 - NewtonFinisher.certifiedGap))
    }

    /// Gaussian 24×24, rank 2, m = 240: near the recovery threshold.
    static func thresholdInstance() throws -> StreamInstance {
        try StreamInstance(truth: GroundTruthSpecification(rows: 24, columns: 24, rank: 2, seed: 3),
                           measurements: MeasurementSpecification(family: .gaussian, size: .count(240), seed: 3001))
    }

    /// Newton's method at rank 2 from near the truth, with factors of full width and no reference.
    static func refinedFromNearTheTruth(_ instance: StreamInstance) throws -> (problem: RecoveryProblem, refined: LowRankNewton.RefinedFit) {
        let measurements = try instance.measurements
        let problem = RecoveryProblem(measurements: measurements, dataFit: .exact, rescaling: measurements.measurementOperator.rescaling(),
                                      factorization: GeneralFactorization(rows: 24, columns: 24, width: 24))
        let start = try perturbedTruth(try instance.matrix(FrameName.truth), rank: 2, width: 24, noise: 1e-3, seed: 6)
        let newton = try #require(LowRankNewton(problem: problem))
        return (problem, try #require(newton.refine(start, rank: 2, tolerance: 1e-10)))
    }

    /// The same instance: from the least-norm multiplier, which falls short, the search over
    /// the members that meet the tangent conditions (`SpectralExcessSearch`) reaches one that
    /// certifies the truth, by the dense bound; its dual value −⟨y, b⟩ is still str, so it
    /// never left the members.
    @Test func theSearchFromTheLeastNormMultiplierCertifies() throws {
        let (problem, refined) = try Self.refinedFromNearTheTruth(try Self.thresholdInstance())
        let str = problem.flatness(refined.parameters).value
        let certificate = DualBound(problem: problem, rescaling: problem.rescaling)
        let leastNorm = try refined.multipliers[0]()
        #expect(try certificate.bound(multiplier: leastNorm) < str * (1 - 1e-3))
        let searched = try refined.searchFrom(leastNorm)
        let bound = try certificate.bound(multiplier: searched)
        #expect(bound >= str * (1 - NewtonFinisher.certifiedGap) && bound <= str * (1 + 1e-12), "\(bound) against \(str)")
        #expect(abs(-BLAS.dot(searched, problem.observations) - str) <= 1e-9 * str)
    }

    /// Completion at p = 0.5 where the flat answer has rank 2 but the iterate's third weighted
    /// singular value decays slowly while the fourth vanishes: the largest drop points at rank
    /// 3, which no fit has. Trying the smallest rank whose drop passes its own threshold, and
    /// raising the threshold only for the rank that failed, still finishes at rank 2.
    @Test func aSlowlyVanishingSingularValueDoesNotHideTheRank() throws {
        let instance = try StreamInstance(truth: GroundTruthSpecification(rows: 30, columns: 20, rank: 2, seed: 2),
                                          measurements: MeasurementSpecification(family: .completion, size: .probability(0.5), seed: 12))
        let solved = try instance.solve(options())
        #expect(solved.converged)
        #expect(try #require(solved.attribute(SolverAttributeKey.residual)) <= 1e-13)
        #expect(relativeError(try solved.estimate, try instance.matrix(FrameName.truth)) <= 1e-12)
    }
}

/// Where the tangent Jacobian does not fit the working space, the Gauss–Newton steps and the
/// certificate's least-norm multipliers come from block-Jacobi preconditioned conjugate
/// gradients on the operator's factored forms: they must reach the truth and certify it.
@Suite("Newton's method matrix-free")
struct MatrixFreeNewtonTests {
    @Test func completionTooLargeForTheDenseJacobianConvergesAndCertifies() throws {
        let instance = try StreamInstance(truth: GroundTruthSpecification(rows: 300, columns: 240, rank: 2, seed: 7),
                                          measurements: MeasurementSpecification(family: .completion, size: .probability(0.3), seed: 7001))
        let measurements = try instance.measurements, truth = try instance.matrix(FrameName.truth)
        let rescaling = measurements.measurementOperator.rescaling()
        let factorization = GeneralFactorization(rows: 300, columns: 240, width: 4)
        let problem = RecoveryProblem(measurements: measurements, dataFit: .exact, rescaling: rescaling, factorization: factorization)
        let newton = try #require(LowRankNewton(problem: problem))
        #expect(!newton.holdsDenseSystem(2))
        let start = try LowRankNewtonTests.perturbedTruth(truth, rank: 2, width: 4, noise: 1e-3, seed: 8)
        let refined = try #require(newton.refine(start, rank: 2, tolerance: 1e-10))
        #expect(relativeError(factoredMatrix(refined.parameters, factorization), truth) <= 1e-10)
        let str = problem.flatness(refined.parameters).value
        let bounds = try refined.multipliers.map { try DualBound(problem: problem, rescaling: rescaling).bound(multiplier: try $0()) }
        #expect(bounds.contains { $0 <= str * (1 + 1e-12) && $0 >= str * (1 - 1e-9) }, "\(bounds) against \(str)")
    }
}
