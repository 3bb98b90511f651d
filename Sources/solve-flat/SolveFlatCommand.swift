import ArgumentParser
import Frames
import LinearAlgebra
import Models
import Solvers
import ToolSupport

@main
struct SolveFlatCommand: ToolCommand {
    static let renamedOptions = [
        "--rank": "the factor width is '--width' ('--rank' is the truth's, given to generate-ground-truth)",
        "--rank-pos": "the quadratic model's factor widths are '--width-pos' and '--width-neg'",
        "--rank-neg": "the quadratic model's factor widths are '--width-pos' and '--width-neg'",
    ]

    static let configuration = CommandConfiguration(
        commandName: "solve-flat",
        abstract: "Find the flattest factorization that fits the measurements in a stream.",
        discussion: """
            Reads a stream made by sample-measurements (and optionally corrupt-sparse), \
            recognises the model from its frames, passes every frame on unchanged, and appends \
            'estimate' (X̂, d1×d2; left out above 2^24 entries unless --estimate dense), \
            'estimate_left' and 'estimate_right' (X̂ = L·Rᵀ; for the quadratic model [U1 U2] and \
            [U1 −U2]). The attributes of the first of these frames give method, rank, \
            iterations, passes (over the operator), residual \
            (‖A(X̂) − b‖/‖b‖), scaled_trace (str = ‖D1L‖² + ‖D2R‖²), objective (each \
            method's own, unscaled: str for flat and convex, ‖L‖² + ‖R‖² for min-norm, plus \
            2cλ‖A(X̂) − b‖₁ with --penalized (c = √(tr D1²/d1 · tr D2²/d2) for flat and convex, 1 \
            for min-norm); the loss (1/2m)‖A(X̂) − b‖² for gd, sam and label-noise; ‖X̂‖_F for \
            least-norm), lower_bound (flat, min-norm, convex: a certified bound on that \
            objective over every factorization that fits), converged and data_fit: the same \
            command gives the same bytes on every run. --timings appends a 'timings' frame \
            ([seconds, operator_seconds], also as attributes), the one frame that changes from \
            run to run. A stream that was solved before has its estimate and timings replaced, \
            not repeated. The solver never reads the truth, nor the outlier record unless \
            --oracle-budget asks for it.

            The fit follows the stream: exact for noiseless measurements; ‖A(X) − b‖₂ ≤ δ when \
            the observations say they are noisy (δ = noise_std·√m, or --noise-level); with \
            injected outliers one of --l1-budget, --oracle-budget or --penalized is required.

            Methods (docs/mathematics.md §11): flat and min-norm minimize str (min-norm with D1 = D2 = I) \
            over the factorizations that fit, by an augmented Lagrangian on the factors; \
            with an exact fit, once the weighted spectrum of L·Rᵀ shows a rank s below --width, \
            Newton's method on the rank-s matrices finishes to rounding in a few passes, and \
            its answer is kept only if the duality certificate confirms it to 1e-9. \
            convex solves the weighted nuclear-norm relaxation min 2‖D1XD2‖_* (plus the fit) \
            with the fit kept exactly and factors its answer by Theorem 3.2; it holds X densely. \
            flat and convex report lower_bound, a duality certificate. With an ℓ1 fit \
            (--l1-budget, --oracle-budget, --penalized) on robust PCA or dense sensing, flat and \
            min-norm solve that relaxation too, under their own weights, and factor its answer. \
            --depth N factors X = W_N⋯W_1 and minimizes the Hessian trace of every layer. gd, sam and label-noise only descend the loss \
            (1/2m)‖A(L·Rᵀ) − b‖² from a random start of size --init-scale (drawn from --seed) \
            at step --step, to residual --tol, and are flat or not by implicit bias: gd from a \
            small start tends to low rank, from a large one to a sharp interpolant; sam takes \
            each gradient after an ascent step of radius --rho, label-noise fits labels noised \
            by --sigma, both for the first half of --max-iters and as plain gd after, so that \
            they end on an interpolant. All three interpolate b whatever the stream's noise or \
            outliers. Their bias shows when the factors are wide (--width min(d1, d2)); at the \
            default width few interpolants exist besides the truth. Near a low-rank \
            interpolant their last digits come slowly (the spare columns that must fit them are \
            tiny): --tol 1e-3 takes thousands of steps, 1e-10 is out of reach. least-norm is the \
            minimum-Frobenius-norm interpolant A⁺(b) by conjugate gradients, factored at full \
            width by default: it fits but does not recover.

            Without --width, flat and min-norm widen the factors (warm-started) whenever the dual \
            certificate shows flatter fits that need more columns, up to min(d1, d2); with a \
            --width that is too small they exit 3 and name the width that would do.

            Exit status: 0 when converged and certified: the fit within --tol and, for flat, \
            min-norm and convex, the lower bound within a relative 100·--tol of the objective \
            (1e-8 by default). 3 when not (--max-iters ran out, or the certificate falls short; \
            the best iterate is still written, marked converged = false, with the reason on \
            stderr), 1 on errors.

            Examples:
              generate-ground-truth --d1 20 --rank 2 --seed 1 \\
                | sample-measurements --operator gaussian --oversampling 5 --seed 2 \\
                | solve-flat > solved.frames
              solve-flat --method min-norm --width 10 completion.frames > solved.frames
              solve-flat --method gd --init-scale 1e-3 --width 20 \\
                gaussian.frames > solved.frames
              solve-flat --oracle-budget rpca.frames | frames ls
            """,
        version: Toolkit.version)

