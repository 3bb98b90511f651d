import CStreamKernels
import LinearAlgebra

/// The observed entries of a completion instance in compressed sparse column order, rows
/// ascending within a column, each with its position in the measurement vector, so that every
/// product of the operator is one sequential walk over the entries (`completion_kernels.h`):
/// A(L·Rᵀ) and A*(y)ᵀ·L column by column, A*(y)·R panel of rows by panel of rows, each panel
/// walking its share of every column. Built once by two counting sorts, O(m + d1 + d2); when the
/// stream already lists the entries in that order (sample-measurements writes them so), the
/// positions are the entries' own and are not stored, and the measurement vector is read and
/// written in order.
///
/// The column blocks and row panels are split among the helper threads; every output is
/// written by exactly one of them and summed in an order the entries alone fix, so the bits do
/// not depend on the split or the thread count.
struct EntryIndex: Sendable {
    let rows: Int
    let columns: Int
    /// Column q's entries are starts[q] ..< starts[q + 1].
    let starts: [Int]
    let entryRows: [Int32]
    /// Where each entry sits in the measurement vector; nil when entry e sits at e.
    let positions: [Int32]?
    /// Consecutive columns holding about equal numbers of entries, one job each.
    let columnBlocks: [Range<Int>]
    /// Consecutive rows holding about equal numbers of entries, one job each, and where each
    /// panel's entries of column q begin: cuts[b·columns + q] (panel b), up to
    /// cuts[(b + 1)·columns + q].
    let rowPanels: [Range<Int>]
    let cuts: [Int]

    /// Column blocks per worker: enough that an uneven block does not leave a worker idle for long.
    static let blocksPerWorker = 8
    /// Row panels per worker: each panel reads every row of the factor once, so few.
    static let panelsPerWorker = 2

    init(rows: Int, columns: Int, entryRows: [Int], entryColumns: [Int]) {
        self.rows = rows
        self.columns = columns
        let m = entryRows.count
        var starts = [Int](repeating: 0, count: columns + 1)
        for q in entryColumns { starts[q + 1] += 1 }
        for q in 0..<columns { starts[q + 1] += starts[q] }
        var inOrder = true
        for e in 1..<max(m, 1) where entryColumns[e - 1] > entryColumns[e]
            || (entryColumns[e - 1] == entryColumns[e] && entryRows[e - 1] > entryRows[e]) {
            inOrder = false
            break
        }
        if inOrder {
            self.entryRows = entryRows.map { Int32($0) }
            positions = nil
        } else {
            // Stable counting sorts, by row and then by column: column order, rows ascending.
            var rowStarts = [Int](repeating: 0, count: rows + 1)
            for p in entryRows { rowStarts[p + 1] += 1 }
            for p in 0..<rows { rowStarts[p + 1] += rowStarts[p] }
            var byRow = [Int32](repeating: 0, count: m)
            for (e, p) in entryRows.enumerated() {
                byRow[rowStarts[p]] = Int32(e)
                rowStarts[p] += 1
            }
            var next = Array(starts[..<columns])
            var sortedRows = [Int32](repeating: 0, count: m), positions = [Int32](repeating: 0, count: m)
            for e in byRow {
                let q = entryColumns[Int(e)]
                sortedRows[next[q]] = Int32(entryRows[Int(e)])
                positions[next[q]] = e
                next[q] += 1
            }
            self.entryRows = sortedRows
            self.positions = positions
        }
        self.starts = starts
        let workers = max(1, PartitionedGEMV.workerCount)
        columnBlocks = Self.balancedRanges(starts, pieces: workers * Self.blocksPerWorker)
        var rowStarts = [Int](repeating: 0, count: rows + 1)
        for p in entryRows { rowStarts[p + 1] += 1 }
        for p in 0..<rows { rowStarts[p + 1] += rowStarts[p] }
        rowPanels = Self.balancedRanges(rowStarts, pieces: workers * Self.panelsPerWorker)
        // Rows ascend within each column, so each panel's share of a column is a run.
        var cuts = [Int](repeating: 0, count: (rowPanels.count + 1) * columns)
        let sortedRows = self.entryRows
        for q in 0..<columns {
            var e = starts[q]
            for (b, panel) in rowPanels.enumerated() {
                cuts[b * columns + q] = e
                while e < starts[q + 1], Int(sortedRows[e]) < panel.upperBound { e += 1 }
            }
            cuts[rowPanels.count * columns + q] = starts[q + 1]
        }
        self.cuts = cuts
    }

