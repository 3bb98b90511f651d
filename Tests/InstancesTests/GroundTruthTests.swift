import Frames
import Instances
import LinearAlgebra
import Models
import Testing
import TestSupport

// Every property is checked against arithmetic that shares no code with the generator: plain
// loops for products, and full LAPACK decompositions of the stored truth where the generator
// works from the factors.

/// One small specification per kind; the symmetric kinds are square.
private let specificationPerKind: [GroundTruthSpecification] = [
    GroundTruthSpecification(rows: 12, columns: 9, rank: 3, kind: .gaussian, seed: 1),
    GroundTruthSpecification(rows: 12, columns: 9, rank: 3, kind: .orthonormal, spectrum: .geometric(conditionNumber: 5), seed: 2),
    GroundTruthSpecification(rows: 10, columns: 10, rank: 3, kind: .psd, seed: 3),
    GroundTruthSpecification(rows: 10, columns: 10, rank: 2, negativeRank: 2, kind: .signed, seed: 4),
]

/// The dense truth, which every specification here is small enough to carry.
private func denseTruth(_ generated: GroundTruth) throws -> Matrix {
    try #require(generated.truth)
}

/// The first `count` columns of `matrix`.
private func leadingColumns(_ matrix: Matrix, _ count: Int) -> Matrix {
    Matrix(rows: matrix.rows, columns: count, columnMajor: Array(matrix.storage.prefix(matrix.rows * count)))
}

/// μ computed the textbook way: top-r singular vectors from a full SVD of the stored truth.
private func incoherenceFromFullSVD(_ truth: Matrix, rank: Int) throws -> (left: Double, right: Double) {
    let (u, _, vt) = try LAPACK.svd(truth)
    func mu(_ basis: Matrix) -> Double {
        var largestRowEnergy = 0.0
        for row in 0 ..< basis.rows {
            largestRowEnergy = max(largestRowEnergy, (0 ..< rank).map { basis[row, $0] * basis[row, $0] }.reduce(0, +))
        }
        return Double(basis.rows) / Double(rank) * largestRowEnergy
    }
    return (mu(u), mu(vt.transposed()))
}

@Suite struct GroundTruthStructureTests {
    @Test(arguments: specificationPerKind)
    func truthIsTheProductOfTheStoredFactors(specification: GroundTruthSpecification) throws {
        let generated = try generateGroundTruth(specification)
        let rank = specification.totalRank
        #expect(generated.left.rows == specification.rows && generated.left.columns == rank)
        #expect(generated.right.rows == specification.columns && generated.right.columns == rank)
        #expect(maxAbsDifference(try denseTruth(generated), naiveProduct(generated.left, naiveTranspose(generated.right))) < 1e-15)
    }

    @Test(arguments: specificationPerKind)
    func lapackFindsExactlyTheRequestedRank(specification: GroundTruthSpecification) throws {
        let generated = try generateGroundTruth(specification)
        let singularValues = try LAPACK.singularValues(denseTruth(generated))
        let rank = specification.totalRank
        #expect(singularValues[rank - 1] > 1e-6)
        #expect(singularValues[rank] < 1e-14)
        #expect(try LAPACK.numericalRank(denseTruth(generated), relativeTolerance: 1e-10) == rank)
    }

    @Test(arguments: specificationPerKind)
    func reportedSpectrumAndIncoherenceAgreeWithAFullSVD(specification: GroundTruthSpecification) throws {
        let generated = try generateGroundTruth(specification)
        let rank = specification.totalRank
        let singularValues = try LAPACK.singularValues(denseTruth(generated))
        #expect(generated.singularValues.count == rank)
        #expect(maxAbsDifference(generated.singularValues, Array(singularValues.prefix(rank))) < 1e-14)
        #expect(abs(generated.conditionNumber - singularValues[0] / singularValues[rank - 1]) < 1e-10)
        let (left, right) = try incoherenceFromFullSVD(denseTruth(generated), rank: rank)
        #expect(abs(generated.incoherenceLeft - left) < 1e-10)
        #expect(abs(generated.incoherenceRight - right) < 1e-10)
    }

