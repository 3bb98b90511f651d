import Foundation
import Frames

/// What ground truth `M♮` to make: its shape, rank and structure, how spiky its singular
/// subspaces are, how it is scaled, and the seed. Everything ``generateGroundTruth(_:)``
/// draws follows from these values, so they (with the toolkit version) are the provenance.
public struct GroundTruthSpecification: Sendable, Equatable {
    /// The structure of `M♮`, one per family of experiments.
    public enum Kind: String, CaseIterable, Sendable {
        /// `L·Rᵀ` with Gaussian factors: the generic rank-r matrix of matrix sensing and completion.
        case gaussian
        /// `U·diag(σ)·Vᵀ` with random orthonormal `U`, `V` and a chosen spectrum, for
        /// experiments that vary the condition number.
        case orthonormal
        /// `U·Uᵀ` with a Gaussian `U`: covariance estimation (and phase retrieval at rank 1).
        case psd
        /// `U1·U1ᵀ − U2·U2ᵀ`: the teacher of a quadratic-activation network with output
        /// weights of both signs.
        case signed

        /// Whether the truth is symmetric, and so needs `d1 == d2`.
        public var isSymmetric: Bool { self == .psd || self == .signed }
    }

    /// Which frames carry the truth: the factors always, the d1×d2 product too or not.
    public typealias TruthStorage = DenseStorage


    /// How the truth is scaled once drawn.
    public enum Normalization: String, CaseIterable, Sendable {
        /// ‖M♮‖_F = 1.
        case frobenius = "fro"
        /// ‖M♮‖₂ = σ₁ = 1.
        case spectral
        /// As drawn.
        case none
    }

    /// The singular values of an `orthonormal` truth, before normalization.
    public enum Spectrum: Sendable, Equatable {
        /// Geometric from 1 down to 1/K, so that σ₁/σ_r = K (all equal to 1 for K = 1).
        case geometric(conditionNumber: Double)
        /// These values, one per column of the factors; positive, in any order.
        case explicit([Double])
    }

    /// d1, the number of rows of `M♮`.
    public var rows: Int
    /// d2, the number of columns of `M♮`.
    public var columns: Int
    /// The rank of `M♮`; for `signed`, the number of positive eigenvalues r1.
    public var rank: Int
    /// For `signed` only: the number of negative eigenvalues r2 (0 is allowed and gives a
    /// PSD truth drawn the signed way).
    public var negativeRank: Int?
    public var kind: Kind
    /// For `orthonormal` only; nil means `.geometric(conditionNumber: 1)`.
    public var spectrum: Spectrum?
    /// α ∈ [0, 1]: how far each factor's Gaussian draw is blended toward standard basis
    /// vectors (see ``generateGroundTruth(_:)``). 0 gives incoherent subspaces, 1 the
    /// spikiest ones.
    public var spikiness: Double
    public var normalization: Normalization
    public var seed: UInt64
    /// Whether the stream gets the dense `truth`; it changes no value drawn.
    public var truthStorage: TruthStorage

    public init(rows: Int, columns: Int, rank: Int, negativeRank: Int? = nil, kind: Kind = .gaussian,
                spectrum: Spectrum? = nil, spikiness: Double = 0, normalization: Normalization = .frobenius,
                seed: UInt64 = 0, truthStorage: TruthStorage = .auto) {
        self.rows = rows
        self.columns = columns
        self.rank = rank
        self.negativeRank = negativeRank
        self.kind = kind
        self.spectrum = spectrum
        self.spikiness = spikiness
        self.normalization = normalization
        self.seed = seed
        self.truthStorage = truthStorage
    }

    /// Whether the d1×d2 `truth` is formed and written, decided from the shape alone before
    /// anything is allocated: `auto` keeps it up to `DenseMatrixLimit.entries` entries
    /// (4096×4096), so a dense matrix above that size exists only when asked for by name.
    public var carriesDenseTruth: Bool { truthStorage.keepsDense(rows: rows, columns: columns) }

    /// What ``generateGroundTruth(_:)`` holds at its peak, from the options alone: both
    /// factors and their orthonormal bases (the spectrum and incoherence come from thin QRs),
    /// and the dense truth when it is carried. Check it before generating; call after
    /// ``validate()``, which bounds the rank by the dimensions.
    public var plannedArrays: [PlannedArray] {
        let rankSource = negativeRank.map { ("--rank \(rank) + --rank-neg \($0)", totalRank) } ?? ("--rank \(rank)", rank)
        let d1 = ("--d1 \(rows)", rows), d2 = ("--d2 \(columns)", columns)
        var plan = [PlannedArray("the left factor", [d1, rankSource]), PlannedArray("the right factor", [d2, rankSource]),
                    PlannedArray("the left factor's orthonormal basis", [d1, rankSource]),
                    PlannedArray("the right factor's orthonormal basis", [d2, rankSource])]
        if carriesDenseTruth {
            plan.append(PlannedArray("the dense truth (--truth \(truthStorage.rawValue))", [d1, d2]))
        }
        return plan
    }

