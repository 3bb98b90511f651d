import LinearAlgebra

/// The observed entries of a completion instance grouped by row and by column (compressed
/// sparse row and column orders), each entry with its position in the stream, so that every
/// product of the operator is a loop over rows (or columns) that reads one factor row
/// contiguously per target and writes each output once. Built once by a counting sort,
/// O(m + d1 + d2); the row and column ranges are split into blocks of about equal entry counts
/// that the helper threads take, every output written by exactly one of them, so the bits do
/// not depend on the thread count.
struct EntryIndex: Sendable {
    /// The entries grouped by one index (rows or columns): target t's entries are
    /// starts[t]..<starts[t + 1], each with its other index and its stream position.
    struct Grouping: Sendable {
        let starts: [Int]
        let others: [Int32]
        let positions: [Int32]
        let blocks: [Range<Int>]

        init(keys: [Int], count: Int, others other: [Int], pieces: Int) {
            var starts = [Int](repeating: 0, count: count + 1)
            for key in keys { starts[key + 1] += 1 }
            for i in 0..<count { starts[i + 1] += starts[i] }
            var next = Array(starts[..<count])
            var others = [Int32](repeating: 0, count: keys.count), positions = [Int32](repeating: 0, count: keys.count)
            for (position, key) in keys.enumerated() {
                let slot = next[key]
                next[key] += 1
                others[slot] = Int32(other[position])
                positions[slot] = Int32(position)
            }
            self.starts = starts
            self.others = others
            self.positions = positions
            blocks = Self.balancedBlocks(starts, pieces: pieces)
        }

        /// Consecutive ranges of targets holding about total/pieces entries each.
        private static func balancedBlocks(_ starts: [Int], pieces: Int) -> [Range<Int>] {
            let count = starts.count - 1, total = starts[count]
            guard count > 0 else { return [] }
            var blocks: [Range<Int>] = [], lower = 0
            for piece in 1...pieces where lower < count {
                let goal = total * piece / pieces
                var upper = lower
                while upper < count, starts[upper + 1] <= goal || upper == lower { upper += 1 }
                if piece == pieces { upper = count }
                blocks.append(lower..<upper)
                lower = upper
            }
            if lower < count { blocks.append(lower..<count) }
            return blocks
        }

        /// body(t, entry range, others, positions) for every target t, on the helper threads,
        /// one block of targets per job.
        func forEachTarget(_ body: @Sendable (Int, Range<Int>, UnsafeSendablePointer<Int32>, UnsafeSendablePointer<Int32>) -> Void) {
            guard !others.isEmpty else { return }
            starts.withUnsafeBufferPointer { starts in
                others.withUnsafeBufferPointer { others in
                    positions.withUnsafeBufferPointer { positions in
                        let starts = UnsafeSendablePointer(starts.baseAddress!)
                        let others = UnsafeSendablePointer(others.baseAddress!), positions = UnsafeSendablePointer(positions.baseAddress!)
                        PartitionedGEMV.runBlocks(blocks.count) { block in
                            for t in blocks[block] { body(t, starts.pointer[t]..<starts.pointer[t + 1], others, positions) }
                        }
                    }
                }
            }
        }
    }

    let byRow: Grouping
    let byColumn: Grouping

    /// Blocks per worker: enough that an uneven block does not leave a worker idle for long.
    static let blocksPerWorker = 8

    init(rows: Int, columns: Int, entryRows: [Int], entryColumns: [Int]) {
        let pieces = max(1, PartitionedGEMV.workerCount * Self.blocksPerWorker)
        byRow = Grouping(keys: entryRows, count: rows, others: entryColumns, pieces: pieces)
        byColumn = Grouping(keys: entryColumns, count: columns, others: entryRows, pieces: pieces)
    }

    /// out[position(e)] = ⟨L[p_e, :], R[q_e, :]⟩ for every entry e, from row-major copies of the
    /// factors (k numbers per row).
    func applyFactored(leftRows: [Double], rightRows: [Double], width k: Int, count m: Int) -> [Double] {
        var out = [Double](repeating: 0, count: m)
        leftRows.withUnsafeBufferPointer { l in
            rightRows.withUnsafeBufferPointer { r in
                out.withUnsafeMutableBufferPointer { o in
                    let left = UnsafeSendablePointer(l.baseAddress!), right = UnsafeSendablePointer(r.baseAddress!)
                    let output = UnsafeMutableSendablePointer(o.baseAddress!)
                    byRow.forEachTarget { i, entries, columns, positions in
                        let leftRow = left.pointer + i * k
                        for e in entries {
                            let rightRow = right.pointer + Int(columns.pointer[e]) * k
                            var sum = 0.0
                            for c in 0..<k { sum += leftRow[c] * rightRow[c] }
                            output.pointer[Int(positions.pointer[e])] = sum
                        }
                    }
                }
            }
        }
        return out
    }

    /// Row t of the result (row-major, k numbers per row) is Σ_e y[position(e)]·F[source(e), :]
    /// over the entries of target t: A*(y)·R grouped by rows, A*(y)ᵀ·L by columns.
    func gather(_ y: [Double], factorRows: [Double], width k: Int, byRows: Bool) -> [Double] {
        let grouping = byRows ? byRow : byColumn
        var out = [Double](repeating: 0, count: (grouping.starts.count - 1) * k)
        y.withUnsafeBufferPointer { y in
            factorRows.withUnsafeBufferPointer { f in
                out.withUnsafeMutableBufferPointer { o in
                    let weights = UnsafeSendablePointer(y.baseAddress!), factor = UnsafeSendablePointer(f.baseAddress!)
                    let output = UnsafeMutableSendablePointer(o.baseAddress!)
                    grouping.forEachTarget { t, entries, sources, positions in
                        let target = output.pointer + t * k
                        for e in entries {
                            let weight = weights.pointer[Int(positions.pointer[e])]
                            let row = factor.pointer + Int(sources.pointer[e]) * k
                            for c in 0..<k { target[c] += weight * row[c] }
                        }
                    }
                }
            }
        }
        return out
    }
}
