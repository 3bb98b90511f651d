import LinearAlgebra
import Models
import Problems
import RandomNumbers

/// Finishes an exact-fit solve by Newton's method on the matrices of one rank, then certifies
/// the result, so that the last digits cost a few passes instead of a hundred.
///
/// The flattest fit is the minimizer X* of ‖D1XD2‖_* subject to A(X) = b (Theorem 3.2). Once
/// the augmented Lagrangian is near it, its rank s shows as a gap in the weighted singular
/// values of the iterate. When m exceeds s(d1+d2−s), the dimension of the rank-s matrices, X*
/// is an isolated solution of A(X) = b among them, and Gauss–Newton on that manifold (each step
/// a least-squares problem on the tangent space at X, then truncation back to rank s) converges
/// to it quadratically. Which rank-s solution it reaches is not assumed to be the flattest: a
/// multiplier y that makes D1⁻¹A*(y)D2⁻¹ equal U·Vᵀ on the tangent space (the one of least
/// norm, or the one nearest the augmented Lagrangian's) gives `DualBound`, which matches str(X)
/// exactly when the rest of D1⁻¹A*(y)D2⁻¹ has norm below 1 (strict complementarity). Callers
/// keep a refined point only when that bound confirms it.
struct LowRankNewton {
    let problem: RecoveryProblem
    /// D1 and D2, and their pseudo-inverses.
    private let leftRoot: SquaredScaling, rightRoot: SquaredScaling
    private let leftInverse: SquaredScaling, rightInverse: SquaredScaling

    /// Gauss–Newton steps before giving up; from where the augmented Lagrangian hands over,
    /// three or four reach rounding.
    static let maximumSteps = 8
    /// The loosest relative accuracy a matrix-free step is solved to, far from the fit; near it
    /// the accuracy follows the residual, which keeps Newton's convergence quadratic.
    static let inexactStepAccuracy = 1e-2
    /// Below this relative residual, the step from X to X' moves the tangent space by about as
    /// much, δ, and the multiplier built on X's tangent space certifies X' to O(δ²) (the
    /// displacement off a tangent space is second order): X' needs its residual, one pass,
    /// instead of a Jacobian of its own.
    static let reusableJacobianResidual = 1e-6
    /// The Jacobian on the tangent space (m×n, n = s(d1+d2)) is held densely, with its n×n Gram
    /// matrix and Cholesky factor: the refinement is attempted only when they fit in this share
    /// of the operator's own storage, or in `workingSpaceFloor` entries (8 MB) for small
    /// operators, so its memory stays a fraction of the stream's.
    static let workingSpaceShare = 0.25
    static let workingSpaceFloor = 1 << 20

    /// Nil when the rescaling has no square root (it always has, being positive semidefinite,
    /// but its eigensolver may fail).
    init?(problem: RecoveryProblem) {
        guard let leftRoot = try? problem.rescaling.left.power(0.5), let rightRoot = try? problem.rescaling.right.power(0.5),
              let leftInverse = try? problem.rescaling.left.pseudoInverseRoot(),
              let rightInverse = try? problem.rescaling.right.pseudoInverseRoot() else { return nil }
        self.problem = problem
        self.leftRoot = leftRoot
        self.rightRoot = rightRoot
        self.leftInverse = leftInverse
        self.rightInverse = rightInverse
    }

    /// The smallest rank s that `refine` can take at which the weighted singular values of θ's
    /// X drop by threshold(s) or more (σ_{s+1} ≤ threshold(s)·σ_s), with that drop; nil when
    /// there is none. The smallest, because past the answer's rank the values that should be
    /// zero decay unevenly, and a larger drop among them would pick a rank no fit has.
    func spectralGap(_ parameters: [Double], below threshold: (Int) -> Double) -> (rank: Int, gap: Double)? {
        let (left, right) = problem.factorization.factors(parameters)
        guard let values = try? Self.triples(leftRoot.times(left), rightRoot.times(right)).values,
              let largest = values.first, largest > 0 else { return nil }
        return (1..<values.count).lazy.filter(isRefinable).map { (rank: $0, gap: values[$0] / values[$0 - 1]) }
            .first { $0.gap <= threshold($0.rank) }
    }

    /// Whether rank s is isolated among the fits (m above the dimension s(d1+d2−s)).
    func isRefinable(_ s: Int) -> Bool {
        let d1 = problem.factorization.rows, d2 = problem.factorization.columns, m = problem.measurementCount
        return s > 0 && 2 * s <= min(d1, d2) && s * (d1 + d2 - s) < m
    }

