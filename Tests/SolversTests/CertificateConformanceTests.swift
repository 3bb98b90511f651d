import Testing
import LinearAlgebra
import Models
import TestSupport
@testable import Solvers

/// Weak duality on every family: the lower bound flat and convex report is below the
/// relaxation's objective 2‖D1XD2‖_* + h(A(X) − b), computed densely, at points chosen apart
/// from the solvers (the truth, and the truth moved inside the null space of A, or anywhere for
/// the penalized fit), and within the certified gap of the objective at the method's own answer,
/// so that the bound is not trivially low.
@Suite("Certificates: every reported lower bound is below the objective at any feasible point")
struct CertificateConformanceTests {
    struct Case: Sendable, CustomStringConvertible {
        let description: String
        let instance: @Sendable () throws -> ConvexInstance
    }

    /// d = 10 and rank 2 (quadratic: d = 8, ranks 1 + 1; penalized robust PCA: rank 1, which
    /// flat solves at this width, where rank 2 stalls on the nonsmooth penalty), with m below d²
    /// wherever the family lets A have a null space.
    static let cases = [
        Case(description: "gaussian") { try .gaussianSensing(size: 10, rank: 2, measurements: 80, seed: 41) },
        Case(description: "bilinear") { try .bilinearSensing(size: 10, rank: 2, measurements: 80, seed: 42) },
        Case(description: "quadratic") { try .quadraticNetwork(size: 8, positiveRank: 1, negativeRank: 1, measurements: 40, seed: 43) },
        Case(description: "completion") { try .exactCompletion(size: 10, rank: 2, entries: 80, seed: 44) },
        Case(description: "completion, l2 ball") { try .noisyCompletion(size: 10, rank: 2, entries: 75, noise: 1e-2, seed: 45) },
        Case(description: "identity, penalized l1") { try .penalizedRobustPCA(size: 10, rank: 1, outliers: 4, seed: 46) },
    ]

    @Test(arguments: cases, [MethodUnderTest.flat, .convex])
    func theBoundIsBelowTheObjectiveAtFeasiblePointsAndTightAtTheAnswer(testCase: Case, method: MethodUnderTest) throws {
        let instance = try testCase.instance()
        let (solution, estimate) = try instance.solve(with: method.implementation)
        #expect(solution.converged, "\(testCase)")
        let bound = try #require(solution.lowerBound)

        let feasible: [Matrix]
        if case .l1Penalty = instance.dataFit {
            // Every X is feasible for a penalty.
            feasible = [instance.truth] + (0..<3).map {
                instance.truth + gaussianMatrix(rows: instance.truth.rows, columns: instance.truth.columns, seed: 50 + UInt64($0)) * 0.1
            }
        } else {
            feasible = [instance.truth] + (try nullSpacePerturbations(of: instance.truth, under: instance.measurementOperator,
                                                                     count: 3, relativeSize: 0.1, seed: 51))
        }
        expectWithinTolerance(try certificateConformance(lowerBound: bound, measurements: instance.measurements,
                                                         dataFit: instance.dataFit, rescaling: instance.rescaling,
                                                         feasiblePoints: feasible), "\(testCase), \(method)")
        let objective = try instance.objective(estimate)
        let gap = FlatMethod.certifiedGap(tolerance: instance.context().limits.tolerance)
        #expect(objective - bound <= gap * objective, "\(testCase), \(method): \(bound) against \(objective)")
    }

    enum MethodUnderTest: Sendable, CustomStringConvertible {
        case flat, convex
        var implementation: any RecoveryMethod { self == .flat ? FlatMethod(growsWidth: false) : ConvexMethod() }
        var description: String { self == .flat ? "flat" : "convex" }
    }
}
