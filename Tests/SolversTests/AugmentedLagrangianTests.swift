import Testing
import LinearAlgebra
import Models
import Problems
import RandomNumbers
import TestSupport
@testable import Solvers

/// The augmented Lagrangian alone, from a random start, on problems whose flat solution is
/// known in closed form, with its final multiplier checked against the optimality conditions
/// of min str(θ) s.t. fit, formed densely: stationarity 2D1²L + A*(y)R = 0 = 2D2²R + A*(y)ᵀL,
/// dual feasibility ‖D1⁻¹A*(y)D2⁻¹‖_op ≤ 2 and no duality gap, −⟨y, b⟩ = str (exact fits),
/// which together certify the answer through the convex relaxation. The method stops at a
/// relative feasibility of 10⁻¹⁰ and a stationarity near 10⁻⁹ of the flatness gradient's
/// scale; the multiplier lands within about 10⁻⁷ (measured), hence the looser bounds on it.
@Suite("Augmented Lagrangian: closed-form flat solutions and their multipliers")
struct AugmentedLagrangianTests {
    static let limits = SolverLimits(tolerance: 1e-10, maxIterations: 20_000)

    /// Runs the method from θ with i.i.d. N(0, 0.25) entries.
    static func solve(_ problem: RecoveryProblem, seed: UInt64) -> (solution: FactoredSolution, multiplier: [Double]) {
        var generator = PCG64(seed: seed)
        let start = gaussianVector(problem.factorization.parameterCount, generator: &generator).map { 0.5 * $0 }
        let run = AugmentedLagrangian(limits: limits).solve(problem, from: start)
        return (run.solution, run.multiplier)
    }

    /// The exact-fit optimality conditions at θ with multiplier y, formed densely: stationarity
    /// of str(L, R) + ⟨y, A(L·Rᵀ)⟩ in L and R (relative to the flatness gradient),
    /// ‖D1⁻¹A*(y)D2⁻¹‖_op ≤ 2 with D⁻¹ from dense powers of the D², and −⟨y, b⟩ = str.
    static func expectCertifiedByItsMultiplier(_ problem: RecoveryProblem, _ parameters: [Double], _ multiplier: [Double],
                                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (left, right) = problem.factorization.factors(parameters)
        let adjoint = problem.measurementOperator.base.adjoint(multiplier)
        let d1Squared = problem.rescaling.left.matrix, d2Squared = problem.rescaling.right.matrix
        let flatLeft = naiveProduct(d1Squared, left) * 2, flatRight = naiveProduct(d2Squared, right) * 2
        let residualLeft = flatLeft + naiveProduct(adjoint, right), residualRight = flatRight + naiveProduct(naiveTranspose(adjoint), left)
        let stationarity = euclideanNorm(residualLeft.storage + residualRight.storage) / euclideanNorm(flatLeft.storage + flatRight.storage)
        #expect(stationarity <= 1e-5, sourceLocation: sourceLocation)
        let d1Inverse = try LAPACK.symmetricPower(d1Squared, exponent: -0.5), d2Inverse = try LAPACK.symmetricPower(d2Squared, exponent: -0.5)
        let dualNorm = try LAPACK.spectralNorm(naiveProduct(naiveProduct(d1Inverse, adjoint), d2Inverse))
        #expect(dualNorm <= 2 * (1 + 1e-5), sourceLocation: sourceLocation)
        let str = problem.flatness(parameters).value
        #expect(relativeError(-innerProduct(multiplier, problem.observations), str) <= 1e-7, sourceLocation: sourceLocation)
    }

