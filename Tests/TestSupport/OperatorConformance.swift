import LinearAlgebra
import Models
import RandomNumbers

/// Checks every method of a `MeasurementOperator` that computes with A against a route that
/// does not use it: the adjoint against the forward map (dot-product test), everything else
/// against the A_i recovered one at a time as A*(e_i), dense products by the triple loop, and
/// derivatives by central differences. Inputs are Gaussian, drawn from `seed`; the operator
/// should be small (every A_i is formed). (`closedFormMultipliers` are certificates, checked
/// where bounds are: the certificate conformance suite.)
///
/// Each tolerance is relative to the size of the reference and a few hundred roundings wide:
/// the comparisons are exact in exact arithmetic, except the central differences, which are
/// exact for the quadratic they differentiate up to rounding amplified by 1/step.
public func operatorConformance(_ op: any MeasurementOperator, seed: UInt64 = 7) -> [Discrepancy] {
    let (d1, d2, m) = (op.rows, op.columns, op.measurementCount)
    var g = PCG64(seed: seed)
    let x = gaussianMatrix(rows: d1, columns: d2, generator: &g)
    let y = gaussianVector(m, generator: &g)
    let applied = op.apply(x), adjoint = op.adjoint(y)
    guard applied.count == m, adjoint.rows == d1, adjoint.columns == d2 else {
        return [Discrepancy("A(X) has m entries and A*(y) is d1×d2", .infinity, tolerance: 0)]
    }
    let a = sensingMatrices(op)
    let exact = 1e-12
    var found: [Discrepancy] = []

    // ⟨A(X), y⟩ = ⟨X, A*(y)⟩, in units of the largest the two sides could be (Cauchy–Schwarz).
    let forward = innerProduct(applied, y), backward = innerProduct(x.storage, adjoint.storage)
    found.append(Discrepancy("adjoint: ⟨A(X), y⟩ − ⟨X, A*(y)⟩, relative to ‖A(X)‖‖y‖",
                             abs(forward - backward) / (euclideanNorm(applied) * euclideanNorm(y)), tolerance: exact))
    found.append(Discrepancy("apply: A(X)_i against ⟨A_i, X⟩",
                             relativeMaxDifference(applied, a.map { innerProduct($0.storage, x.storage) }), tolerance: exact))

    // Factored forms against the dense ones, with factors of two widths.
    let left = gaussianMatrix(rows: d1, columns: 3, generator: &g), right = gaussianMatrix(rows: d2, columns: 3, generator: &g)
    let narrowLeft = gaussianMatrix(rows: d1, columns: 1, generator: &g)
    let narrowRight = gaussianMatrix(rows: d2, columns: 1, generator: &g)
    let product = naiveProduct(left, naiveTranspose(right))
    found.append(Discrepancy("applyFactored(L, R) against A(L·Rᵀ)",
                             relativeMaxDifference(op.applyFactored(left: left, right: right), op.apply(product)), tolerance: exact))
    let batched = op.applyFactored([(left: left, right: right), (left: narrowLeft, right: narrowRight)])
    let separately = op.apply(product) + op.apply(naiveProduct(narrowLeft, naiveTranspose(narrowRight)))
    found.append(Discrepancy("applyFactored(pairs) against A(L_j·R_jᵀ) one pair at a time",
                             batched.count == 2 ? relativeMaxDifference(batched.flatMap { $0 }, separately) : .infinity,
                             tolerance: exact))
    let timesRight = naiveProduct(adjoint, right), transposeTimesLeft = naiveProduct(naiveTranspose(adjoint), narrowLeft)
    found.append(Discrepancy("adjointTimes(y, R) against A*(y)·R",
                             relativeMaxDifference(op.adjointTimes(y, right: right), timesRight), tolerance: exact))
    found.append(Discrepancy("adjointTransposeTimes(y, L) against A*(y)ᵀ·L",
                             relativeMaxDifference(op.adjointTransposeTimes(y, left: narrowLeft), transposeTimesLeft),
                             tolerance: exact))
    let both = op.adjointProducts(y, left: narrowLeft, right: right)
    found.append(Discrepancy("adjointProducts(y, L, R) against (A*(y)·R, A*(y)ᵀ·L)",
                             max(relativeMaxDifference(both.timesRight, timesRight),
                                 relativeMaxDifference(both.transposeTimesLeft, transposeTimesLeft)), tolerance: exact))
    let maps = op.adjointProductMaps(y)
    found.append(Discrepancy("adjointProductMaps(y) applied to R and L against (A*(y)·R, A*(y)ᵀ·L)",
                             max(relativeMaxDifference(maps.timesRight(right), timesRight),
                                 relativeMaxDifference(maps.transposeTimesLeft(narrowLeft), transposeTimesLeft)), tolerance: exact))

    found += sandwichConformance(op, a, generator: &g)
    found += tangentJacobianConformance(op, generator: &g)
    found += rescalingConformance(op, a, generator: &g)
    return found
}

