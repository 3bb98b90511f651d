import LinearAlgebra
import Models
import Problems

/// Whether a factored answer is the flattest fit, and if not, where flatter fits lie.
///
/// The bound: every multiplier y gives a lower bound on the problem's objective through
/// `DualBound`; the best of several candidates is taken (the method's own multiplier, the
/// family's closed-form ones). The escape: when the weighted adjoint
/// S = D1⁻¹A*(y)D2⁻¹ of the method's multiplier has singular values above 2, the point is a
/// stationary point of the Lagrangian that is not its minimum (docs/mathematics.md §6, the dual
/// certificate): along each such triple (u, σ, v), X − t²·(D1⁻¹u)(D2⁻¹v)ᵀ changes the
/// Lagrangian by t²(2 − σ) < 0 to first order. A factorization whose columns are all in use
/// cannot move that way; one with a free column (or a wider one) can.
struct FlatnessCertificate {
    let problem: RecoveryProblem

    /// The largest bound among the candidates, with the multiplier that gave it.
    func bestBound(candidates: [[Double]]) throws -> (value: Double, multiplier: [Double]) {
        let certificate = DualBound(problem: problem, rescaling: problem.rescaling)
        var best = (value: -Double.infinity, multiplier: [Double]())
        for y in candidates where y.count == problem.measurementCount {
            let value = try certificate.bound(multiplier: y)
            if value > best.value { best = (value, y) }
        }
        return best
    }

    /// Escape directions count only when σ exceeds 2 by this relative margin: closer than that
    /// the multiplier's own error decides.
    static let escapeMargin = 1e-2
    /// How many escape directions one round adds at most.
    static let directionsPerRound = 8
    /// Weighted singular values of X below this fraction of the largest free their column.
    static let negligibleValue = 1e-6

    /// The point with the escape directions of the multiplier y added (at the step that
    /// minimizes the augmented Lagrangian along each, for penalty ρ) and the factorization
    /// that holds them, or nil when y shows no flatter fit nearby. `limit` caps each side's width.
    func escape(from parameters: [Double], multiplier y: [Double], penalty rho: Double, limit: Int,
                margin: Double = Self.escapeMargin, seed: UInt64) throws -> (parameters: [Double], factorization: any Factorization)? {
        let factorization = problem.factorization
        let d1 = factorization.rows, d2 = factorization.columns
        let leftInverse = try problem.rescaling.left.pseudoInverseRoot()
        let rightInverse = try problem.rescaling.right.pseudoInverseRoot()
        let iteration = SubspaceIteration(adjointOf: y, under: problem.measurementOperator, rows: d1, columns: d2,
                                          leftWeight: leftInverse, rightWeight: rightInverse)
        let count = min(Self.directionsPerRound, d1, d2)
        let dual = try iteration.leadingTriples(count: count, oversampling: 10, iterations: 30, seed: seed)
        let escaping = dual.values.indices.filter { dual.values[$0] > 2 * (1 + margin) }
        guard !escaping.isEmpty else { return nil }

        let directions = escaping.map { j in
            (left: leftInverse.times(columnMatrix(dual.left, j)), right: rightInverse.times(columnMatrix(dual.right, j)) * -1)
        }
        // Along X + s·a·bᵀ the Lagrangian changes by s(2 − σ) + (ρ/2)s²‖A(a·bᵀ)‖².
        let images = problem.measurementOperator.applyFactored(directions)
        let steps = zip(escaping, images).map { j, image in
            (dual.values[j] - 2) / max(rho * BLAS.dot(image, image), .leastNormalMagnitude)
        }
        guard steps.allSatisfy(\.isFinite) else { return nil }

        let current = try problem.significantTriples(parameters)
        let allLeft = joinColumns(current.left + directions.map(\.left), rows: d1)
        let allRight = joinColumns(current.right + directions.map(\.right), rows: d2)
        let values = current.values + steps
        guard let wider = factorization.accommodating(singularVectors: allLeft, values: values, right: allRight, limit: limit)
        else { return nil }
        return (wider.parameters(singularVectors: allLeft, values: values, right: allRight), wider)
    }
}

extension RecoveryProblem {
    /// The singular triples of D1·X(θ)·D2 under the problem's weights, from the factors.
    func weightedSpectrum(_ parameters: [Double]) throws -> (left: Matrix, values: [Double], right: Matrix) {
        let (left, right) = factorization.factors(parameters)
        return try singularTriples(rescaling.left.power(0.5).times(left), rescaling.right.power(0.5).times(right))
    }

    /// X(θ)'s weighted singular triples above `FlatnessCertificate.negligibleValue` of the
    /// largest (all of them with `all`), mapped back through D1⁻¹ and D2⁻¹ as single columns: the
    /// balanced flat factorization of X(θ), ready for `Factorization.parameters(singularVectors:…)`.
    func significantTriples(_ parameters: [Double], all: Bool = false) throws -> (left: [Matrix], values: [Double], right: [Matrix]) {
        let weighted = try weightedSpectrum(parameters)
        let largest = weighted.values.first ?? 0
        let kept = weighted.values.indices.filter { all || weighted.values[$0] > FlatnessCertificate.negligibleValue * largest }
        let leftInverse = try rescaling.left.pseudoInverseRoot(), rightInverse = try rescaling.right.pseudoInverseRoot()
        return (kept.map { leftInverse.times(columnMatrix(weighted.left, $0)) }, kept.map { weighted.values[$0] },
                kept.map { rightInverse.times(columnMatrix(weighted.right, $0)) })
    }
}

/// The singular triples of A·Bᵀ: from thin QR factors of A and B when both are tall, never
/// forming A·Bᵀ; from A·Bᵀ itself when the factors are wider than the matrix.
func singularTriples(_ a: Matrix, _ b: Matrix) throws -> (left: Matrix, values: [Double], right: Matrix) {
    if a.columns <= a.rows, b.columns <= b.rows { return try LowRankNewton.triples(a, b) }
    let (u, values, vt) = try LAPACK.svd(BLAS.matmul(a, b, transposeB: true))
    return (u, values, vt.transposed())
}

func columnMatrix(_ matrix: Matrix, _ j: Int) -> Matrix {
    Matrix(rows: matrix.rows, columns: 1, columnMajor: matrix.column(j))
}

func joinColumns(_ columns: [Matrix], rows: Int) -> Matrix {
    Matrix(rows: rows, columns: columns.count, columnMajor: columns.flatMap(\.storage))
}
