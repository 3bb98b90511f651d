import LinearAlgebra
import RandomNumbers

/// The proximal map of τ‖·‖_*: the SVD of Z with every singular value shrunk by τ, and those
/// at or below τ dropped, kept as factors so the rank-k answer is never re-decomposed.
struct ShrunkSingularValues {
    /// U_k (d1×k), σ − τ (k values) and V_k (d2×k).
    let left: Matrix
    let values: [Double]
    let right: Matrix

    init(left: Matrix, singularValues: [Double], right: Matrix, threshold: Double) {
        let kept = singularValues.prefix { $0 > threshold }.count
        self.left = firstColumns(left, kept)
        values = singularValues[..<kept].map { $0 - threshold }
        self.right = firstColumns(right, kept)
    }

    var nuclearNorm: Double { values.reduce(0, +) }

    /// U·diag(σ − τ)·Vᵀ.
    var matrix: Matrix {
        BLAS.matmul(BLAS.matmul(left, Matrix.diagonal(values)), right, transposeB: true)
    }
}

/// Singular value thresholding for a sequence of nearby matrices (ADMM's iterates): a full
/// SVD costs O(d³) and keeps every triple, while the prox needs only those above τ, which an
/// iterate of a low-rank solve has few of. The triples come from subspace iteration on Z,
/// started at the last call's right singular vectors (if any) plus a few random ones, and are
/// accepted only when they are exact to rounding: every kept triple's
/// residual ‖Z·v − σu‖, ‖Zᵀu − σv‖ below `residualTolerance`·σ₁, and the subspace wide enough
/// that its smallest value lies below τ (else it widens). Anything else falls back to the
/// full SVD, so the prox is always the exact one, only cheaper.
struct SingularValueThresholding {
    /// Below this min(d1, d2) the full SVD is as cheap as the iteration.
    static let fullSizeLimit = 160
    /// Subspaces wider than this fraction of min(d1, d2) cost about as much as the full SVD.
    static let widestFraction = 0.25
    static let oversampling = 8
    static let maximumPowerSteps = 12
    static let residualTolerance = 1e-13

    private var previousRight: Matrix?
    private var previousKept = 0
    private var generator = PCG64(seed: 0x5f7)

    mutating func shrink(_ z: Matrix, threshold: Double) throws -> ShrunkSingularValues {
        let smaller = min(z.rows, z.columns)
        if smaller > Self.fullSizeLimit,
           let partial = try partialTriples(z, threshold: threshold, start: previousRight ?? Matrix.zeros(rows: z.columns, columns: 0)) {
            return remember(partial, threshold: threshold)
        }
        let (u, values, vt) = try LAPACK.svd(z)
        return remember((u, values, vt.transposed()), threshold: threshold)
    }

    private mutating func remember(_ triples: (left: Matrix, values: [Double], right: Matrix),
                                   threshold: Double) -> ShrunkSingularValues {
        let shrunk = ShrunkSingularValues(left: triples.left, singularValues: triples.values, right: triples.right,
                                          threshold: threshold)
        previousKept = shrunk.values.count
        previousRight = firstColumns(triples.right, min(triples.right.columns, previousKept + Self.oversampling))
        return shrunk
    }

    /// Triples of Z down to below the threshold, exact to rounding, or nil (the caller takes
    /// the full SVD). Each step is one product with Z and one with Zᵀ: the Rayleigh–Ritz
    /// triples of the current row basis (Z·B = U·Σ·Wᵀ, so Z·v = σu for v = B·w), then Zᵀ·U,
    /// which both checks them (Zᵀu − σv) and is the next basis.
    private mutating func partialTriples(_ z: Matrix, threshold: Double,
                                         start: Matrix) throws -> (left: Matrix, values: [Double], right: Matrix)? {
        let widest = Int(Self.widestFraction * Double(min(z.rows, z.columns)))
        var width = previousKept + 2 * Self.oversampling
        while width <= widest {
            let reused = min(start.columns, width)
            var sketch = [Double](repeating: 0, count: z.columns * (width - reused))
            generator.fillStandardNormal(&sketch)
            var basis = try LAPACK.thinQ(Matrix(rows: z.columns, columns: width,
                                                columnMajor: Array(firstColumns(start, reused).storage) + sketch))
            for _ in 0..<Self.maximumPowerSteps {
                let (u, values, wt) = try LAPACK.svd(BLAS.matmul(z, basis))
                guard let largest = values.first, largest > 0 else { return nil }
                // The smallest Ritz value bounds σ_width of Z from below: above τ, the subspace
                // may miss triples above τ, and must widen.
                if values[values.count - 1] > threshold { break }
                let right = BLAS.matmul(basis, wt, transposeB: true)
                let transposeTimesLeft = BLAS.matmul(z, u, transposeA: true)
                let kept = values.prefix { $0 > threshold }.count
                let converged = (0..<kept).allSatisfy { j in
                    var residual = transposeTimesLeft.column(j)
                    BLAS.axpy(-values[j], right.column(j), &residual)
                    return BLAS.nrm2(residual) <= Self.residualTolerance * largest
                }
                if converged { return (u, values, right) }
                basis = try LAPACK.thinQ(transposeTimesLeft)
            }
            width *= 2
        }
        return nil
    }
}
