import Foundation
import Frames
import LinearAlgebra
import Models
import RandomNumbers

/// A generated ground truth `M♮ = left·rightᵀ` with what the experiments need to know about
/// it. `truth` is computed from the stored factors, so a solver's factors can be checked
/// against `left` and `right` and a product against `truth` with nothing lost in between.
public struct GroundTruth: Sendable {
    public let specification: GroundTruthSpecification
    /// `M♮`, d1×d2; nil when the specification carries the truth as factors alone
    /// (``GroundTruthSpecification/carriesDenseTruth``), in which case it was never formed.
    public let truth: Matrix?
    /// d1×r. For `orthonormal`, `U·√Σ`; for `psd`, `U`; for `signed`, `[U1 U2]`.
    public let left: Matrix
    /// d2×r. For `orthonormal`, `V·√Σ`; for `psd`, `U`; for `signed`, `[U1 −U2]`.
    public let right: Matrix
    /// The r nonzero singular values of `truth` (r1 + r2 for `signed`), descending.
    public let singularValues: [Double]
    /// μ of the left and right singular subspaces; see ``incoherence(ofOrthonormalColumns:)``.
    public let incoherenceLeft: Double
    public let incoherenceRight: Double

    /// σ₁/σ_r over the nonzero singular values.
    public var conditionNumber: Double { singularValues[0] / singularValues[singularValues.count - 1] }

    /// The strong-incoherence parameter μ(U) = (d/r)·max_i ‖e_iᵀU‖² of the subspace spanned
    /// by the d×r orthonormal columns of `basis`. It lies in [1, d/r]: 1 when the subspace's
    /// energy is spread evenly over all coordinates (completion and robust PCA need few
    /// samples), d/r when it sits on r coordinates (a few entries carry everything).
    public static func incoherence(ofOrthonormalColumns basis: Matrix) -> Double {
        var rowEnergies = [Double](repeating: 0, count: basis.rows)
        basis.withUnsafeBufferPointer { entries in
            for column in 0 ..< basis.columns {
                for row in 0 ..< basis.rows {
                    let entry = entries[row + column * basis.rows]
                    rowEnergies[row] += entry * entry
                }
            }
        }
        return Double(basis.rows) / Double(basis.columns) * (rowEnergies.max() ?? 0)
    }
}

/// Draws the ground truth `specification` describes.
///
/// Every kind starts from Gaussian draws with i.i.d. N(0, 1) entries, blended toward
/// standard basis vectors by the spikiness α: a d×c factor is
/// `(1 − α)·G + α·√d·[e₁ … e_c]`, the spike having about the norm of a Gaussian column, so
/// α = 0 gives random subspaces, which are incoherent (μ near its floor of 1 once r ≫ log d),
/// and α = 1 the spikiest (μ = d/r). Then
/// - `gaussian`: left and right are such factors (d1×r and d2×r);
/// - `orthonormal`: `U`, `V` are the Q factors of such draws (Haar-random at α = 0),
///   left = `U·√Σ`, right = `V·√Σ` with Σ from the specification's spectrum;
/// - `psd`: left = right = one d×r factor `U`;
/// - `signed`: one d×(r1 + r2) factor `[U1 U2]` (a single draw, so that at α = 1 the spikes
///   of U1 and U2 land on different coordinates instead of cancelling), left = `[U1 U2]`,
///   right = `[U1 −U2]`.
///
/// Normalization multiplies both factors by the square root of the scale, and `truth` is then
/// computed from the scaled factors, so `truth = left·rightᵀ` holds for the stored values.
/// Everything reported about the truth (spectrum, incoherence) comes from the factors, so
/// `truth` is formed only when the specification carries it, and leaving it out changes
/// nothing else.
///
/// The left factor is drawn from `PCG64(seed:, stream: 0)` and the right one from stream 1,
/// so each factor depends only on the seed and its own shape. The result is bitwise
/// reproducible at a fixed `BLASThreads.count`; OpenBLAS rounds differently at different
/// thread counts, which is why the command-line tool pins it to 1.
///
/// `progress` hears which step is under way.
public func generateGroundTruth(_ specification: GroundTruthSpecification,
                                progress: ((String) -> Void)? = nil) throws -> GroundTruth {
    try specification.validate()
    progress?("drawing the factors")
    var (left, right) = try drawFactors(specification)
    progress?("measuring the spectrum")

    let drawnSpectrum = try LowRankSpectrum(left: left, right: right)
    let norm: Double
    switch specification.normalization {
    case .frobenius: norm = BLAS.nrm2(drawnSpectrum.singularValues)
    case .spectral: norm = drawnSpectrum.singularValues[0]
    case .none: norm = 1
    }
    if norm != 1 {
        let factorScale = (1 / norm).squareRoot()
        left = left * factorScale
        right = right * factorScale
    }

    if specification.carriesDenseTruth { progress?("forming the dense truth") }
    let truth = specification.carriesDenseTruth ? BLAS.matmul(left, right, transposeB: true) : nil
    progress?("measuring the spectrum")
    let spectrum = try LowRankSpectrum(left: left, right: right)
    return GroundTruth(
        specification: specification, truth: truth, left: left, right: right,
        singularValues: spectrum.singularValues,
        incoherenceLeft: GroundTruth.incoherence(ofOrthonormalColumns: spectrum.leftBasis),
        incoherenceRight: GroundTruth.incoherence(ofOrthonormalColumns: spectrum.rightBasis))
}

