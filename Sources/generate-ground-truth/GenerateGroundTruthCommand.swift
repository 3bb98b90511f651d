import ArgumentParser
import Frames
import Instances
import LinearAlgebra
import ToolSupport

@main
struct GenerateGroundTruthCommand: ToolCommand {
    static let toolName = "generate-ground-truth"

    static let configuration = CommandConfiguration(
        commandName: toolName,
        abstract: "Write a random low-rank ground truth and its factors as a frame stream.",
        discussion: """
            Writes truth (d1×d2, up to a size: see below), truth_left (d1×r) and truth_right (d2×r), with \
            truth = truth_left·truth_rightᵀ computed from the stored factors, so a solver can be \
            checked against either. The attributes of each give the kind, rank, the nonzero \
            singular values (descending), the condition number σ1/σr, the incoherence μ of the \
            left and right singular subspaces, and the provenance (tool, version, seed, and the \
            arguments that remake the frames, defaults included).

            Above 2^24 entries (d1·d2 > 16777216, e.g. beyond 4096×4096) the dense truth is \
            left out and never formed: the stream holds truth_left and truth_right alone, \
            (d1 + d2)·r numbers instead of d1·d2 (at 10^4×10^4 rank 10, 1.5 MiB instead of \
            763 MiB), and every tool works from them. --truth dense keeps it at any size, \
            --truth factors leaves it out at any size.

            Kinds (psd and signed need d1 = d2):
              gaussian     L·Rᵀ with L, R Gaussian (the default)
              orthonormal  U·diag(σ)·Vᵀ with U, V random orthonormal; left = U√Σ,
                           right = V√Σ; σ geometric from 1 down to 1/K
                           (--condition K, default 1) or given (--spectrum)
              psd          U·Uᵀ with U Gaussian (covariance estimation);
                           left = right = U
              signed       U1·U1ᵀ − U2·U2ᵀ with U1 d×r, U2 d×r2 (--rank-neg r2): the
                           teacher of a quadratic-activation network;
                           left = [U1 U2], right = [U1 −U2]

            Incoherence: each factor is drawn as (1−α)·G + α·√d·[e1 … ec], a Gaussian matrix G \
            blended toward the first standard basis vectors by the spikiness α (--spikiness). \
            α = 0 gives random subspaces, which are incoherent (μ near its floor of 1 once \
            r ≫ log d), α = 1 the spikiest (μ = d/r), where \
            μ(U) = (d/r)·max_i ‖e_iᵀU‖². Raise it to make completion and robust PCA harder.

            Normalization (--normalize) scales both factors by the same √c and then recomputes \
            truth from them: fro makes ‖truth‖_F = 1, spectral makes σ1 = 1.

            The same arguments give the same bytes on every run, whatever --threads or \
            OPENBLAS_NUM_THREADS say.

            Examples:
              generate-ground-truth --d1 50 --rank 3 --seed 1 > truth.frames
              frames ls truth.frames
              zstd -dc truth.frames > truth.npy    # numpy: np.load(f) three times
              generate-ground-truth --d1 60 --d2 40 --rank 5 --kind orthonormal \\
                  --condition 10 --normalize spectral | frames ls
              generate-ground-truth --d1 200 --rank 4 --spikiness 0.5 -o spiky.frames
              generate-ground-truth --d1 10000 --rank 10 | frames ls   # factors only
              generate-ground-truth --d1 40 --rank 2 --kind signed --rank-neg 1 \\
                  --seed 7 | frames export truth --csv -
            """,
        version: Toolkit.version)

    @Option(name: .customLong("d1"), parsing: .unconditional, help: ArgumentHelp("Rows of the truth.", valueName: "n"))
    var rows: Int

    @Option(name: .customLong("d2"), parsing: .unconditional, help: ArgumentHelp("Columns of the truth (default: d1, square).", valueName: "n"))
    var columns: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Rank r of the truth; for --kind signed, the number r1 of positive eigenvalues.", valueName: "r"))
    var rank: Int

