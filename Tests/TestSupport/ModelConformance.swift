import LinearAlgebra
import Models
import Problems
import RandomNumbers

/// Checks a model's loss, Hessian and flatness at a point of its solution set:
///
/// - f(θ) = (1/2m)‖A(X(θ)) − b‖² against the dense X and apply, and ∇f against central
///   differences of f, at a point off the solution set (where ∇f ≠ 0);
/// - ∇²f(θ)·v by central differences of ∇f against the Gauss–Newton product (1/m)·JᵀJ·v, exact
///   on the solution set, with J's rows ∇θ⟨A_i, X(θ)⟩ from the problem's pullback of e_i;
/// - the Hessian trace of each block of θ, from central differences of ∇f on every
///   coordinate, against the same trace summed from the A_i (`hessianBlocks`);
/// - the closed-form flatness against those traces weighted as the factorization defines it,
///   and the flatness gradient against central differences.
///
/// `problem` must fit `solution` exactly with the operator's own rescaling (see
/// `exactFitProblem`) and be small: the Hessian's diagonal takes 2·dim θ gradients.
public func modelConformance(_ problem: RecoveryProblem, solution theta: [Double], seed: UInt64 = 3) -> [Discrepancy] {
    let m = Double(problem.measurementCount)
    let n = theta.count
    var g = PCG64(seed: seed)
    var found: [Discrepancy] = []
    let op = problem.measurementOperator.base

    found.append(Discrepancy("the point fits: ‖A(X(θ)) − b‖/‖b‖", euclideanNorm(problem.residual(theta)) / problem.observationNorm,
                             tolerance: 1e-12))

    // Off the solution set, where the gradient does not vanish.
    let away = zip(theta, gaussianVector(n, generator: &g)).map { $0 + 0.3 * $1 }
    let loss = problem.loss(away)
    let denseResidual = zip(op.apply(factoredMatrix(away, problem.factorization)), problem.observations).map { $0 - $1 }
    found.append(Discrepancy("loss f = (1/2m)‖A(X) − b‖² against the dense X and apply",
                             relativeError(loss.value, squaredNorm(denseResidual) / (2 * m)), tolerance: 1e-12))
    found.append(Discrepancy("loss gradient against central differences of the loss",
                             relativeMaxDifference(loss.gradient, centralDifferenceGradient({ problem.loss($0).value }, at: away, step: 1e-5)),
                             tolerance: 1e-7))

    // On the solution set ∇²f = (1/m)·JᵀJ.
    let jacobian = Matrix(rows: n, columns: problem.measurementCount, columnMajor: (0..<problem.measurementCount).flatMap { i in
        var unit = [Double](repeating: 0, count: problem.measurementCount)
        unit[i] = 1
        return problem.pullback(theta, unit)
    })  // Jᵀ, column i = ∇θ⟨A_i, X(θ)⟩
    let direction = gaussianVector(n, generator: &g)
    let gaussNewton = naiveProduct(jacobian, naiveProduct(naiveTranspose(jacobian), direction)).map { $0 / m }
    let gradient = { (point: [Double]) in problem.loss(point).gradient }
    found.append(Discrepancy("Hessian-vector product: central differences of ∇f against (1/m)·JᵀJ·v",
                             relativeMaxDifference(centralDifferenceDerivative(gradient, at: theta, along: direction, step: 1e-4), gaussNewton),
                             tolerance: 1e-6))

    guard let blocks = hessianBlocks(problem, at: theta) else {
        return found + [Discrepancy("trace weights known for \(type(of: problem.factorization))", .infinity, tolerance: 0)]
    }
    let hessian = centralDifferenceJacobian(gradient, at: theta, step: 1e-4)
    let diagonal = (0..<n).map { hessian[$0, $0] }
    let traces = blocks.map { diagonal[$0.range].reduce(0, +) }
    for (index, block) in blocks.enumerated() {
        found.append(Discrepancy("Hessian trace of \(block.name): central differences against the sum over the A_i",
                                 relativeError(traces[index], block.traceFromSensingMatrices), tolerance: 1e-6))
    }
    let flatness = problem.flatness(theta)
    found.append(Discrepancy("flatness against the block-weighted Hessian trace, " + blocks.map { "\($0.name)·\($0.weightName)" }.joined(separator: " + "),
                             relativeError(flatness.value, zip(blocks, traces).reduce(0) { $0 + $1.0.weight * $1.1 }), tolerance: 1e-6))
    found.append(Discrepancy("flatness gradient against central differences of the flatness",
                             relativeMaxDifference(flatness.gradient, centralDifferenceGradient({ problem.flatness($0).value }, at: theta, step: 1e-4)),
                             tolerance: 1e-7))
    return found
}

/// One block of θ: where it sits, the weight its Hessian trace has in the flatness, and that
/// trace on the solution set summed from each A_i = A*(e_i).
public struct HessianBlock: Sendable {
    public let name: String
    public let range: Range<Int>
    public let weight: Double
    public let weightName: String
    public let traceFromSensingMatrices: Double
}