    /// Whether rank s's tangent-space Jacobian, its Gram matrix and their factor fit the working
    /// space; beyond it the steps are solved matrix-free (`MatrixFreeTangentSystem`).
    func holdsDenseSystem(_ s: Int) -> Bool {
        let d1 = problem.factorization.rows, d2 = problem.factorization.columns, m = problem.measurementCount
        let n = s * (d1 + d2)
        return Double(m * n + 3 * n * n) <= workingSpace
    }

    private func tangentSystem(at point: OrthonormalPoint) throws -> any TangentSystem {
        holdsDenseSystem(point.u.columns) ? try DenseTangentSystem(problem: problem, at: point)
                                          : try MatrixFreeTangentSystem(problem: problem, at: point)
    }

    /// A fit of rank s with candidate multipliers for it (in the augmented Lagrangian's sign and
    /// scale; see `certified`) and the search that improves on them.
    struct RefinedFit {
        var parameters: [Double]
        /// Each candidate costs a solve to rounding: they are computed one by one, when asked for.
        var multipliers: [() throws -> [Double]]
        /// From a multiplier that meets the fit's tangent conditions, one that meets them too and
        /// is dual feasible if the search finds one (`SpectralExcessSearch`).
        var searchFrom: ([Double]) throws -> [Double]
    }

    /// A fit of rank s near θ, or nil when Newton's method does not converge from θ.
    func refine(_ parameters: [Double], rank s: Int, tolerance: Double, reference: [Double]? = nil) -> RefinedFit? {
        guard isRefinable(s) else { return nil }
        let (left, right) = problem.factorization.factors(parameters)
        guard let weighted = try? Self.triples(leftRoot.times(left), rightRoot.times(right)) else { return nil }
        let target = BLAS.nrm2(problem.observations)
        let start = LowRankPoint(left: leftInverse.times(Self.scaled(firstColumns(weighted.left, s), by: Array(weighted.values[..<s]))),
                                 right: rightInverse.times(firstColumns(weighted.right, s)))
        guard var current = try? start.orthonormalized() else { return nil }
        var previous = Double.infinity
        for _ in 0..<Self.maximumSteps {
            // Scoped to one step: one Jacobian in memory at a time.
            guard let system = try? tangentSystem(at: current) else { return nil }
            let norm = BLAS.nrm2(system.residual)
            if norm > 0.5 * previous { return nil }
            previous = norm
            let accuracy = min(Self.inexactStepAccuracy, 0.1 * norm / max(target, .leastNormalMagnitude))
            guard let step = try? system.newtonStep(from: current, accuracy: accuracy), let next = try? step.truncated(to: s)
            else { return nil }
            if norm <= Self.reusableJacobianResidual * target {
                // This Jacobian certifies the point one step on as well: take the step, for one
                // pass, whenever it lowers the residual (to rounding, as a rule).
                var residual = problem.measurementOperator.applyFactored(left: BLAS.matmul(next.u, next.core), right: next.v)
                BLAS.axpy(-1, problem.observations, &residual)
                let nextNorm = BLAS.nrm2(residual)
                if nextNorm <= tolerance * target, nextNorm < norm { return try? certified(next, system: system, reference: reference) }
            }
            if norm <= tolerance * target { return try? certified(current, system: system, reference: reference) }
            current = next
        }
        return nil
    }

