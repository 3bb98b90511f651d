import Testing
import TestSupport
import LinearAlgebra

@Suite struct BLASTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesTripleLoop(transposeA: Bool, transposeB: Bool) {
        // op(A) is 4×3 and op(B) is 3×5 whichever way they are stored.
        let opA = sampleMatrix(rows: 4, columns: 3, seed: 1)
        let opB = sampleMatrix(rows: 3, columns: 5, seed: 2)
        let a = transposeA ? naiveTranspose(opA) : opA
        let b = transposeB ? naiveTranspose(opB) : opB
        let initialC = sampleMatrix(rows: 4, columns: 5, seed: 3)
        var c = initialC
        BLAS.gemm(a, b, into: &c, transposeA: transposeA, transposeB: transposeB, alpha: 1.5, beta: -0.5)
        let expected = 1.5 * naiveProduct(opA, opB) + -0.5 * initialC
        #expect(maxAbsDifference(c, expected) < 1e-14)

        let product = BLAS.matmul(a, b, transposeA: transposeA, transposeB: transposeB)
        #expect(maxAbsDifference(product, naiveProduct(opA, opB)) < 1e-14)
    }

    @Test(arguments: [false, true])
    func gemvMatchesTripleLoop(transpose: Bool) {
        let opA = sampleMatrix(rows: 6, columns: 4, seed: 1)
        let a = transpose ? naiveTranspose(opA) : opA
        let x = sampleVector(count: 4, seed: 2)
        let initialY = sampleVector(count: 6, seed: 3)
        var y = initialY
        BLAS.gemv(a, x, into: &y, transpose: transpose, alpha: 2, beta: 0.25)
        let expected = zip(naiveProduct(opA, x), initialY).map { 2 * $0 + 0.25 * $1 }
        #expect(maxAbsDifference(y, expected) < 1e-14)
        #expect(maxAbsDifference(BLAS.matvec(a, x, transpose: transpose), naiveProduct(opA, x)) < 1e-14)
    }

    @Test(arguments: [false, true])
    func syrkFillsBothTrianglesOfTheGramMatrix(transpose: Bool) {
        let a = sampleMatrix(rows: 5, columns: 3, seed: 4)
        // transpose: AᵀA (3×3); otherwise AAᵀ (5×5).
        let gram = transpose ? naiveProduct(naiveTranspose(a), a) : naiveProduct(a, naiveTranspose(a))
        let initialC = sampleSPD(gram.rows, seed: 5)
        var c = initialC
        BLAS.syrk(a, into: &c, transpose: transpose, alpha: 3, beta: 2)
        #expect(maxAbsDifference(c, 3 * gram + 2 * initialC) < 1e-13)
        #expect(c == naiveTranspose(c))
    }

    @Test func levelOneKernelsMatchLoops() {
        let x = sampleVector(count: 7, seed: 1), y = sampleVector(count: 7, seed: 2)
        let expectedDot = zip(x, y).map { $0 * $1 }.reduce(0, +)
        #expect(abs(BLAS.dot(x, y) - expectedDot) < 1e-15)
        #expect(abs(BLAS.nrm2(x) - euclideanNorm(x)) < 1e-15)
        #expect(BLAS.nrm2([3, 4]) == 5)

        var axpyResult = y
        BLAS.axpy(-2, x, &axpyResult)
        #expect(maxAbsDifference(axpyResult, zip(x, y).map { -2 * $0 + $1 }) < 1e-15)

        var scaled = x
        BLAS.scal(0.5, &scaled)
        #expect(scaled == x.map { 0.5 * $0 })
    }

    @Test func bufferPointerOverloadsAgreeWithArrays() {
        let x = sampleVector(count: 5, seed: 1)
        var y = sampleVector(count: 5, seed: 2)
        let expectedAxpy = zip(x, y).map { 3 * $0 + $1 }
        let dot = x.withUnsafeBufferPointer { xs in y.withUnsafeBufferPointer { ys in BLAS.dot(xs, ys) } }
        #expect(dot == BLAS.dot(x, y))
        #expect(x.withUnsafeBufferPointer { BLAS.nrm2($0) } == BLAS.nrm2(x))
        x.withUnsafeBufferPointer { xs in y.withUnsafeMutableBufferPointer { ys in BLAS.axpy(3, xs, ys) } }
        #expect(maxAbsDifference(y, expectedAxpy) < 1e-15)
        y.withUnsafeMutableBufferPointer { BLAS.scal(-1, $0) }
        #expect(maxAbsDifference(y, expectedAxpy.map { -$0 }) == 0)
    }
}

/// Both tests set the process-wide thread count, so they must not overlap each other; the other
/// suites never change it and stay correct whatever it is.
@Suite(.serialized) struct BLASThreadCountTests {
    let a = sampleMatrix(rows: 200, columns: 200, seed: 1)
    let b = sampleMatrix(rows: 200, columns: 200, seed: 2)

    @Test(arguments: [1, 2])
    func gemmIsBitwiseReproducibleAtAPinnedThreadCount(threads: Int) {
        let originalCount = BLASThreads.count
        defer { BLASThreads.count = originalCount }
        BLASThreads.count = threads
        #expect(BLASThreads.count == threads)
        let first = BLAS.matmul(a, b)
        for _ in 0 ..< 5 {
            #expect(BLAS.matmul(a, b).storage == first.storage)
        }
        #expect(maxAbsDifference(first, naiveProduct(a, b)) < 1e-12)
    }

    @Test func gemmAcrossThreadCountsAgreesToRoundoff() {
        let originalCount = BLASThreads.count
        defer { BLASThreads.count = originalCount }
        BLASThreads.count = 1
        let singleThreaded = BLAS.matmul(a, b)
        BLASThreads.count = 2
        let twoThreaded = BLAS.matmul(a, b)

        #expect(maxAbsDifference(singleThreaded, twoThreaded) < 1e-12)
        withKnownIssue(
            """
            OpenBLAS 0.3.21 (DYNAMIC_ARCH, Cooperlake kernels) splits gemm's rows between threads, \
            and rows that land in a different micro-kernel tail are rounded differently: 716 of \
            the 40000 entries differ, by at most 5e-14. Pin BLASThreads.count for bitwise \
            reproducibility.
            """,
            isIntermittent: true
        ) {
            let differing = zip(singleThreaded.storage, twoThreaded.storage).count { $0 != $1 }
            #expect(differing == 0, "\(differing) of \(singleThreaded.storage.count) entries differ")
        }
    }
}
