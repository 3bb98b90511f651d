import LinearAlgebra
import Models

/// How the optimization variables θ make the estimate X = left·rightᵀ. Solvers see θ as a
/// flat vector and ask the factorization for the factors, the flatness of θ, and the chain
/// rule; the measurement operator supplies G = A*(z) only through the products G·V and Gᵀ·U
/// that the factorization asks for (its probes), so no factorization forces a d1×d2 matrix.
public protocol Factorization: Sendable {
    var rows: Int { get }
    var columns: Int { get }
    var parameterCount: Int { get }
    /// The factor width reported as `rank`.
    var width: Int { get }

    /// X = left·rightᵀ with left d1×k', right d2×k'.
    func factors(_ parameters: [Double]) -> (left: Matrix, right: Matrix)
    /// The scaled Hessian trace of θ on the solution set, and its gradient in θ. Factorizations
    /// of two factors need only the rescaling; deeper ones also ask the operator.
    func flatness(_ parameters: [Double], rescaling: Rescaling, measurementOperator: CountedOperator) -> (value: Double, gradient: [Double])
    /// U (d1×·) and V (d2×·) such that the gradient of ⟨G, X(θ)⟩ follows from G·V and Gᵀ·U.
    func probes(_ parameters: [Double]) -> (left: Matrix, right: Matrix)
    /// ∇θ ⟨G, X(θ)⟩ from (G·V, Gᵀ·U) for the probes of `probes(_:)`.
    func pullback(_ parameters: [Double], products: (timesRight: Matrix, transposeTimesLeft: Matrix)) -> [Double]
    /// The gradient scaled by an approximate inverse of the fit's curvature, which in θ grows
    /// with the factors' own Gram matrices: G_L(RᵀR + μI)⁻¹ and G_R(LᵀL + μI)⁻¹, as in scaled
    /// gradient descent (Tong, Ma & Chi 2021). Where the answer's singular values spread over
    /// orders of magnitude this is what keeps quasi-Newton steps from crawling; μ stands for
    /// the flatness term's own curvature.
    /// (Held fixed over a subproblem, so that L-BFGS works in one metric throughout.)
    func preconditioner(at parameters: [Double], damping: Double) -> Preconditioner
    /// θ whose X is Σ_j σ_j u_j v_jᵀ over the triples that fit, split evenly between the
    /// factors (the balanced factorization).
    func parameters(singularVectors left: Matrix, values: [Double], right: Matrix) -> [Double]
    /// Whether the factors are linear in θ and the flatness a quadratic form in θ: then
    /// X(θ + αd) and str(θ + αd) are quadratics in α (line searches need no passes), and the
    /// flatness is that of two factors, which the convex relaxation bounds from below.
    var factorsAreLinear: Bool { get }
    /// The widths of U1 and U2 for a signed symmetric factorization, to report; nil otherwise.
    var signedWidths: (positive: Int, negative: Int)? { get }
    /// The same parametrization with room for every triple (σ_j > 0) of
    /// `parameters(singularVectors:values:right:)`: itself when they fit, else each side's width
    /// at least doubled, up to `limit`; nil when they cannot fit within it.
    func accommodating(singularVectors left: Matrix, values: [Double], right: Matrix, limit: Int) -> (any Factorization)?
    /// The same parametrization with exactly the columns those triples need (at least one):
    /// the smallest problem on which to refine an answer of known rank.
    func fitted(toHold left: Matrix, values: [Double], right: Matrix) -> any Factorization
}

extension Factorization {
    public var signedWidths: (positive: Int, negative: Int)? { nil }
}

/// Two factors, linear in θ, with a flatness quadratic in θ.
public protocol BilinearFactorization: Factorization {}

extension BilinearFactorization {
    public var factorsAreLinear: Bool { true }
}

/// The width that holds `needed` columns: `current` when it does, else at least double it,
/// capped at `limit`; nil when `needed` exceeds the limit.
func grownWidth(current: Int, needed: Int, limit: Int) -> Int? {
    guard needed > current else { return current }
    guard needed <= limit else { return nil }
    return min(max(needed, 2 * current), limit)
}

