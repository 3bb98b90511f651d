/// The names and attributes through which the tools understand each other. A stream is a
/// bag of named frames; these are the names a stage looks for, so a Python stage or an old
/// archive speaks the same language as the Swift tools. They live with the format so that
/// every layer, from the `frames` tool up, names frames and attributes only through them.
/// Every matrix is float64, column-major; indices are int64 and 0-based.
public enum FrameName {
    /// The ground truth `M♮`, d1×d2. Optional: above `DenseMatrixLimit.entries` a stream
    /// carries the truth as its factors alone (FORMAT.md §5).
    public static let truth = "truth"
    /// Factors with `truth = truth_left · truth_rightᵀ` (d1×r and d2×r), always present when
    /// the truth is: every tool works from them. For the signed quadratic model
    /// `M♮ = U1U1ᵀ − U2U2ᵀ` they are `[U1 U2]` and `[U1 −U2]`.
    public static let truthLeft = "truth_left"
    public static let truthRight = "truth_right"

    /// What the solver fits: a vector of m measurements, or the d1×d2 matrix itself for the
    /// identity operator (robust PCA). Its attributes name the operator (see `AttributeKey`).
    public static let observations = "observations"

    /// Operator frames, one family each.
    /// Gaussian sensing: the m×d1×d2 array of sensing matrices `A_i` (column-major, so it is
    /// also the m × (d1·d2) matrix whose row i is vec(A_i)).
    public static let sensing = "sensing"
    /// Bilinear sensing `A_i = a_i c_iᵀ`: the m×d1 matrix of rows a_i and the m×d2 matrix of rows c_i.
    public static let sensingLeft = "sensing_left"
    public static let sensingRight = "sensing_right"
    /// Matrix completion: the m×2 int64 matrix of observed (row, column) positions.
    public static let entries = "entries"
    /// Quadratic sensing `A_i = x_i x_iᵀ`: the m×d matrix of rows x_i.
    public static let features = "features"

    /// Held-out measurements from the same distribution: every training name with this prefix.
    public static let holdoutPrefix = "holdout_"

    /// Injected outliers: linear indices into the observations (column-major for matrices)
    /// and the values added there.
    public static let outlierSupport = "outliers_support"
    public static let outlierValues = "outliers_values"

    /// The solver's answer `X̂` and its factors.
    public static let estimate = "estimate"
    public static let estimateLeft = "estimate_left"
    public static let estimateRight = "estimate_right"
    /// How long the solve took (`solve-flat --timings`): the one frame whose bytes change from
    /// run to run, kept out of every other frame so that a command gives the same bytes each time.
    public static let timings = "timings"

    /// The solver's frames: a stream solved again has these replaced, not repeated.
    public static let solverAnswer: Set<String> = [estimate, estimateLeft, estimateRight, timings]
}

/// Attribute keys with a fixed meaning.
public enum AttributeKey {
    /// On `observations`: the operator family (`gaussian`, `bilinear`, `completion`,
    /// `quadratic`, `identity`), the truth's shape, and the names of the operator's frames.
    public static let operatorFamily = "operator"
    public static let rows = "d1"
    public static let columns = "d2"
    public static let operatorFrames = "operator_frames"
    /// On `observations`: standard deviation of the Gaussian noise added, and the Euclidean
    /// norm of the noise vector actually drawn (0 when noiseless).
    public static let noiseStandardDeviation = "noise_std"
    public static let noiseNorm = "noise_norm"

    /// On `truth`: how it was made and what it is like.
    public static let kind = "kind"
    public static let rank = "rank"
    public static let rankPositive = "rank_positive"
    public static let rankNegative = "rank_negative"
    public static let singularValues = "singular_values"
    public static let conditionNumber = "condition_number"
    public static let incoherenceLeft = "incoherence_left"
    public static let incoherenceRight = "incoherence_right"
    /// On `truth`: how it was scaled (`fro`, `spectral`, `none`) and blended toward basis vectors.
    public static let normalization = "normalize"
    public static let spikiness = "spikiness"

    /// On every frame a stage made: `[{tool, version, arguments, seed}]` (see `ProvenanceKey`).
    public static let provenance = "provenance"

    /// On a frame imported from CSV: the header line's column names, written back on export.
    public static let columnNames = "columns"
    /// On a frame imported from a `.npy` file of a type frames do not hold: NumPy's descriptor
    /// of that type (`>f8`, `|b1`, `<i2`), the values converted exactly to the frame's dtype.
    public static let sourceDType = "source_dtype"
}

/// The keys of one stage's entry in `provenance` (FORMAT.md §1): enough to rerun it.
public enum ProvenanceKey {
    public static let tool = "tool"
    public static let version = "version"
    public static let arguments = "arguments"
    public static let seed = "seed"
}

