import LinearAlgebra
import Models
import Problems
import RandomNumbers

/// The leading singular triples of a d1×d2 matrix G known only through G·V and Gᵀ·U, by
/// randomized subspace iteration (Halko, Martinsson & Tropp 2011), so that G = A*(z) for
/// completion at 2000×2000 is never formed. Used for the spectral starting point and for
/// dual certificates.
struct SubspaceIteration {
    let rows: Int
    let columns: Int
    let timesRight: (Matrix) -> Matrix
    let transposeTimesLeft: (Matrix) -> Matrix

    /// `count` triples, with `oversampling` extra directions and `iterations` power steps.
    func leadingTriples(count: Int, oversampling: Int = 8, iterations: Int = 4,
                        seed: UInt64) throws -> (left: Matrix, values: [Double], right: Matrix) {
        let width = min(count + oversampling, rows, columns)
        var generator = PCG64(seed: seed)
        var sketch = [Double](repeating: 0, count: columns * width)
        generator.fillStandardNormal(&sketch)
        var basis = try LAPACK.thinQ(timesRight(Matrix(rows: columns, columns: width, columnMajor: sketch)))
        for _ in 0..<iterations {
            let rowBasis = try LAPACK.thinQ(transposeTimesLeft(basis))
            basis = try LAPACK.thinQ(timesRight(rowBasis))
        }
        // G ≈ Q·(QᵀG) and QᵀG = (GᵀQ)ᵀ is small: its SVD finishes the job.
        let projected = transposeTimesLeft(basis)  // d2×w = (QᵀG)ᵀ
        let (u, values, vt) = try LAPACK.svd(projected)   // (QᵀG)ᵀ = u Σ vᵀ → QᵀG = v Σ uᵀ
        let kept = min(count, values.count)
        let leftVectors = BLAS.matmul(basis, vt, transposeB: true)
        return (firstColumns(leftVectors, kept), Array(values[..<kept]), firstColumns(u, kept))
    }
}

extension SubspaceIteration {
    /// For G = W1·A*(z)·W2, the adjoint of the measurements weighted on either side (W1 = D1⁻¹,
    /// W2 = D2⁻¹ for dual certificates; no weights for spectral estimates).
    /// Families without a structured adjoint form A*(z) in every product anyway; they form it
    /// once, so the whole iteration costs one pass instead of two per step.
    init(adjointOf z: [Double], under measurementOperator: CountedOperator, rows: Int, columns: Int,
         leftWeight: SquaredScaling? = nil, rightWeight: SquaredScaling? = nil) {
        func weighted(_ weight: SquaredScaling?, _ m: Matrix) -> Matrix { weight?.times(m) ?? m }
        let adjoint = measurementOperator.adjointProductMaps(z)
        self.init(rows: rows, columns: columns,
                  timesRight: { v in weighted(leftWeight, adjoint.timesRight(weighted(rightWeight, v))) },
                  transposeTimesLeft: { u in weighted(rightWeight, adjoint.transposeTimesLeft(weighted(leftWeight, u))) })
    }
}

extension SubspaceIteration {
    /// The same maps one vector at a time, for Lanczos.
    var lanczos: LanczosBidiagonalization {
        LanczosBidiagonalization(rows: rows, columns: columns,
                                 timesRight: { timesRight(Matrix(rows: columns, columns: 1, columnMajor: $0)).storage },
                                 transposeTimesLeft: { transposeTimesLeft(Matrix(rows: rows, columns: 1, columnMajor: $0)).storage })
    }
}

func firstColumns(_ matrix: Matrix, _ count: Int) -> Matrix {
    Matrix(rows: matrix.rows, columns: count, columnMajor: Array(matrix.storage[..<(matrix.rows * count)]))
}

extension RecoveryProblem {
    /// The spectral starting point: θ for the balanced factorization of the best rank-k
    /// approximation of A*(b)/c, where c·I ≈ A*A (c = Σ‖A_i‖²/(d1·d2) = m·tr D1²/d1): for
    /// Gaussian sensing A*(b)/m, for completion the zero-filled observations over the sampling
    /// rate. With `narrowing`, a spectrum that shows a rank s (a drop by `rankGap` after the
    /// s-th value) starts on the factorization that holds the 2s leading triples instead, when
    /// that is narrower: the solve costs in proportion to the width, and a fit that needs more
    /// columns than the start has is found by the certificate, which widens the factorization.
    func spectralStart(operatorRescaling: Rescaling, seed: UInt64,
                       narrowing: Bool) throws -> (parameters: [Double], factorization: any Factorization) {
        let d1 = factorization.rows, d2 = factorization.columns
        let c = Double(measurementCount) * operatorRescaling.left.trace / Double(d1)
        let z = observations.map { $0 / c }
        let estimate = SubspaceIteration(adjointOf: z, under: measurementOperator, rows: d1, columns: d2)
        let (u, values, v) = try estimate.leadingTriples(count: min(factorization.width * 2, d1, d2), seed: seed)
        if narrowing, let s = Self.spectralRank(values) {
            let kept = 2 * s
            let narrower = factorization.fitted(toHold: firstColumns(u, kept), values: Array(values[..<kept]),
                                                right: firstColumns(v, kept))
            if narrower.parameterCount < factorization.parameterCount {
                return (narrower.parameters(singularVectors: u, values: values, right: v), narrower)
            }
        }
        return (factorization.parameters(singularVectors: u, values: values, right: v), factorization)
    }

    /// How far the s-th singular value of the spectral estimate must stand above the next for
    /// the estimate to show rank s. Noise spreads the tail of the spectrum evenly (neighbouring
    /// values within a few percent of each other at the sizes where the width matters), and a
    /// signal stands above it: at 10⁴×10⁴, rank 10 and 1% observed, by 37%.
    static let rankGap = 1.25

    /// The last s in the first half of the values where σ_s/σ_{s+1} ≥ `rankGap`: the last
    /// drop, so that a signal whose own values fall in steps is kept whole, and in the first
    /// half, because the last values of a square noise matrix fall towards zero.
    static func spectralRank(_ values: [Double]) -> Int? {
        (1..<max(values.count / 2 + 1, 1)).last { s in
            s < values.count && values[s] > 0 && values[s - 1] >= rankGap * values[s]
        }
    }
}