/// A symmetric positive definite map on θ-vectors.
public typealias Preconditioner = ([Double]) -> [Double]

/// G ↦ G·(FᵀF + μI)⁻¹ for G n×k and F ·×k, by a k×k Cholesky factor computed once.
func rightDivision(byGramOf factor: Matrix, damping: Double) -> (Matrix) -> Matrix {
    var gram = BLAS.matmul(factor, factor, transposeA: true)
    for j in 0..<gram.rows { gram[j, j] += damping }
    guard let cholesky = try? LAPACK.choleskyFactor(gram) else { return { $0 } }
    return { gradient in
        (try? LAPACK.choleskySolve(factor: cholesky, gradient.transposed()))?.transposed() ?? gradient
    }
}

/// X = L·Rᵀ with independent L (d1×k) and R (d2×k): every model but the quadratic one.
public struct GeneralFactorization: BilinearFactorization {
    public let rows: Int
    public let columns: Int
    public let width: Int
    public var parameterCount: Int { (rows + columns) * width }

    public init(rows: Int, columns: Int, width: Int) {
        self.rows = rows
        self.columns = columns
        self.width = width
    }

    public func factors(_ parameters: [Double]) -> (left: Matrix, right: Matrix) {
        let split = rows * width
        return (Matrix(rows: rows, columns: width, columnMajor: Array(parameters[..<split])),
                Matrix(rows: columns, columns: width, columnMajor: Array(parameters[split...])))
    }

    public func flatness(_ parameters: [Double], rescaling: Rescaling, measurementOperator: CountedOperator) -> (value: Double, gradient: [Double]) {
        let (left, right) = factors(parameters)
        let scaledLeft = rescaling.left.times(left), scaledRight = rescaling.right.times(right)
        let value = BLAS.dot(scaledLeft.storage, left.storage) + BLAS.dot(scaledRight.storage, right.storage)
        return (value, (scaledLeft.storage + scaledRight.storage).map { 2 * $0 })
    }

    public func probes(_ parameters: [Double]) -> (left: Matrix, right: Matrix) {
        factors(parameters)
    }

    public func pullback(_ parameters: [Double], products: (timesRight: Matrix, transposeTimesLeft: Matrix)) -> [Double] {
        products.timesRight.storage + products.transposeTimesLeft.storage
    }

    public func preconditioner(at parameters: [Double], damping: Double) -> Preconditioner {
        let (left, right) = factors(parameters)
        let leftSide = rightDivision(byGramOf: right, damping: damping), rightSide = rightDivision(byGramOf: left, damping: damping)
        return { gradient in
            let (leftGradient, rightGradient) = factors(gradient)
            return leftSide(leftGradient).storage + rightSide(rightGradient).storage
        }
    }

    public func accommodating(singularVectors left: Matrix, values: [Double], right: Matrix, limit: Int) -> (any Factorization)? {
        grownWidth(current: width, needed: values.filter { $0 > 0 }.count, limit: limit)
            .map { GeneralFactorization(rows: rows, columns: columns, width: $0) }
    }

    public func fitted(toHold left: Matrix, values: [Double], right: Matrix) -> any Factorization {
        GeneralFactorization(rows: rows, columns: columns, width: max(1, values.filter { $0 > 0 }.count))
    }

    public func parameters(singularVectors left: Matrix, values: [Double], right: Matrix) -> [Double] {
        var l = Matrix.zeros(rows: rows, columns: width), r = Matrix.zeros(rows: columns, columns: width)
        for j in 0..<min(width, values.count) {
            let scale = max(values[j], 0).squareRoot()
            for i in 0..<rows { l[i, j] = left[i, j] * scale }
            for i in 0..<columns { r[i, j] = right[i, j] * scale }
        }
        return l.storage + r.storage
    }
}

/// X = U1U1ᵀ − U2U2ᵀ for the quadratic model (covariance estimation when U2 is empty, a
/// quadratic-activation network with output weights ±1 otherwise): θ = [U1 U2] (d×(k1+k2)),
/// left = [U1 U2], right = [U1 −U2].
public struct SignedSymmetricFactorization: BilinearFactorization {
    public let size: Int
    public let positiveWidth: Int
    public let negativeWidth: Int
    public var rows: Int { size }
    public var columns: Int { size }
    public var width: Int { positiveWidth + negativeWidth }
    public var parameterCount: Int { size * width }

