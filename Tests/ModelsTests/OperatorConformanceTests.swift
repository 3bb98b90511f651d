import Testing
import LinearAlgebra
import Models
import TestSupport

/// Every family passes the shared operator conformance checks: the adjoint's dot-product test,
/// and every factored, structured and rescaling formula against the A_i recovered as A*(e_i)
/// (see `operatorConformance`).
@Suite("Measurement operators: every family against its independent routes")
struct OperatorConformanceTests {
    @Test(arguments: OperatorFixtures.all())
    func everyFormulaAgreesWithItsIndependentRoute(fixture: OperatorFixture) {
        expectWithinTolerance(operatorConformance(fixture.measurementOperator), fixture.name)
    }

    /// Wider than tall, and more measurements than entries for the families that choose m: a
    /// transposed index or a d1 for a d2 shows on one of the two shapes.
    @Test(arguments: OperatorFixtures.all(rows: 3, columns: 6, measurements: 50, seed: 5))
    func everyFormulaAgreesOnAWideOverdeterminedShape(fixture: OperatorFixture) {
        expectWithinTolerance(operatorConformance(fixture.measurementOperator, seed: 8), fixture.name)
    }

    /// The checks themselves: an adjoint off by one part in 10⁶ fails the dot-product test, and
    /// a rescaling normalized by d1 where d2 belongs (and the reverse) fails exactly the checks
    /// that read the rescaling.
    @Test func theChecksCatchAMiscalibratedAdjointAndASwappedRescaling() throws {
        let gaussian = try #require(OperatorFixtures.all()[0].measurementOperator as? GaussianSensing)
        func failedChecks(_ defect: Miscalibrated.Defect) -> [String] {
            operatorConformance(Miscalibrated(base: gaussian, defect: defect)).filter { !$0.isWithinTolerance }.map(\.check)
        }
        #expect(failedChecks(.adjointScaled).contains { $0.hasPrefix("adjoint:") })
        let rescalingFailures = failedChecks(.rescalingSwapped)
        #expect(rescalingFailures.count == 3 && rescalingFailures.allSatisfy { $0.hasPrefix("rescaling") || $0.hasPrefix("scaledTrace") },
                "\(rescalingFailures)")
    }
}

/// Gaussian sensing with one deliberate mistake.
private struct Miscalibrated: MeasurementOperator {
    enum Defect {
        /// A*(y) is (1 + 10⁻⁶) times too large.
        case adjointScaled
        /// D1² divided by m·d1 instead of m·d2, D2² by m·d2 instead of m·d1.
        case rescalingSwapped
    }

    let base: GaussianSensing
    let defect: Defect
    var family: OperatorFamily { base.family }
    var rows: Int { base.rows }
    var columns: Int { base.columns }
    var measurementCount: Int { base.measurementCount }
    var storedEntryCount: Int { base.storedEntryCount }

    func apply(_ x: Matrix) -> [Double] { base.apply(x) }
    func adjoint(_ y: [Double]) -> Matrix { defect == .adjointScaled ? base.adjoint(y) * (1 + 1e-6) : base.adjoint(y) }
    func sandwichedSquaredNorm(left: Matrix, right: Matrix) -> (value: Double, gradientLeft: Matrix, gradientRight: Matrix) {
        base.sandwichedSquaredNorm(left: left, right: right)
    }
    func rescaling() -> Rescaling {
        let exact = base.rescaling()
        guard defect == .rescalingSwapped else { return exact }
        let swap = Double(columns) / Double(rows)
        return Rescaling(left: .dense(exact.left.matrix * swap), right: .dense(exact.right.matrix * (1 / swap)))
    }
}