    /// θ of the balanced flat factorization of X, and multipliers y with D1⁻¹A*(y)D2⁻¹ = U·Vᵀ
    /// on the tangent space of the system (at X or one converging step before it): the one of
    /// least norm, and, given a reference y₀ (the augmented Lagrangian's estimate), the one
    /// nearest to it. The least-norm one certifies when the data are plentiful; near the
    /// recovery threshold its part off the tangent space can exceed norm 1 while the optimal
    /// multiplier's does not, and the reference, which tends to the optimal one, is closer.
    private func certified(_ point: OrthonormalPoint, system: any TangentSystem, reference: [Double]?) throws -> RefinedFit {
        let weighted = try Self.triples(leftRoot.times(BLAS.matmul(point.u, point.core)), rightRoot.times(point.v))
        let g = tangentFunctional(weightedLeft: weighted.left, weightedRight: weighted.right, u: system.basis.u, v: system.basis.v)
        // The augmented Lagrangian's y is −2 times the certificate's (its str carries the 2).
        var candidates: [() throws -> [Double]] = [{ try system.leastNormSolution(ofAdjointEquation: g).map { -2 * $0 } }]
        if let reference {
            candidates.append {
                let y0 = reference.map { -0.5 * $0 }
                var gap = g
                BLAS.axpy(-1, system.adjoint(y0), &gap)
                var nearest = try system.leastNormSolution(ofAdjointEquation: gap)
                BLAS.axpy(1, y0, &nearest)
                return nearest.map { -2 * $0 }
            }
        }
        let parameters = problem.factorization.parameters(singularVectors: leftInverse.times(weighted.left), values: weighted.values,
                                                          right: rightInverse.times(weighted.right))
        let problem = problem
        let search: ([Double]) throws -> [Double] = { start in
            let excess = try SpectralExcessSearch(problem: problem, weightedLeft: weighted.left, weightedRight: weighted.right) { y in
                var free = y
                BLAS.axpy(-1, try system.leastNormSolution(ofAdjointEquation: system.adjoint(y)), &free)
                return free
            }
            return excess.search(from: start)
        }
        return RefinedFit(parameters: parameters, multipliers: candidates, searchFrom: search)
    }

    /// The multipliers (in the augmented Lagrangian's sign and scale) that meet the tangent
    /// conditions D1⁻¹A*(y)D2⁻¹ = U·Vᵀ at θ's X cut to its numerical rank, in the least-squares
    /// sense: exact at an optimum, where the optimal multiplier meets them, and as accurate as
    /// θ near one. They form an affine set, based at the member nearest `reference` (an
    /// iterative method's estimate, which carries that method's error). Nil when the Jacobian
    /// does not fit the working space.
    func tangentMultipliers(at parameters: [Double], reference: [Double]) throws -> TangentMultipliers? {
        let (left, right) = problem.factorization.factors(parameters)
        let weighted = try singularTriples(leftRoot.times(left), rightRoot.times(right))
        guard let largest = weighted.values.first, largest > 0 else { return nil }
        let s = weighted.values.filter { $0 > FlatnessCertificate.negligibleValue * largest }.count
        let d1 = problem.factorization.rows, d2 = problem.factorization.columns, m = problem.measurementCount
        let n = s * (d1 + d2)
        guard s <= min(d1, d2), Double(m * n + min(m, n) * (m + n)) <= workingSpace else { return nil }
        let u = try LAPACK.thinQ(leftInverse.times(firstColumns(weighted.left, s)))
        let v = try LAPACK.thinQ(rightInverse.times(firstColumns(weighted.right, s)))
        let jacobian = problem.measurementOperator.tangentJacobian(left: u, right: v)
        let g = tangentFunctional(weightedLeft: firstColumns(weighted.left, s), weightedRight: firstColumns(weighted.right, s),
                                  u: u, v: v)
        // In the augmented Lagrangian's units the conditions read Jᵀy = −2g. A fit with an
        // active form keeps its multiplier's structure, y = Pᵀz + q (the ℓ1 fits' signs on the
        // residual's support): (PJ)ᵀz = −2g − Jᵀq, solved for the z nearest the reference's by
        // the SVD of PJ. Without one, P = I and q = 0.
        let fit = ActiveFit(problem.dataFit, residual: problem.residual(parameters)) ?? ActiveFit.unstructured(count: m)
        let projected = Matrix(rows: fit.constraintCount, columns: jacobian.columns,
                               columnMajor: (0..<jacobian.columns).flatMap { fit.project(jacobian.column($0)) })
        var target = g.map { -2 * $0 }
        BLAS.axpy(-1, BLAS.matvec(jacobian, fit.fixedMultiplier, transpose: true), &target)
        let z0 = fit.reducedMultiplier(reference)
        var gap = target
        BLAS.axpy(-1, BLAS.matvec(projected, z0, transpose: true), &gap)
        let (uJ, values, vtJ) = try LAPACK.svd(projected)
        let cutoff = (values.first ?? 0) * 1e-12
        let rank = values.filter { $0 > cutoff }.count
        var coefficients = BLAS.matvec(vtJ, gap)
        for j in coefficients.indices { coefficients[j] = values[j] > cutoff ? coefficients[j] / values[j] : 0 }
        var z = BLAS.matvec(firstColumns(uJ, values.count), coefficients)
        BLAS.axpy(1, z0, &z)
        return TangentMultipliers(base: z, freeDirections: try Self.complement(ofColumns: firstColumns(uJ, rank)), fit: fit)
    }

