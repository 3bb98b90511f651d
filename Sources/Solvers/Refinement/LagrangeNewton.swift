import LinearAlgebra
import Models
import Problems

/// Newton's method on the optimality conditions of a fit in the factors,
///
///     ∇θ str(θ) + ∇θ⟨y, A(X(θ))⟩ = 0,   P·(A(X(θ)) − b) = c,   y = Pᵀz + q,
///
/// for the factorizations whose X(θ) and str(θ) are quadratic forms in θ. `ActiveFit` gives
/// P, c and q: for an exact fit P = I; for the ℓ1 fits, the residual's support T and signs σ
/// at the augmented Lagrangian's answer make them smooth: entries off T vanish, and on T the
/// budget σᵀr_T = τ is one equation (ℓ1 ball) or the penalty λσᵀr_T a fixed multiplier q
/// (ℓ1 penalty). The Lagrangian ℒ = str(θ) + ⟨y, A(X(θ)) − b⟩ is a homogeneous quadratic in θ
/// for fixed y, so its Hessian applied to v is its gradient at v, and the fit's derivative
/// along v is A(X(θ + v)) − A(X(θ)) − A(X(v)): the whole system is exact with no finite
/// differences.
///
/// The augmented Lagrangian's answers are first-order accurate along the flat directions of
/// the fit, and a dual bound built on them inherits that error; from there, these steps
/// converge quadratically to the optimum and its multiplier (where the reduced Hessian is
/// nonsingular up to the factors' rotations, which the least-squares steps leave alone), and
/// the bound at the result matches the objective to rounding. Where the fit's solutions of
/// the answer's rank are isolated, `LowRankNewton` is cheaper; this covers the rest: the
/// quadratic model, and data too few for an isolated fit.
///
/// It runs on the answer cut to its numerical rank (a factorization with just those columns),
/// and the result is handed back at the caller's width. The system is dense, (n + m)² for n
/// parameters and m active equations, so it is used only below `sizeLimit`.
struct LagrangeNewton {
    let problem: RecoveryProblem
    let fit: ActiveFit

    static let sizeLimit = 1600
    static let maximumSteps = 12
    static let divergence = 1e3
    /// Steps without halving the best size before giving up (at rounding, or out of the basin).
    static let patience = 3

    /// The caller's problem, whose factorization the answer goes back to.
    let original: RecoveryProblem
    let start: [Double]
    private let leftInverse: SquaredScaling, rightInverse: SquaredScaling

    /// Singular values of the Newton system below this fraction of the largest count as zero.
    static let cutoff = 1e-13

    /// Nil when the system would be too large, or the fit has no smooth active form at θ.
    /// `narrowing`: on the columns of X(θ)'s numerical rank only (cheaper, but a small singular
    /// value the cut drops is lost), or at the problem's own width.
    init?(problem: RecoveryProblem, at parameters: [Double], narrowing: Bool) {
        guard problem.factorization.factorsAreLinear,
              let fit = ActiveFit(problem.dataFit, residual: problem.residual(parameters)),
              let leftInverse = try? problem.rescaling.left.pseudoInverseRoot(),
              let rightInverse = try? problem.rescaling.right.pseudoInverseRoot(),
              let triples = try? problem.significantTriples(parameters, all: !narrowing), (triples.values.first ?? 0) > 0
        else { return nil }
        // X(θ) cut to its numerical rank, balanced under the weights, on just those columns.
        let keptLeft = joinColumns(triples.left, rows: problem.factorization.rows)
        let keptRight = joinColumns(triples.right, rows: problem.factorization.columns)
        let values = triples.values
        let narrow = narrowing ? problem.factorization.fitted(toHold: keptLeft, values: values, right: keptRight) : problem.factorization
        guard narrow.parameterCount + fit.constraintCount <= Self.sizeLimit else { return nil }
        self.original = problem
        self.problem = problem.with(factorization: narrow)
        self.start = narrow.parameters(singularVectors: keptLeft, values: values, right: keptRight)
        self.fit = fit
        self.leftInverse = leftInverse
        self.rightInverse = rightInverse
    }

