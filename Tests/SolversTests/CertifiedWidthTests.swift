import Frames
import Instances
import LinearAlgebra
import Models
import Problems
import TestSupport
import Testing
@testable import Solvers

/// Answers that need more columns than the default width, saddles the factored methods used to
/// stop at, and the certificate that decides: each checked against an independent truth (the
/// convex relaxation solved by ADMM at full width, the truth's own weighted nuclear norm, or
/// a feasible point's objective).
@Suite("flat and min-norm: growing widths, escapes and exact certificates")
struct CertifiedWidthTests {
    /// 12×12 of rank 2 from 30 measurements: the flattest fit has rank 4, the default width is 1.
    static func underSampledGaussian() throws -> StreamInstance {
        try StreamInstance(truth: GroundTruthSpecification(rows: 12, columns: 12, rank: 2, seed: 1),
                           measurements: MeasurementSpecification(family: .gaussian, size: .count(30), seed: 101))
    }

    static func quadratic(kind: GroundTruthSpecification.Kind, size: Int, rank: Int, negativeRank: Int?,
                          measurements: Int) throws -> StreamInstance {
        try StreamInstance(truth: GroundTruthSpecification(rows: size, columns: size, rank: rank, negativeRank: negativeRank,
                                                           kind: kind, seed: 1),
                           measurements: MeasurementSpecification(family: .quadratic, size: .count(measurements), seed: 101))
    }

    static func objective(_ solved: Solved) throws -> Double {
        try #require(solved.attribute(SolverAttributeKey.objective))
    }

    static func expectCertified(_ solved: Solved) throws {
        #expect(solved.converged)
        let objective = try Self.objective(solved)
        let bound = try #require(solved.attribute(SolverAttributeKey.lowerBound))
        #expect(bound <= objective * (1 + 1e-12))
        #expect(bound >= objective * (1 - FlatMethod.certifiedGap(tolerance: SolverLimits().tolerance)))
    }

    @Test func withoutARankTheWidthGrowsToTheRelaxationsOptimum() throws {
        let instance = try Self.underSampledGaussian()
        let flat = try instance.solve(options())
        try Self.expectCertified(flat)
        #expect(try #require(flat.attribute(AttributeKey.rank)) > Double(SolveStage.identifiableRank(rows: 12, columns: 12, measurements: 30)))
        let convex = try instance.solve(options(.convex, width: 12))
        #expect(convex.converged)
        #expect(relativeError(try Self.objective(flat), try Self.objective(convex)) <= 1e-7)
        #expect(relativeError(try flat.estimate, try convex.estimate) <= 1e-4)
    }

    @Test func aWidthTooSmallIsUnconvergedAndNamesTheRankTheFlattestFitNeeds() throws {
        let instance = try Self.underSampledGaussian()
        let full = try instance.solve(options(width: 12))
        let values = try LAPACK.singularValues(try full.estimate)
        let rank = values.filter { $0 > 1e-8 * values[0] }.count
        let narrow = try instance.solve(options(width: 2))
        #expect(!narrow.converged)
        #expect(try #require(narrow.attribute(AttributeKey.rank)) == 2)
        let diagnosis = try #require(narrow.diagnosis)
        #expect(diagnosis.contains("--width 2 is too small"))
        #expect(diagnosis.contains("needs rank \(rank)"))
        let narrowObjective = try Self.objective(narrow), fullObjective = try Self.objective(full)
        #expect(narrowObjective > fullObjective * (1 + 1e-3))
    }

    /// The spectral start leaves U2 = 0 when A*(b) shows no negative part; no gradient moves a
    /// zero column, and min-norm's optimum needs U2 ≠ 0 here: the certificate's escape does it.
    @Test(arguments: [SolverMethod.flat, .minimumNorm])
    func signedQuadraticModelIsSolvedAndCertifiedExactly(method: SolverMethod) throws {
        let instance = try Self.quadratic(kind: .signed, size: 12, rank: 2, negativeRank: 1, measurements: 50)
        let solved = try instance.solve(options(method))
        try Self.expectCertified(solved)
        let bound = try #require(solved.attribute(SolverAttributeKey.lowerBound))
        let objective = try Self.objective(solved)
        #expect(bound >= objective * (1 - 1e-10))
        if method == .flat {
            let convex = try instance.solve(options(.convex, width: 12))
            #expect(relativeError(objective, try Self.objective(convex)) <= 1e-8)
        } else {
            // The truth fits, and its balanced factorization costs 2‖M♮‖_*.
            let truthNorm = try LAPACK.singularValues(try instance.matrix(FrameName.truth)).reduce(0, +)
            #expect(objective < 2 * truthNorm)
        }
    }

