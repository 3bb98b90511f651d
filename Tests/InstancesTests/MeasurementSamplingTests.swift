import Foundation
import Testing
import TestSupport
import Frames
import LinearAlgebra
import Models
@testable import Instances

private let provenance: JSONValue = ["tool": "test"]

/// The frames `writeMeasurements` writes, read back from memory.
private func sampleMeasurements(truth: Matrix, rank: Int, specification: MeasurementSpecification,
                                provenance: JSONValue) throws -> [Frame] {
    try sampleMeasurements(truth: .dense(truth), rank: rank, specification: specification, provenance: provenance)
}

private func sampleMeasurements(truth: MeasuredTruth, rank: Int, specification: MeasurementSpecification,
                                provenance: JSONValue) throws -> [Frame] {
    let sink = MemorySink()
    let writer = FrameWriter(sink: sink)
    try writeMeasurements(truth: truth, rank: rank, specification: specification, provenance: provenance, to: writer)
    try writer.flush()
    return try decodeFrames(sink.bytes)
}

private func byName(_ frames: [Frame]) -> [String: Frame] {
    Dictionary(uniqueKeysWithValues: frames.map { ($0.header.name, $0) })
}

private func spectralDistanceFromIdentity(_ squared: SquaredScaling) throws -> Double {
    try LAPACK.spectralNorm(squared.matrix - Matrix.identity(squared.size))
}

@Suite struct MeasurementSamplingTests {
    let truth = lowRankMatrix(rows: 12, columns: 9, rank: 2, seed: 1)

    @Test(arguments: [OperatorFamily.gaussian, .bilinear, .completion, .identity])
    func noiselessObservationsAreTheOperatorAppliedToTheTruth(family: OperatorFamily) throws {
        let frames = try sampleMeasurements(truth: truth, rank: 2, specification: MeasurementSpecification(family: family, size: .count(60)),
                                            provenance: provenance)
        let set = try MeasurementSet(frames: byName(frames))
        #expect(set.measurementOperator.family == family)
        // The streamed Gaussian draw sums A(X) in another order than gemv: equal to rounding.
        let recomputed = set.measurementOperator.apply(truth)
        #expect(zip(recomputed, set.observations).allSatisfy { abs($0 - $1) <= 1e-13 * max(1, abs($0)) })
        if family == .completion {
            // Independent of the operator code: the observed values are the truth's entries.
            let entries = byName(frames)[FrameName.entries]!.data.integers!
            for i in 0..<60 { #expect(set.observations[i] == truth[entries[i], entries[60 + i]]) }
            let positions: Set<Int> = Set((0..<60).map { (i: Int) -> Int in entries[i] + 12 * entries[60 + i] })
            #expect(positions.count == 60)
        }
    }

    @Test func quadraticObservationsAreQuadraticForms() throws {
        let factor = gaussianMatrix(rows: 10, columns: 2, seed: 3)
        let psd = BLAS.matmul(factor, factor, transposeB: true)
        let frames = byName(try sampleMeasurements(truth: psd, rank: 2, specification: MeasurementSpecification(family: .quadratic, size: .count(30)), provenance: provenance))
        let features = try Matrix(frame: frames[FrameName.features]!)
        let observations = frames[FrameName.observations]!.data.doubles
        for i in 0..<30 {
            var form = 0.0
            for p in 0..<10 {
                for q in 0..<10 {
                    let weight: Double = features[i, p] * features[i, q]
                    form += weight * psd[p, q]
                }
            }
            #expect(abs(form - observations[i]) <= 1e-10 * max(1, abs(form)))
        }
        #expect(throws: InstanceError.self) {
            try sampleMeasurements(truth: truth, rank: 2, specification: MeasurementSpecification(family: .quadratic, size: .count(30)), provenance: provenance)
        }
    }

    @Test func sameSeedSameFramesOnAnyThreadCount() throws {
        let big = lowRankMatrix(rows: 30, columns: 30, rank: 2, seed: 1)
        func draw(threads: Int, seed: UInt64 = 4) throws -> [Frame] {
            try sampleMeasurements(truth: big, rank: 2, specification: MeasurementSpecification(
                family: .gaussian, size: .count(400), noise: 0.1, holdout: 20, seed: seed, threads: threads), provenance: provenance)
        }
        let one = try draw(threads: 1)
        #expect(one == (try draw(threads: 2)))
        #expect(one != (try draw(threads: 1, seed: 5)))
    }