/// Attribute keys of a sparse corruption, on the corrupted target and on its outlier record.
public enum OutlierAttributeKey {
    /// On the record: the name of the frame it describes. A record without it describes
    /// `observations`, the one frame the schema names as corruptible.
    public static let target = "target"
    /// On the record: its number of positions, over every stacked stage.
    public static let count = "count"
    /// On the record, for a matrix target: the most positions in any one row or column, the
    /// `l` that the robust-PCA theorem bounds.
    public static let maximumPerLine = "max_per_line"
    /// On the record, describing the stage that wrote it last (earlier stages' settings are in
    /// their provenance arguments): the per-line cap it honoured, if any, `A`, and the
    /// distribution.
    public static let perLine = "per_line"
    public static let magnitude = "magnitude"
    public static let distribution = "distribution"
    /// On the corrupted target: how many entries this stage corrupted.
    public static let outliers = "outliers"
}

/// Attribute keys of the solver's answer, on the `estimate` frame (or `estimate_left` when there
/// is no dense estimate), and of `timings`: scripts read these.
public enum SolverAttributeKey {
    /// `flat`, `convex`, `min-norm`, …
    public static let method = "method"
    /// Inner iterations (quasi-Newton or gradient steps) over the whole solve.
    public static let iterations = "iterations"
    /// Applications of A or A* (each one pass over a dense operator), and (on `timings`) the time
    /// they took.
    public static let passes = "passes"
    public static let operatorSeconds = "operator_seconds"
    /// The mean number of factor columns a pass carried: what a pass over a structured operator
    /// (completion, rank-one sensing) costs in proportion to; absent when no pass carried any.
    public static let passWidth = "pass_width"
    /// On `timings`: wall time of the solve, from a loaded problem to the answer.
    public static let seconds = "seconds"
    /// ‖A(X̂) − b‖₂ / ‖b‖₂.
    public static let residual = "residual"
    /// str(L̂, R̂) = ‖D1L̂‖² + ‖D2R̂‖² under the operator's rescaling.
    public static let scaledTrace = "scaled_trace"
    /// What the method minimized, at the answer, unscaled: str for flat and convex, ‖L‖² + ‖R‖²
    /// for min-norm (each plus the penalty 2cλ‖A(X̂) − b‖₁, c = 1 for min-norm, in the penalized
    /// form), the loss (1/2m)‖A(X̂) − b‖² for gd, sam and label-noise, ‖X̂‖_F for least-norm.
    public static let objective = "objective"
    /// A certified lower bound on the method's objective over every factorization that fits
    /// (flat, min-norm, convex).
    public static let lowerBound = "lower_bound"
    public static let converged = "converged"
    /// How the data were fitted: `exact`, `l2-ball`, `l1-ball`, `l1-penalty`.
    public static let dataFit = "data_fit"
}

/// How large a dense d1×d2 matrix the tools make or read without being asked (FORMAT.md §5).
/// Low-rank matrices travel as factors, (d1 + d2)·r numbers; their dense form is d1·d2, which
/// at 10⁴×10⁴ is 800 MB that no computation needs. So `generate-ground-truth` leaves the dense
/// truth out above this size unless told otherwise, and `evaluate` decodes no dense matrix
/// above it, working from the factors instead.
public enum DenseMatrixLimit {
    /// 2²⁴ entries: 128 MiB of float64, a 4096×4096 matrix. Below it a dense matrix costs
    /// well under a second to write, read and hold, and every experiment the toolkit ships
    /// (reproductions, benchmarks up to 2000×2000) stays within it, so their streams keep
    /// `truth` for numpy users. Above it, the dense form outweighs everything else in a
    /// stream (10⁴×10⁴ rank 10: 763 MiB of truth against 1.5 MiB of factors and 9 MiB of
    /// compressed completion samples at p = 0.01) and a dense SVD of it takes minutes.
    public static let entries = 1 << 24

    /// Whether a d1×d2 matrix has at most `limit` entries; shapes whose product overflows
    /// `Int` do not.
    public static func admits(rows: Int, columns: Int, limit: Int = entries) -> Bool {
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        return !overflow && count <= limit
    }
}

/// Which frames carry a low-rank matrix the stream also holds as factors (the truth, the
/// estimate): the factors always, the d1×d2 product too or not.
public enum DenseStorage: String, CaseIterable, Sendable {
    /// Dense up to `DenseMatrixLimit.entries` entries, factors alone above.
    case auto
    /// The dense product as well as its factors, whatever the size.
    case dense
    /// The factors alone: the dense product is never formed.
    case factors

    /// Whether a d1×d2 product is formed and written, decided from the shape alone before
    /// anything is allocated, so a dense matrix above the limit exists only when asked for.
    public func keepsDense(rows: Int, columns: Int) -> Bool {
        switch self {
        case .dense: return true
        case .factors: return false
        case .auto: return DenseMatrixLimit.admits(rows: rows, columns: columns)
        }
    }
}