    /// An orthonormal basis of the complement of the orthonormal columns Q (the z with Qᵀz = 0):
    /// a random sketch projected off Q twice (once more for orthogonality at rounding) and
    /// orthonormalized.
    static func complement(ofColumns q: Matrix) throws -> Matrix {
        let count = q.rows - q.columns
        guard count > 0 else { return Matrix(rows: q.rows, columns: 0, columnMajor: []) }
        var generator = PCG64(seed: 0xc0de)
        var sketch = [Double](repeating: 0, count: q.rows * count)
        generator.fillStandardNormal(&sketch)
        var basis = Matrix(rows: q.rows, columns: count, columnMajor: sketch)
        for _ in 0..<2 {
            basis = basis - BLAS.matmul(q, BLAS.matmul(q, basis, transposeA: true))
            basis = try LAPACK.thinQ(basis)
        }
        return basis
    }

    private var workingSpace: Double {
        max(Self.workingSpaceShare * Double(problem.measurementOperator.base.storedEntryCount), Double(Self.workingSpaceFloor))
    }

    /// ⟨G, ξ⟩ for G = D1·U_w·V_wᵀ·D2 and ξ = U·Pᵀ + Q·Vᵀ: (Gᵀ·U, G·V) in the coordinates (P, Q).
    private func tangentFunctional(weightedLeft: Matrix, weightedRight: Matrix, u: Matrix, v: Matrix) -> [Double] {
        let scaledLeft = leftRoot.times(weightedLeft), scaledRight = rightRoot.times(weightedRight)
        let alongLeft = BLAS.matmul(scaledRight, BLAS.matmul(scaledLeft, u, transposeA: true))
        let alongRight = BLAS.matmul(scaledLeft, BLAS.matmul(scaledRight, v, transposeA: true))
        return alongLeft.storage + alongRight.storage
    }

    /// The singular triples of A·Bᵀ from thin QR factors of A and B, never forming A·Bᵀ.
    static func triples(_ a: Matrix, _ b: Matrix) throws -> (left: Matrix, values: [Double], right: Matrix) {
        let qa = try LAPACK.thinQ(a), qb = try LAPACK.thinQ(b)
        let core = BLAS.matmul(BLAS.matmul(qa, a, transposeA: true), BLAS.matmul(qb, b, transposeA: true), transposeB: true)
        let (u, values, vt) = try LAPACK.svd(core)
        return (BLAS.matmul(qa, u), values, BLAS.matmul(qb, vt, transposeB: true))
    }

    static func scaled(_ matrix: Matrix, by values: [Double]) -> Matrix {
        BLAS.matmul(matrix, Matrix.diagonal(values))
    }
}

/// X = left·rightᵀ of rank at most the width.
private struct LowRankPoint {
    var left: Matrix
    var right: Matrix

    func orthonormalized() throws -> OrthonormalPoint {
        let u = try LAPACK.thinQ(left), v = try LAPACK.thinQ(right)
        return OrthonormalPoint(u: u, core: BLAS.matmul(BLAS.matmul(u, left, transposeA: true),
                                                        BLAS.matmul(v, right, transposeA: true), transposeB: true), v: v)
    }

    /// The best approximation of rank s.
    func truncated(to s: Int) throws -> OrthonormalPoint {
        let (u, values, v) = try LowRankNewton.triples(left, right)
        return OrthonormalPoint(u: firstColumns(u, s), core: Matrix.diagonal(Array(values[..<s])), v: firstColumns(v, s))
    }
}

/// X = U·C·Vᵀ with orthonormal U (d1×s), V (d2×s).
private struct OrthonormalPoint {
    let u: Matrix
    let core: Matrix
    let v: Matrix
}

/// The least-squares problem of one Gauss–Newton step at X = U·C·Vᵀ: the tangent space is
/// {U·Pᵀ + Q·Vᵀ}, J its matrix under A in the coordinates (P, Q), r = A(X) − b. The coordinates
/// are redundant (Q = U·M, P = −V·Mᵀ give zero), so the normal matrix JᵀJ gets λ‖UᵀQ‖² added:
/// that leaves every least-squares solution's J·z alone and picks the one with UᵀQ = 0.
private protocol TangentSystem {
    /// The point whose tangent space this is.
    var basis: OrthonormalPoint { get }
    var residual: [Double] { get }
    /// z with (JᵀJ + λΠ)z = g, to a relative residual of `accuracy` or rounding (a direct
    /// solve ignores it).
    func solveNormalEquations(_ g: [Double], accuracy: Double) throws -> [Double]
    /// J·z.
    func apply(_ z: [Double]) -> [Double]
    /// Jᵀ·y.
    func adjoint(_ y: [Double]) -> [Double]
}

