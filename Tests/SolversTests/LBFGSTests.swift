import Testing
import Foundation
import LinearAlgebra
import TestSupport
@testable import Solvers

/// L-BFGS on functions whose minimizers are known apart from it: quadratics through LAPACK's
/// solve of the normal equations (or by construction), Rosenbrock's function at (1, 1). The
/// iterates it reports after every step are checked against the strong Wolfe conditions it
/// promises, with values and gradients from the test functions themselves.
@Suite("L-BFGS: known minimizers and the strong Wolfe conditions")
struct LBFGSTests {
    /// A function given by its value and gradient, with an optional preconditioner, evaluated in
    /// full at every trial step.
    struct Function: SmoothObjective {
        var inverseHessian: (([Double]) -> [Double])?
        let evaluate: ([Double]) -> (value: Double, gradient: [Double])

        init(inverseHessian: (([Double]) -> [Double])? = nil, _ evaluate: @escaping ([Double]) -> (value: Double, gradient: [Double])) {
            self.evaluate = evaluate
            self.inverseHessian = inverseHessian
        }

        func valueAndGradient(_ point: [Double]) -> (value: Double, gradient: [Double]) {
            evaluate(point)
        }

        func restriction(at point: [Double], value: Double, gradient: [Double], direction: [Double]) -> EvaluatingRestriction<Function> {
            EvaluatingRestriction(objective: self, point: point, direction: direction)
        }

        func preconditioned(_ vector: [Double], at point: [Double]) -> [Double] {
            inverseHessian?(vector) ?? vector
        }
    }

    /// ½xᵀAx − bᵀx.
    static func quadratic(_ a: Matrix, _ b: [Double], inverseHessian: (([Double]) -> [Double])? = nil) -> Function {
        Function(inverseHessian: inverseHessian) { x in
            let ax = naiveProduct(a, x)
            return (0.5 * innerProduct(x, ax) - innerProduct(b, x), zip(ax, b).map { $0 - $1 })
        }
    }

    /// 100(y − x²)² + (1 − x)², minimized at (1, 1) along a curved valley.
    static func rosenbrock() -> Function {
        Function { p in
            let (x, y) = (p[0], p[1])
            return (100 * (y - x * x) * (y - x * x) + (1 - x) * (1 - x),
                    [-400 * x * (y - x * x) - 2 * (1 - x), 200 * (y - x * x)])
        }
    }

    /// Q·diag(λ)·Qᵀ with λ log-spaced from 1 to `conditionNumber` and Q the orthonormal factor
    /// of a Gaussian matrix; its inverse is Q·diag(1/λ)·Qᵀ.
    static func illConditioned(size: Int, conditionNumber: Double, seed: UInt64) throws -> (matrix: Matrix, inverse: Matrix) {
        let q = try LAPACK.thinQ(gaussianMatrix(rows: size, columns: size, seed: seed))
        let eigenvalues = (0..<size).map { Foundation.pow(conditionNumber, Double($0) / Double(size - 1)) }
        func withSpectrum(_ values: [Double]) -> Matrix {
            naiveProduct(naiveProduct(q, Matrix.diagonal(values)), naiveTranspose(q))
        }
        return (withSpectrum(eigenvalues), withSpectrum(eigenvalues.map { 1 / $0 }))
    }

    /// Runs L-BFGS and returns its result with every iterate, the start first.
    static func minimize(_ function: Function, from start: [Double], gradientTolerance: Double,
                         maxIterations: Int = 1000) -> (result: LBFGS.Result, iterates: [[Double]]) {
        var iterates = [start]
        var method = LBFGS()
        method.interruption = { iterates.append($0); return false }
        var history = LBFGS.History()
        let result = method.minimize(function, from: start, gradientTolerance: gradientTolerance,
                                     maxIterations: maxIterations, history: &history)
        return (result, iterates)
    }