    @Test func heldOutSetDoesNotChangeTheTrainingDraw() throws {
        let spec = MeasurementSpecification(family: .bilinear, size: .count(50), seed: 9)
        var withHoldout = spec
        withHoldout.holdout = 25
        let plain = try sampleMeasurements(truth: truth, rank: 2, specification: spec, provenance: provenance)
        let extended = try sampleMeasurements(truth: truth, rank: 2, specification: withHoldout, provenance: provenance)
        #expect(Array(extended.prefix(plain.count)) == plain)
        #expect(extended.suffix(3).map(\.header.name) == ["holdout_sensing_left", "holdout_sensing_right", "holdout_observations"])
        #expect(try MeasurementSet(frames: byName(extended), prefix: FrameName.holdoutPrefix).observations.count == 25)
    }

    @Test func heldOutEntriesAreUnobserved() throws {
        let frames = byName(try sampleMeasurements(truth: truth, rank: 2, specification: MeasurementSpecification(
            family: .completion, size: .probability(0.5), holdout: 30, seed: 2), provenance: provenance))
        func positions(_ name: String) -> Set<Int> {
            let e = frames[name]!.data.integers!
            let m = e.count / 2
            return Set((0..<m).map { (i: Int) -> Int in e[i] + 12 * e[m + i] })
        }
        let training = positions(FrameName.entries)
        let held = positions(FrameName.holdoutPrefix + FrameName.entries)
        #expect(held.count == 30 && training.isDisjoint(with: held))
    }

    @Test func bernoulliSamplingHitsTheRequestedRate() throws {
        let large = lowRankMatrix(rows: 200, columns: 150, rank: 1, seed: 1)
        let p = 0.3
        let frames = byName(try sampleMeasurements(truth: large, rank: 1, specification: MeasurementSpecification(family: .completion, size: .probability(p), seed: 11), provenance: provenance))
        let observed = Double(frames[FrameName.observations]!.header.elementCount)
        let n = 200.0 * 150
        #expect(abs(observed - p * n) <= 6 * (n * p * (1 - p)).squareRoot())
    }

    @Test func relativeNoiseHasTheRequestedSize() throws {
        let spec = MeasurementSpecification(family: .gaussian, size: .count(3000), noise: 0.05, seed: 6)
        let noisy = byName(try sampleMeasurements(truth: truth, rank: 2, specification: spec, provenance: provenance))
        let set = try MeasurementSet(frames: noisy)
        let clean = set.measurementOperator.apply(truth)
        let residual = zip(set.observations, clean).map { $0 - $1 }
        let rms = (clean.reduce(0) { $0 + $1 * $1 } / 3000).squareRoot()
        let attributes = noisy[FrameName.observations]!.header.attributes
        let std = attributes[AttributeKey.noiseStandardDeviation]!.doubleValue!
        #expect(abs(std - 0.05 * rms) <= 1e-12 * std)
        #expect(abs(attributes[AttributeKey.noiseNorm]!.doubleValue! - BLAS.nrm2(residual)) <= 1e-9 * std)
        let sampleStd = (residual.reduce(0) { $0 + $1 * $1 } / 3000).squareRoot()
        #expect(abs(sampleStd / std - 1) < 6 / (2 * 3000.0).squareRoot())
    }

    /// docs/mathematics.md §3: for Gaussian and bilinear sensing D1, D2 ≈ I, and the approximation tightens
    /// as m grows (operator-norm deviation of order √(d/m)).
    @Test(arguments: [OperatorFamily.gaussian, .bilinear])
    func rescalingConcentratesNearTheIdentity(family: OperatorFamily) throws {
        let small = lowRankMatrix(rows: 8, columns: 6, rank: 1, seed: 1)
        var deviations: [Double] = []
        for m in [100, 1600, 12800] {
            let frames = byName(try sampleMeasurements(truth: small, rank: 1, specification: MeasurementSpecification(family: family, size: .count(m), seed: 21), provenance: provenance))
            let rescaling = try MeasurementSet(frames: frames).measurementOperator.rescaling()
            deviations.append(max(try spectralDistanceFromIdentity(rescaling.left), try spectralDistanceFromIdentity(rescaling.right)))
        }
        #expect(deviations[0] > deviations[1] && deviations[1] > deviations[2], "\(deviations)")
        // Gaussian: an average of m·d outer products deviates by about 2√(d/(m·d')); bilinear's
        // weights ‖c_i‖²/d2 widen that by a constant. 12800 measurements leave under 0.1 either way.
        #expect(deviations[2] < 0.1, "\(deviations)")
    }

