import COpenBLAS

/// The largest singular value of a d1×d2 matrix G known only through G·v and Gᵀ·u, by
/// Golub–Kahan–Lanczos bidiagonalization with full reorthogonalization, run until the value
/// is known to a relative accuracy: a certificate divides by it, so it must not be an
/// unconverged estimate from below, and where the leading values cluster (a dual certificate
/// near the recovery threshold) a fixed number of power steps falls short by orders more than
/// the accuracy a certificate claims.
///
/// After k steps G·V_k = U_k·B_k and Gᵀ·U_k = V_k·B_kᵀ + β_k·v_{k+1}·e_kᵀ with B_k upper
/// bidiagonal. B_k's largest singular value θ with left vector p is a Ritz value: G·ṽ = θ·ũ
/// exactly and ‖Gᵀũ − θ·ṽ‖ = β_k·|p_k| = ρ, so a singular value of G lies within ρ of θ, and
/// θ + ρ bounds it from above. Krylov methods reach the extreme values first: from a random
/// start, the one they find is the largest.
public struct LanczosBidiagonalization {
    public let rows: Int
    public let columns: Int
    /// G·v for one vector v (d2 entries).
    public let timesRight: ([Double]) -> [Double]
    /// Gᵀ·u for one vector u (d1 entries).
    public let transposeTimesLeft: ([Double]) -> [Double]

    public init(rows: Int, columns: Int, timesRight: @escaping ([Double]) -> [Double],
                transposeTimesLeft: @escaping ([Double]) -> [Double]) {
        self.rows = rows
        self.columns = columns
        self.timesRight = timesRight
        self.transposeTimesLeft = transposeTimesLeft
    }

    /// The Ritz value θ, its residual ρ (σ₁ ≈ θ, and θ + ρ is the conservative figure), and
    /// the steps taken.
    public struct Estimate: Sendable {
        public var value: Double
        public var residual: Double
        public var steps: Int
        /// θ + ρ: at least the singular value θ approximates.
        public var upperValue: Double { value + residual }
    }

    /// Leading Ritz triples: G·right_i = value_i·left_i, ‖Gᵀleft_i − value_i·right_i‖ = residual_i.
    public struct Triples {
        public var left: Matrix
        public var values: [Double]
        public var right: Matrix
        public var residuals: [Double]
        public var steps: Int
    }

    /// σ₁: steps until ρ ≤ `accuracy`·θ, or the Krylov space is exhausted (β = 0: θ is exact),
    /// or `maximumSteps` (whose ρ then says how far off θ may be). The bases hold
    /// steps·(d1 + d2) numbers. `start` (d2 entries, random in practice) must not be orthogonal
    /// to the leading right singular vector.
    public func largestSingularValue(from start: [Double], accuracy: Double, maximumSteps: Int) -> Estimate {
        let triples = leadingTriples(from: start, above: .infinity, accuracy: accuracy, maximumSteps: maximumSteps, vectors: false)
        return Estimate(value: triples.values[0], residual: triples.residuals[0], steps: triples.steps)
    }

    /// The Ritz triples whose values may exceed `threshold` (θ_i + ρ_i above it), and always the
    /// first, once each of them has ρ_i ≤ `accuracy`·θ₁ (or the steps run out); the vectors only
    /// when asked for.
    public func leadingTriples(from start: [Double], above threshold: Double, accuracy: Double,
                               maximumSteps: Int, vectors: Bool = true) -> Triples {
        precondition(start.count == columns, "Lanczos: the start has \(start.count) entries, G has \(columns) columns")
        let limit = max(1, min(maximumSteps, rows, columns))
        var v = start
        BLAS.scal(1 / max(BLAS.nrm2(v), .leastNormalMagnitude), &v)
        var right = OrthonormalColumns(length: columns, capacity: limit + 1)
        var left = OrthonormalColumns(length: rows, capacity: limit)
        right.append(v)
        var u = timesRight(v)
        var alphas: [Double] = [], betas: [Double] = []
        var ritz: RitzValues
        while true {
            left.orthogonalize(&u)
            let alpha = BLAS.nrm2(u)
            alphas.append(alpha)
            guard alpha > 0 else {
                // G·v_k lies in the span so far: the bidiagonal holds the values exactly (u_k
                // is any vector; its coefficient α_k is 0).
                left.append(u)
                ritz = RitzValues(alphas: alphas, betas: betas, lastBeta: 0, threshold: threshold)
                break
            }
            BLAS.scal(1 / alpha, &u)
            left.append(u)
            var next = transposeTimesLeft(u)
            BLAS.axpy(-alpha, v, &next)
            right.orthogonalize(&next)
            let beta = BLAS.nrm2(next)
            let k = alphas.count
            if k % max(5, k / 8) == 0 || k == limit || beta == 0 {
                ritz = RitzValues(alphas: alphas, betas: betas, lastBeta: beta, threshold: threshold)
                if ritz.converged(accuracy: accuracy) || k == limit || beta == 0 { break }
            }
            betas.append(beta)
            v = next
            BLAS.scal(1 / beta, &v)
            right.append(v)
            u = timesRight(v)
            BLAS.axpy(-beta, left.last, &u)
        }
        let kept = ritz.kept
        guard vectors else {
            return Triples(left: Matrix.zeros(rows: rows, columns: 0), values: kept.map { ritz.values[$0] },
                           right: Matrix.zeros(rows: columns, columns: 0), residuals: kept.map { ritz.residuals[$0] },
                           steps: alphas.count)
        }
        let k = alphas.count
        return Triples(left: left.times(Matrix(rows: k, columns: kept.count, columnMajor: kept.flatMap { ritz.left.column($0) })),
                       values: kept.map { ritz.values[$0] },
                       right: right.times(Matrix(rows: k, columns: kept.count, columnMajor: kept.flatMap { ritz.right.column($0) })),
                       residuals: kept.map { ritz.residuals[$0] }, steps: k)
    }
}