extension TangentSystem {
    /// X + ξ for the ξ on the tangent space minimizing ‖r + J·ξ‖, as two factors of width 2s;
    /// `accuracy` is the relative accuracy the step needs (inexact Newton: about the relative
    /// residual keeps the convergence quadratic).
    func newtonStep(from point: OrthonormalPoint, accuracy: Double) throws -> LowRankPoint {
        let d1 = point.u.rows, d2 = point.v.rows, s = point.u.columns
        let step = try solveNormalEquations(adjoint(residual), accuracy: accuracy)
        let p = Matrix(rows: d2, columns: s, columnMajor: step[..<(d2 * s)].map { -$0 })
        let q = Matrix(rows: d1, columns: s, columnMajor: step[(d2 * s)...].map { -$0 })
        // U·C·Vᵀ + U·Pᵀ + Q·Vᵀ = [U Q]·[V·Cᵀ + P  V]ᵀ
        let right = BLAS.matmul(point.v, point.core, transposeB: true) + p
        return LowRankPoint(left: Matrix(rows: d1, columns: 2 * s, columnMajor: point.u.storage + q.storage),
                            right: Matrix(rows: d2, columns: 2 * s, columnMajor: right.storage + point.v.storage))
    }

    /// A y with Jᵀy = g of least norm: y = J·z for the z with (JᵀJ + λΠ)z = g, which solves
    /// JᵀJz = g whenever g, like every functional on the tangent space, vanishes on the
    /// redundant coordinates.
    func leastNormSolution(ofAdjointEquation g: [Double]) throws -> [Double] {
        apply(try solveNormalEquations(g, accuracy: 0))
    }

    /// λ·Π·z: the Q block's part in the column space of U, weighted.
    static func redundancyPenalty(_ z: [Double], basis: OrthonormalPoint, weight: Double) -> [Double] {
        let d1 = basis.u.rows, d2 = basis.v.rows, s = basis.u.columns
        let q = Matrix(rows: d1, columns: s, columnMajor: Array(z[(d2 * s)...]))
        let projected = BLAS.matmul(basis.u, BLAS.matmul(basis.u, q, transposeA: true))
        return [Double](repeating: 0, count: d2 * s) + projected.storage.map { weight * $0 }
    }
}

/// J held densely (m × s(d1+d2)), with the Cholesky factor of its regularized Gram matrix:
/// each solve is two triangular solves.
private struct DenseTangentSystem: TangentSystem {
    let basis: OrthonormalPoint
    let jacobian: Matrix
    let residual: [Double]
    /// Cholesky factor of JᵀJ + λ·(0 ⊕ I_s⊗UUᵀ).
    let gramFactor: Matrix

    init(problem: RecoveryProblem, at point: OrthonormalPoint) throws {
        let d1 = point.u.rows, d2 = point.v.rows, s = point.u.columns
        basis = point
        jacobian = problem.measurementOperator.tangentJacobian(left: point.u, right: point.v)
        // A(U·C·Vᵀ) = J·[0; vec(U·C)]: the Jacobian's passes give the residual too.
        var residual = BLAS.matvec(jacobian, [Double](repeating: 0, count: d2 * s) + BLAS.matmul(point.u, point.core).storage)
        BLAS.axpy(-1, problem.observations, &residual)
        self.residual = residual
        var gram = PartitionedGEMV.gram(jacobian)
        let weight = (0..<gram.rows).reduce(0.0) { $0 + gram[$1, $1] } / Double(max(gram.rows, 1))
        let projector = BLAS.matmul(point.u, point.u, transposeB: true)
        for c in 0..<s {
            let offset = d2 * s + c * d1
            for j in 0..<d1 { for i in 0..<d1 { gram[offset + i, offset + j] += weight * projector[i, j] } }
        }
        gramFactor = try LAPACK.choleskyFactor(gram)
    }

