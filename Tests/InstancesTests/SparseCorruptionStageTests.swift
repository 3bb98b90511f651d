import Frames
import Instances
import Models
import Testing

/// What `processStream` does with a stage, in memory: consumed frames are replaced by what
/// `handle` returns, others go on as they are, and `finish` appends.
private func pass(_ frames: [Frame], through stage: SparseCorruptionStage) throws -> [Frame] {
    var output: [Frame] = []
    for frame in frames {
        if stage.consumes(frame.header) {
            output += try stage.handle(frame)
        } else {
            output.append(frame)
        }
    }
    return output + (try stage.finish())
}

private func stage(_ specification: SparseCorruptionSpecification, target: String = FrameName.observations,
                   tag: String = "test") throws -> SparseCorruptionStage {
    try SparseCorruptionStage(target: target, specification: specification, provenance: ["tool": .string(tag)])
}

private func doubles(_ frame: Frame?) -> [Double] { frame?.data.doubles ?? [] }

private func named(_ name: String, in frames: [Frame]) -> [Frame] { frames.filter { $0.header.name == name } }

/// A small instance: truth, operator frame, observations (8×6, column-major) and a holdout.
private func instance() -> [Frame] {
    let observations = (0 ..< 48).map { Double($0 % 7) - 2.5 + Double($0) / 64 }
    return [
        Frame(name: FrameName.truth, shape: [8, 6], data: .float64(observations.map { $0 / 2 })),
        Frame(name: FrameName.entries, integers: [0, 1, 2, 3], shape: [2, 2]),
        Frame(name: FrameName.observations, shape: [8, 6], data: .float64(observations),
              attributes: [AttributeKey.operatorFamily: "identity", AttributeKey.provenance: [["tool": "earlier"]]]),
        Frame(name: "holdout_observations", vector: [1, 2, 3]),
    ]
}