    @Test func orthonormalTruthHasTheExplicitSpectrumAsGiven() throws {
        let values = [0.5, 3, 2]
        let generated = try generateGroundTruth(
            GroundTruthSpecification(rows: 15, columns: 11, rank: 3, kind: .orthonormal, spectrum: .explicit(values),
                          normalization: .none, seed: 5))
        #expect(maxAbsDifference(try LAPACK.singularValues(denseTruth(generated)).prefix(3).map { $0 }, [3, 2, 0.5]) < 1e-13)
    }

    @Test func orthonormalExplicitSpectrumIsScaledToUnitFrobeniusNorm() throws {
        let generated = try generateGroundTruth(
            GroundTruthSpecification(rows: 15, columns: 11, rank: 3, kind: .orthonormal, spectrum: .explicit([3, 2, 0.5]), seed: 5))
        let norm = (9.0 + 4 + 0.25).squareRoot()
        #expect(maxAbsDifference(Array(try LAPACK.singularValues(denseTruth(generated)).prefix(3)), [3 / norm, 2 / norm, 0.5 / norm]) < 1e-14)
    }

    @Test func orthonormalConditionNumberGivesAGeometricSpectrumFromOne() throws {
        let generated = try generateGroundTruth(
            GroundTruthSpecification(rows: 20, columns: 20, rank: 4, kind: .orthonormal, spectrum: .geometric(conditionNumber: 1000),
                          normalization: .spectral, seed: 6))
        let singularValues = Array(try LAPACK.singularValues(denseTruth(generated)).prefix(4))
        #expect(maxAbsDifference(singularValues, [1, 0.1, 0.01, 0.001]) < 1e-14)
        #expect(abs(generated.conditionNumber - 1000) < 1e-9)
    }

    @Test func orthonormalDefaultsToConditionNumberOne() throws {
        let generated = try generateGroundTruth(GroundTruthSpecification(rows: 8, columns: 6, rank: 2, kind: .orthonormal, seed: 7))
        let expected = 1 / 2.0.squareRoot()
        #expect(maxAbsDifference(Array(try LAPACK.singularValues(denseTruth(generated)).prefix(2)), [expected, expected]) < 1e-14)
    }

    @Test func psdTruthIsSymmetricPositiveSemidefiniteOfTheRequestedRank() throws {
        let generated = try generateGroundTruth(GroundTruthSpecification(rows: 14, columns: 14, rank: 4, kind: .psd, seed: 8))
        #expect(generated.left == generated.right)
        #expect(maxAbsDifference(try denseTruth(generated), try denseTruth(generated).transposed()) < 1e-16)
        let eigenvalues = try LAPACK.symmetricEigenvalues(denseTruth(generated))
        #expect(eigenvalues.allSatisfy { $0 >= -1e-12 })
        #expect(eigenvalues.count { $0 > 1e-10 } == 4)
    }

    @Test func signedTruthHasR1PositiveAndR2NegativeEigenvalues() throws {
        let generated = try generateGroundTruth(
            GroundTruthSpecification(rows: 16, columns: 16, rank: 3, negativeRank: 2, kind: .signed, seed: 9))
        let eigenvalues = try LAPACK.symmetricEigenvalues(denseTruth(generated))
        #expect(eigenvalues.count { $0 > 1e-10 } == 3)
        #expect(eigenvalues.count { $0 < -1e-10 } == 2)
        #expect(maxAbsDifference(try denseTruth(generated), try denseTruth(generated).transposed()) < 1e-15)
        // right = [U1 −U2]: the first r1 columns agree with left, the last r2 are negated.
        for column in 0 ..< 5 {
            #expect(generated.right.column(column) == generated.left.column(column).map { column < 3 ? $0 : -$0 })
        }
    }

    @Test(arguments: specificationPerKind)
    func normalizationGivesUnitNorm(specification: GroundTruthSpecification) throws {
        var frobenius = specification
        frobenius.normalization = .frobenius
        #expect(abs(try denseTruth(generateGroundTruth(frobenius)).frobeniusNorm - 1) < 1e-14)

        var spectral = specification
        spectral.normalization = .spectral
        #expect(abs(try LAPACK.spectralNorm(try denseTruth(generateGroundTruth(spectral))) - 1) < 1e-14)

        // Normalizing only rescales: the unnormalized truth, scaled to unit norm, is the same matrix.
        var unnormalized = specification
        unnormalized.normalization = .none
        let drawn = try denseTruth(generateGroundTruth(unnormalized))
        #expect(maxAbsDifference(drawn * (1 / drawn.frobeniusNorm), try denseTruth(generateGroundTruth(frobenius))) < 1e-14)
    }
}