    /// Steps from the cut answer with multiplier y until the residuals of both conditions stop
    /// falling; the point with the smallest, at the original width, and its multiplier, or nil
    /// when no step improved on the start.
    func polish(multiplier: [Double]) -> (parameters: [Double], multiplier: [Double])? {
        guard let narrow = polishNarrow(multiplier: multiplier) else { return nil }
        // Back to the caller's width: the same X, balanced under the weights, padded with zeros.
        guard let weighted = try? problem.weightedSpectrum(narrow.parameters) else { return nil }
        let parameters = original.factorization.parameters(singularVectors: leftInverse.times(weighted.left), values: weighted.values,
                                                           right: rightInverse.times(weighted.right))
        return (parameters, narrow.multiplier)
    }

    private func polishNarrow(multiplier: [Double]) -> (parameters: [Double], multiplier: [Double])? {
        let parameters = start
        var theta = parameters, z = fit.reducedMultiplier(multiplier)
        var best: (parameters: [Double], multiplier: [Double], size: Double)?
        var stalled = 0
        for _ in 0...Self.maximumSteps {
            let y = fit.multiplier(z)
            let (gradient, violation) = conditions(theta, y)
            let size = BLAS.nrm2(gradient) + BLAS.nrm2(violation)
            guard size.isFinite else { break }
            // Newton's first steps from a first-order answer need not shrink both conditions
            // at once; a step that makes them far worse has left the basin.
            if let best, size > Self.divergence * best.size { break }
            if best.map({ size < 0.5 * $0.size }) ?? true {
                best = (theta, y, size)
                stalled = 0
            } else {
                stalled += 1
                if stalled > Self.patience { break }
            }
            guard let step = try? newtonStep(theta, y, gradient: gradient, violation: violation) else { break }
            BLAS.axpy(1, step.parameters, &theta)
            BLAS.axpy(1, step.multiplier, &z)
        }
        guard let best, best.parameters != parameters else { return nil }
        return (best.parameters, best.multiplier)
    }

    /// ∇θℒ(θ, y) and P·(A(X(θ)) − b) − c.
    private func conditions(_ theta: [Double], _ y: [Double]) -> (gradient: [Double], violation: [Double]) {
        var gradient = problem.flatness(theta).gradient
        BLAS.axpy(1, problem.pullback(theta, y), &gradient)
        return (gradient, fit.violation(problem.residual(theta)))
    }

    /// The least-squares solution of [H (PJ)ᵀ; PJ 0]·(dθ, dz) = −(∇θℒ, P·r − c).
    private func newtonStep(_ theta: [Double], _ y: [Double], gradient: [Double],
                            violation: [Double]) throws -> (parameters: [Double], multiplier: [Double]) {
        let factorization = problem.factorization
        let n = factorization.parameterCount, m = fit.constraintCount, size = n + m
        let adjoint = problem.measurementOperator.adjointProductMaps(y)
        let zero = [Double](repeating: 0, count: n)
        // Column j of H is ∇θℒ at e_j, and of J the derivative of A(X(θ)) along e_j.
        var pairs = [factorization.factors(theta)]
        var system = [Double](repeating: 0, count: size * size)
        for j in 0..<n {
            var unit = zero
            unit[j] = 1
            let probes = factorization.probes(unit)
            var column = problem.flatness(unit).gradient
            BLAS.axpy(1, factorization.pullback(unit, products: (adjoint.timesRight(probes.right), adjoint.transposeTimesLeft(probes.left))),
                      &column)
            for i in 0..<n { system[j * size + i] = column[i] }
            var shifted = theta
            shifted[j] += 1
            pairs.append(factorization.factors(shifted))
            pairs.append(factorization.factors(unit))
        }
        let images = problem.measurementOperator.applyFactored(pairs)
        for j in 0..<n {
            let derivative = fit.project(zip(images[1 + 2 * j], zip(images[0], images[2 + 2 * j])).map { $0 - $1.0 - $1.1 })
            for i in 0..<m {
                system[j * size + n + i] = derivative[i]          // PJ below H
                system[(n + i) * size + j] = derivative[i]        // (PJ)ᵀ right of H
            }
        }
        // The least-squares step of least norm: the factors' rotations are a null space of the
        // Hessian, and an answer isolated by more equations than its rank's dimension makes
        // them redundant; the multiplier moves least from the caller's.
        let (u, values, vt) = try LAPACK.svd(Matrix(rows: size, columns: size, columnMajor: system))
        let cutoff = (values.first ?? 0) * Self.cutoff
        var coefficients = BLAS.matvec(u, (gradient + violation).map { -$0 }, transpose: true)
        for k in coefficients.indices { coefficients[k] = values[k] > cutoff ? coefficients[k] / values[k] : 0 }
        let step = BLAS.matvec(vt, coefficients, transpose: true)
        return (Array(step[..<n]), Array(step[n...]))
    }
}

