import Frames
import LinearAlgebra

/// A linear measurement map `A: R^{d1×d2} → R^m`, `A(X)_i = ⟨A_i, X⟩`, in the forms the
/// solvers need. Every model family implements it; solvers see nothing else, so a new family
/// is a new conforming type and no solver changes.
///
/// What a family must provide is its shape, `apply`, `adjoint` and `rescaling`; everything
/// else has a default through dense matrices, right for families whose operator is dense
/// anyway. The other requirements are the forms a structured family (completion, bilinear,
/// quadratic) computes without ever forming a d1×d2 matrix: `applyFactored` for A(LRᵀ),
/// `adjointProductMaps` for A*(y)·V and A*(y)ᵀ·U (every other product of A*(y) goes through
/// it), `tangentJacobian` for A restricted to the matrices U·Pᵀ + Q·Vᵀ, `sandwichedSquaredNorm`
/// for the flatness of a deep factorization's middle layers; and the model's own structure
/// (parametrization, closed-form certificates). They are requirements, not helpers on the
/// solvers' side, because solvers hold operators as `any MeasurementOperator`, read from a
/// stream, and a family's structured form is reachable from that existential only through the
/// witnesses of this protocol: a protocol declared above Models would need a dynamic cast, or
/// a switch over the families, to recover it.
public protocol MeasurementOperator: Sendable {
    /// The family, as streams name it.
    var family: OperatorFamily { get }
    /// How factors make X for this family's model.
    var parametrization: FactorParametrization { get }
    /// d1, d2: the shape of the matrices measured.
    var rows: Int { get }
    var columns: Int { get }
    /// m.
    var measurementCount: Int { get }
    /// How many numbers the operator holds (m·d1·d2 for dense sensing, m·(d1+d2) for rank-one
    /// measurements, …): what solvers size their optional working space against.
    var storedEntryCount: Int { get }

    /// A(X).
    func apply(_ x: Matrix) -> [Double]
    /// A*(y) = Σ y_i A_i, as a dense d1×d2 matrix.
    func adjoint(_ y: [Double]) -> Matrix
    /// A(L·Rᵀ) for L d1×k and R d2×k.
    func applyFactored(left: Matrix, right: Matrix) -> [Double]
    /// A(L_j·R_jᵀ) for several pairs at once, in one pass over a dense operator.
    func applyFactored(_ pairs: [(left: Matrix, right: Matrix)]) -> [[Double]]
    /// Σ_i ‖Pᵀ A_i Q‖²_F for P d1×a and Q d2×b, with its gradients in P and Q,
    /// 2Σ_i A_i Q Z_iᵀ and 2Σ_i A_iᵀ P Z_i (Z_i = PᵀA_iQ): the Hessian trace of a middle layer
    /// of a deep factorization (docs/mathematics.md §9), which no rescaling captures.
    func sandwichedSquaredNorm(left: Matrix, right: Matrix) -> (value: Double, gradientLeft: Matrix, gradientRight: Matrix)
    /// The matrix of X ↦ A(X) on the matrices U·Pᵀ + Q·Vᵀ (U d1×a, V d2×b): row i is
    /// [vec(A_iᵀU), vec(A_iV)] (d2·a + d1·b entries), so A(U·Pᵀ + Q·Vᵀ) is this matrix times
    /// [vec(P); vec(Q)]. Newton's method on the low-rank matrices solves least-squares
    /// problems with it.
    func tangentJacobian(left: Matrix, right: Matrix) -> Matrix
    /// The diagonal blocks of JᵀJ for that Jacobian J, one per row of each coordinate matrix:
    /// the a×a Gram matrix of J's columns for P[j, :] (column j of X), and the b×b one of its
    /// columns for Q[i, :] (row i of X): what a block-Jacobi preconditioner of a matrix-free
    /// Gauss–Newton step needs. Nil when the family has no form cheaper than J itself (the
    /// default: such steps go unpreconditioned).
    func tangentGramBlocks(left: Matrix, right: Matrix) -> TangentGramBlocks?
    /// The rescaling of docs/mathematics.md §2: D1² = (1/(m·d2)) Σ A_iA_iᵀ and D2² = (1/(m·d1)) Σ A_iᵀA_i.
    func rescaling() -> Rescaling
    /// The form each side of `rescaling()` takes, known before computing it.
    var rescalingForms: (left: ScalingForm, right: ScalingForm) { get }
    /// G = A*(y) as the two products methods ask of it, G·V and Gᵀ·U (V and U of any widths):
    /// dense families form G once and multiply, structured ones never form it.
    func adjointProductMaps(_ y: [Double]) -> AdjointProductMaps
    /// Multipliers known in closed form that certify this family's flat fits under its own
    /// rescaling (see `DualBound`): directions y, any positive multiple of which serves. Most
    /// families have none; their certificates come from the solver's multiplier.
    func closedFormMultipliers() -> [[Double]]
}