    func solveNormalEquations(_ g: [Double], accuracy: Double) throws -> [Double] {
        try LAPACK.choleskySolve(factor: gramFactor, Matrix(rows: g.count, columns: 1, columnMajor: g)).storage
    }

    func apply(_ z: [Double]) -> [Double] { BLAS.matvec(jacobian, z) }
    func adjoint(_ y: [Double]) -> [Double] { BLAS.matvec(jacobian, y, transpose: true) }
}

/// J through the operator's factored forms, never held: J·(P, Q) = A(U·Pᵀ + Q·Vᵀ) is one
/// factored application of width 2s, Jᵀ·y = (A*(y)ᵀU, A*(y)V) one pair of adjoint products,
/// and the normal equations are solved by conjugate gradients. For completion and sensing JᵀJ
/// is close to a multiple of the identity on the tangent space (restricted isometry), so a few
/// dozen steps reach rounding; where the family supplies the diagonal blocks of JᵀJ (one s×s
/// block per row of P and of Q), they precondition the steps (block Jacobi), which takes out
/// the uneven numbers of observations per row and column and the factors' uneven rows. This is
/// what lets the Gauss–Newton finish and its certificate run where the dense Jacobian
/// (m × s(d1+d2) numbers) would not fit.
private struct MatrixFreeTangentSystem: TangentSystem {
    let basis: OrthonormalPoint
    let residual: [Double]
    let operatorForms: CountedOperator
    /// λ of the redundancy penalty: JᵀJ's mean eigenvalue, estimated from one product.
    let weight: Double
    let preconditioner: BlockJacobi?

    static let maximumSteps = 300
    static let relativeTolerance = 1e-14

    init(problem: RecoveryProblem, at point: OrthonormalPoint) throws {
        basis = point
        operatorForms = problem.measurementOperator
        var residual = operatorForms.applyFactored(left: BLAS.matmul(point.u, point.core), right: point.v)
        BLAS.axpy(-1, problem.observations, &residual)
        self.residual = residual
        // ‖J·z‖²/‖z‖² for z with orthonormal P = V-like and Q = 0 is a Rayleigh quotient of JᵀJ
        // on the tangent space: its scale, which is all the penalty needs.
        let probe = point.v.storage + [Double](repeating: 0, count: point.u.rows * point.u.columns)
        let image = Self.apply(probe, basis: point, operatorForms: operatorForms)
        let weight = BLAS.dot(image, image) / max(BLAS.dot(probe, probe), .leastNormalMagnitude)
        self.weight = weight
        preconditioner = operatorForms.tangentGramBlocks(left: point.u, right: point.v).map { blocks in
            BlockJacobi(blocks, redundancyWeight: weight, basis: point)
        }
    }

    private static func apply(_ z: [Double], basis: OrthonormalPoint, operatorForms: CountedOperator) -> [Double] {
        let d1 = basis.u.rows, d2 = basis.v.rows, s = basis.u.columns
        let p = Matrix(rows: d2, columns: s, columnMajor: Array(z[..<(d2 * s)]))
        let q = Matrix(rows: d1, columns: s, columnMajor: Array(z[(d2 * s)...]))
        return operatorForms.applyFactored(left: Matrix(rows: d1, columns: 2 * s, columnMajor: basis.u.storage + q.storage),
                                           right: Matrix(rows: d2, columns: 2 * s, columnMajor: p.storage + basis.v.storage))
    }

    func apply(_ z: [Double]) -> [Double] { Self.apply(z, basis: basis, operatorForms: operatorForms) }

    func adjoint(_ y: [Double]) -> [Double] {
        let products = operatorForms.adjointProducts(y, left: basis.u, right: basis.v)
        return products.transposeTimesLeft.storage + products.timesRight.storage
    }

