import Testing
import LinearAlgebra
import Models
import Problems
import TestSupport
@testable import Solvers

/// gd, sam, label-noise and least-norm on one Gaussian instance with d = 20, r = 2 and
/// m = 240 < 400, factors of full width 20, so the solution set is large and most of it
/// does not recover. The bounds are what these methods do there, with margin; the values
/// they were set against are in each comment.
@Suite("Implicit methods and the least-norm interpolant")
struct ImplicitMethodsTests {
    /// Gradient descent near a low-rank interpolant with wide factors slows to a crawl (the
    /// spare columns that must absorb the last of the residual are tiny: 1.2e-4 after 20000
    /// steps here), so the gradient methods are asked for a residual they reach well within
    /// the budget.
    static let gradientTolerance = 5e-4
    static let smallStart = 1e-3
    /// Large enough that gd stays near its start, small enough for the default step.
    static let largeStart = 0.5

    @Test func leastNormIsTheDensePseudoInverseSolutionAndDoesNotRecover() throws {
        let instance = ImplicitInstance()
        let outcome = try instance.outcome(of: LeastNormMethod(), tolerance: 1e-13)
        #expect(outcome.converged)
        #expect(outcome.relativeResidual <= 1e-10)
        // m < d², so dgels gives the minimum-norm solution of S·vec(X) = b outright.
        let dense = try LAPACK.leastSquares(instance.sensing.sensing,
                                            Matrix(rows: instance.observations.count, columns: 1, columnMajor: instance.observations))
        #expect(maxAbsDifference(outcome.estimate.storage, dense.storage) <= 1e-9)
        #expect(outcome.relativeError > 0.1)  // 0.57
    }

    @Test func gradientDescentFromASmallStartRecoversWhereALargeStartAndLeastNormDoNot() throws {
        let instance = ImplicitInstance()
        let small = try instance.outcome(of: GradientDescentMethod(initScale: Self.smallStart, step: nil),
                                         tolerance: Self.gradientTolerance)
        let large = try instance.outcome(of: GradientDescentMethod(initScale: Self.largeStart, step: nil),
                                         tolerance: Self.gradientTolerance)
        let leastNorm = try instance.outcome(of: LeastNormMethod(), tolerance: 1e-10)
        #expect(small.converged && large.converged)
        #expect(small.relativeError < 0.01)  // 2.0e-3
        #expect(large.relativeError > 0.3)  // 0.62
        #expect(small.relativeError < 0.05 * min(large.relativeError, leastNorm.relativeError))  // least-norm 0.57
        #expect(small.scaledTrace < 0.5 * large.scaledTrace)  // 5.6 against 18.9
    }

    @Test func labelNoiseEndsAtAFlatInterpolantThatRecovers() throws {
        let instance = ImplicitInstance()
        let noisy = try instance.outcome(of: LabelNoiseMethod(initScale: Self.smallStart, step: nil, sigma: SolveOptions().sigma),
                                         tolerance: Self.gradientTolerance)
        let large = try instance.outcome(of: GradientDescentMethod(initScale: Self.largeStart, step: nil),
                                         tolerance: Self.gradientTolerance)
        #expect(noisy.converged)  // after 13725 of 20000 steps
        #expect(noisy.relativeResidual <= Self.gradientTolerance)
        #expect(noisy.scaledTrace < 0.5 * large.scaledTrace)  // 5.6 against 18.9
        #expect(noisy.relativeError < 0.02)  // 1.4e-3
    }

    /// Full-batch SAM with the normalized ascent step lowers the largest Hessian eigenvalue
    /// (Wen, Ma & Li 2023), not the trace: it ends flatter than gd in λ_max and sharper in str.
    @Test func sharpnessAwareEndsAtAnInterpolantWithASmallerLargestCurvature() throws {
        let instance = ImplicitInstance()
        let sam = try instance.outcome(of: SharpnessAwareMethod(initScale: Self.smallStart, step: nil, rho: SolveOptions().rho),
                                       tolerance: Self.gradientTolerance)
        let gd = try instance.outcome(of: GradientDescentMethod(initScale: Self.smallStart, step: nil),
                                      tolerance: Self.gradientTolerance)
        let large = try instance.outcome(of: GradientDescentMethod(initScale: Self.largeStart, step: nil),
                                         tolerance: Self.gradientTolerance)
        #expect(sam.converged)
        #expect(sam.relativeResidual <= Self.gradientTolerance)
        #expect(sam.largestCurvature < 0.9 * gd.largestCurvature)  // 3.7 against 5.2
        #expect(sam.scaledTrace < 0.85 * large.scaledTrace)  // 12.4 against 18.9
        #expect(sam.scaledTrace > 1.5 * gd.scaledTrace)  // 12.4 against 5.6
    }

    @Test func withoutPerturbationSharpnessAwareAndLabelNoiseAreGradientDescent() throws {
        let instance = ImplicitInstance()
        let problem = try instance.problem()
        let context = instance.context(tolerance: 1e-12, maxIterations: 300)
        let gd = try GradientDescentMethod(initScale: 0.1, step: nil).solve(problem, context: context)
        let sam = try SharpnessAwareMethod(initScale: 0.1, step: nil, rho: 0).solve(problem, context: context)
        let noisy = try LabelNoiseMethod(initScale: 0.1, step: nil, sigma: 0).solve(problem, context: context)
        let samIsGradientDescent = sam.parameters == gd.parameters
        let labelNoiseIsGradientDescent = noisy.parameters == gd.parameters
        #expect(samIsGradientDescent && labelNoiseIsGradientDescent)
        #expect(gd.iterations == 300 && !gd.converged)
    }

    @Test func aStepTooLargeForTheStartIsAnErrorNotAnAnswer() throws {
        let instance = ImplicitInstance()
        #expect(throws: ModelError.self) {
            try GradientDescentMethod(initScale: 1, step: nil).solve(try instance.problem(), context: instance.context(tolerance: 1e-8))
        }
    }

    @Test func leastNormFactorsAtFullWidthUnlessARankIsGiven() throws {
        let features = gaussianMatrix(rows: 30, columns: 6, seed: 5)
        let sets = [
            try MeasurementSet(measurementOperator: ImplicitInstance().sensing, observations: ImplicitInstance().observations),
            try MeasurementSet(measurementOperator: QuadraticSensing(features: features),
                               observations: [Double](repeating: 1, count: 30)),
        ]
        var options = SolveOptions()
        options.method = .leastNorm
        let gaussian = try SolveStage(options: options, provenance: .null).factorization(for: sets[0])
        #expect(gaussian.width == 20)
        let quadratic = try #require(try SolveStage(options: options, provenance: .null).factorization(for: sets[1])
            as? SignedSymmetricFactorization)
        #expect(quadratic.positiveWidth == 6 && quadratic.negativeWidth == 6)
        options.width = 3
        #expect(try SolveStage(options: options, provenance: .null).factorization(for: sets[0]).width == 3)
        options.method = .gradientDescent
        options.width = nil
        #expect(try SolveStage(options: options, provenance: .null).factorization(for: sets[0]).width
            == SolveStage.identifiableRank(rows: 20, columns: 20, measurements: 240))
    }
}
