import LinearAlgebra

/// Limited-memory BFGS with a strong-Wolfe line search (Nocedal & Wright, Algorithms 7.4, 3.5
/// and 3.6): the inner solver of every smooth subproblem. The Wolfe curvature condition keeps
/// every stored pair's sᵀy positive, so the two-loop direction is always a descent direction.
/// Trial steps go through the objective's line restriction, so a problem that can evaluate
/// along a line without touching its data pays for one gradient per iteration.
struct LBFGS {
    var memory = 12
    /// Armijo and curvature constants: the usual quasi-Newton choices.
    var sufficientDecrease = 1e-4
    var curvature = 0.9
    /// Asked after every step whether to stop early (the point is then returned as `interrupted`).
    var interruption: (([Double]) -> Bool)?

    /// Curvature pairs, kept by the caller across related subproblems (successive
    /// augmented-Lagrangian steps) so each does not start from steepest descent.
    struct History {
        var steps: [[Double]] = []
        var gradientChanges: [[Double]] = []
        var inverseCurvatures: [Double] = []

        mutating func clear() { self = History() }
    }

    struct Result {
        var point: [Double]
        var value: Double
        var gradient: [Double]
        var iterations: Int
        /// The gradient reached the tolerance.
        var reachedTolerance: Bool
        /// The line search found no decrease above rounding level: the point is as stationary
        /// as double precision can tell.
        var stalled = false
        /// `interruption` asked to stop here.
        var interrupted = false
    }

    /// Minimizes from `start` until ‖∇f‖₂ ≤ gradientTolerance or `maxIterations` steps.
    func minimize<Objective: SmoothObjective>(_ objective: Objective, from start: [Double], gradientTolerance: Double,
                                              maxIterations: Int, history: inout History) -> Result {
        var x = start
        var (value, gradient) = objective.valueAndGradient(x)
        var iteration = 0
        while iteration < maxIterations {
            if BLAS.nrm2(gradient) <= gradientTolerance {
                return Result(point: x, value: value, gradient: gradient, iterations: iteration, reachedTolerance: true)
            }
            var direction = twoLoopDirection(gradient, history) { objective.preconditioned($0, at: x) }
            var slope = BLAS.dot(direction, gradient)
            if !(slope < 0) {
                // Rounding can spoil the curvature pairs; steepest descent restarts cleanly.
                history.clear()
                direction = objective.preconditioned(gradient, at: x).map { -$0 }
                slope = BLAS.dot(direction, gradient)
            }
            let initialStep = history.steps.isEmpty ? min(1, 1 / BLAS.nrm2(direction)) : 1
            let line = objective.restriction(at: x, value: value, gradient: gradient, direction: direction)
            guard let accepted = lineSearch(line, value: value, slope: slope, initialStep: initialStep) else {
                return Result(point: x, value: value, gradient: gradient, iterations: iteration,
                              reachedTolerance: false, stalled: true)
            }
            let newGradient = line.gradient(at: accepted.step)
            let step = direction.map { $0 * accepted.step }
            let change = zip(newGradient, gradient).map { $0 - $1 }
            let curvaturePairProduct = BLAS.dot(step, change)
            if curvaturePairProduct > 0 {
                history.steps.append(step)
                history.gradientChanges.append(change)
                history.inverseCurvatures.append(1 / curvaturePairProduct)
                if history.steps.count > memory {
                    history.steps.removeFirst(); history.gradientChanges.removeFirst(); history.inverseCurvatures.removeFirst()
                }
            }
            x = shifted(x, by: accepted.step, along: direction)
            value = accepted.value
            gradient = newGradient
            iteration += 1
            if let interruption, interruption(x) {
                return Result(point: x, value: value, gradient: gradient, iterations: iteration,
                              reachedTolerance: false, interrupted: true)
            }
        }
        return Result(point: x, value: value, gradient: gradient, iterations: iteration,
                      reachedTolerance: BLAS.nrm2(gradient) <= gradientTolerance)
    }

