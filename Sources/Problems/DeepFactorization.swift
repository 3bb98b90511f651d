import Foundation
import LinearAlgebra
import Models

/// X = W_N ⋯ W_2 W_1 with W_1 k×d2, W_2 … W_{N−1} k×k and W_N d1×k (docs/mathematics.md §9, depth N ≥ 2;
/// N = 2 is L = W_2, R = W_1ᵀ). θ holds W_1, …, W_N in order, each column-major.
///
/// On the solution set the Hessian trace is (1/m) Σ_i Σ_l ‖P_lᵀ A_i Q_lᵀ‖² with
/// P_l = W_N⋯W_{l+1} and Q_l = W_{l−1}⋯W_1. Scaled as for two factors, the W_1 block is
/// divided by d2 and the W_N block by d1, which makes them ‖D1 P_1‖² and ‖D2 Q_Nᵀ‖² (so depth
/// 2 gives str exactly); middle blocks keep weight 1, the value that makes every block of a
/// Gaussian operator comparable (E‖PᵀA Q‖² = ‖P‖²‖Q‖², E‖PᵀA‖² = d2‖P‖²). Middle blocks need
/// the operator's fourth moments, `sandwichedSquaredNorm`: two passes each.
public struct DeepFactorization: Factorization {
    public let rows: Int
    public let columns: Int
    public let width: Int
    public let depth: Int

    public init(rows: Int, columns: Int, width: Int, depth: Int) {
        precondition(depth >= 2, "a factorization has at least two factors")
        self.rows = rows
        self.columns = columns
        self.width = width
        self.depth = depth
    }

    public var parameterCount: Int { width * columns + (depth - 2) * width * width + rows * width }

    /// The shape of W_l, l = 1…N.
    private func shape(_ layer: Int) -> (rows: Int, columns: Int) {
        (layer == depth ? rows : width, layer == 1 ? columns : width)
    }

    private func offset(_ layer: Int) -> Int {
        (1..<layer).reduce(0) { $0 + shape($1).rows * shape($1).columns }
    }

    func layers(_ parameters: [Double]) -> [Matrix] {
        (1...depth).map { layer in
            let (r, c) = shape(layer), start = offset(layer)
            return Matrix(rows: r, columns: c, columnMajor: Array(parameters[start..<(start + r * c)]))
        }
    }

    /// W_b ⋯ W_a (layers 1-based); nil for an empty product (the identity).
    private func product(_ w: [Matrix], from a: Int, to b: Int) -> Matrix? {
        guard a <= b else { return nil }
        var result = w[b - 1]
        for layer in stride(from: b - 1, through: a, by: -1) { result = BLAS.matmul(result, w[layer - 1]) }
        return result
    }

    public func factors(_ parameters: [Double]) -> (left: Matrix, right: Matrix) {
        let w = layers(parameters)
        return (product(w, from: 2, to: depth)!, w[0].transposed())
    }

    public func flatness(_ parameters: [Double], rescaling: Rescaling,
                         measurementOperator: CountedOperator) -> (value: Double, gradient: [Double]) {
        let w = layers(parameters)
        let m = Double(measurementOperator.base.measurementCount)
        var gradients = w.map { Matrix.zeros(rows: $0.rows, columns: $0.columns) }
        var value = 0.0
        for layer in 1...depth {
            let p = product(w, from: layer + 1, to: depth)       // d1×k, nil = I
            let q = product(w, from: 1, to: layer - 1)           // k×d2, nil = I
            var gradientP: Matrix?, gradientQ: Matrix?            // of this block's value in P and in Q
            switch (p, q) {
            case (let p?, nil):
                let weighted = rescaling.left.times(p)
                value += BLAS.dot(weighted.storage, p.storage)
                gradientP = weighted * 2
            case (nil, let q?):
                let weighted = rescaling.right.times(q.transposed())
                value += BLAS.dot(weighted.storage, q.transposed().storage)
                gradientQ = weighted.transposed() * 2
            case (let p?, let q?):
                let sandwich = measurementOperator.sandwichedSquaredNorm(left: p, right: q.transposed())
                value += sandwich.value / m
                gradientP = sandwich.gradientLeft * (1 / m)
                gradientQ = sandwich.gradientRight.transposed() * (1 / m)
            case (nil, nil):
                preconditionFailure("depth ≥ 2 leaves every layer a neighbour")
            }
            // ∂⟨G, W_N⋯W_{l+1}⟩/∂W_j = (W_N⋯W_{j+1})ᵀ G (W_{j−1}⋯W_{l+1})ᵀ, and likewise for Q.
            if let gradientP {
                for j in (layer + 1)...depth {
                    accumulate(&gradients[j - 1], outer: product(w, from: j + 1, to: depth), middle: gradientP,
                               inner: product(w, from: layer + 1, to: j - 1))
                }
            }
            if let gradientQ {
                for j in 1..<layer {
                    accumulate(&gradients[j - 1], outer: product(w, from: j + 1, to: layer - 1), middle: gradientQ,
                               inner: product(w, from: 1, to: j - 1))
                }
            }
        }
        return (value, gradients.flatMap(\.storage))
    }