private func drawFactors(_ specification: GroundTruthSpecification) throws -> (left: Matrix, right: Matrix) {
    let (rows, columns, rank) = (specification.rows, specification.columns, specification.rank)
    var leftGenerator = PCG64(seed: specification.seed, stream: 0)
    var rightGenerator = PCG64(seed: specification.seed, stream: 1)
    func spikyGaussian(rows: Int, columns: Int, using generator: inout PCG64) -> Matrix {
        spikyGaussianFactor(rows: rows, columns: columns, spikiness: specification.spikiness, using: &generator)
    }

    switch specification.kind {
    case .gaussian:
        return (spikyGaussian(rows: rows, columns: rank, using: &leftGenerator),
                spikyGaussian(rows: columns, columns: rank, using: &rightGenerator))
    case .orthonormal:
        let u = try LAPACK.thinQ(spikyGaussian(rows: rows, columns: rank, using: &leftGenerator))
        let v = try LAPACK.thinQ(spikyGaussian(rows: columns, columns: rank, using: &rightGenerator))
        let rootsOfSingularValues = specification.requestedSingularValues.map { $0.squareRoot() }
        return (scalingColumns(of: u, by: rootsOfSingularValues), scalingColumns(of: v, by: rootsOfSingularValues))
    case .psd:
        let u = spikyGaussian(rows: rows, columns: rank, using: &leftGenerator)
        return (u, u)
    case .signed:
        let combined = spikyGaussian(rows: rows, columns: specification.totalRank, using: &leftGenerator)
        let signs = Array(repeating: 1.0, count: rank) + Array(repeating: -1.0, count: specification.totalRank - rank)
        return (combined, scalingColumns(of: combined, by: signs))
    }
}

/// `(1 − α)·G + α·√d·[e₁ … e_c]` for a d×c matrix G of standard normal draws (column-major).
private func spikyGaussianFactor(rows: Int, columns: Int, spikiness: Double, using generator: inout PCG64) -> Matrix {
    var entries = [Double](repeating: 0, count: rows * columns)
    generator.fillStandardNormal(&entries)
    BLAS.scal(1 - spikiness, &entries)
    let spike = spikiness * Double(rows).squareRoot()
    for column in 0 ..< columns {
        entries[column + column * rows] += spike
    }
    return Matrix(rows: rows, columns: columns, columnMajor: entries)
}