/// The singular triples of the k×k bidiagonal after k steps, with their residuals β_k·|p_k|.
private struct RitzValues {
    var left = Matrix.zeros(rows: 0, columns: 0)
    var values: [Double] = []
    var right = Matrix.zeros(rows: 0, columns: 0)
    var residuals: [Double] = []
    /// The first triple, and those whose values may exceed the threshold.
    var kept: [Int] = []

    init(alphas: [Double], betas: [Double], lastBeta: Double, threshold: Double) {
        let k = alphas.count
        var bidiagonal = Matrix.zeros(rows: k, columns: k)
        for i in 0..<k { bidiagonal[i, i] = alphas[i] }
        for i in 0..<min(betas.count, k - 1) { bidiagonal[i, i + 1] = betas[i] }
        guard let (u, values, vt) = try? LAPACK.svd(bidiagonal) else {
            self.values = [alphas.max() ?? 0]
            residuals = [.infinity]
            left = Matrix.zeros(rows: k, columns: 1)
            right = Matrix.zeros(rows: k, columns: 1)
            kept = [0]
            return
        }
        left = u
        self.values = values
        right = vt.transposed()
        residuals = (0..<k).map { lastBeta * abs(u[k - 1, $0]) }
        kept = (0..<k).filter { $0 == 0 || values[$0] + residuals[$0] > threshold }
    }

    func converged(accuracy: Double) -> Bool {
        kept.allSatisfy { residuals[$0] <= accuracy * values[0] }
    }
}

/// Orthonormal vectors of one length, stored column after column, against which new vectors are
/// orthogonalized (classical Gram–Schmidt twice, which keeps them orthogonal to rounding).
private struct OrthonormalColumns {
    let length: Int
    private(set) var count = 0
    private var storage: [Double]

    init(length: Int, capacity: Int) {
        self.length = length
        storage = []
        storage.reserveCapacity(length * capacity)
    }

    var last: [Double] { Array(storage[(storage.count - length)...]) }

    /// The stored columns times a matrix of coefficients (count rows).
    func times(_ coefficients: Matrix) -> Matrix {
        var product = Matrix.zeros(rows: length, columns: coefficients.columns)
        guard count > 0, coefficients.columns > 0 else { return product }
        storage.withUnsafeBufferPointer { basis in
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, blasInt(length), blasInt(coefficients.columns), blasInt(count),
                        1, basis.baseAddress, blasInt(length), coefficients.storage, blasInt(count), 0, &product.storage, blasInt(length))
        }
        return product
    }

    mutating func append(_ vector: [Double]) {
        storage.append(contentsOf: vector)
        count += 1
    }

    func orthogonalize(_ vector: inout [Double]) {
        guard count > 0 else { return }
        var coefficients = [Double](repeating: 0, count: count)
        for _ in 0..<2 {
            storage.withUnsafeBufferPointer { basis in
                cblas_dgemv(CblasColMajor, CblasTrans, blasInt(length), blasInt(count), 1, basis.baseAddress, blasInt(length),
                            vector, 1, 0, &coefficients, 1)
                cblas_dgemv(CblasColMajor, CblasNoTrans, blasInt(length), blasInt(count), -1, basis.baseAddress, blasInt(length),
                            coefficients, 1, 1, &vector, 1)
            }
        }
    }
}