    @Option(help: ArgumentHelp("Structure of the truth.", valueName: "kind"))
    var kind: GroundTruthSpecification.Kind = .gaussian

    @Option(name: .customLong("rank-neg"), parsing: .unconditional,
            help: ArgumentHelp("For --kind signed: the number r2 of negative eigenvalues (0 allowed).", valueName: "r2"))
    var negativeRank: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("For --kind orthonormal: σ1/σr, singular values geometric from 1 to 1/K (default 1).", valueName: "K"))
    var condition: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("For --kind orthonormal: the singular values, comma-separated, one per rank.", valueName: "a,b,c"),
            transform: parseSpectrum)
    var spectrum: [Double]?

    @Option(parsing: .unconditional, help: ArgumentHelp("Blend of the factors toward standard basis vectors, in [0, 1]: 0 incoherent, 1 spiky.", valueName: "α"))
    var spikiness: Double = 0

    @Option(help: ArgumentHelp("Scale so that ‖truth‖_F = 1 (fro), σ1 = 1 (spectral), or not at all (none).", valueName: "norm"))
    var normalize: GroundTruthSpecification.Normalization = .frobenius

    @Option(parsing: .unconditional, help: ArgumentHelp("Random seed; the same seed gives the same bytes.", valueName: "s"))
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Write the dense truth frame too (dense), the factors alone (factors), or dense up to 2^24 entries only (auto).",
                               valueName: "form"))
    var truth: GroundTruthSpecification.TruthStorage = .auto

    @OptionGroup var progressOptions: ProgressOptions
    @OptionGroup var memory: MemoryOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try runTool(Self.toolName) {
            // OpenBLAS rounds gemm and its reductions differently at different thread counts,
            // and products of thin factors gain nothing from threads, so one thread keeps the
            // same bytes whatever OPENBLAS_NUM_THREADS or the number of cores say.
            BLASThreads.runSingleThreaded()
            let specification = try makeSpecification()
            try specification.validate()
            try memory.budget.check(specification.plannedArrays)
            let progress = progressOptions.reporter(tool: Self.toolName)
            let groundTruth = try generateGroundTruth(specification, progress: { progress.report($0) })
            let provenance = provenanceEntry(tool: Self.toolName, arguments: specification.commandLineArguments,
                                             seed: seed)
            let stream = try output.makeOutput(inputs: [], progress: progress)
            for frame in groundTruth.frames(provenance: provenance) {
                progress.report("writing '\(frame.header.name)'")
                try stream.writer.write(frame)
            }
            try stream.finish()
            if !progressOptions.quiet && StandardStreams.isTerminal(2) {
                StandardStreams.error("\(Self.toolName): \(groundTruth.summary)")
            }
        }
    }

    private func makeSpecification() throws -> GroundTruthSpecification {
        let requestedSpectrum: GroundTruthSpecification.Spectrum?
        switch (condition, spectrum) {
        case (nil, nil): requestedSpectrum = nil
        case (let conditionNumber?, nil): requestedSpectrum = .geometric(conditionNumber: conditionNumber)
        case (nil, let values?): requestedSpectrum = .explicit(values)
        case (_?, _?): throw ToolError("give --condition or --spectrum, not both")
        }
        return GroundTruthSpecification(
            rows: rows, columns: columns ?? rows, rank: rank, negativeRank: negativeRank, kind: kind,
            spectrum: requestedSpectrum, spikiness: spikiness, normalization: normalize, seed: seed,
            truthStorage: truth)
    }
}

private func parseSpectrum(_ text: String) throws -> [Double] {
    try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
        guard let value = Double(item.filter { !$0.isWhitespace }) else {
            throw ValidationError("'\(item)' in --spectrum is not a number")
        }
        return value
    }
}

extension GroundTruthSpecification.Kind: ExpressibleByArgument {}
extension GroundTruthSpecification.Normalization: ExpressibleByArgument {}