/// The blocks of θ for each factorization, with the relation between its flatness and the
/// Hessian trace of f = (1/2m)‖A(X(θ)) − b‖² on the solution set (there ∇²f = (1/m)Σ g_i g_iᵀ
/// with g_i = ∇θ⟨A_i, X(θ)⟩, so a block's trace is (1/m)Σ‖g_i restricted to it‖²):
///
/// - X = L·Rᵀ: tr_L = (1/m)Σ‖A_iR‖² = d1·‖D2R‖² and tr_R = (1/m)Σ‖A_iᵀL‖² = d2·‖D1L‖² (from
///   D1² = (1/(m·d2))ΣA_iA_iᵀ, D2² = (1/(m·d1))ΣA_iᵀA_i), so str = tr_L/d1 + tr_R/d2 and
///   tr ∇²f = d1‖D2R‖² + d2‖D1L‖² (= d·str when d1 = d2 = d);
/// - X = U·S·Uᵀ (S = diag(±1), R = U·S): g_i = (A_i + A_iᵀ)·R, which for A_i = x_ix_iᵀ is 2x_ix_iᵀUS,
///   so tr = (4/m)Σ‖x_i‖²‖Uᵀx_i‖² = 2d·str (str = ‖D1U‖² + ‖D2U‖² = 2‖DU‖²);
/// - X = W_N⋯W_1: block l has trace (1/m)Σ‖P_lᵀA_iQ_lᵀ‖² (P_l = W_N⋯W_{l+1}, Q_l = W_{l−1}⋯W_1)
///   and weight 1/d2 (W_1), 1/d1 (W_N), 1 (middle layers), as `DeepFactorization` defines.
///
/// (docs/mathematics.md §2, §7 and §9.) This is the one place that knows the factorizations'
/// layouts of θ (all documented); nil for a factorization it does not know.
public func hessianBlocks(_ problem: RecoveryProblem, at theta: [Double]) -> [HessianBlock]? {
    let op = problem.measurementOperator.base
    let a = sensingMatrices(op)
    let m = Double(problem.measurementCount)
    let (d1, d2) = (op.rows, op.columns)
    /// (1/m)Σ_i ‖P·A_i·Q‖² for P, Q given as functions of A_i's side (nil is the identity).
    func trace(_ term: (Matrix) -> Matrix) -> Double { a.reduce(0) { $0 + squaredNorm(term($1).storage) } / m }

    switch problem.factorization {
    case let f as GeneralFactorization:
        let (left, right) = f.factors(theta)
        return [
            HessianBlock(name: "L", range: 0..<(d1 * f.width), weight: 1 / Double(d1), weightName: "1/d1",
                         traceFromSensingMatrices: trace { naiveProduct($0, right) }),
            HessianBlock(name: "R", range: (d1 * f.width)..<theta.count, weight: 1 / Double(d2), weightName: "1/d2",
                         traceFromSensingMatrices: trace { naiveProduct(naiveTranspose($0), left) }),
        ]
    case let f as SignedSymmetricFactorization:
        let right = f.factors(theta).right
        return [HessianBlock(name: "U", range: 0..<theta.count, weight: 1 / Double(2 * f.size), weightName: "1/(2d)",
                             traceFromSensingMatrices: trace { naiveProduct($0 + naiveTranspose($0), right) })]
    case let f as DeepFactorization:
        // θ = [W_1 (k×d2), W_2 … W_{N−1} (k×k), W_N (d1×k)], each column-major.
        let k = f.width
        let shapes = (1...f.depth).map { ($0 == f.depth ? d1 : k, $0 == 1 ? d2 : k) }
        var layers: [Matrix] = [], offset = 0
        var ranges: [Range<Int>] = []
        for (rows, columns) in shapes {
            layers.append(Matrix(rows: rows, columns: columns, columnMajor: Array(theta[offset..<(offset + rows * columns)])))
            ranges.append(offset..<(offset + rows * columns))
            offset += rows * columns
        }
        /// W_b ⋯ W_a (1-based), nil when empty.
        func product(from a: Int, to b: Int) -> Matrix? {
            guard a <= b else { return nil }
            return (a..<b).reversed().reduce(layers[b - 1]) { naiveProduct($0, layers[$1 - 1]) }
        }
        return (1...f.depth).map { l in
            let p = product(from: l + 1, to: f.depth), q = product(from: 1, to: l - 1)
            let (weight, weightName) = l == 1 ? (1 / Double(d2), "1/d2") : (l == f.depth ? (1 / Double(d1), "1/d1") : (1.0, "1"))
            return HessianBlock(name: "W\(l)", range: ranges[l - 1], weight: weight, weightName: weightName,
                                traceFromSensingMatrices: trace { ai in
                                    let leftSide = p.map { naiveProduct(naiveTranspose($0), ai) } ?? ai
                                    return q.map { naiveProduct(leftSide, naiveTranspose($0)) } ?? leftSide
                                })
        }
    default:
        return nil
    }
}