    /// Every step x_k → x_{k+1} (s = x_{k+1} − x_k) taken while f(x_k) is above the known
    /// minimum f* by more than `resolvable` satisfies f(x_{k+1}) ≤ f(x_k) + c1·∇f(x_k)ᵀs and
    /// |∇f(x_{k+1})ᵀs| ≤ c2·|∇f(x_k)ᵀs|: the strong Wolfe conditions, which do not depend on how
    /// s splits into step length and direction. Closer to f* the line search may accept any
    /// decrease it can still see (and says so by stalling), so those steps are not checked.
    static func expectStrongWolfe(_ function: Function, _ iterates: [[Double]], minimum: Double, resolvable: Double,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        let method = LBFGS()
        var checked = 0
        for (index, (current, next)) in zip(iterates, iterates.dropFirst()).enumerated() {
            let (value, gradient) = function.evaluate(current), (nextValue, nextGradient) = function.evaluate(next)
            guard value - minimum > resolvable else { continue }
            let step = zip(next, current).map { $0 - $1 }
            let slope = innerProduct(gradient, step)
            #expect(slope < 0, "step \(index) is not a descent step", sourceLocation: sourceLocation)
            #expect(nextValue <= value + method.sufficientDecrease * slope, "sufficient decrease fails at step \(index)",
                    sourceLocation: sourceLocation)
            #expect(abs(innerProduct(nextGradient, step)) <= method.curvature * abs(slope), "curvature fails at step \(index)",
                    sourceLocation: sourceLocation)
            checked += 1
        }
        #expect(checked >= 5, "only \(checked) steps checked", sourceLocation: sourceLocation)
    }

    /// A = BᵀB/n + I for a 25×20 Gaussian B, κ(A) ≈ 5.
    static func wellConditioned() -> Matrix {
        let n = 20
        let b = gaussianMatrix(rows: n + 5, columns: n, seed: 1)
        return naiveProduct(naiveTranspose(b), b) * (1 / Double(n)) + Matrix.identity(n)
    }

    /// The line search compares values, and near x* they differ from f* by about ‖∇f‖²/λ, which
    /// rounding hides once ‖∇f‖ falls to about √ε·√(|f*|·λ): below ~10⁻⁸‖b‖ here. Tolerances
    /// are set above that level (the next test is about what happens below it).
    static let reachableGradient = 1e-7

    @Test func aConvexQuadraticEndsAtTheSolutionOfItsNormalEquations() throws {
        let a = Self.wellConditioned()
        let b = gaussianVector(a.rows, seed: 2)
        let minimizer = try LAPACK.solve(a, Matrix(rows: a.rows, columns: 1, columnMajor: b)).storage
        let minimum = -0.5 * innerProduct(b, minimizer)
        let function = Self.quadratic(a, b)
        let (result, iterates) = Self.minimize(function, from: [Double](repeating: 0, count: a.rows),
                                               gradientTolerance: Self.reachableGradient * euclideanNorm(b))
        #expect(result.reachedTolerance)
        // ‖x − x*‖ ≤ ‖∇f(x)‖/λ_min with λ_min ≥ 1: a few times 10⁻⁷ at most.
        #expect(relativeError(result.point, minimizer) <= 1e-6)
        #expect(relativeError(result.value, minimum) <= 1e-12)
        Self.expectStrongWolfe(function, iterates, minimum: minimum, resolvable: 1e-12 * abs(minimum))
    }

    @Test func rosenbrocksFunctionEndsAtOneOne() {
        let (result, iterates) = Self.minimize(Self.rosenbrock(), from: [-1.2, 1], gradientTolerance: 1e-10)
        #expect(result.reachedTolerance)
        #expect(maxAbsDifference(result.point, [1, 1]) <= 1e-9)
        #expect(result.iterations <= 100, "\(result.iterations) iterations")
        Self.expectStrongWolfe(Self.rosenbrock(), iterates, minimum: 0, resolvable: 1e-16)
    }

    /// κ = 10⁴ in 30 dimensions: a few hundred steps (397 measured), ending within
    /// ‖x − x*‖ ≤ ‖∇f(x)‖/λ_min of x*.
    @Test func anIllConditionedQuadraticEndsAtItsKnownMinimizer() throws {
        let n = 30, conditionNumber = 1e4
        let (a, _) = try Self.illConditioned(size: n, conditionNumber: conditionNumber, seed: 3)
        let minimizer = gaussianVector(n, seed: 4)
        let b = naiveProduct(a, minimizer)
        let minimum = -0.5 * innerProduct(b, minimizer)
        let function = Self.quadratic(a, b)
        let (result, iterates) = Self.minimize(function, from: [Double](repeating: 0, count: n),
                                               gradientTolerance: Self.reachableGradient * euclideanNorm(b))
        #expect(result.reachedTolerance)
        #expect(result.iterations <= 600, "\(result.iterations) iterations")
        // The gradient is the test's own at the returned point, not the one L-BFGS reports.
        let gradient = function.evaluate(result.point).gradient
        #expect(relativeError(result.gradient, gradient) <= 1e-12)
        #expect(relativeError(result.point, minimizer) <= euclideanNorm(gradient) / euclideanNorm(minimizer))  // λ_min = 1
        Self.expectStrongWolfe(function, iterates, minimum: minimum, resolvable: 1e-12 * abs(minimum))
    }

    /// With A⁻¹ as the preconditioner the first direction is Newton's, −A⁻¹∇f, and the
    /// quadratic is solved in a step or two whatever its conditioning.
    @Test func theExactInverseHessianAsPreconditionerGivesNewtonSteps() throws {
        let n = 30
        let (a, inverse) = try Self.illConditioned(size: n, conditionNumber: 1e6, seed: 3)
        let minimizer = gaussianVector(n, seed: 4)
        let function = Self.quadratic(a, naiveProduct(a, minimizer), inverseHessian: { naiveProduct(inverse, $0) })
        let (result, _) = Self.minimize(function, from: [Double](repeating: 0, count: n),
                                        gradientTolerance: Self.reachableGradient * euclideanNorm(naiveProduct(a, minimizer)))
        #expect(result.reachedTolerance)
        #expect(result.iterations <= 3, "\(result.iterations) iterations")
        #expect(relativeError(result.point, minimizer) <= 1e-8)
    }

    /// Asked for a zero gradient, it stops once the line search can no longer see a decrease
    /// (`stalled`), well inside the iteration budget, with the gradient and the error at the
    /// rounding level of the values, about √ε.
    @Test func askedForTheImpossibleItStallsAtRoundingLevelInsteadOfSpinning() throws {
        let a = Self.wellConditioned()
        let minimizer = gaussianVector(a.rows, seed: 5)
        let b = naiveProduct(a, minimizer)
        let (result, _) = Self.minimize(Self.quadratic(a, b), from: [Double](repeating: 0, count: a.rows),
                                        gradientTolerance: 0, maxIterations: 1000)
        #expect(result.stalled)
        #expect(result.iterations < 100)
        #expect(euclideanNorm(result.gradient) <= Self.reachableGradient * euclideanNorm(b))
        #expect(relativeError(result.point, minimizer) <= 1e-6)
    }
}