    /// On positive semidefinite fits the flat objective is the same for every feasible X, so the
    /// solver's multiplier is ill-determined there and the closed form y_i = −‖x_i‖² certifies.
    @Test func psdQuadraticFlatFitIsCertifiedByTheClosedFormMultiplier() throws {
        let instance = try Self.quadratic(kind: .psd, size: 10, rank: 2, negativeRank: nil, measurements: 30)
        var wide = options()
        wide.width = 10
        let solved = try instance.solve(wide)
        try Self.expectCertified(solved)
        let rescaling = try instance.measurements.measurementOperator.rescaling()
        let truthValue = try weightedNuclearNorm(try instance.matrix(FrameName.truth), rescaling)
        #expect(relativeError(try Self.objective(solved), truthValue) <= 1e-9)
        #expect(try #require(solved.attribute(SolverAttributeKey.lowerBound)) >= truthValue * (1 - 1e-10))
    }

    /// Quadratic PSD, d = 10, m = 30, at full width: min-norm's solve used to stop at saddles
    /// whose multiplier (one of many meeting the tangent conditions) pointed the wrong way; the
    /// least-norm member certifies, or escapes for real. The truth of the matter: ADMM on the
    /// same program, min c(tr P + tr N) over P − N that fit, which is the convex method under
    /// min-norm's weights c·I.
    @Test func minimumNormQuadraticAtFullWidthMatchesTheConvexProgram() throws {
        let instance = try Self.quadratic(kind: .psd, size: 10, rank: 2, negativeRank: nil, measurements: 30)
        let solved = try instance.solve(options(.minimumNorm, width: 10))
        try Self.expectCertified(solved)

        let measurements = try instance.measurements
        let weights = measurements.measurementOperator.rescaling().isotropic
        let problem = RecoveryProblem(measurements: measurements, dataFit: .exact, rescaling: weights,
                                      factorization: SignedSymmetricFactorization(size: 10, positiveWidth: 10, negativeWidth: 10))
        let convex = try ConvexMethod().solve(problem, context: MethodContext(operatorRescaling: weights, limits: SolverLimits(),
                                                                              seed: 1, progress: nil))
        #expect(convex.converged)
        let scale = measurements.measurementOperator.rescaling().isotropicScale
        #expect(relativeError(try Self.objective(solved), problem.objective(convex.parameters) / scale) <= 1e-8)
    }

    /// The members `tangentMultipliers` returns all meet the same tangent conditions (their
    /// free directions are invisible to the tangent-space Jacobian), and the search's member is
    /// no worse than the nearest one.
    @Test func tangentMultipliersShareTheirConditionsAndTheSearchImproves() throws {
        let instance = try Self.quadratic(kind: .psd, size: 10, rank: 2, negativeRank: nil, measurements: 30)
        let measurements = try instance.measurements
        let weights = measurements.measurementOperator.rescaling()
        let factorization = SignedSymmetricFactorization(size: 10, positiveWidth: 2, negativeWidth: 0)
        let problem = RecoveryProblem(measurements: measurements, dataFit: .exact, rescaling: weights, factorization: factorization)
        let truth = try instance.matrix(FrameName.truthLeft)
        let reference = (0..<30).map { Double($0 % 7) - 3 }
        let newton = try #require(LowRankNewton(problem: problem))
        let multipliers = try #require(try newton.tangentMultipliers(at: truth.storage, reference: reference))
        #expect(multipliers.freeDirections.columns > 0)
        let basis = try LAPACK.thinQ(truth)
        let jacobian = measurements.measurementOperator.tangentJacobian(left: basis, right: basis)
        let w = (0..<multipliers.freeDirections.columns).map { Double(($0 * 37) % 11) - 5 }
        let atNearest = BLAS.matvec(jacobian, multipliers.nearest, transpose: true)
        let atMember = BLAS.matvec(jacobian, multipliers.multiplier(w), transpose: true)
        #expect(relativeError(atMember, atNearest) <= 1e-10)

        let target = problem.objective(truth.storage)
        let found = try #require(try LeastSpectralMultiplier(problem: problem).search(multipliers, target: target))
        let nearestBound = try FlatnessCertificate(problem: problem).bestBound(candidates: [multipliers.nearest]).value
        let foundBound = try FlatnessCertificate(problem: problem).bestBound(candidates: [found.multiplier]).value
        #expect(foundBound >= nearestBound)
        #expect(relativeError(foundBound, found.bound) <= 1e-10)
        #expect(foundBound <= target * (1 + 1e-10))
    }
}