    @Option(help: ArgumentHelp("flat (minimize str on the solution set), min-norm (D1 = D2 = I), convex (the weighted nuclear-norm relaxation, then its SVD), gd (gradient descent from a random start), sam (sharpness-aware), label-noise (gd on noised labels) or least-norm (A⁺(b)).", valueName: "name"))
    var method: SolverMethod = .flat

    @Option(parsing: .unconditional, help: ArgumentHelp("Fix the factor width k, the columns of L and R (default: start at the largest r with r(d1+d2−r) ≤ m and widen until certified, up to min(d1, d2)).", valueName: "k"))
    var width: Int?

    @Option(name: .customLong("width-pos"), parsing: .unconditional, help: ArgumentHelp("Quadratic model: width of U1 (default as --width).", valueName: "k1"))
    var positiveWidth: Int?

    @Option(name: .customLong("width-neg"), parsing: .unconditional, help: ArgumentHelp("Quadratic model: width of U2 (default as --width).", valueName: "k2"))
    var negativeWidth: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Factor X = W_N⋯W_1 with N layers (flat, min-norm, gd, sam, label-noise; the Hessian trace of every layer is minimized).", valueName: "N"))
    var depth = 2

    @Option(parsing: .unconditional, help: ArgumentHelp("Relative feasibility and stationarity to reach; flat, min-norm and convex also certify their objective to a relative 100·t.", valueName: "t"))
    var tol = 1e-10

    @Option(name: .customLong("max-iters"), parsing: .unconditional, help: ArgumentHelp("Iterations allowed in all.", valueName: "n"))
    var maxIterations = 20_000

    @Option(name: .customLong("noise-level"), parsing: .unconditional, help: ArgumentHelp("Fit ‖A(X) − b‖₂ ≤ δ (default: noise_std·√m from the stream).", valueName: "δ"))
    var noiseLevel: Double?

    @Option(name: .customLong("l1-budget"), parsing: .unconditional, help: ArgumentHelp("Outliers: fit ‖A(X) − b‖₁ ≤ τ.", valueName: "τ"))
    var l1Budget: Double?

    @Flag(name: .customLong("oracle-budget"), help: "Outliers: τ = ‖S♮‖₁ from the stream's outlier record (the paper's oracle setting).")
    var oracleBudget = false

    @Flag(help: "Outliers: minimize ‖X‖_* + λ‖A(X) − b‖₁ instead of constraining the fit.")
    var penalized = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Weight of the penalized form (default 1/√max(d1, d2)).", valueName: "λ"))
    var lambda: Double?