    @Test func impossibleRequestsAreRefused() {
        func attempt(_ spec: MeasurementSpecification) -> String? {
            do {
                _ = try sampleMeasurements(truth: truth, rank: 2, specification: spec, provenance: provenance)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(attempt(MeasurementSpecification(family: .completion, size: .count(109)))?.contains("exceeds the 108 entries") == true)
        #expect(attempt(MeasurementSpecification(family: .gaussian, size: .count(0)))?.contains("--m must be at least 1") == true)
        #expect(attempt(MeasurementSpecification(family: .gaussian, size: .probability(0.5)))?.contains("--p applies to --operator completion only") == true)
        #expect(attempt(MeasurementSpecification(family: .completion, size: .probability(1.5)))?.contains("--p must be in (0, 1]") == true)
        #expect(attempt(MeasurementSpecification(family: .identity, size: .oversampling(5), holdout: 3))?.contains("--holdout") == true)
    }
}

/// A truth that comes as factors alone is measured without its dense product: the same
/// operator is drawn, and the observations are those of the product to rounding.
@Suite struct FactoredTruthSamplingTests {
    let left = gaussianMatrix(rows: 11, columns: 2, seed: 21)
    let right = gaussianMatrix(rows: 8, columns: 2, seed: 22)

    @Test(arguments: [OperatorFamily.gaussian, .bilinear, .completion, .identity])
    func theSameOperatorMeasuresTheProduct(family: OperatorFamily) throws {
        let specification = MeasurementSpecification(family: family, size: .count(40), holdout: family == .identity ? 0 : 7, seed: 5)
        let dense = try sampleMeasurements(truth: BLAS.matmul(left, right, transposeB: true), rank: 2,
                                           specification: specification, provenance: provenance)
        let factored = try sampleMeasurements(truth: .factors(LowRankMatrix(left: left, right: right)), rank: 2,
                                              specification: specification, provenance: provenance)
        #expect(factored.map(\.header) == dense.map(\.header))
        for (a, b) in zip(factored, dense) where !a.header.name.hasSuffix(FrameName.observations) {
            #expect(a == b, "\(a.header.name)")
        }
        for name in [FrameName.observations, FrameName.holdoutPrefix + FrameName.observations] {
            guard let a = factored.first(where: { $0.header.name == name }) else { continue }
            let b = try #require(dense.first { $0.header.name == name })
            let scale = b.data.doubles.map(abs).max()!
            #expect(zip(a.data.doubles, b.data.doubles).allSatisfy { abs($0 - $1) <= 1e-14 * scale }, "\(name)")
        }
    }

    @Test func completionObservesDotProductsOfFactorRows() throws {
        let frames = byName(try sampleMeasurements(truth: .factors(LowRankMatrix(left: left, right: right)), rank: 2,
                                                   specification: MeasurementSpecification(family: .completion, size: .count(30)),
                                                   provenance: provenance))
        let entries = frames[FrameName.entries]!.data.integers!
        let observations = frames[FrameName.observations]!.data.doubles
        for i in 0..<30 {
            let (p, q) = (entries[i], entries[30 + i])
            #expect(abs(observations[i] - (left[p, 0] * right[q, 0] + left[p, 1] * right[q, 1])) <= 1e-15 * max(1, abs(observations[i])))
        }
    }

    @Test func quadraticSensingChecksSymmetryOnTheFactors() throws {
        let u = gaussianMatrix(rows: 9, columns: 2, seed: 23)
        let signed = LowRankMatrix(left: u, right: Matrix(rows: 9, columns: 2, columnMajor: u.column(0) + u.column(1).map { -$0 }))
        let specification = MeasurementSpecification(family: .quadratic, size: .count(25), seed: 6)
        let factored = byName(try sampleMeasurements(truth: .factors(signed), rank: 2, specification: specification, provenance: provenance))
        let dense = byName(try sampleMeasurements(truth: .dense(signed.dense()), rank: 2, specification: specification, provenance: provenance))
        #expect(factored[FrameName.features] == dense[FrameName.features])
        let a = factored[FrameName.observations]!.data.doubles, b = dense[FrameName.observations]!.data.doubles
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-13 * max(1, abs($1)) })
        let square = LowRankMatrix(left: gaussianMatrix(rows: 9, columns: 2, seed: 24), right: gaussianMatrix(rows: 9, columns: 2, seed: 25))
        #expect(throws: InstanceError.self) {
            try sampleMeasurements(truth: .factors(square), rank: 2, specification: specification, provenance: provenance)
        }
    }
}
