import Testing
import CStreamKernels
import Foundation

/// The streaming kernels against their documented summation order, computed here one fused
/// multiply-add at a time (`addingProduct` rounds once, as fma does), so the comparison is
/// exact; against plain sums to a tolerance, in case that order were itself mis-stated; and
/// each instruction set against the portable C, bit for bit.
@Suite(.serialized) struct StreamKernelsTests {
    /// Row counts around the 8-row slices, depths around the groups of 4 and 8 columns, and
    /// widths on both sides of the blocks of sums.
    static let shapes: [(rows: Int, depth: Int, width: Int)] = [
        (1, 1, 1), (7, 3, 2), (8, 4, 1), (9, 8, 3), (16, 9, 4), (63, 17, 5), (129, 8, 2), (700, 33, 3), (1000, 50, 1),
    ]

    /// Entries with a spread of magnitudes and signs, different for each seed.
    static func entries(_ count: Int, seed: Double) -> [Double] {
        (0..<count).map { k in
            let t = Double(k) + seed
            return sin(1.7 * t) * (1 + 100 * abs(cos(0.31 * t)))
        }
    }

    struct Strided {
        let rows, columns, leading: Int
        var storage: [Double]

        /// A rows×columns matrix with `extra` unused entries below each column, filled with NaN
        /// so that a kernel reading or writing them shows.
        init(rows: Int, columns: Int, extra: Int, seed: Double) {
            self.rows = rows
            self.columns = columns
            leading = rows + extra
            let values = StreamKernelsTests.entries(rows * columns, seed: seed)
            storage = [Double](repeating: .nan, count: leading * columns)
            for j in 0..<columns { for i in 0..<rows { storage[i + j * leading] = values[i + j * rows] } }
        }

        subscript(i: Int, j: Int) -> Double { storage[i + j * leading] }
    }

    func multiply(_ a: Strided, _ x: Strided, into out: inout Strided) {
        out.storage.withUnsafeMutableBufferPointer { o in
            stream_multiply(a.rows, a.columns, x.columns, a.storage, a.leading, x.storage, x.leading, o.baseAddress, out.leading)
        }
    }

    func multiplyTransposed(_ a: Strided, _ y: Strided, into out: inout Strided) {
        out.storage.withUnsafeMutableBufferPointer { o in
            stream_multiply_transposed(a.rows, a.columns, y.columns, a.storage, a.leading, y.storage, y.leading, o.baseAddress, out.leading)
        }
    }

    @Test func multiplyFollowsItsFusedChainOverTheColumns() {
        for (rows, depth, width) in Self.shapes {
            let a = Strided(rows: rows, columns: depth, extra: 3, seed: 0.5)
            let x = Strided(rows: depth, columns: width, extra: 2, seed: 1.5)
            var out = Strided(rows: rows, columns: width, extra: 5, seed: 2.5)
            multiply(a, x, into: &out)
            for c in 0..<width {
                for i in 0..<rows {
                    var chain = 0.0, plain = 0.0
                    for p in 0..<depth {
                        chain = chain.addingProduct(a[i, p], x[p, c])
                        plain += a[i, p] * x[p, c]
                    }
                    #expect(out[i, c].bitPattern == chain.bitPattern, "\(rows)×\(depth)·\(width) (\(i), \(c))")
                    #expect(abs(out[i, c] - plain) <= 1e-12 * (1 + abs(plain)))
                }
                for i in rows..<out.leading { #expect(out.storage[i + c * out.leading].isNaN, "padding written") }
            }
        }
    }

    @Test func transposedFollowsItsEightChainsThenTheRest() {
        for (rows, columns, width) in Self.shapes {
            let a = Strided(rows: rows, columns: columns, extra: 3, seed: 3.5)
            let y = Strided(rows: rows, columns: width, extra: 1, seed: 4.5)
            var out = Strided(rows: columns, columns: width, extra: 4, seed: 5.5)
            multiplyTransposed(a, y, into: &out)
            let sliced = rows / 8 * 8
            for c in 0..<width {
                for p in 0..<columns {
                    var lanes = [Double](repeating: 0, count: 8)
                    var plain = 0.0
                    for i in 0..<rows {
                        if i < sliced { lanes[i % 8] = lanes[i % 8].addingProduct(a[i, p], y[i, c]) }
                        plain += a[i, p] * y[i, c]
                    }
                    var total = ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]))
                    for i in sliced..<rows { total = total.addingProduct(a[i, p], y[i, c]) }
                    #expect(out[p, c].bitPattern == total.bitPattern, "\(rows)×\(columns)ᵀ·\(width) (\(p), \(c))")
                    #expect(abs(out[p, c] - plain) <= 1e-12 * (1 + abs(plain)))
                }
                for p in columns..<out.leading { #expect(out.storage[p + c * out.leading].isNaN, "padding written") }
            }
        }
    }

    @Test func everyInstructionSetGivesThePortableBits() {
        let available = stream_kernels_set_level(2)
        defer { _ = stream_kernels_set_level(2) }
        func everything() -> [[Double]] {
            Self.shapes.flatMap { (rows, depth, width) -> [[Double]] in
                let a = Strided(rows: rows, columns: depth, extra: 1, seed: 6.5)
                let x = Strided(rows: depth, columns: width, extra: 0, seed: 7.5)
                let y = Strided(rows: rows, columns: width, extra: 0, seed: 8.5)
                var forward = Strided(rows: rows, columns: width, extra: 0, seed: 9.5)
                var backward = Strided(rows: depth, columns: width, extra: 0, seed: 10.5)
                multiply(a, x, into: &forward)
                multiplyTransposed(a, y, into: &backward)
                return [forward.storage, backward.storage]
            }
        }
        #expect(stream_kernels_set_level(0) == 0)
        let portable = everything()
        for level in 1...max(1, available) where level <= available {
            #expect(stream_kernels_set_level(Int32(level)) == level)
            let results = everything()
            #expect(results.count == portable.count)
            for (result, expected) in zip(results, portable) {
                #expect(result.map(\.bitPattern) == expected.map(\.bitPattern), "level \(level) differs from portable C")
            }
        }
    }
}