    @Option(name: .customLong("init-scale"), parsing: .unconditional, help: ArgumentHelp("gd, sam, label-noise: size α of the random start relative to the truth: entries i.i.d. N(0, α²σ̂/√(d1·d2)), σ̂ = ‖A*(b)‖/c ≈ ‖M♮‖ with c·I ≈ A*A, so X₀ ≈ α²‖M♮‖ (default \(SolveOptions().initScale)).", valueName: "α"))
    var initScale: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("gd, sam, label-noise: step size (default half the inverse curvature of the loss at 0, which is ‖(1/m)A*(b)‖, or twice that for the quadratic model; a large --init-scale needs a smaller one).", valueName: "η"))
    var step: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("sam: ascent radius relative to √σ̂, the norm of the truth's leading balanced factor column (default \(SolveOptions().rho)).", valueName: "ρ"))
    var rho: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("label-noise: standard deviation of the label noise relative to the RMS of b (default \(SolveOptions().sigma)).", valueName: "σ"))
    var sigma: Double?

    @Option(parsing: .unconditional, help: "Seed of the randomized spectral start (flat, min-norm), or of the random start and the label noise (gd, sam, label-noise).")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Write the dense estimate frame too (dense), the factors alone (factors), or dense up to 2^24 entries only (auto).",
                               valueName: "form"))
    var estimate: DenseStorage = .auto

    @Flag(help: "Append a 'timings' frame with the solve's seconds and operator_seconds (the only bytes that then change from run to run; evaluate reports them).")
    var timings = false

    @OptionGroup var progressOptions: ProgressOptions

    @Argument(help: ArgumentHelp("The stream to read (default: stdin; - is stdin).", valueName: "file"))
    var input: String?

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        var converged = true
        try runTool("solve-flat") { converged = try solve() }
        if !converged { throw ExitCode(3) }
    }

    /// Returns whether the method converged.
    private func solve() throws -> Bool {
        // Dense products run on our own fixed split of the operator (PartitionedGEMV), so the
        // answer has the same bits at every --threads.
        BLASThreads.runSingleThreaded()
        PartitionedGEMV.workerCount = output.threads
        AllocatorPolicy.reuseLargeBuffers()
        let stage = SolveStage(options: try options(), provenance: provenanceEntry(tool: "solve-flat", seed: seed, inputs: [input]))
        let progress = progressOptions.reporter(tool: "solve-flat")
        let reader = try inputOptions.makeReader(path: input, progress: progress)
        let stream = try output.makeOutput(inputs: [input], progress: progress)
        var replaced = false
        try processStream(reader, to: stream.writer,
                          select: { header in
                              // A stream solved before gets this answer instead of a second one.
                              if FrameName.solverAnswer.contains(header.name) {
                                  replaced = true
                                  return .drop
                              }
                              return stage.wants(header) ? .keep : .pass
                          },
                          handle: { (frame: Frame) -> [Frame] in
                              stage.keep(frame)
                              return []
                          })
        if replaced, !progressOptions.quiet {
            StandardStreams.error("solve-flat: the input was solved before; its estimate is replaced by this one")
        }
        stage.budget = inputOptions.budget
        try stage.finish(writingTo: stream.writer, progress: { report in
            progress.report(String(format: "iteration %d, residual %.2e, str %.8g, %d passes",
                                   report.iteration, report.relativeResidual, report.flatness, report.passes))
        })
        try stream.finish()
        if !progressOptions.quiet, let summary = stage.summary { StandardStreams.error("solve-flat: \(summary)") }
        if let diagnosis = stage.diagnosis { StandardStreams.error("solve-flat: \(diagnosis)") }
        if !stage.converged {
            StandardStreams.error("solve-flat: warning: not converged (to --tol \(tol) within --max-iters \(maxIterations), or not certified optimal); the best iterate was written with converged = false")
        }
        return stage.converged
    }

    private func options() throws -> SolveOptions {
        var options = SolveOptions()
        options.method = method
        options.width = width
        options.positiveWidth = positiveWidth
        options.negativeWidth = negativeWidth
        guard tol > 0, tol < 1 else { throw ToolError("--tol must be in (0, 1)") }
        guard maxIterations >= 1 else { throw ToolError("--max-iters must be at least 1") }
        options.limits = SolverLimits(tolerance: tol, maxIterations: maxIterations)
        if let noiseLevel, !(noiseLevel >= 0) { throw ToolError("--noise-level must be ≥ 0") }
        options.noiseLevel = noiseLevel
        options.seed = seed
        options.estimateStorage = estimate
        options.recordsTimings = timings
        options.depth = depth
        try setImplicitMethodOptions(&options)
        let outlierChoices = [l1Budget != nil, oracleBudget, penalized].filter { $0 }.count
        guard outlierChoices <= 1 else { throw ToolError("give at most one of --l1-budget, --oracle-budget and --penalized") }
        if lambda != nil, !penalized { throw ToolError("--lambda only applies with --penalized") }
        if let l1Budget {
            guard l1Budget >= 0 else { throw ToolError("--l1-budget must be ≥ 0") }
            options.outliers = .budget(l1Budget)
        } else if oracleBudget {
            options.outliers = .oracleBudget
        } else if penalized {
            if let lambda, !(lambda > 0) { throw ToolError("--lambda must be > 0") }
            options.outliers = .penalized(lambda: lambda)
        }
        return options
    }

    private func setImplicitMethodOptions(_ options: inout SolveOptions) throws {
        let descending: Set<SolverMethod> = [.gradientDescent, .sharpnessAware, .labelNoise]
        if initScale != nil || step != nil, !descending.contains(method) {
            throw ToolError("--init-scale and --step only apply with --method gd, sam or label-noise")
        }
        if rho != nil, method != .sharpnessAware { throw ToolError("--rho only applies with --method sam") }
        if sigma != nil, method != .labelNoise { throw ToolError("--sigma only applies with --method label-noise") }
        if let initScale {
            guard initScale > 0, initScale.isFinite else { throw ToolError("--init-scale must be > 0 (the origin is a saddle gd cannot leave)") }
            options.initScale = initScale
        }
        if let step {
            guard step > 0, step.isFinite else { throw ToolError("--step must be > 0") }
            options.step = step
        }
        if let rho {
            guard rho >= 0, rho.isFinite else { throw ToolError("--rho must be ≥ 0") }
            options.rho = rho
        }
        if let sigma {
            guard sigma >= 0, sigma.isFinite else { throw ToolError("--sigma must be ≥ 0") }
            options.sigma = sigma
        }
    }
}

extension SolverMethod: ExpressibleByArgument {}