@Suite("Sparse corruption as a stream stage")
struct SparseCorruptionStageTests {
    @Test func replacesTheTargetInPlaceAndForwardsTheRest() throws {
        let input = instance()
        let output = try pass(input, through: stage(.init(amount: .count(7), perLine: 2, seed: 4)))
        #expect(output.map(\.header.name) == input.map(\.header.name) + [FrameName.outlierSupport, FrameName.outlierValues])
        for index in [0, 1, 3] { #expect(output[index] == input[index]) }

        let corrupted = output[2]
        #expect(corrupted.header.shape == [8, 6] && corrupted.header.dtype == .float64)
        let attributes = corrupted.header.attributes
        #expect(attributes[AttributeKey.operatorFamily] == "identity")
        #expect(attributes[OutlierAttributeKey.outliers] == 7)
        #expect(attributes[AttributeKey.provenance] == [["tool": "earlier"], ["tool": "test"]])
    }

    @Test func recordDescribesTheDifferenceAndTheSettings() throws {
        let input = instance()
        let output = try pass(input, through: stage(.init(amount: .count(12), perLine: 2, magnitude: 4,
                                                          distribution: .gaussian, seed: 8)))
        let support = output[4].data.integers ?? []
        let values = doubles(output[5])
        #expect(support.count == 12 && values.count == 12)
        var difference = zip(doubles(output[2]), doubles(input[2])).map { $0 - $1 }
        for (position, value) in zip(support, values) {
            #expect(difference[position] == value)
            difference[position] = 0
        }
        #expect(difference.allSatisfy { $0 == 0 })

        for frame in output[4...] {
            let attributes = frame.header.attributes
            #expect(attributes[OutlierAttributeKey.target] == "observations")
            #expect(attributes[OutlierAttributeKey.count] == 12)
            #expect(attributes[OutlierAttributeKey.perLine] == 2)
            #expect(attributes[OutlierAttributeKey.maximumPerLine]?.integerValue ?? 3 <= 2)
            #expect(attributes[OutlierAttributeKey.magnitude]?.doubleValue == 4)
            #expect(attributes[OutlierAttributeKey.distribution] == "gaussian")
            #expect(attributes[AttributeKey.provenance] == [["tool": "test"]])
        }
    }

    /// Two stages that hit most entries, so many positions are corrupted twice; the record
    /// then describes both, wherever the earlier record sits in the stream.
    @Test(arguments: [false, true])
    func stackedStagesMergeTheirRecords(recordFirst: Bool) throws {
        let clean = instance()
        let once = try pass(clean, through: stage(.init(amount: .count(30), seed: 1), tag: "first"))
        // An earlier record may come before the target, e.g. after `frames pick` reordered it.
        let reordered = recordFirst ? Array(once[4...] + once[..<4]) : once
        let twice = try pass(reordered, through: stage(.init(amount: .count(30), seed: 2), tag: "second"))

        #expect(named(FrameName.outlierSupport, in: twice).count == 1)
        #expect(named(FrameName.outlierValues, in: twice).count == 1)
        #expect(twice.suffix(2).map(\.header.name) == [FrameName.outlierSupport, FrameName.outlierValues])

        let cleanValues = doubles(clean[2])
        let onceValues = doubles(named(FrameName.observations, in: once).first)
        let finalValues = doubles(named(FrameName.observations, in: twice).first)
        let firstSupport = Set(named(FrameName.outlierSupport, in: once).first?.data.integers ?? [])
        let secondSupport = Set((0 ..< 48).filter { finalValues[$0] != onceValues[$0] })
        let support = twice[twice.count - 2].data.integers ?? []
        let values = doubles(twice.last)
        #expect(support == firstSupport.union(secondSupport).sorted())
        #expect(!firstSupport.isDisjoint(with: secondSupport), "the test needs positions hit twice")

        var recorded = [Double](repeating: 0, count: 48)
        for (position, value) in zip(support, values) { recorded[position] = value }
        for position in 0 ..< 48 {
            let total = finalValues[position] - cleanValues[position]
            if firstSupport.contains(position) && secondSupport.contains(position) {
                // Summing the two stages' amounts rounds differently from one subtraction.
                #expect(abs(recorded[position] - total) <= 4 * total.ulp + 4 * cleanValues[position].ulp)
            } else {
                #expect(recorded[position] == total)
            }
        }
        let attributes = twice.last?.header.attributes ?? [:]
        #expect(attributes[OutlierAttributeKey.count]?.integerValue == Int64(support.count))
        #expect(attributes[AttributeKey.provenance] == [["tool": "first"], ["tool": "second"]])
    }

    @Test func recordsOfOtherTargetsPassUntouched() throws {
        let foreign = [FrameName.outlierSupport, FrameName.outlierValues].map { name in
            Frame(name: name, shape: [1], data: name == FrameName.outlierSupport ? .int64([2]) : .float64([9]),
                  attributes: [OutlierAttributeKey.target: "holdout_observations"])
        }
        let input = instance() + foreign
        let output = try pass(input, through: stage(.init(amount: .count(3))))
        #expect(Array(output[4 ..< 6]) == foreign)
        #expect(output.count == 8)
    }

    @Test func aRecordWithoutTargetDescribesTheObservations() throws {
        let unnamed = [Frame(name: FrameName.outlierSupport, integers: [5, 1], shape: [2]),
                       Frame(name: FrameName.outlierValues, vector: [50, 10])]
        let output = try pass(instance() + unnamed, through: stage(.init(amount: .count(0))))
        #expect(output.count == 6)
        #expect(output[4].data.integers == [1, 5])
        #expect(doubles(output[5]) == [10, 50])
    }

    @Test func float32TargetsAreWidened() throws {
        let values: [Float] = [1.5, -2.25, 3, 0.125]
        let input = [Frame(name: FrameName.observations, shape: [4], data: .float32(values))]
        let output = try pass(input, through: stage(.init(amount: .count(1), magnitude: 8, distribution: .constant)))
        #expect(output[0].header.dtype == .float64)
        let support = output[1].data.integers ?? []
        let expected = values.enumerated().map { Double($0.element) + (support.contains($0.offset) ? 8 : 0) }
        #expect(doubles(output[0]) == expected)
    }

    @Test func streamMistakesAreReported() throws {
        let spec = SparseCorruptionSpecification(amount: .count(2))
        func failure(_ frames: [Frame], target: String = FrameName.observations) -> String? {
            do {
                _ = try pass(frames, through: stage(spec, target: target))
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(failure(instance(), target: "estimate") == "no frame named 'estimate' in the stream")
        #expect(failure(instance(), target: FrameName.entries)
            == "frame 'entries' (int64 2×2): outliers go into float64 or float32 data")
        #expect(failure(instance() + [instance()[2]])?.contains("second frame named 'observations'") == true)
        #expect(failure(instance() + [Frame(name: FrameName.outlierSupport, integers: [1], shape: [1])])
            == "the stream holds 'outliers_support' for 'observations' but no 'outliers_values'")
        let record = [Frame(name: FrameName.outlierSupport, integers: [48], shape: [1]),
                      Frame(name: FrameName.outlierValues, vector: [1])]
        #expect(failure(instance() + record) == "'outliers_support' holds position 48, outside the target's 48 entries")
        let repeated = [Frame(name: FrameName.outlierSupport, integers: [3, 3], shape: [2]),
                        Frame(name: FrameName.outlierValues, vector: [1, 2])]
        #expect(failure(instance() + repeated) == "'outliers_support' lists position 3 twice")
        #expect(failure(instance() + record + record) == "the stream holds two 'outliers_support' frames for 'observations'")
        #expect(throws: InstanceError.self) { try stage(.init(amount: .fraction(2))) }
    }

    @Test func mergingRecordsUnitesSupportsAndSumsValues() {
        let earlier = OutlierRecord(support: [1, 4, 7], values: [1, 2, 3])
        let later = OutlierRecord(support: [0, 4, 9], values: [10, 20, 30])
        let merged = earlier.merged(with: later)
        #expect(merged.support == [0, 1, 4, 7, 9])
        #expect(merged.values == [10, 1, 22, 3, 30])
        // Column-major 3×4: positions 0, 1, 4, 7, 9 sit in rows 0,1,1,1,0 and columns 0,0,1,2,3.
        #expect(merged.maximumPerLine(rows: 3, columns: 4) == 3)
    }
}