@Suite struct GroundTruthIncoherenceTests {
    @Test(arguments: [(8, 1), (8, 3), (20, 5)])
    func coordinateSubspaceIsMaximallyCoherent(dimension: Int, rank: Int) {
        let basis = leadingColumns(Matrix.identity(dimension), rank)
        #expect(GroundTruth.incoherence(ofOrthonormalColumns: basis) == Double(dimension) / Double(rank))
    }

    @Test(arguments: [1, 2, 4, 8])
    func hadamardSubspaceIsPerfectlyIncoherent(rank: Int) {
        // Sylvester's Hadamard matrix of order 8, scaled to orthonormal columns: every row of
        // any r of its columns has energy exactly r/8.
        var hadamard = Matrix(rows: 1, columns: 1, columnMajor: [1])
        for _ in 0 ..< 3 {
            let size = hadamard.rows
            var doubled = Matrix.zeros(rows: 2 * size, columns: 2 * size)
            for i in 0 ..< size {
                for j in 0 ..< size {
                    doubled[i, j] = hadamard[i, j]
                    doubled[i + size, j] = hadamard[i, j]
                    doubled[i, j + size] = hadamard[i, j]
                    doubled[i + size, j + size] = -hadamard[i, j]
                }
            }
            hadamard = doubled
        }
        let basis = leadingColumns(hadamard * (1 / 8.0.squareRoot()), rank)
        #expect(abs(GroundTruth.incoherence(ofOrthonormalColumns: basis) - 1) < 1e-14)
    }

    @Test(arguments: [GroundTruthSpecification.Kind.gaussian, .orthonormal, .psd])
    func spikinessRaisesIncoherenceOnAverage(kind: GroundTruthSpecification.Kind) throws {
        let (dimension, rank) = (40, 2)
        let seeds: [UInt64] = Array(0 ..< 8)
        let averages = try [0, 0.25, 0.5, 0.75, 1].map { spikiness in
            try seeds.map { seed in
                try generateGroundTruth(GroundTruthSpecification(rows: dimension, columns: dimension, rank: rank, kind: kind,
                                                      spikiness: spikiness, seed: seed)).incoherenceLeft
            }.reduce(0, +) / Double(seeds.count)
        }
        #expect(zip(averages, averages.dropFirst()).allSatisfy { $0 < $1 }, "\(averages)")
        #expect(averages[0] < 0.4 * Double(dimension) / Double(rank), "\(averages)")
        #expect(abs(averages[4] - Double(dimension) / Double(rank)) < 1e-10, "\(averages)")
    }

    @Test func fullySpikySignedTruthKeepsItsRank() throws {
        let generated = try generateGroundTruth(
            GroundTruthSpecification(rows: 12, columns: 12, rank: 2, negativeRank: 3, kind: .signed, spikiness: 1))
        #expect(try LAPACK.numericalRank(denseTruth(generated), relativeTolerance: 1e-10) == 5)
        #expect(abs(generated.incoherenceLeft - 12.0 / 5) < 1e-12)
    }
}

@Suite struct GroundTruthReproducibilityTests {
    @Test(arguments: specificationPerKind)
    func sameSeedGivesIdenticalMatricesAndAnotherSeedDoesNot(specification: GroundTruthSpecification) throws {
        let first = try generateGroundTruth(specification)
        let again = try generateGroundTruth(specification)
        #expect(first.truth == again.truth && first.left == again.left && first.right == again.right)
        #expect(first.singularValues == again.singularValues)
        #expect(first.frames(provenance: "p") == again.frames(provenance: "p"))

        var reseeded = specification
        reseeded.seed += 1
        let other = try generateGroundTruth(reseeded)
        #expect(other.truth != first.truth && other.left != first.left && other.right != first.right)
    }

    @Test func eachFactorDependsOnlyOnTheSeedAndItsOwnShape() throws {
        func factors(rows: Int, columns: Int) throws -> GroundTruth {
            try generateGroundTruth(GroundTruthSpecification(rows: rows, columns: columns, rank: 2, normalization: .none, seed: 3))
        }
        #expect(try factors(rows: 10, columns: 6).left == factors(rows: 10, columns: 30).left)
        #expect(try factors(rows: 10, columns: 6).right == factors(rows: 25, columns: 6).right)
    }
}