    /// target += outerᵀ · middle · innerᵀ, with nil meaning the identity.
    private func accumulate(_ target: inout Matrix, outer: Matrix?, middle: Matrix, inner: Matrix?) {
        var term = middle
        if let outer { term = BLAS.matmul(outer, term, transposeA: true) }
        if let inner { term = BLAS.matmul(term, inner, transposeB: true) }
        target = target + term
    }

    /// ∇_{W_j} ⟨G, X⟩ = P_jᵀ G Q_jᵀ: Gᵀ·P_1 gives W_1's, G·Q_jᵀ (j ≥ 2) the others'.
    public func probes(_ parameters: [Double]) -> (left: Matrix, right: Matrix) {
        let w = layers(parameters)
        let rightProbes = (2...depth).map { product(w, from: 1, to: $0 - 1)!.transposed() }
        return (product(w, from: 2, to: depth)!, Matrix(rows: columns, columns: width * (depth - 1),
                                                        columnMajor: rightProbes.flatMap(\.storage)))
    }

    public func pullback(_ parameters: [Double], products: (timesRight: Matrix, transposeTimesLeft: Matrix)) -> [Double] {
        let w = layers(parameters)
        var gradient = products.transposeTimesLeft.transposed().storage    // W_1: P_1ᵀ G
        for layer in 2...depth {
            let start = (layer - 2) * rows * width
            let gq = Matrix(rows: rows, columns: width,
                            columnMajor: Array(products.timesRight.storage[start..<(start + rows * width)]))
            if let p = product(w, from: layer + 1, to: depth) {
                gradient += BLAS.matmul(p, gq, transposeA: true).storage
            } else {
                gradient += gq.storage
            }
        }
        return gradient
    }

    /// Deep factors have no Gram-matrix preconditioner of the two-factor kind.
    public func preconditioner(at parameters: [Double], damping: Double) -> Preconditioner {
        { $0 }
    }

    /// The balanced deep factorization: W_N = U Σ^{1/N}, middle layers Σ^{1/N}, W_1 = Σ^{1/N} Vᵀ.
    public var factorsAreLinear: Bool { false }

    public func accommodating(singularVectors left: Matrix, values: [Double], right: Matrix, limit: Int) -> (any Factorization)? {
        grownWidth(current: width, needed: values.filter { $0 > 0 }.count, limit: limit)
            .map { DeepFactorization(rows: rows, columns: columns, width: $0, depth: depth) }
    }

    public func fitted(toHold left: Matrix, values: [Double], right: Matrix) -> any Factorization {
        DeepFactorization(rows: rows, columns: columns, width: max(1, values.filter { $0 > 0 }.count), depth: depth)
    }

    public func parameters(singularVectors left: Matrix, values: [Double], right: Matrix) -> [Double] {
        let kept = min(width, values.count)
        let roots = (0..<width).map { $0 < kept ? Foundation.pow(max(values[$0], 0), 1 / Double(depth)) : 0 }
        var first = Matrix.zeros(rows: width, columns: columns), last = Matrix.zeros(rows: rows, columns: width)
        for j in 0..<kept {
            for i in 0..<columns { first[j, i] = right[i, j] * roots[j] }
            for i in 0..<rows { last[i, j] = left[i, j] * roots[j] }
        }
        let middle = Matrix.diagonal(roots)
        return first.storage + (0..<(depth - 2)).flatMap { _ in middle.storage } + last.storage
    }
}