    public init(size: Int, positiveWidth: Int, negativeWidth: Int) {
        self.size = size
        self.positiveWidth = positiveWidth
        self.negativeWidth = negativeWidth
    }

    private func signed(_ u: Matrix) -> Matrix {
        var flipped = u
        flipped.withUnsafeMutableBufferPointer { entries in
            for index in (size * positiveWidth)..<entries.count { entries[index] = -entries[index] }
        }
        return flipped
    }

    public func factors(_ parameters: [Double]) -> (left: Matrix, right: Matrix) {
        let u = Matrix(rows: size, columns: width, columnMajor: parameters)
        return (u, signed(u))
    }

    /// ‖D1U‖² + ‖D2U‖²: the sign of a column never changes its norm.
    public func flatness(_ parameters: [Double], rescaling: Rescaling, measurementOperator: CountedOperator) -> (value: Double, gradient: [Double]) {
        let u = Matrix(rows: size, columns: width, columnMajor: parameters)
        let combined = rescaling.left.times(u) + rescaling.right.times(u)
        return (BLAS.dot(combined.storage, parameters), combined.storage.map { 2 * $0 })
    }

    public func probes(_ parameters: [Double]) -> (left: Matrix, right: Matrix) {
        factors(parameters)
    }

    /// d/dU ⟨G, U S Uᵀ⟩ = G·U S + Gᵀ·U S, and the probes already carry one S.
    public func pullback(_ parameters: [Double], products: (timesRight: Matrix, transposeTimesLeft: Matrix)) -> [Double] {
        (products.timesRight + signed(products.transposeTimesLeft)).storage
    }

    public func preconditioner(at parameters: [Double], damping: Double) -> Preconditioner {
        let divide = rightDivision(byGramOf: Matrix(rows: size, columns: width, columnMajor: parameters), damping: damping)
        return { gradient in divide(Matrix(rows: size, columns: width, columnMajor: gradient)).storage }
    }

    public var signedWidths: (positive: Int, negative: Int)? { (positiveWidth, negativeWidth) }

    public func accommodating(singularVectors left: Matrix, values: [Double], right: Matrix, limit: Int) -> (any Factorization)? {
        let used = values.indices.filter { values[$0] > 0 }
        let negative = used.filter { BLAS.dot(left.column($0), right.column($0)) < 0 }.count
        guard let positiveWidth = grownWidth(current: positiveWidth, needed: used.count - negative, limit: limit),
              let negativeWidth = grownWidth(current: negativeWidth, needed: negative, limit: limit) else { return nil }
        return SignedSymmetricFactorization(size: size, positiveWidth: positiveWidth, negativeWidth: negativeWidth)
    }

    public func fitted(toHold left: Matrix, values: [Double], right: Matrix) -> any Factorization {
        let used = values.indices.filter { values[$0] > 0 }
        let negative = used.filter { BLAS.dot(left.column($0), right.column($0)) < 0 }.count
        return SignedSymmetricFactorization(size: size, positiveWidth: max(used.count - negative, negative == 0 ? 1 : 0),
                                            negativeWidth: negative)
    }

    /// For a symmetric X the singular triples are eigenpairs with u = ±v; the sign says which
    /// side of the factorization a triple belongs to.
    public func parameters(singularVectors left: Matrix, values: [Double], right: Matrix) -> [Double] {
        var u = Matrix.zeros(rows: size, columns: width)
        var nextPositive = 0, nextNegative = positiveWidth
        for j in values.indices {
            let alignment = BLAS.dot(left.column(j), right.column(j))
            let target: Int
            if alignment >= 0, nextPositive < positiveWidth {
                target = nextPositive; nextPositive += 1
            } else if alignment < 0, nextNegative < width {
                target = nextNegative; nextNegative += 1
            } else {
                continue
            }
            let scale = max(values[j], 0).squareRoot()
            for i in 0..<size { u[i, target] = left[i, j] * scale }
        }
        return u.storage
    }
}