    /// −H·g with H the L-BFGS inverse Hessian built on γ·P, P the objective's preconditioner
    /// and γ = sᵀy/(yᵀPy) from the latest pair (Nocedal & Wright, eq. 7.20 in P's metric).
    private func twoLoopDirection(_ gradient: [Double], _ history: History,
                                  preconditioned: ([Double]) -> [Double]) -> [Double] {
        var q = gradient
        var alphas = [Double](repeating: 0, count: history.steps.count)
        for i in history.steps.indices.reversed() {
            alphas[i] = history.inverseCurvatures[i] * BLAS.dot(history.steps[i], q)
            BLAS.axpy(-alphas[i], history.gradientChanges[i], &q)
        }
        q = preconditioned(q)
        if let lastStep = history.steps.last, let lastChange = history.gradientChanges.last {
            BLAS.scal(BLAS.dot(lastStep, lastChange) / BLAS.dot(lastChange, preconditioned(lastChange)), &q)
        }
        for i in history.steps.indices {
            let beta = history.inverseCurvatures[i] * BLAS.dot(history.gradientChanges[i], q)
            BLAS.axpy(alphas[i] - beta, history.steps[i], &q)
        }
        return q.map { -$0 }
    }

    private struct Trial {
        var step: Double
        var value: Double
        var slope: Double
    }

    /// A step satisfying the strong Wolfe conditions, or nil when none can be found above
    /// rounding level (the point is then as good as this precision allows).
    private func lineSearch<Line: LineRestriction>(_ line: Line, value: Double, slope: Double,
                                                   initialStep: Double) -> Trial? {
        func evaluate(_ step: Double) -> Trial {
            let (v, s) = line.valueAndSlope(at: step)
            return Trial(step: step, value: v, slope: s)
        }
        var previous = Trial(step: 0, value: value, slope: slope)
        var step = initialStep
        for attempt in 0..<40 {
            let trial = evaluate(step)
            if !trial.value.isFinite || trial.value > value + sufficientDecrease * step * slope
                || (attempt > 0 && trial.value >= previous.value) {
                return zoom(low: previous, high: trial, value: value, slope: slope, evaluate: evaluate)
            }
            if abs(trial.slope) <= -curvature * slope { return trial }
            if trial.slope >= 0 {
                return zoom(low: trial, high: previous, value: value, slope: slope, evaluate: evaluate)
            }
            previous = trial
            step *= 4
        }
        return nil
    }

    private func zoom(low: Trial, high: Trial, value: Double, slope: Double,
                      evaluate: (Double) -> Trial) -> Trial? {
        var low = low, high = high
        for _ in 0..<60 {
            if abs(high.step - low.step) <= 1e-16 * max(1, abs(low.step)) { break }
            let step = interpolatedStep(low, high)
            let trial = evaluate(step)
            if !trial.value.isFinite || trial.value > value + sufficientDecrease * step * slope || trial.value >= low.value {
                high = trial
            } else {
                if abs(trial.slope) <= -curvature * slope { return trial }
                if trial.slope * (high.step - low.step) >= 0 { high = low }
                low = trial
            }
        }
        // No Wolfe point above rounding level; a step that decreased the value is still progress.
        return low.step > 0 && low.value < value ? low : nil
    }

    /// The minimizer of the cubic through both ends' values and slopes, kept inside the
    /// middle of the bracket; bisection when the cubic has none.
    private func interpolatedStep(_ a: Trial, _ b: Trial) -> Double {
        let lower = min(a.step, b.step), upper = max(a.step, b.step)
        let width = upper - lower
        if a.value.isFinite, b.value.isFinite, a.step != b.step {
            let d1 = a.slope + b.slope - 3 * (a.value - b.value) / (a.step - b.step)
            let discriminant = d1 * d1 - a.slope * b.slope
            if discriminant >= 0 {
                let d2 = (b.step > a.step ? 1.0 : -1.0) * discriminant.squareRoot()
                let candidate = b.step - (b.step - a.step) * (b.slope + d2 - d1) / (b.slope - a.slope + 2 * d2)
                if candidate.isFinite, candidate > lower + 0.1 * width, candidate < upper - 0.1 * width {
                    return candidate
                }
            }
        }
        return lower + width / 2
    }
}