/// `matrix·diag(factors)`.
private func scalingColumns(of matrix: Matrix, by factors: [Double]) -> Matrix {
    var scaled = matrix
    scaled.withUnsafeMutableBufferPointer { entries in
        for (column, factor) in factors.enumerated() {
            let start = column * matrix.rows
            BLAS.scal(factor, UnsafeMutableBufferPointer(rebasing: entries[start ..< start + matrix.rows]))
        }
    }
    return scaled
}

/// The nonzero singular values and singular subspaces of `L·Rᵀ`, found from the factors in
/// O((d1 + d2)·r²) instead of the O(d1·d2·min(d1, d2)) of an SVD of the product, which matters
/// for completion-sized matrices. With thin QR factorizations L = Q_L·R_L and R = Q_R·R_R,
/// `L·Rᵀ = Q_L·(R_L·R_Rᵀ)·Q_Rᵀ`, so the singular values are those of the r×r core, and the
/// singular vectors are Q_L and Q_R times the core's orthogonal singular vectors: they span
/// the same subspaces as Q_L and Q_R (whenever the r singular values are nonzero) and have
/// the same row norms, which is all incoherence looks at.
private struct LowRankSpectrum {
    /// Descending, one per column of the factors.
    let singularValues: [Double]
    /// Orthonormal bases of the left and right singular subspaces.
    let leftBasis: Matrix
    let rightBasis: Matrix

    init(left: Matrix, right: Matrix) throws {
        leftBasis = try LAPACK.thinQ(left)
        rightBasis = try LAPACK.thinQ(right)
        let leftTriangle = BLAS.matmul(leftBasis, left, transposeA: true)
        let rightTriangle = BLAS.matmul(rightBasis, right, transposeA: true)
        singularValues = try LAPACK.singularValues(BLAS.matmul(leftTriangle, rightTriangle, transposeB: true))
    }
}

extension GroundTruth {
    /// `truth` (when carried), `truth_left` and `truth_right`, in that order. Each carries the
    /// whole description: kind, ranks, singular values, condition number, incoherences, shape,
    /// normalization and spikiness, so a script finds it on `truth_left` whether or not the
    /// stream has `truth`. Every frame gets `provenance` as its one provenance entry.
    public func frames(provenance: JSONValue) -> [Frame] {
        var description: JSONObject = [
            AttributeKey.rows: .integer(Int64(specification.rows)),
            AttributeKey.columns: .integer(Int64(specification.columns)),
            AttributeKey.rank: .integer(Int64(specification.totalRank)),
            AttributeKey.kind: .string(specification.kind.rawValue),
            AttributeKey.provenance: .array([provenance]),
        ]
        if specification.kind == .signed {
            description[AttributeKey.rankPositive] = .integer(Int64(specification.rank))
            description[AttributeKey.rankNegative] = .integer(Int64(specification.totalRank - specification.rank))
        }
        description[AttributeKey.singularValues] = .array(singularValues.map { .double($0) })
        description[AttributeKey.conditionNumber] = .double(conditionNumber)
        description[AttributeKey.incoherenceLeft] = .double(incoherenceLeft)
        description[AttributeKey.incoherenceRight] = .double(incoherenceRight)
        description[AttributeKey.normalization] = .string(specification.normalization.rawValue)
        description[AttributeKey.spikiness] = .double(specification.spikiness)
        let factors = [Frame(name: FrameName.truthLeft, matrix: left, attributes: description),
                       Frame(name: FrameName.truthRight, matrix: right, attributes: description)]
        guard let truth else { return factors }
        return [Frame(name: FrameName.truth, matrix: truth, attributes: description)] + factors
    }

    /// One line for a person watching: shape, kind, rank, conditioning and incoherence.
    public var summary: String {
        let shape = "\(specification.rows)×\(specification.columns)"
        return "truth \(shape)\(truth == nil ? " (as factors only)" : ""), \(specification.kind.rawValue), rank \(specification.totalRank), "
            + String(format: "condition number %.4g, incoherence %.4g (left) %.4g (right)",
                     conditionNumber, incoherenceLeft, incoherenceRight)
    }
}
