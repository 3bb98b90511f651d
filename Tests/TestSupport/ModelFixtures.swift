import LinearAlgebra
import Models
import Problems
import RandomNumbers

/// A model at a point of its solution set: the problem's observations are A(X(θ)) for
/// θ = `solution`, so the loss is zero there and its Hessian is the Gauss–Newton one.
public struct ModelFixture: Sendable, CustomStringConvertible {
    public let name: String
    public let problem: RecoveryProblem
    public let solution: [Double]

    public init(_ name: String, _ problem: RecoveryProblem, solution: [Double]) {
        self.name = name
        self.problem = problem
        self.solution = solution
    }

    public var description: String { name }
}

/// Small instances of every model: each operator family under the factorization its
/// `parametrization` declares, and the deep factorization over every family of two factors.
public enum ModelFixtures {
    /// X = L·Rᵀ (width 2) over gaussian, bilinear, completion and identity; X = U1U1ᵀ − U2U2ᵀ
    /// (2 + 1 columns) over quadratic sensing; X = W3W2W1 (width 2) over the four families of
    /// two factors. Operators are those of `OperatorFixtures.all()`, 7×5 (quadratic 7×7).
    public static func all(seed: UInt64 = 2) -> [ModelFixture] {
        var g = PCG64(seed: seed)
        var fixtures: [ModelFixture] = []
        let operators = OperatorFixtures.all()
        for fixture in operators {
            let op = fixture.measurementOperator
            let factorization: any Factorization = op.parametrization == .signedSymmetric
                ? SignedSymmetricFactorization(size: op.rows, positiveWidth: 2, negativeWidth: 1)
                : GeneralFactorization(rows: op.rows, columns: op.columns, width: 2)
            fixtures.append(exactFit(fixture, factorization, generator: &g))
        }
        for fixture in operators where fixture.measurementOperator.parametrization == .general {
            let op = fixture.measurementOperator
            fixtures.append(exactFit(fixture, DeepFactorization(rows: op.rows, columns: op.columns, width: 2, depth: 3), generator: &g))
        }
        return fixtures
    }

    /// θ with i.i.d. N(0, 1) entries and the observations it fits exactly.
    static func exactFit(_ fixture: OperatorFixture, _ factorization: any Factorization, generator g: inout PCG64) -> ModelFixture {
        let solution = gaussianVector(factorization.parameterCount, generator: &g)
        let name = "\(fixture.name), \(type(of: factorization))"
        return ModelFixture(name, exactFitProblem(fixture.measurementOperator, factorization, solution: solution), solution: solution)
    }
}

/// The problem "fit b = A(X(θ)) exactly, flatness under the operator's own rescaling", with b
/// from the dense product L·Rᵀ and the dense apply.
public func exactFitProblem(_ op: any MeasurementOperator, _ factorization: any Factorization, solution: [Double]) -> RecoveryProblem {
    let (left, right) = factorization.factors(solution)
    let observations = op.apply(naiveProduct(left, naiveTranspose(right)))
    return RecoveryProblem(measurements: try! MeasurementSet(measurementOperator: op, observations: observations),
                           dataFit: .exact, rescaling: op.rescaling(), factorization: factorization)
}
