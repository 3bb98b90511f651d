import Testing
import TestSupport
import Dispatch
import Synchronization
@testable import LinearAlgebra

/// The partitioned kernels against plain loops, and their bits against their own worker count:
/// the split is fixed by the shape, so one worker and two must agree exactly.
@Suite(.serialized) struct PartitionedProductsTests {
    /// Tall enough for several blocks (more than 64 rows per block).
    let a = sampleMatrix(rows: 700, columns: 12, seed: 0.3)

    func withWorkers<Result>(_ count: Int, _ body: () -> Result) -> Result {
        let saved = PartitionedGEMV.workerCount
        PartitionedGEMV.workerCount = count
        defer { PartitionedGEMV.workerCount = saved }
        return body()
    }

    @Test func multiplyAndItsTransposeMatchLoops() {
        let x = sampleMatrix(rows: 12, columns: 3, seed: 1), y = sampleMatrix(rows: 700, columns: 2, seed: 2)
        #expect(maxAbsDifference(PartitionedGEMV.multiply(a, x), naiveProduct(a, x)) < 1e-12)
        #expect(maxAbsDifference(PartitionedGEMV.multiplyTransposed(a, y), naiveProduct(naiveTranspose(a), y)) < 1e-12)
    }

    @Test func gramIsAᵀA() {
        #expect(maxAbsDifference(PartitionedGEMV.gram(a), naiveProduct(naiveTranspose(a), a)) < 1e-11)
    }

    @Test func blockGramSumsTheBlocksGrams() {
        // 12 columns in blocks of 3: Σ_j A_jᵀA_j.
        var expected = Matrix.zeros(rows: 3, columns: 3)
        for j in 0..<4 {
            var block = Matrix.zeros(rows: a.rows, columns: 3)
            for c in 0..<3 { for i in 0..<a.rows { block[i, c] = a[i, j * 3 + c] } }
            expected = expected + naiveProduct(naiveTranspose(block), block)
        }
        #expect(maxAbsDifference(PartitionedGEMV.blockGram(a, blockWidth: 3), expected) < 1e-11)
    }

    @Test func sidedProductsHoldEachStackedMatrixTimesTheBases() {
        // A stack of m = 300 matrices 4×3: row i of `stack` is vec(A_i).
        let d1 = 4, d2 = 3, m = 300
        let stack = sampleMatrix(rows: m, columns: d1 * d2, seed: 0.7)
        let u = sampleMatrix(rows: d1, columns: 2, seed: 3), v = sampleMatrix(rows: d2, columns: 2, seed: 4)
        let products = StackedMatrixProducts.sidedProducts(stack, rows: d1, columns: d2, left: u, right: v)
        for i in stride(from: 0, to: m, by: 17) {
            var ai = Matrix.zeros(rows: d1, columns: d2)
            for q in 0..<d2 { for p in 0..<d1 { ai[p, q] = stack[i, p + q * d1] } }
            let expected = naiveProduct(naiveTranspose(ai), u).storage + naiveProduct(ai, v).storage
            let row = (0..<products.columns).map { products[i, $0] }
            #expect(maxAbsDifference(row, expected) < 1e-12, "measurement \(i)")
        }
    }

    @Test func bitsDoNotDependOnTheWorkerCount() {
        let x = sampleMatrix(rows: 12, columns: 3, seed: 5), y = sampleMatrix(rows: 700, columns: 2, seed: 6)
        let stack = sampleMatrix(rows: 700, columns: 12, seed: 0.9)
        let u = sampleMatrix(rows: 4, columns: 2, seed: 7), v = sampleMatrix(rows: 3, columns: 2, seed: 8)
        func everything() -> [Matrix] {
            [PartitionedGEMV.multiply(a, x), PartitionedGEMV.multiplyTransposed(a, y), PartitionedGEMV.gram(a),
             PartitionedGEMV.blockGram(a, blockWidth: 3),
             StackedMatrixProducts.sidedProducts(stack, rows: 4, columns: 3, left: u, right: v)]
        }
        let one = withWorkers(1, everything), two = withWorkers(2, everything), three = withWorkers(3, everything)
        #expect(one == two)
        #expect(one == three)
    }

    /// Callers on several threads at once: one holds the spinning helpers, the others fall back
    /// to Dispatch, and every product still has the bits of a lone call.
    @Test func concurrentCallersGetTheSameBits() {
        let x = sampleMatrix(rows: 12, columns: 2, seed: 9), matrix = a
        let expected = withWorkers(2) { PartitionedGEMV.multiply(matrix, x) }
        let mismatches = withWorkers(2) { () -> Int in
            let count = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: 6) { _ in
                for _ in 0..<200 where PartitionedGEMV.multiply(matrix, x) != expected {
                    count.add(1, ordering: .relaxed)
                }
            }
            return count.load(ordering: .relaxed)
        }
        #expect(mismatches == 0)
    }
}
