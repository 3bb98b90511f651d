/// A smooth function as L-BFGS sees it: full evaluations, and its restriction to a line,
/// which a problem may evaluate far more cheaply than a full evaluation at every trial step.
protocol SmoothObjective {
    associatedtype Line: LineRestriction
    func valueAndGradient(_ point: [Double]) -> (value: Double, gradient: [Double])
    /// φ(α) = f(point + α·direction), given f and ∇f at the point.
    func restriction(at point: [Double], value: Double, gradient: [Double], direction: [Double]) -> Line
    /// An approximate inverse Hessian applied to a vector (symmetric positive definite): the
    /// initial matrix of each L-BFGS step, in place of a multiple of the identity.
    func preconditioned(_ vector: [Double], at point: [Double]) -> [Double]
}

protocol LineRestriction {
    /// φ(α) and φ'(α).
    func valueAndSlope(at step: Double) -> (value: Double, slope: Double)
    /// ∇f at point + α·direction, once a step is accepted.
    func gradient(at step: Double) -> [Double]
}

/// The restriction of any objective by full evaluations, remembering the last one so the
/// accepted step's gradient is not computed twice.
final class EvaluatingRestriction<Objective: SmoothObjective>: LineRestriction {
    let objective: Objective
    let point: [Double]
    let direction: [Double]
    private var last: (step: Double, gradient: [Double])?

    init(objective: Objective, point: [Double], direction: [Double]) {
        self.objective = objective
        self.point = point
        self.direction = direction
    }

    func valueAndSlope(at step: Double) -> (value: Double, slope: Double) {
        let (value, gradient) = objective.valueAndGradient(shifted(point, by: step, along: direction))
        last = (step, gradient)
        return (value, zip(gradient, direction).reduce(0) { $0 + $1.0 * $1.1 })
    }

    func gradient(at step: Double) -> [Double] {
        if let last, last.step == step { return last.gradient }
        return objective.valueAndGradient(shifted(point, by: step, along: direction)).gradient
    }
}

func shifted(_ point: [Double], by step: Double, along direction: [Double]) -> [Double] {
    var result = point
    for i in result.indices { result[i] += step * direction[i] }
    return result
}