    /// Full observation, D1² = D2² = I/(d1·d2): the flattest factorization of M is the balanced
    /// SVD one, with str = 2‖M‖_*/(d1·d2), whatever the width beyond rank M; for the signed
    /// symmetric factorization of M = U1U1ᵀ − U2U2ᵀ it splits M's eigenpairs by sign, with the
    /// same str.
    @Test(arguments: [false, true])
    func identityObservationEndsAtTheBalancedFactorization(symmetric: Bool) throws {
        let (d1, d2) = symmetric ? (6, 6) : (6, 5)
        var generator = PCG64(seed: 61)
        let truth: Matrix
        let factorization: any Factorization
        if symmetric {
            let positive = gaussianMatrix(rows: d1, columns: 2, generator: &generator)
            let negative = gaussianMatrix(rows: d1, columns: 1, generator: &generator)
            truth = naiveProduct(positive, naiveTranspose(positive)) - naiveProduct(negative, naiveTranspose(negative))
            factorization = SignedSymmetricFactorization(size: d1, positiveWidth: 3, negativeWidth: 2)
        } else {
            truth = lowRankMatrix(rows: d1, columns: d2, rank: 2, generator: &generator)
            factorization = GeneralFactorization(rows: d1, columns: d2, width: 4)
        }
        let identity = IdentityObservation(rows: d1, columns: d2)
        let problem = RecoveryProblem(measurements: try MeasurementSet(measurementOperator: identity, observations: truth.storage),
                                      dataFit: .exact, rescaling: identity.rescaling(), factorization: factorization)
        let (solution, multiplier) = Self.solve(problem, seed: 62)
        #expect(solution.converged)

        let estimate = factoredMatrix(solution.parameters, factorization)
        #expect(relativeError(estimate, truth) <= 1e-9)
        let str = problem.flatness(solution.parameters).value
        let flattest = 2 * (try LAPACK.nuclearNorm(truth)) / Double(d1 * d2)
        #expect(relativeError(str, flattest) <= 1e-8)
        // Balanced: LᵀL = RᵀR, which every minimizer of ‖L‖² + ‖R‖² over L·Rᵀ = M satisfies.
        let (left, right) = factorization.factors(solution.parameters)
        let gramGap = naiveProduct(naiveTranspose(left), left) - naiveProduct(naiveTranspose(right), right)
        #expect(gramGap.frobeniusNorm <= 1e-6 * truth.frobeniusNorm)

        try Self.expectCertifiedByItsMultiplier(problem, solution.parameters, multiplier)
    }

    /// Gaussian sensing with m > d1·d2, so A is injective and the fit alone pins X = M: the flat
    /// factorization is then Theorem 3.2's, str = 2‖D1MD2‖_* with the operator's dense D.
    @Test func aFullyDeterminedGaussianFitEndsAtTheWeightedNuclearNorm() throws {
        let (d1, d2, m) = (5, 4, 30)
        var generator = PCG64(seed: 63)
        let truth = lowRankMatrix(rows: d1, columns: d2, rank: 2, generator: &generator)
        let sensing = GaussianSensing(sensing: gaussianMatrix(rows: m, columns: d1 * d2, generator: &generator), rows: d1, columns: d2)
        let problem = RecoveryProblem(measurements: try MeasurementSet(measurementOperator: sensing, observations: sensing.apply(truth)),
                                      dataFit: .exact, rescaling: sensing.rescaling(),
                                      factorization: GeneralFactorization(rows: d1, columns: d2, width: 3))
        let (solution, multiplier) = Self.solve(problem, seed: 64)
        #expect(solution.converged)
        #expect(relativeError(factoredMatrix(solution.parameters, problem.factorization), truth) <= 1e-9)
        #expect(relativeError(problem.flatness(solution.parameters).value, try weightedNuclearNorm(truth, sensing.rescaling())) <= 1e-8)
        try Self.expectCertifiedByItsMultiplier(problem, solution.parameters, multiplier)
    }

    /// Full observation within an ℓ2 ball of radius δ around M: min ‖X‖_* s.t. ‖X − M‖_F ≤ δ is
    /// M with every nonzero singular value lowered by δ/√r (while σ_r > δ/√r), so
    /// str = 2(‖M‖_* − δ√r)/(d1·d2) and the constraint is active.
    @Test func aEuclideanBallAroundAFullyObservedMatrixShrinksItsSingularValuesEvenly() throws {
        let (d1, d2, rank) = (6, 5, 2)
        let truth = lowRankMatrix(rows: d1, columns: d2, rank: rank, seed: 65)
        let (u, values, vt) = try LAPACK.svd(truth)
        let radius = 0.1 * values[rank - 1]
        let shift = radius / Double(rank).squareRoot()
        let expected = reconstruct(u: u, singularValues: values.enumerated().map { $0.offset < rank ? $0.element - shift : 0 }, vt: vt)
        let identity = IdentityObservation(rows: d1, columns: d2)
        let problem = RecoveryProblem(measurements: try MeasurementSet(measurementOperator: identity, observations: truth.storage),
                                      dataFit: .euclideanBall(radius: radius), rescaling: identity.rescaling(),
                                      factorization: GeneralFactorization(rows: d1, columns: d2, width: 4))
        let (solution, _) = Self.solve(problem, seed: 66)
        #expect(solution.converged)
        let estimate = factoredMatrix(solution.parameters, problem.factorization)
        #expect(relativeError(estimate, expected) <= 1e-7)
        #expect(relativeError((estimate - truth).frobeniusNorm, radius) <= 1e-8)
        let flattest = 2 * (values.prefix(rank).reduce(0, +) - radius * Double(rank).squareRoot()) / Double(d1 * d2)
        #expect(relativeError(problem.flatness(solution.parameters).value, flattest) <= 1e-8)
    }
}