@Suite struct GroundTruthFrameTests {
    @Test func framesAreTruthThenFactorsWithTheirAttributes() throws {
        let generated = try generateGroundTruth(
            GroundTruthSpecification(rows: 10, columns: 10, rank: 2, negativeRank: 1, kind: .signed, spikiness: 0.3, seed: 11))
        let provenance: JSONValue = ["tool": "generate-ground-truth", "seed": 11]
        let frames = generated.frames(provenance: provenance)
        #expect(frames.map(\.header.name) == [FrameName.truth, FrameName.truthLeft, FrameName.truthRight])
        #expect(frames.map(\.header.shape) == [[10, 10], [10, 3], [10, 3]])
        #expect(try Matrix(frame: frames[0]) == denseTruth(generated))
        #expect(try Matrix(frame: frames[1]) == generated.left)
        #expect(try Matrix(frame: frames[2]) == generated.right)

        let truth = frames[0].header.attributes
        #expect(truth[AttributeKey.kind] == "signed")
        #expect(truth[AttributeKey.rank] == 3)
        #expect(truth[AttributeKey.rankPositive] == 2)
        #expect(truth[AttributeKey.rankNegative] == 1)
        #expect(truth[AttributeKey.rows] == 10 && truth[AttributeKey.columns] == 10)
        #expect(truth[AttributeKey.singularValues] == .array(generated.singularValues.map { .double($0) }))
        #expect(truth[AttributeKey.conditionNumber] == .double(generated.conditionNumber))
        #expect(truth[AttributeKey.incoherenceLeft] == .double(generated.incoherenceLeft))
        #expect(truth[AttributeKey.incoherenceRight] == .double(generated.incoherenceRight))
        #expect(truth[AttributeKey.normalization] == "fro")
        #expect(truth[AttributeKey.spikiness] == 0.3)
        for frame in frames {
            #expect(frame.header.attributes[AttributeKey.provenance] == [provenance])
            #expect(frame.header.attributes[AttributeKey.rank] == 3)
        }
    }
}

@Suite struct GroundTruthProvenanceTests {
    @Test func commandLineArgumentsSpellOutEverySetting() {
        let specification = GroundTruthSpecification(rows: 6, columns: 4, rank: 2, kind: .orthonormal,
                                                      spectrum: .explicit([2, 0.25]), seed: 12)
        #expect(specification.commandLineArguments == [
            "--d1", "6", "--d2", "4", "--rank", "2", "--kind", "orthonormal", "--spectrum", "2.0,0.25",
            "--spikiness", "0.0", "--normalize", "fro", "--seed", "12", "--truth", "dense",
        ])
        let signed = GroundTruthSpecification(rows: 5, columns: 5, rank: 1, negativeRank: 0, kind: .signed,
                                              normalization: .none)
        #expect(signed.commandLineArguments == [
            "--d1", "5", "--d2", "5", "--rank", "1", "--rank-neg", "0", "--kind", "signed",
            "--spikiness", "0.0", "--normalize", "none", "--seed", "0", "--truth", "dense",
        ])
    }
}

