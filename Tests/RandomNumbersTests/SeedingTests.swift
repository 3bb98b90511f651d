import Testing
import TestSupport
import RandomNumbers

@Suite("Seeds, streams and reproducibility")
struct SeedingTests {
    static func uniforms(_ generator: PCG64, count: Int) -> [Double] {
        var generator = generator
        var values = [Double](repeating: .nan, count: count)
        generator.fillUniform(&values)
        return values
    }

    @Test func sameSeedAndStreamGiveIdenticalSequences() {
        var first = PCG64(seed: 123, stream: 4)
        var second = PCG64(seed: 123, stream: 4)
        #expect((0 ..< 1000).allSatisfy { _ in first.nextUInt64() == second.nextUInt64() })
    }

    @Test(
        "distinct seeds or streams give uncorrelated sequences",
        arguments: [
            (PCG64(seed: 1, stream: 0), PCG64(seed: 1, stream: 1)),
            (PCG64(seed: 1, stream: 0), PCG64(seed: 2, stream: 0)),
            (PCG64(seed: 0, stream: 1), PCG64(seed: 1, stream: 0)),
            (PCG64(seed: 5, stream: 1_000), PCG64(seed: 5, stream: 1_001)),
        ])
    func distinctSeedsOrStreamsAreUncorrelated(_ first: PCG64, _ second: PCG64) {
        let count = 100_000
        let x = Self.uniforms(first, count: count)
        let y = Self.uniforms(second, count: count)
        #expect(zip(x, y).filter { $0 == $1 }.count < 3)
        let standardError = 1 / Double(count).squareRoot()
        for lag in 0 ... 1 {
            let lagged = correlation(Array(x.dropLast(lag)), Array(y.dropFirst(lag)))
            #expect(abs(lagged) < standardErrorBound * standardError)
        }
    }

    @Test func streamsOfOneSeedHaveDistinctStatesAndIncrements() {
        let generators = (0 ..< 256).map { PCG64(seed: 99, stream: $0) }
        #expect(Set(generators.map(\.increment)).count == generators.count)
        #expect(Set(generators.map(\.state)).count == generators.count)
        #expect(generators.allSatisfy { $0.increment % 2 == 1 })
    }

    @Test func parallelWorkSplitByStreamDoesNotDependOnScheduling() async {
        func streamSum(_ stream: UInt64) -> Double {
            var generator = PCG64(seed: 2024, stream: stream)
            return (0 ..< 1000).reduce(0) { sum, _ in sum + generator.nextStandardNormal() }
        }
        let sequential = (0 ..< 16).map(streamSum)
        let parallel = await withTaskGroup(of: (Int, Double).self) { group in
            for stream in 0 ..< 16 {
                group.addTask { (stream, streamSum(UInt64(stream))) }
            }
            var sums = [Double](repeating: .nan, count: 16)
            for await (stream, sum) in group {
                sums[stream] = sum
            }
            return sums
        }
        #expect(parallel == sequential)
    }

    @Test func bulkFillsEqualSingleDraws() {
        var single = PCG64(seed: 10)
        var bulk = single
        var viaBuffer = single
        // Enough normals that some go through the wedge test, which uses extra draws.
        let expected = (0 ..< 1000).map { _ in single.nextStandardNormal() }
        var filled = [Double](repeating: .nan, count: 1000)
        bulk.fillStandardNormal(&filled)
        #expect(filled == expected)
        #expect(bulk.state == single.state)
        var buffer = [Double](repeating: .nan, count: 1000)
        buffer.withUnsafeMutableBufferPointer { viaBuffer.fillStandardNormal($0) }
        #expect(buffer == expected)

        var uniformSingle = PCG64(seed: 11)
        var uniformBulk = uniformSingle
        var uniforms = [Double](repeating: .nan, count: 5)
        uniforms.withUnsafeMutableBufferPointer { uniformBulk.fillUniform($0) }
        #expect(uniforms == (0 ..< 5).map { _ in uniformSingle.nextUniform() })
    }

    @Test func aGeneratorRebuiltFromItsStateContinuesEveryKindOfDraw() {
        var original = PCG64(seed: 12)
        _ = original.nextStandardNormal()  // leaves nothing behind outside `state`
        var rebuilt = PCG64(state: original.state, increment: original.increment)
        let draws = { (generator: inout PCG64) -> [Double] in
            (0 ..< 100).flatMap { _ in
                [generator.nextStandardNormal(), generator.nextUniform(), Double(generator.nextInt(below: 7))]
            }
        }
        #expect(draws(&rebuilt) == draws(&original))
    }
}

@Suite struct ParallelNormalsTests {
    @Test func resultDoesNotDependOnThreadCount() {
        let count = ParallelNormals.chunkSize * 3 + 1234
        let one = ParallelNormals.array(count: count, seed: 5, streamBase: 1 << 32, threads: 1)
        let two = ParallelNormals.array(count: count, seed: 5, streamBase: 1 << 32, threads: 2)
        let seven = ParallelNormals.array(count: count, seed: 5, streamBase: 1 << 32, threads: 7)
        #expect(one == two && one == seven)
        // Chunk j is exactly stream base + j.
        var second = PCG64(seed: 5, stream: (1 << 32) + 1)
        #expect(one[ParallelNormals.chunkSize] == second.nextStandardNormal())
        #expect(one != ParallelNormals.array(count: count, seed: 6, streamBase: 1 << 32, threads: 2))
        // Drawn two chunks at a time, the sequence is the same.
        var batched = [Double](repeating: 0, count: count)
        batched.withUnsafeMutableBufferPointer { buffer in
            for first in stride(from: 0, to: count, by: 2 * ParallelNormals.chunkSize) {
                let batch = UnsafeMutableBufferPointer(rebasing: buffer[first..<min(count, first + 2 * ParallelNormals.chunkSize)])
                ParallelNormals.fill(batch, seed: 5, streamBase: 1 << 32, firstChunk: first / ParallelNormals.chunkSize, threads: 2)
            }
        }
        #expect(batched == one)
    }
}
