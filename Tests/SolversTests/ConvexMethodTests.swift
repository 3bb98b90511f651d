import Testing
import RandomNumbers
import LinearAlgebra
import Models
import TestSupport
@testable import Solvers

@Suite("convex: the weighted nuclear-norm relaxation and its flat factorization")
struct ConvexMethodTests {
    /// d = 20 with m = 5r(d1 + d2) = d1·d2 (A is square: the fit alone pins X down, through a
    /// badly conditioned ÃÃ*) and d = 30 with m = 300 < d1·d2, where only the weighted nuclear
    /// norm picks M♮ out of a 600-dimensional solution set.
    @Test(arguments: [(20, 400), (30, 300)])
    func gaussianSensingIsRecoveredAndAgreesWithTheFactoredRoute(size: Int, measurements: Int) throws {
        let instance = try ConvexInstance.gaussianSensing(size: size, rank: 2, measurements: measurements, seed: 21)
        let (solution, estimate) = try instance.solve(with: ConvexMethod())
        #expect(solution.converged)
        #expect(relativeError(estimate, instance.truth) <= 1e-8)

        let flat = try instance.solve(with: FlatMethod(growsWidth: false))
        #expect(flat.solution.converged)
        #expect(relativeError(estimate, flat.estimate) <= 1e-8)

        // Theorem 3.2: the factors' str is the relaxation's value at their product.
        let (left, right) = instance.factorization.factors(solution.parameters)
        let str = instance.rescaling.scaledTrace(left: left, right: right)
        let objective = try instance.objective(estimate)
        #expect(abs(str - objective) <= 1e-8 * objective)

        let bound = try #require(solution.lowerBound)
        #expect(bound <= objective * (1 + 1e-12))
        #expect(objective - bound <= 1e-6 * objective)
    }

    /// Robust PCA, penalized: the certificate is checked against the objective computed apart
    /// from the solver (weak duality holds for any multiplier, so a small gap proves
    /// optimality whatever the iteration did), and the minimizer is the truth.
    @Test func penalizedRobustPCAIsCertifiedOptimalAndRecoversTheTruth() throws {
        let instance = try ConvexInstance.penalizedRobustPCA(size: 16, rank: 2, outliers: 12, seed: 22)
        let (solution, estimate) = try instance.solve(with: ConvexMethod())
        #expect(solution.converged)
        let objective = try instance.objective(estimate)
        let bound = try #require(solution.lowerBound)
        #expect(bound <= objective * (1 + 1e-12))
        #expect(objective - bound <= 1e-8 * objective)
        #expect(relativeError(estimate, instance.truth) <= 1e-8)
    }

    /// Noisy completion in the ℓ2 ball: feasible to the tolerance, certified, and the same X as
    /// the factored method, though not the truth (the noise moves the minimizer).
    @Test func noisyCompletionInTheEuclideanBallIsFeasibleCertifiedAndMatchesFlat() throws {
        let instance = try ConvexInstance.noisyCompletion(size: 20, rank: 2, entries: 200, noise: 1e-2, seed: 23)
        let (solution, estimate) = try instance.solve(with: ConvexMethod())
        #expect(solution.converged)
        guard case .euclideanBall(let radius) = instance.dataFit else { Issue.record("not a ball"); return }
        #expect(BLAS.nrm2(instance.residual(estimate)) <= radius + 1e-10 * BLAS.nrm2(instance.measurements.observations))
        let objective = try instance.objective(estimate)
        let bound = try #require(solution.lowerBound)
        #expect(bound <= objective * (1 + 1e-12))
        #expect(objective - bound <= 1e-8 * objective)

        let flat = try instance.solve(with: FlatMethod(growsWidth: false))
        #expect(relativeError(estimate, flat.estimate) <= 1e-6)
    }

    /// The signed symmetric factorization sorts the weighted minimizer's triples by sign: the
    /// factors must rebuild X̂ = U1U1ᵀ − U2U2ᵀ, which here is the truth.
    @Test func quadraticNetworkFactorsSplitTheMinimizerBySign() throws {
        let instance = try ConvexInstance.quadraticNetwork(size: 10, positiveRank: 2, negativeRank: 1, measurements: 200, seed: 24)
        let (solution, estimate) = try instance.solve(with: ConvexMethod())
        #expect(solution.converged)
        #expect(relativeError(estimate, instance.truth) <= 1e-8)
        let (left, right) = instance.factorization.factors(solution.parameters)
        let objective = try instance.objective(estimate)
        #expect(abs(instance.rescaling.scaledTrace(left: left, right: right) - objective) <= 1e-8 * objective)
    }

    /// Out of iterations: the iterate is returned unconverged after exactly the allowed steps,
    /// and its bound is still a lower bound.
    @Test func theIterationLimitIsRespectedAndTheBoundStaysValid() throws {
        let instance = try ConvexInstance.gaussianSensing(size: 30, rank: 2, measurements: 300, seed: 21)
        let (solution, estimate) = try instance.solve(with: ConvexMethod(), maxIterations: 5)
        #expect(!solution.converged)
        #expect(solution.iterations == 5)
        let exact = try instance.solve(with: ConvexMethod())
        #expect(try #require(solution.lowerBound) <= (try instance.objective(exact.estimate)) * (1 + 1e-12))
        #expect(estimate.frobeniusNorm > 0)
    }

    /// The thresholding ADMM uses above 160 rows and columns takes its triples from warm-started
    /// subspace iteration; it must be the exact prox all the same: against the prox from a full
    /// SVD, on a sequence of nearby matrices (low rank plus a small full-rank part, as ADMM's
    /// iterates are), and on one whose rank above the threshold is too large for the subspace.
    @Test func partialThresholdingIsTheExactProx() throws {
        var generator = PCG64(seed: 21)
        let rows = 220, columns = 190
        let low = BLAS.matmul(gaussianMatrix(rows: rows, columns: 6, generator: &generator),
                              gaussianMatrix(rows: columns, columns: 6, generator: &generator), transposeB: true)
        var thresholding = SingularValueThresholding()
        for step in 0..<4 {
            let z = low + gaussianMatrix(rows: rows, columns: columns, generator: &generator) * (0.05 * Double(step + 1))
            let threshold = 0.2 * (try LAPACK.spectralNorm(z))
            let (u, values, vt) = try LAPACK.svd(z)
            let full = ShrunkSingularValues(left: u, singularValues: values, right: vt.transposed(), threshold: threshold)
            let partial = try thresholding.shrink(z, threshold: threshold)
            #expect(partial.values.count == full.values.count)
            #expect(relativeError(partial.matrix, full.matrix) <= 1e-12, "step \(step)")
        }
        let wide = gaussianMatrix(rows: rows, columns: columns, generator: &generator)
        let threshold = 0.05 * (try LAPACK.spectralNorm(wide))
        let (u, values, vt) = try LAPACK.svd(wide)
        let full = ShrunkSingularValues(left: u, singularValues: values, right: vt.transposed(), threshold: threshold)
        #expect(full.values.count > 100)
        #expect(relativeError(try thresholding.shrink(wide, threshold: threshold).matrix, full.matrix) <= 1e-12)
    }
}
