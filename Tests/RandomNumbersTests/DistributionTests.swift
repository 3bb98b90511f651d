import Testing
import TestSupport
import RandomNumbers

@Suite("Statistical properties of the draws")
struct DistributionTests {
    static let sampleSize = 200_000
    static let standardError = 1 / Double(sampleSize).squareRoot()

    @Test func uniformsHaveUniformMomentsAndBins() {
        var generator = PCG64(seed: 1)
        var values = [Double](repeating: .nan, count: Self.sampleSize)
        generator.fillUniform(&values)
        #expect(values.allSatisfy { (0 ..< 1).contains($0) })
        // Var U = 1/12 and Var (U − ½)² = 1/80 − 1/144 = 1/180.
        #expect(abs(mean(values) - 0.5) < standardErrorBound * Self.standardError / 12.0.squareRoot())
        let variance = mean(values) { ($0 - 0.5) * ($0 - 0.5) }
        #expect(abs(variance - 1.0 / 12) < standardErrorBound * Self.standardError / 180.0.squareRoot())
        var binCounts = [Int](repeating: 0, count: 64)
        for value in values {
            binCounts[Int(value * 64)] += 1
        }
        #expect(abs(uniformityScore(binCounts)) < standardErrorBound)
    }

    @Test func normalsHaveStandardNormalMomentsAndNoSerialCorrelation() {
        var generator = PCG64(seed: 2)
        var values = [Double](repeating: .nan, count: Self.sampleSize)
        generator.fillStandardNormal(&values)
        #expect(values.allSatisfy { $0.isFinite })
        // For Z ~ N(0, 1): Var Z² = 2, Var Z⁴ = 105 − 9 = 96, P(|Z| ≤ 1) = 0.682689….
        #expect(abs(mean(values)) < standardErrorBound * Self.standardError)
        #expect(abs(mean(values) { $0 * $0 } - 1) < standardErrorBound * Self.standardError * 2.0.squareRoot())
        #expect(abs(mean(values) { $0 * $0 * $0 * $0 } - 3) < standardErrorBound * Self.standardError * 96.0.squareRoot())
        let withinOneSigma = 0.682_689_492_137_085_9
        let fractionWithinOne = mean(values) { abs($0) <= 1 ? 1 : 0 }
        #expect(abs(fractionWithinOne - withinOneSigma)
            < standardErrorBound * Self.standardError * (withinOneSigma * (1 - withinOneSigma)).squareRoot())
        // Neighbouring normals come from neighbouring generator outputs, except where a wedge
        // test or the tail drew extra ones in between.
        for lag in 1 ... 2 {
            let lagged = correlation(Array(values.dropLast(lag)), Array(values.dropFirst(lag)))
            #expect(abs(lagged) < standardErrorBound * Self.standardError)
        }
    }

    @Test func normalTailsHaveTheirExactProbabilitiesAndShape() {
        // Draws beyond r = 3.6541528853610088 all come from the ziggurat's tail sampler, those
        // between 3 and r from its outermost layers, so each threshold checks another part.
        var generator = PCG64(seed: 16)
        let sampleSize = 4_000_000
        var values = [Double](repeating: .nan, count: sampleSize)
        generator.fillStandardNormal(&values)
        let tailStart = 3.654_152_885_361_008_8
        // P(|Z| > t) = erfc(t/√2), to 17 digits.
        let tailProbabilities = [(3.0, 2.699_796_063_260_189_1e-3), (tailStart, 2.580_324_876_539_008_9e-4),
                                 (4.0, 6.334_248_366_623_984_3e-5)]
        for (threshold, probability) in tailProbabilities {
            let expected = probability * Double(sampleSize)
            let count = Double(values.count { abs($0) > threshold })
            #expect(abs(count - expected) < standardErrorBound * (expected * (1 - probability)).squareRoot(),
                    "P(|Z| > \(threshold))")
        }
        // Beyond r: both signs equally often, and E[|Z| − r | |Z| > r] = λ − r with variance
        // 1 + rλ − λ², where λ = φ(r)/Q(r) is the inverse Mills ratio.
        let tail = values.filter { abs($0) > tailStart }
        let tailCount = Double(tail.count)
        #expect(abs(Double(tail.count { $0 > 0 }) - tailCount / 2) < standardErrorBound * tailCount.squareRoot() / 2)
        let meanExcess = mean(tail) { abs($0) - tailStart }
        #expect(abs(meanExcess - 0.242_886_186_287_463_91)
            < standardErrorBound * (0.053_463_042_074_063_634 / tailCount).squareRoot())
    }

    @Test func boundedIntegersAreUniform() {
        var generator = PCG64(seed: 3)
        var digitCounts = [Int](repeating: 0, count: 10)
        for _ in 0 ..< Self.sampleSize {
            digitCounts[generator.nextInt(below: 10)] += 1
        }
        #expect(abs(uniformityScore(digitCounts)) < standardErrorBound)

        // A bound that rejects a third of all draws, split into thirds of its range.
        let rejectingBound = 6_148_914_691_236_517_206
        var thirdCounts = [0, 0, 0]
        for _ in 0 ..< 60_000 {
            let value = generator.nextInt(below: rejectingBound)
            #expect((0 ..< rejectingBound).contains(value))
            thirdCounts[value / (rejectingBound / 3 + 1)] += 1
        }
        #expect(abs(uniformityScore(thirdCounts)) < standardErrorBound)

        #expect((0 ..< 100).allSatisfy { _ in generator.nextInt(below: 1) == 0 })
    }

    @Test func bernoulliSuccessesHaveTheRightRateEverywhere() {
        var generator = PCG64(seed: 4)
        let probability = 0.05
        let trials = 2_000_000
        let successes = generator.bernoulliIndices(probability: probability, count: trials)
        #expect(zip(successes, successes.dropFirst()).allSatisfy { $0 < $1 })
        #expect(successes.allSatisfy { (0 ..< trials).contains($0) })
        let expected = probability * Double(trials)
        let standardDeviation = (expected * (1 - probability)).squareRoot()
        #expect(abs(Double(successes.count) - expected) < standardErrorBound * standardDeviation)
        // A bias in the first gap, or drift along the trials, shows up as uneven blocks.
        var blockCounts = [Int](repeating: 0, count: 16)
        for index in successes {
            blockCounts[index * 16 / trials] += 1
        }
        #expect(abs(uniformityScore(blockCounts)) < standardErrorBound)
    }

    @Test func bernoulliEdgeCases() {
        var generator = PCG64(seed: 5)
        #expect(generator.bernoulliIndices(probability: 0, count: 1000) == [])
        #expect(generator.bernoulliIndices(probability: 1, count: 5) == [0, 1, 2, 3, 4])
        #expect(generator.bernoulliIndices(probability: 0.5, count: 0) == [])
        // Gaps near 10¹² trials must neither overflow nor produce out-of-range indices.
        #expect(generator.bernoulliIndices(probability: 1e-12, count: 1000).allSatisfy { $0 < 1000 })
        #expect(generator.bernoulliIndices(probability: 1 - 1e-12, count: 1000).count > 990)
    }

    @Test func samplesWithoutReplacementAreDistinctAndIncludeEachIndexEqually() {
        var generator = PCG64(seed: 6)
        let populationSize = 50
        let sampleCount = 10
        let repetitions = 20_000
        var inclusions = [Int](repeating: 0, count: populationSize)
        for _ in 0 ..< repetitions {
            let sample = generator.sampleWithoutReplacement(count: sampleCount, from: populationSize)
            #expect(sample.count == sampleCount)
            #expect(zip(sample, sample.dropFirst()).allSatisfy { $0 < $1 })
            #expect(sample.allSatisfy { (0 ..< populationSize).contains($0) })
            for index in sample {
                inclusions[index] += 1
            }
        }
        let inclusionProbability = Double(sampleCount) / Double(populationSize)
        let expected = Double(repetitions) * inclusionProbability
        let standardDeviation = (expected * (1 - inclusionProbability)).squareRoot()
        #expect(inclusions.allSatisfy { abs(Double($0) - expected) < standardErrorBound * standardDeviation })
    }

    @Test func sampleWithoutReplacementEdgeCases() {
        var generator = PCG64(seed: 7)
        #expect(generator.sampleWithoutReplacement(count: 0, from: 10) == [])
        #expect(generator.sampleWithoutReplacement(count: 10, from: 10) == Array(0 ..< 10))
        let sparse = generator.sampleWithoutReplacement(count: 1000, from: 1_000_000_000_000_000)
        #expect(Set(sparse).count == 1000)
        #expect(sparse.allSatisfy { (0 ..< 1_000_000_000_000_000).contains($0) })
    }

    @Test func shuffleMakesEveryPermutationEquallyLikely() {
        var generator = PCG64(seed: 8)
        let orderings = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        var orderingCounts = [Int](repeating: 0, count: orderings.count)
        for _ in 0 ..< 60_000 {
            var items = [0, 1, 2]
            generator.shuffle(&items)
            orderingCounts[orderings.firstIndex(of: items)!] += 1
        }
        #expect(abs(uniformityScore(orderingCounts)) < standardErrorBound)
    }

    @Test func shuffleOfASliceStaysInsideTheSlice() {
        var generator = PCG64(seed: 9)
        var items = Array(0 ..< 20)
        generator.shuffle(&items[5 ..< 15])
        #expect(Array(items[..<5]) == Array(0 ..< 5))
        #expect(Array(items[15...]) == Array(15 ..< 20))
        #expect(items[5 ..< 15].sorted() == Array(5 ..< 15))
        #expect(Array(items[5 ..< 15]) != Array(5 ..< 15))
    }
}