/// A data fit written, near a point, as smooth equations P·r = c on the residual r = A(X) − b
/// with multipliers y = Pᵀz + q: its active form.
struct ActiveFit {
    /// Rows of P: unit rows for the entries held at zero, then at most one signed row.
    let zeroEntries: [Int]
    let signedRow: (indices: [Int], signs: [Double], value: Double)?
    /// q: the fixed part of the multiplier (the ℓ1 penalty's λσ on the support).
    let fixedMultiplier: [Double]

    /// Residual entries at most this fraction of the largest count as zero.
    static let supportThreshold = 1e-7

    init?(_ dataFit: DataFit, residual r: [Double]) {
        let m = r.count
        let largest = r.map(abs).max() ?? 0
        let support = r.indices.filter { abs(r[$0]) > Self.supportThreshold * largest }
        let off = r.indices.filter { abs(r[$0]) <= Self.supportThreshold * largest }
        switch dataFit {
        case .exact:
            self = .unstructured(count: m)
        case .l1Ball(let radius):
            // Only an active budget has a multiplier; an inactive one leaves the flattest X = 0.
            let used = r.reduce(0) { $0 + abs($1) }
            guard radius > 0, used >= radius * (1 - 1e-6), !support.isEmpty else { return nil }
            zeroEntries = off
            signedRow = (support, support.map { r[$0] > 0 ? 1 : -1 }, radius)
            fixedMultiplier = [Double](repeating: 0, count: m)
        case .l1Penalty(let weight):
            zeroEntries = off
            signedRow = nil
            var q = [Double](repeating: 0, count: m)
            for i in support { q[i] = r[i] > 0 ? weight : -weight }
            fixedMultiplier = q
        case .euclideanBall:
            return nil
        }
    }

    /// The form of an exact fit, P = I and q = 0, which also stands for fits without an active
    /// form where only the multiplier's tangent conditions are asked of it.
    static func unstructured(count: Int) -> ActiveFit {
        ActiveFit(zeroEntries: Array(0..<count), signedRow: nil, fixedMultiplier: [Double](repeating: 0, count: count))
    }

    private init(zeroEntries: [Int], signedRow: (indices: [Int], signs: [Double], value: Double)?, fixedMultiplier: [Double]) {
        self.zeroEntries = zeroEntries
        self.signedRow = signedRow
        self.fixedMultiplier = fixedMultiplier
    }

    var constraintCount: Int { zeroEntries.count + (signedRow == nil ? 0 : 1) }

    /// P·v.
    func project(_ v: [Double]) -> [Double] {
        var result = zeroEntries.map { v[$0] }
        if let signedRow { result.append(zip(signedRow.indices, signedRow.signs).reduce(0) { $0 + $1.1 * v[$1.0] }) }
        return result
    }

    /// P·r − c.
    func violation(_ r: [Double]) -> [Double] {
        var result = project(r)
        if let signedRow { result[result.count - 1] -= signedRow.value }
        return result
    }

    /// y = Pᵀz + q.
    func multiplier(_ z: [Double]) -> [Double] {
        var y = fixedMultiplier
        for (k, i) in zeroEntries.enumerated() { y[i] += z[k] }
        if let signedRow {
            let scale = z[zeroEntries.count]
            for (i, sign) in zip(signedRow.indices, signedRow.signs) { y[i] += scale * sign }
        }
        return y
    }

    /// z whose Pᵀz + q is nearest y.
    func reducedMultiplier(_ y: [Double]) -> [Double] {
        var z = zeroEntries.map { y[$0] - fixedMultiplier[$0] }
        if let signedRow {
            let projection = zip(signedRow.indices, signedRow.signs).reduce(0) { $0 + $1.1 * (y[$1.0] - fixedMultiplier[$1.0]) }
            z.append(projection / Double(max(signedRow.indices.count, 1)))
        }
        return z
    }
}