    /// Preconditioned conjugate gradients from zero on the symmetric positive semidefinite
    /// JᵀJ + λΠ; g lies in its range (it is Jᵀ of something, or a tangent functional), where CG
    /// converges. The stopping rule reads the residual itself, preconditioned or not.
    func solveNormalEquations(_ g: [Double], accuracy: Double) throws -> [Double] {
        var z = [Double](repeating: 0, count: g.count), r = g
        var preconditioned = preconditioner?.solve(r) ?? r
        var p = preconditioned
        var rr = BLAS.dot(r, r), rz = BLAS.dot(r, preconditioned)
        let tolerance = max(accuracy, Self.relativeTolerance)
        let target = tolerance * tolerance * rr
        for _ in 0..<Self.maximumSteps where rr > target {
            var q = adjoint(apply(p))
            BLAS.axpy(1, Self.redundancyPenalty(p, basis: basis, weight: weight), &q)
            let curvature = BLAS.dot(p, q)
            guard curvature > 0, rz > 0 else { break }
            let alpha = rz / curvature
            BLAS.axpy(alpha, p, &z)
            BLAS.axpy(-alpha, q, &r)
            rr = BLAS.dot(r, r)
            preconditioned = preconditioner?.solve(r) ?? r
            let next = BLAS.dot(r, preconditioned)
            let beta = next / rz
            for i in p.indices { p[i] = preconditioned[i] + beta * p[i] }
            rz = next
        }
        return z
    }
}

/// The inverse of the block diagonal of JᵀJ + λΠ in the tangent coordinates (P, Q): one
/// Cholesky factor per row of P and of Q, Q's blocks with Π's diagonal, λ‖U[i, :]‖²·I, added.
/// A block of a row with no observations is singular; every block gets a shift of 10⁻¹² of the
/// mean diagonal, which leaves the rest unchanged to rounding and keeps those definite.
private struct BlockJacobi {
    let columns: Int
    let rows: Int
    let width: Int
    /// Lower Cholesky factors, row by row, d2 blocks for P and then d1 for Q.
    let factors: [Double]

    static let relativeShift = 1e-12

    init(_ blocks: TangentGramBlocks, redundancyWeight: Double, basis: OrthonormalPoint) {
        let s = basis.u.columns
        precondition(blocks.leftWidth == s && blocks.rightWidth == s, "tangent blocks of widths \(blocks.leftWidth), \(blocks.rightWidth) for rank \(s)")
        columns = basis.v.rows
        rows = basis.u.rows
        width = s
        var all = blocks.columnBlocks + blocks.rowBlocks
        let size = s * s
        for i in 0..<rows {
            var norm = 0.0
            for c in 0..<s { norm += basis.u[i, c] * basis.u[i, c] }
            for c in 0..<s { all[(columns + i) * size + c * s + c] += redundancyWeight * norm }
        }
        let count = columns + rows
        var trace = 0.0
        for b in 0..<count { for c in 0..<s { trace += all[b * size + c * s + c] } }
        let shift = Self.relativeShift * trace / Double(max(count * s, 1)) + .leastNormalMagnitude
        all.withUnsafeMutableBufferPointer { all in
            for b in 0..<count { Self.factorInPlace(all.baseAddress! + b * size, width: s, shift: shift) }
        }
        factors = all
    }

    /// The lower Cholesky factor of block + shift·I over the block's lower triangle; a pivot
    /// that rounding leaves at or below zero becomes the shift.
    private static func factorInPlace(_ a: UnsafeMutablePointer<Double>, width s: Int, shift: Double) {
        for j in 0..<s {
            var pivot = a[j * s + j] + shift
            for k in 0..<j { pivot -= a[j * s + k] * a[j * s + k] }
            let root = pivot > shift ? pivot.squareRoot() : shift.squareRoot()
            a[j * s + j] = root
            for i in (j + 1)..<s {
                var value = a[i * s + j]
                for k in 0..<j { value -= a[i * s + k] * a[j * s + k] }
                a[i * s + j] = value / root
            }
        }
    }

    /// M⁻¹·r: each row's s coordinates (s apart by d2 in P, by d1 in Q) through its factor.
    func solve(_ r: [Double]) -> [Double] {
        var out = r
        let s = width, size = s * s
        factors.withUnsafeBufferPointer { factors in
            out.withUnsafeMutableBufferPointer { out in
                var x = [Double](repeating: 0, count: s)
                func solveBlock(_ block: Int, offset: Int, spacing: Int) {
                    let l = factors.baseAddress! + block * size
                    for i in 0..<s {
                        var value = out[offset + i * spacing]
                        for k in 0..<i { value -= l[i * s + k] * x[k] }
                        x[i] = value / l[i * s + i]
                    }
                    for i in stride(from: s - 1, through: 0, by: -1) {
                        var value = x[i]
                        for k in (i + 1)..<s { value -= l[k * s + i] * x[k] }
                        x[i] = value / l[i * s + i]
                    }
                    for i in 0..<s { out[offset + i * spacing] = x[i] }
                }
                for j in 0..<columns { solveBlock(j, offset: j, spacing: columns) }
                for i in 0..<rows { solveBlock(columns + i, offset: columns * s + i, spacing: rows) }
            }
        }
        return out
    }
}