/// A*(y) through its products with thin matrices, with what they cost in passes over the
/// operator: one to form a dense A*(y) and none per product, or one per product.
public struct AdjointProductMaps {
    public let setupPasses: Int
    public let passesPerProduct: Int
    public let timesRight: (Matrix) -> Matrix
    public let transposeTimesLeft: (Matrix) -> Matrix

    public init(setupPasses: Int, passesPerProduct: Int, timesRight: @escaping (Matrix) -> Matrix,
                transposeTimesLeft: @escaping (Matrix) -> Matrix) {
        self.setupPasses = setupPasses
        self.passesPerProduct = passesPerProduct
        self.timesRight = timesRight
        self.transposeTimesLeft = transposeTimesLeft
    }
}

/// The diagonal blocks of a tangent Jacobian's Gram matrix (see
/// `MeasurementOperator.tangentGramBlocks`), each block's numbers row by row.
public struct TangentGramBlocks: Sendable {
    /// a and b: the widths of U and V.
    public let leftWidth: Int
    public let rightWidth: Int
    /// d2 blocks of a×a, block j for P[j, :].
    public let columnBlocks: [Double]
    /// d1 blocks of b×b, block i for Q[i, :].
    public let rowBlocks: [Double]

    public init(leftWidth: Int, rightWidth: Int, columnBlocks: [Double], rowBlocks: [Double]) {
        self.leftWidth = leftWidth
        self.rightWidth = rightWidth
        self.columnBlocks = columnBlocks
        self.rowBlocks = rowBlocks
    }
}

extension MeasurementOperator {
    public var parametrization: FactorParametrization { .general }

    public var rescalingForms: (left: ScalingForm, right: ScalingForm) { (.dense, .dense) }

    /// What `rescaling()` will allocate, for a memory check before it runs.
    public var plannedRescaling: [PlannedArray] {
        [rescalingForms.left.plannedArray("the rescaling D1²", size: ("d1 \(rows)", rows)),
         rescalingForms.right.plannedArray("the rescaling D2²", size: ("d2 \(columns)", columns))].compactMap { $0 }
    }

    public func tangentGramBlocks(left: Matrix, right: Matrix) -> TangentGramBlocks? { nil }

    public func closedFormMultipliers() -> [[Double]] { [] }

    public func adjointProductMaps(_ y: [Double]) -> AdjointProductMaps {
        let dense = adjoint(y)
        return AdjointProductMaps(setupPasses: 1, passesPerProduct: 0,
                                  timesRight: { BLAS.matmul(dense, $0) },
                                  transposeTimesLeft: { BLAS.matmul(dense, $0, transposeA: true) })
    }

    public func applyFactored(left: Matrix, right: Matrix) -> [Double] {
        apply(BLAS.matmul(left, right, transposeB: true))
    }

    public func applyFactored(_ pairs: [(left: Matrix, right: Matrix)]) -> [[Double]] {
        pairs.map { applyFactored(left: $0.left, right: $0.right) }
    }

    /// Column by column: column (j, c) of the first block is A(u_c·e_jᵀ), of the second
    /// A(e_j·v_cᵀ), rank-one matrices every family applies in its factored form.
    public func tangentJacobian(left: Matrix, right: Matrix) -> Matrix {
        func unit(_ index: Int, _ size: Int) -> Matrix {
            var e = Matrix.zeros(rows: size, columns: 1)
            e[index, 0] = 1
            return e
        }
        func columnOf(_ matrix: Matrix, _ c: Int) -> Matrix { Matrix(rows: matrix.rows, columns: 1, columnMajor: matrix.column(c)) }
        let leftPairs = (0..<left.columns).flatMap { c in (0..<columns).map { j in (left: columnOf(left, c), right: unit(j, columns)) } }
        let rightPairs = (0..<right.columns).flatMap { c in (0..<rows).map { j in (left: unit(j, rows), right: columnOf(right, c)) } }
        let values = applyFactored(leftPairs + rightPairs)
        return Matrix(rows: measurementCount, columns: values.count, columnMajor: values.flatMap { $0 })
    }

