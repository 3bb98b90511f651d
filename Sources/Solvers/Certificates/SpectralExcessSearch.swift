import LinearAlgebra
import Models
import Problems
import RandomNumbers

/// The certificate search at scale: where the tangent conditions at an exact fit leave the
/// multiplier free and the instance is too large for `LeastSpectralMultiplier`'s dense SVDs,
/// look for a member y whose weighted adjoint is dual feasible by descending
///
///     f(y) = ½·Σ_i (σ_i(W(y)) − c)₊²,   W(y) = P⊥·D1⁻¹A*(y)D2⁻¹·P⊥,
///
/// over the members (y₀ plus directions that leave the conditions unchanged), where P⊥
/// projects off the weighted column and row spaces of X. On the members, D1⁻¹A*(y)D2⁻¹ is
/// −2·U·Vᵀ (the augmented Lagrangian's units) plus W(y), so its norm is max(2, ‖W(y)‖) and
/// f = 0 with c ≤ 2 certifies the fit. f is a convex spectral function of an affine map:
/// its gradient, A(D1⁻¹·Σ(σ_i − c)₊·u_i·v_iᵀ·D2⁻¹) projected onto the free directions, needs
/// only the few singular triples of W above c (Lanczos) and one factored application, and
/// no d1×d2 matrix is formed. This is the spectral-norm search of the dense case with the
/// norm replaced by its excess over a threshold, which the triples above it determine.
struct SpectralExcessSearch: SmoothObjective {
    let problem: RecoveryProblem
    let leftInverse: SquaredScaling, rightInverse: SquaredScaling
    /// Orthonormal bases of the column and row spaces of D1·X·D2.
    let weightedLeft: Matrix, weightedRight: Matrix
    /// y ↦ its part along the directions that leave the tangent conditions unchanged.
    let keepingConditions: ([Double]) throws -> [Double]
    /// c: just below 2, so that a member with room to spare exists where the certificate does.
    let threshold: Double
    /// Lanczos's start, fixed so that f is a function of y alone.
    private let lanczosStart: [Double]

    /// c = 2(1 − margin).
    static let margin = 1e-3
    /// Relative accuracy of the triples above c: far below the excesses that matter.
    static let tripleAccuracy = 1e-6
    /// Lanczos steps per evaluation at most: far more than the triples above c need once the
    /// excess is small, and a bound on the cost of trial points far from the members' best.
    static let lanczosSteps = 300
    /// Steps of the descent; each costs one Lanczos run and one projection.
    static let maximumIterations = 30
    /// The descent stops when f has not halved over this many steps: where a certificate
    /// exists f falls by orders in a few steps, and one that creeps does not reach 0 in time.
    static let stallWindow = 5

    /// The values of f at the points the descent accepted (the last evaluation is the
    /// accepted point's).
    private final class Progress {
        var lastValue = Double.infinity
        var accepted: [Double] = []

        var stalled: Bool {
            accepted.count > SpectralExcessSearch.stallWindow
                && accepted[accepted.count - 1] > 0.5 * accepted[accepted.count - 1 - SpectralExcessSearch.stallWindow]
        }
    }
    private let progress = Progress()

    init(problem: RecoveryProblem, weightedLeft: Matrix, weightedRight: Matrix,
         keepingConditions: @escaping ([Double]) throws -> [Double]) throws {
        self.problem = problem
        leftInverse = try problem.rescaling.left.pseudoInverseRoot()
        rightInverse = try problem.rescaling.right.pseudoInverseRoot()
        self.weightedLeft = weightedLeft
        self.weightedRight = weightedRight
        self.keepingConditions = keepingConditions
        threshold = 2 * (1 - Self.margin)
        var generator = PCG64(seed: 0xe8ce55)
        var start = [Double](repeating: 0, count: problem.factorization.columns)
        generator.fillStandardNormal(&start)
        lanczosStart = start
    }