/// Hands an augmented-Lagrangian solve over to `LowRankNewton` once the weighted spectrum of
/// the iterate shows a rank, and keeps the result only when the dual bound certifies it: with
/// the candidate multipliers, or, on instances beyond `LeastSpectralMultiplier`'s reach, with
/// the member `SpectralExcessSearch` finds from the better of them.
final class NewtonFinisher: Finisher {
    let newton: LowRankNewton
    let problem: RecoveryProblem
    let tolerance: Double
    /// The gap σ_{s+1}/σ_s from which Newton's method is tried at rank s; each failure there asks
    /// for a gap ten times smaller before the next try at that rank.
    private var requiredGaps: [Int: Double] = [:]
    private var rank: Int?
    /// Shared by the solve's rounds: an escape that comes back to a searched fit ends there.
    private let searchedFits: SearchedFits

    static let firstGap = 1e-1
    /// A refined point is kept only when the bound matches it to rounding: strict
    /// complementarity holds there, and a point the bound does not certify is no optimum.
    static let certifiedGap = 1e-9

    /// Nil when no rank can be refined (the Jacobian is too large even at rank 1): then the
    /// spectra are not worth computing after every step.
    /// Only exact fits of two free factors have a rank-s manifold of fits to walk on.
    init?(problem: RecoveryProblem, tolerance: Double, searchedFits: SearchedFits = SearchedFits()) {
        guard case .exact = problem.dataFit, problem.factorization.factorsAreLinear,
              problem.measurementOperator.base.parametrization == .general,
              let newton = LowRankNewton(problem: problem), newton.isRefinable(1) else { return nil }
        self.newton = newton
        self.problem = problem
        self.tolerance = tolerance
        self.searchedFits = searchedFits
    }

    func isPromising(_ parameters: [Double]) -> Bool {
        guard let (rank, gap) = newton.spectralGap(parameters, below: { self.requiredGaps[$0] ?? Self.firstGap }) else { return false }
        self.rank = rank
        requiredGaps[rank] = gap / 10
        return true
    }

    func finish(_ parameters: [Double], multiplier: [Double]) -> FinisherOutcome? {
        guard let rank, let candidate = newton.refine(parameters, rank: rank, tolerance: tolerance, reference: multiplier)
        else { return nil }
        let objective = problem.flatness(candidate.parameters).value
        let certificate = DualBound(problem: problem, rescaling: problem.rescaling)
        var best: (bound: Double, multiplier: [Double])?
        for nextCandidate in candidate.multipliers {
            guard let y = try? nextCandidate(), let bound = try? certificate.bound(multiplier: y) else { continue }
            if bound >= objective * (1 - Self.certifiedGap) { return .certified(parameters: candidate.parameters, multiplier: y, lowerBound: bound) }
            if bound > best?.bound ?? -.infinity { best = (bound, y) }
        }
        // Where the dense search of the caller's certificate reaches, the solve goes on to it;
        // beyond, the search is here, and the fit it does not certify ends the round.
        guard let best, !LeastSpectralMultiplier.reaches(problem) else { return nil }
        // A fit the search has failed to certify before (an escape came back to it) is not
        // searched again.
        guard !searchedFits.contains(objective) else {
            return .uncertified(parameters: candidate.parameters, multiplier: best.multiplier)
        }
        searchedFits.insert(objective)
        guard let searched = try? candidate.searchFrom(best.multiplier), let bound = try? certificate.bound(multiplier: searched) else {
            return .uncertified(parameters: candidate.parameters, multiplier: best.multiplier)
        }
        if bound >= objective * (1 - Self.certifiedGap) { return .certified(parameters: candidate.parameters, multiplier: searched, lowerBound: bound) }
        return .uncertified(parameters: candidate.parameters, multiplier: bound > best.bound ? searched : best.multiplier)
    }
}

/// The objectives of the exact fits the certificate search ran on during one solve, shared by
/// the finishers of its rounds.
final class SearchedFits {
    private var objectives: [Double] = []

    /// Whether a fit of this objective was searched: the same fit, reached again, to 1e-10.
    func contains(_ objective: Double) -> Bool { objectives.contains { abs($0 - objective) <= 1e-10 * objective } }
    func insert(_ objective: Double) { objectives.append(objective) }
}