    /// From the tangent Jacobian at (P, Q): row i of its second block is vec(A_iQ), of its
    /// first vec(A_iᵀP), so for each column q_c of Q the m×d1 block T_c (rows (A_iq_c)ᵀ) gives
    /// column c of every Z_i at once, T_c·P, and the gradients are sums of products of these
    /// blocks: 2Σ_c T_cᵀ(T_cP) in P, and in Q column c, 2Σ_a S_aᵀ(T_cP)[:, a] with S_a the m×d2
    /// block of A_iᵀp_a.
    public func sandwichedSquaredNorm(left: Matrix, right: Matrix) -> (value: Double, gradientLeft: Matrix, gradientRight: Matrix) {
        let m = measurementCount, a = left.columns, b = right.columns
        let jacobian = tangentJacobian(left: left, right: right)
        func block(startingAt column: Int, width: Int) -> Matrix {
            Matrix(rows: m, columns: width, columnMajor: Array(jacobian.storage[(column * m)..<((column + width) * m)]))
        }
        var value = 0.0
        var gradientLeft = Matrix.zeros(rows: rows, columns: a)
        var gradientRight = [Double](repeating: 0, count: columns * b)
        for c in 0..<b {
            let timesRight = block(startingAt: a * columns + c * rows, width: rows)
            let z = BLAS.matmul(timesRight, left)
            value += BLAS.dot(z.storage, z.storage)
            BLAS.gemm(timesRight, z, into: &gradientLeft, transposeA: true, alpha: 2, beta: 1)
            for k in 0..<a {
                let product = BLAS.matvec(block(startingAt: k * columns, width: columns), z.column(k), transpose: true)
                for j in 0..<columns { gradientRight[c * columns + j] += 2 * product[j] }
            }
        }
        return (value, gradientLeft, Matrix(rows: columns, columns: b, columnMajor: gradientRight))
    }
}

/// The products of A*(y) every caller uses, all through the family's `adjointProductMaps`.
extension MeasurementOperator {
    /// A*(y)·R, d1×k.
    public func adjointTimes(_ y: [Double], right: Matrix) -> Matrix {
        adjointProductMaps(y).timesRight(right)
    }

    /// A*(y)ᵀ·L, d2×k.
    public func adjointTransposeTimes(_ y: [Double], left: Matrix) -> Matrix {
        adjointProductMaps(y).transposeTimesLeft(left)
    }

    /// Both products at once, (A*(y)·R, A*(y)ᵀ·L): what a gradient needs, forming a dense
    /// A*(y) once instead of twice.
    public func adjointProducts(_ y: [Double], left: Matrix, right: Matrix) -> (timesRight: Matrix, transposeTimesLeft: Matrix) {
        let maps = adjointProductMaps(y)
        return (maps.timesRight(right), maps.transposeTimesLeft(left))
    }
}

/// Row-wise inner products of two m×k matrices: out_i = Σ_j P[i,j]·Q[i,j]. This is how every
/// rank-one family evaluates A(LRᵀ)_i = (a_iᵀL)·(Rᵀc_i) once P = AL and Q = CR are formed
/// with gemm; column by column the loop runs over contiguous memory and vectorizes.
func rowwiseDot(_ p: Matrix, _ q: Matrix) -> [Double] {
    precondition(p.rows == q.rows && p.columns == q.columns)
    var result = [Double](repeating: 0, count: p.rows)
    p.withUnsafeBufferPointer { p in
        q.withUnsafeBufferPointer { q in
            result.withUnsafeMutableBufferPointer { out in
                let m = out.count
                for j in 0..<(p.count / max(m, 1)) {
                    let offset = j * m
                    for i in 0..<m { out[i] += p[offset + i] * q[offset + i] }
                }
            }
        }
    }
    return result
}

/// M·diag(weights): each column j of M scaled by weights[j].
func scalingColumns(_ matrix: Matrix, by weights: [Double]) -> Matrix {
    precondition(weights.count == matrix.columns)
    var scaled = matrix
    scaled.withUnsafeMutableBufferPointer { entries in
        let m = matrix.rows
        for j in 0..<weights.count {
            let weight = weights[j]
            for i in 0..<m { entries[j * m + i] *= weight }
        }
    }
    return scaled
}

/// diag(weights)·M: each row i of M scaled by weights[i].
func scalingRows(_ matrix: Matrix, by weights: [Double]) -> Matrix {
    precondition(weights.count == matrix.rows)
    var scaled = matrix
    scaled.withUnsafeMutableBufferPointer { entries in
        let m = weights.count
        for j in 0..<matrix.columns {
            for i in 0..<m { entries[j * m + i] *= weights[i] }
        }
    }
    return scaled
}