    /// The rank of `M♮` including, for `signed`, its negative part: r1 + r2.
    public var totalRank: Int { rank + (negativeRank ?? 0) }

    /// The singular values an `orthonormal` truth is built with, before normalization, in
    /// the order they are given to the factors' columns.
    public var requestedSingularValues: [Double] {
        switch spectrum ?? .geometric(conditionNumber: 1) {
        case .explicit(let values):
            return values
        case .geometric(let conditionNumber):
            guard rank > 1 else { return [1] }
            return (0 ..< rank).map { index in
                pow(conditionNumber, -Double(index) / Double(rank - 1))
            }
        }
    }

    /// The `generate-ground-truth` arguments that make exactly this specification, with every
    /// default spelled out. Provenance records these rather than the command line as typed,
    /// so that options which only shape the output (file, compression level, threads) leave
    /// the bytes unchanged, and a stream still says how to remake it after defaults change.
    public var commandLineArguments: [String] {
        var arguments = ["--d1", "\(rows)", "--d2", "\(columns)", "--rank", "\(rank)"]
        if let negativeRank { arguments += ["--rank-neg", "\(negativeRank)"] }
        arguments += ["--kind", kind.rawValue]
        switch spectrum {
        case .geometric(let conditionNumber)?: arguments += ["--condition", "\(conditionNumber)"]
        case .explicit(let values)?: arguments += ["--spectrum", values.map { "\($0)" }.joined(separator: ",")]
        case nil: break
        }
        // The storage as resolved, not `auto`: the frames stay remade if the limit ever moves.
        return arguments + ["--spikiness", "\(spikiness)", "--normalize", normalization.rawValue, "--seed", "\(seed)",
                            "--truth", carriesDenseTruth ? TruthStorage.dense.rawValue : TruthStorage.factors.rawValue]
    }

    /// Throws a ``InstanceError`` naming the first option that cannot work, in the
    /// command-line tool's vocabulary so its message reads as advice to the person who typed it.
    public func validate() throws(InstanceError) {
        guard rows >= 1, columns >= 1 else {
            throw InstanceError("dimensions must be at least 1, got --d1 \(rows) --d2 \(columns)")
        }
        guard rank >= 1 else { throw InstanceError("--rank must be at least 1, got \(rank)") }
        if kind.isSymmetric, rows != columns {
            throw InstanceError("--kind \(kind.rawValue) makes a symmetric matrix and needs d1 == d2, got \(rows)×\(columns)")
        }
        if kind == .signed {
            guard let negativeRank else {
                throw InstanceError("--kind signed needs --rank-neg R2, the number of negative eigenvalues (0 allowed)")
            }
            guard negativeRank >= 0 else { throw InstanceError("--rank-neg must be at least 0, got \(negativeRank)") }
            guard rank <= rows, negativeRank <= rows, totalRank <= rows else {
                throw InstanceError("--rank \(rank) plus --rank-neg \(negativeRank) exceeds d = \(rows)")
            }
        } else {
            guard negativeRank == nil else {
                throw InstanceError("--rank-neg applies only to --kind signed, not \(kind.rawValue)")
            }
            guard rank <= min(rows, columns) else {
                throw InstanceError("--rank \(rank) exceeds min(d1, d2) = \(min(rows, columns))")
            }
        }
        if let spectrum {
            guard kind == .orthonormal else {
                throw InstanceError("--condition and --spectrum apply only to --kind orthonormal, not \(kind.rawValue)")
            }
            switch spectrum {
            case .geometric(let conditionNumber):
                guard conditionNumber >= 1, conditionNumber.isFinite else {
                    throw InstanceError("--condition must be a finite number ≥ 1, got \(conditionNumber)")
                }
            case .explicit(let values):
                guard values.count == rank else {
                    throw InstanceError("--spectrum has \(values.count) values but --rank is \(rank)")
                }
                guard values.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                    throw InstanceError("--spectrum values must be positive and finite")
                }
            }
        }
        guard (0 ... 1).contains(spikiness) else {
            throw InstanceError("--spikiness must lie in [0, 1], got \(spikiness)")
        }
    }
}