@Suite struct GroundTruthValidationTests {
    @Test(arguments: [
        (GroundTruthSpecification(rows: 5, columns: 4, rank: 5), "--rank 5 exceeds min(d1, d2) = 4"),
        (GroundTruthSpecification(rows: 5, columns: 4, rank: 0), "--rank must be at least 1"),
        (GroundTruthSpecification(rows: 0, columns: 4, rank: 1), "dimensions must be at least 1"),
        (GroundTruthSpecification(rows: 5, columns: 4, rank: 2, kind: .psd), "needs d1 == d2, got 5×4"),
        (GroundTruthSpecification(rows: 5, columns: 4, rank: 1, negativeRank: 1, kind: .signed), "needs d1 == d2"),
        (GroundTruthSpecification(rows: 5, columns: 5, rank: 2, kind: .signed), "--kind signed needs --rank-neg"),
        (GroundTruthSpecification(rows: 5, columns: 5, rank: 3, negativeRank: 3, kind: .signed), "--rank 3 plus --rank-neg 3 exceeds d = 5"),
        (GroundTruthSpecification(rows: 5, columns: 5, rank: 2, negativeRank: 1), "--rank-neg applies only to --kind signed"),
        (GroundTruthSpecification(rows: 5, columns: 5, rank: 2, spectrum: .geometric(conditionNumber: 2)), "apply only to --kind orthonormal"),
        (GroundTruthSpecification(rows: 5, columns: 5, rank: 2, kind: .orthonormal, spectrum: .geometric(conditionNumber: 0.5)), "--condition must be"),
        (GroundTruthSpecification(rows: 5, columns: 5, rank: 2, kind: .orthonormal, spectrum: .explicit([1, 2, 3])), "--spectrum has 3 values but --rank is 2"),
        (GroundTruthSpecification(rows: 5, columns: 5, rank: 2, kind: .orthonormal, spectrum: .explicit([1, 0])), "positive"),
        (GroundTruthSpecification(rows: 5, columns: 5, rank: 2, spikiness: 1.5), "--spikiness must lie in [0, 1]"),
    ])
    func impossibleSpecificationsAreRefusedWithAClearMessage(specification: GroundTruthSpecification, message: String) {
        do {
            _ = try generateGroundTruth(specification)
            Issue.record("expected an error containing '\(message)'")
        } catch let error as InstanceError {
            #expect(error.description.contains(message), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

/// Which frames carry the truth: decided from the shape before anything is allocated, so the
/// large cases are checked without drawing them.
@Suite struct TruthStorageTests {
    private func specification(_ rows: Int, _ columns: Int, _ storage: GroundTruthSpecification.TruthStorage = .auto)
        -> GroundTruthSpecification {
        GroundTruthSpecification(rows: rows, columns: columns, rank: 1, truthStorage: storage)
    }

    @Test func autoKeepsTheDenseTruthUpToTwoToTheTwentyFourEntries() {
        #expect(specification(4096, 4096).carriesDenseTruth)
        #expect(specification(1, 1 << 24).carriesDenseTruth)
        #expect(specification(2000, 2000).carriesDenseTruth)
        #expect(!specification(4097, 4096).carriesDenseTruth)
        #expect(!specification((1 << 24) + 1, 1).carriesDenseTruth)
        #expect(!specification(10_000, 10_000).carriesDenseTruth)
        // A product that overflows Int is beyond any limit, not negative and under it.
        #expect(!specification(1 << 40, 1 << 40).carriesDenseTruth)
    }

    @Test func anExplicitChoiceHoldsAtEverySize() {
        #expect(specification(10_000, 10_000, .dense).carriesDenseTruth)
        #expect(!specification(3, 2, .factors).carriesDenseTruth)
    }

    @Test func provenanceRecordsTheStorageAsResolved() {
        #expect(specification(10_000, 10_000).commandLineArguments.suffix(2) == ["--truth", "factors"])
        #expect(specification(10, 10).commandLineArguments.suffix(2) == ["--truth", "dense"])
        #expect(specification(10, 10, .factors).commandLineArguments.suffix(2) == ["--truth", "factors"])
    }

    @Test(arguments: specificationPerKind)
    func factorsAloneChangeNothingButTheMissingTruthFrame(specification: GroundTruthSpecification) throws {
        var factorsOnly = specification
        factorsOnly.truthStorage = .factors
        let dense = try generateGroundTruth(specification)
        let factored = try generateGroundTruth(factorsOnly)
        #expect(factored.truth == nil && dense.truth != nil)
        #expect(factored.left == dense.left && factored.right == dense.right)
        #expect(factored.singularValues == dense.singularValues)
        #expect(factored.incoherenceLeft == dense.incoherenceLeft && factored.incoherenceRight == dense.incoherenceRight)

        let frames = factored.frames(provenance: "p")
        let denseFrames = dense.frames(provenance: "p")
        #expect(frames.map(\.header.name) == [FrameName.truthLeft, FrameName.truthRight])
        #expect(frames == Array(denseFrames.dropFirst()))
        // The description scripts read on `truth` is on the factors too.
        #expect(frames[0].header.attributes == denseFrames[0].header.attributes)
        #expect(frames[0].header.attributes[AttributeKey.conditionNumber] == .double(dense.conditionNumber))
    }
}