    /// Consecutive ranges of 0 ..< starts.count − 1 holding about total/pieces entries each.
    private static func balancedRanges(_ starts: [Int], pieces: Int) -> [Range<Int>] {
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

    private func withEntries<Result>(_ body: (UnsafeSendablePointer<Int>, UnsafeSendablePointer<Int32>,
                                              UnsafeSendablePointer<Int32>?) -> Result) -> Result {
        starts.withUnsafeBufferPointer { starts in
            entryRows.withUnsafeBufferPointer { rows in
                func run(_ positions: UnsafePointer<Int32>?) -> Result {
                    body(UnsafeSendablePointer(starts.baseAddress!), UnsafeSendablePointer(rows.baseAddress ?? UnsafePointer(bitPattern: 8)!),
                         positions.map { UnsafeSendablePointer($0) })
                }
                guard let positions else { return run(nil) }
                return positions.withUnsafeBufferPointer { run($0.baseAddress) }
            }
        }
    }

    /// out_j[position(e)] = ⟨L_j[p_e, :], R_j[q_e, :]⟩ for every entry e and every pair j, all in
    /// one walk over the entries, from the pairs side by side in one row-major left and one
    /// right factor (Σ widths numbers per row).
    func applyFactored(leftRows: [Double], rightRows: [Double], widths: [Int], count m: Int) -> [[Double]] {
        let width = widths.reduce(0, +)
        guard m > 0, width > 0 else { return widths.map { _ in [Double](repeating: 0, count: m) } }
        // Every entry has its own position: each output is written in full.
        return leftRows.withUnsafeBufferPointer { l in
            rightRows.withUnsafeBufferPointer { r in
                widths.withUnsafeBufferPointer { w in
                    arraysWritten(count: w.count, size: m) { o in
                        let left = UnsafeSendablePointer(l.baseAddress!), right = UnsafeSendablePointer(r.baseAddress!)
                        let widths = UnsafeSendablePointer(w.baseAddress!), outputs = UnsafeSendablePointer(o.baseAddress!)
                        let count = w.count
                        withEntries { starts, rows, positions in
                            let blocks = columnBlocks
                            PartitionedGEMV.runBlocks(blocks.count) { block in
                                completion_forward(blocks[block].lowerBound, blocks[block].upperBound, starts.pointer, rows.pointer,
                                                   positions?.pointer, width, count, widths.pointer, left.pointer, right.pointer,
                                                   outputs.pointer)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Row t of the result (row-major, k numbers per row) is Σ_e y[position(e)]·F[source(e), :]
    /// over the entries of target t: A*(y)·R grouped by rows, A*(y)ᵀ·L by columns.
    func gather(_ y: [Double], factorRows: [Double], width k: Int, byRows: Bool) -> [Double] {
        var out = [Double](repeating: 0, count: (byRows ? rows : columns) * k)
        guard k > 0, !out.isEmpty else { return out }
        y.withUnsafeBufferPointer { y in
            factorRows.withUnsafeBufferPointer { f in
                out.withUnsafeMutableBufferPointer { o in
                    let weights = UnsafeSendablePointer(y.baseAddress ?? UnsafePointer(bitPattern: 8)!)
                    let factor = UnsafeSendablePointer(f.baseAddress!), output = UnsafeMutableSendablePointer(o.baseAddress!)
                    withEntries { starts, entryRows, positions in
                        if byRows {
                            cuts.withUnsafeBufferPointer { cuts in
                                let cuts = UnsafeSendablePointer(cuts.baseAddress!)
                                let panels = rowPanels, columns = columns
                                PartitionedGEMV.runBlocks(panels.count) { b in
                                    completion_row_gather(panels[b].lowerBound, panels[b].upperBound, columns,
                                                          cuts.pointer + b * columns, cuts.pointer + (b + 1) * columns,
                                                          entryRows.pointer, positions?.pointer, weights.pointer, k, factor.pointer,
                                                          output.pointer)
                                }
                            }
                        } else {
                            let blocks = columnBlocks
                            PartitionedGEMV.runBlocks(blocks.count) { block in
                                completion_column_gather(blocks[block].lowerBound, blocks[block].upperBound, starts.pointer,
                                                         entryRows.pointer, positions?.pointer, weights.pointer, k, factor.pointer,
                                                         output.pointer)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Block t of the result (width² numbers, row by row) is Σ_e f_eᵀ·f_e over the entries of
    /// target t, f_e = F[source(e), :]: targets are rows (sources columns) or the reverse.
    func grams(factorRows: [Double], width k: Int, byRows: Bool) -> [Double] {
        var out = [Double](repeating: 0, count: (byRows ? rows : columns) * k * k)
        guard k > 0, !out.isEmpty else { return out }
        factorRows.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { o in
                let factor = UnsafeSendablePointer(f.baseAddress!), output = UnsafeMutableSendablePointer(o.baseAddress!)
                withEntries { starts, entryRows, _ in
                    if byRows {
                        cuts.withUnsafeBufferPointer { cuts in
                            let cuts = UnsafeSendablePointer(cuts.baseAddress!)
                            let panels = rowPanels, columns = columns
                            PartitionedGEMV.runBlocks(panels.count) { b in
                                completion_row_grams(panels[b].lowerBound, panels[b].upperBound, columns, cuts.pointer + b * columns,
                                                     cuts.pointer + (b + 1) * columns, entryRows.pointer, k, factor.pointer, output.pointer)
                            }
                        }
                    } else {
                        let blocks = columnBlocks
                        PartitionedGEMV.runBlocks(blocks.count) { block in
                            completion_column_grams(blocks[block].lowerBound, blocks[block].upperBound, starts.pointer,
                                                    entryRows.pointer, k, factor.pointer, output.pointer)
                        }
                    }
                }
            }
        }
        return out
    }
}

/// `count` arrays of m numbers that body(their base addresses, in order) writes in full.
private func arraysWritten(count: Int, size m: Int, _ collected: [UnsafeMutablePointer<Double>?] = [],
                           by body: (UnsafeBufferPointer<UnsafeMutablePointer<Double>?>) -> Void) -> [[Double]] {
    guard collected.count < count else {
        collected.withUnsafeBufferPointer(body)
        return []
    }
    var rest: [[Double]] = []
    let first = [Double](unsafeUninitializedCapacity: m) { buffer, initialized in
        rest = arraysWritten(count: count, size: m, collected + [buffer.baseAddress], by: body)
        initialized = m
    }
    return [first] + rest
}