/// Σ‖PᵀA_iQ‖² summed from the A_i, and its gradients by central differences of the operator's
/// own value (a quadratic in P for fixed Q, and in Q for fixed P).
private func sandwichConformance(_ op: any MeasurementOperator, _ a: [Matrix], generator g: inout PCG64) -> [Discrepancy] {
    let p = gaussianMatrix(rows: op.rows, columns: 2, generator: &g), q = gaussianMatrix(rows: op.columns, columns: 3, generator: &g)
    let computed = op.sandwichedSquaredNorm(left: p, right: q)
    let direct = a.reduce(0) { $0 + squaredNorm(naiveProduct(naiveProduct(naiveTranspose(p), $1), q).storage) }
    func value(_ p: [Double], _ q: [Double]) -> Double {
        op.sandwichedSquaredNorm(left: Matrix(rows: op.rows, columns: 2, columnMajor: p),
                                 right: Matrix(rows: op.columns, columns: 3, columnMajor: q)).value
    }
    let step = 1e-3
    let numericLeft = centralDifferenceGradient({ value($0, q.storage) }, at: p.storage, step: step)
    let numericRight = centralDifferenceGradient({ value(p.storage, $0) }, at: q.storage, step: step)
    return [
        Discrepancy("sandwichedSquaredNorm against Σ‖PᵀA_iQ‖²", relativeError(computed.value, direct), tolerance: 1e-12),
        Discrepancy("sandwichedSquaredNorm gradient in P against central differences",
                    relativeMaxDifference(computed.gradientLeft.storage, numericLeft), tolerance: 1e-8),
        Discrepancy("sandwichedSquaredNorm gradient in Q against central differences",
                    relativeMaxDifference(computed.gradientRight.storage, numericRight), tolerance: 1e-8),
    ]
}

/// Column (j, c) of the first block is A(u_c·e_jᵀ), of the second A(e_j·v_cᵀ): the rank-one
/// matrices, formed densely and applied.
private func tangentJacobianConformance(_ op: any MeasurementOperator, generator g: inout PCG64) -> [Discrepancy] {
    let (d1, d2) = (op.rows, op.columns)
    let u = gaussianMatrix(rows: d1, columns: 2, generator: &g), v = gaussianMatrix(rows: d2, columns: 3, generator: &g)
    let jacobian = op.tangentJacobian(left: u, right: v)
    guard jacobian.rows == op.measurementCount, jacobian.columns == d2 * u.columns + d1 * v.columns else {
        return [Discrepancy("tangentJacobian is m × (d2·a + d1·b)", .infinity, tolerance: 0)]
    }
    var expected: [Double] = []
    for c in 0..<u.columns {
        for j in 0..<d2 {
            var rankOne = Matrix.zeros(rows: d1, columns: d2)
            for i in 0..<d1 { rankOne[i, j] = u[i, c] }
            expected += op.apply(rankOne)
        }
    }
    for c in 0..<v.columns {
        for j in 0..<d1 {
            var rankOne = Matrix.zeros(rows: d1, columns: d2)
            for i in 0..<d2 { rankOne[j, i] = v[i, c] }
            expected += op.apply(rankOne)
        }
    }
    return [Discrepancy("tangentJacobian columns against A(u_c·e_jᵀ) and A(e_j·v_cᵀ)",
                        relativeMaxDifference(jacobian.storage, expected), tolerance: 1e-12)]
}

/// D1² = (1/(m·d2)) Σ A_iA_iᵀ and D2² = (1/(m·d1)) Σ A_iᵀA_i summed from each A_i, and the
/// scaled trace ‖D1L‖² + ‖D2R‖² = (1/(m·d2)) Σ‖A_iᵀL‖² + (1/(m·d1)) Σ‖A_iR‖².
private func rescalingConformance(_ op: any MeasurementOperator, _ a: [Matrix], generator g: inout PCG64) -> [Discrepancy] {
    let (d1, d2, m) = (Double(op.rows), Double(op.columns), Double(op.measurementCount))
    var leftSum = Matrix.zeros(rows: op.rows, columns: op.rows), rightSum = Matrix.zeros(rows: op.columns, columns: op.columns)
    for ai in a {
        leftSum = leftSum + naiveProduct(ai, naiveTranspose(ai))
        rightSum = rightSum + naiveProduct(naiveTranspose(ai), ai)
    }
    let rescaling = op.rescaling()
    let left = gaussianMatrix(rows: op.rows, columns: 2, generator: &g), right = gaussianMatrix(rows: op.columns, columns: 2, generator: &g)
    let leftBlock = a.reduce(0) { $0 + squaredNorm(naiveProduct(naiveTranspose($1), left).storage) }
    let rightBlock = a.reduce(0) { $0 + squaredNorm(naiveProduct($1, right).storage) }
    return [
        Discrepancy("rescaling D1² against (1/(m·d2)) Σ A_iA_iᵀ",
                    relativeMaxDifference(rescaling.left.matrix, leftSum * (1 / (m * d2))), tolerance: 1e-12),
        Discrepancy("rescaling D2² against (1/(m·d1)) Σ A_iᵀA_i",
                    relativeMaxDifference(rescaling.right.matrix, rightSum * (1 / (m * d1))), tolerance: 1e-12),
        Discrepancy("scaledTrace against (1/(m·d2)) Σ‖A_iᵀL‖² + (1/(m·d1)) Σ‖A_iR‖²",
                    relativeError(rescaling.scaledTrace(left: left, right: right), leftBlock / (m * d2) + rightBlock / (m * d1)),
                    tolerance: 1e-12),
    ]
}