    /// The member reached from y₀ (a member itself) when f vanishes there, or after
    /// `maximumIterations` steps; the caller's `DualBound` says what it certifies.
    func search(from start: [Double]) -> [Double] {
        let first = evaluation(start)
        guard first.value > 0 else { return start }
        // L-BFGS's first step would have no scale: one curvature pair along the gradient gives it
        // the step at which the excesses fall to c to first order (u_iᵀ·G(g)·v_i per unit step),
        // without bending the model anywhere else.
        let d1 = problem.factorization.rows, d2 = problem.factorization.columns
        let along = SubspaceIteration(adjointOf: first.gradient, under: problem.measurementOperator, rows: d1, columns: d2,
                                      leftWeight: leftInverse, rightWeight: rightInverse)
        let image = along.timesRight(first.right)
        let rates = (0..<first.right.columns).map { BLAS.dot(first.left.column($0), image.column($0)) }
        let step = zip(first.excesses, rates).reduce(0) { $0 + $1.0 * $1.1 } / max(rates.reduce(0) { $0 + $1 * $1 }, .leastNormalMagnitude)
        var history = LBFGS.History()
        let norm = BLAS.nrm2(first.gradient)
        if step > 0, step.isFinite, norm > 0 {
            let unit = first.gradient.map { $0 / norm }
            history.steps = [unit.map { step * $0 }]
            history.gradientChanges = [unit]
            history.inverseCurvatures = [1 / step]
        }
        var descent = LBFGS()
        let progress = progress
        progress.accepted = [first.value]
        descent.interruption = { _ in
            progress.accepted.append(progress.lastValue)
            return progress.stalled
        }
        return descent.minimize(self, from: start, gradientTolerance: 0, maxIterations: Self.maximumIterations,
                                history: &history).point
    }

    /// The triples of W(y) whose values may exceed c.
    func excess(_ y: [Double]) -> LanczosBidiagonalization.Triples {
        let d1 = problem.factorization.rows, d2 = problem.factorization.columns
        let adjoint = SubspaceIteration(adjointOf: y, under: problem.measurementOperator, rows: d1, columns: d2,
                                        leftWeight: leftInverse, rightWeight: rightInverse)
        let left = weightedLeft, right = weightedRight
        let offTangent = LanczosBidiagonalization(
            rows: d1, columns: d2,
            timesRight: { v in
                let product = adjoint.timesRight(Self.projectedOff(right, Matrix(rows: d2, columns: 1, columnMajor: v)))
                return Self.projectedOff(left, product).storage
            },
            transposeTimesLeft: { u in
                let product = adjoint.transposeTimesLeft(Self.projectedOff(left, Matrix(rows: d1, columns: 1, columnMajor: u)))
                return Self.projectedOff(right, product).storage
            })
        return offTangent.leadingTriples(from: lanczosStart, above: threshold, accuracy: Self.tripleAccuracy,
                                         maximumSteps: min(Self.lanczosSteps, DualBound.lanczosSpace / (d1 + d2)))
    }

    /// (I − Q·Qᵀ)·M.
    private static func projectedOff(_ q: Matrix, _ m: Matrix) -> Matrix {
        m - BLAS.matmul(q, BLAS.matmul(q, m, transposeA: true))
    }

    /// f(y), its gradient on the members, and the triples above c with their excesses.
    private func evaluation(_ y: [Double]) -> (value: Double, gradient: [Double], left: Matrix, right: Matrix, excesses: [Double]) {
        let d1 = problem.factorization.rows, d2 = problem.factorization.columns
        let triples = excess(y)
        let kept = triples.values.indices.filter { triples.values[$0] > threshold }
        let excesses = kept.map { triples.values[$0] - threshold }
        let left = Matrix(rows: d1, columns: kept.count, columnMajor: kept.flatMap { triples.left.column($0) })
        let right = Matrix(rows: d2, columns: kept.count, columnMajor: kept.flatMap { triples.right.column($0) })
        let value = 0.5 * excesses.reduce(0) { $0 + $1 * $1 }
        progress.lastValue = value
        guard !kept.isEmpty else { return (0, [Double](repeating: 0, count: y.count), left, right, []) }
        let gradient = problem.measurementOperator.applyFactored(left: leftInverse.times(BLAS.matmul(left, Matrix.diagonal(excesses))),
                                                                 right: rightInverse.times(right))
        // A projection that fails leaves no direction to descend: the search ends where it is.
        let free = (try? keepingConditions(gradient)) ?? [Double](repeating: 0, count: y.count)
        return (value, free, left, right, excesses)
    }

    func valueAndGradient(_ y: [Double]) -> (value: Double, gradient: [Double]) {
        let result = evaluation(y)
        return (result.value, result.gradient)
    }

    func restriction(at point: [Double], value: Double, gradient: [Double], direction: [Double]) -> EvaluatingRestriction<Self> {
        EvaluatingRestriction(objective: self, point: point, direction: direction)
    }

    func preconditioned(_ vector: [Double], at point: [Double]) -> [Double] { vector }
}
