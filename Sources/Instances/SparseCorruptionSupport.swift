import RandomNumbers

/// `count` distinct entries of a column-major `rows × columns` matrix with at most `perLine`
/// in any row and in any column, as increasing linear indices `row + column · rows`.
///
/// 1. Greedy: entries are visited in a uniformly random order (forward Fisher–Yates: at step
///    `i`, swap position `i` with `i + nextInt(below: n − i)` and visit what lands at `i`),
///    and each is accepted while its row and its column hold fewer than `perLine`. Visiting
///    stops as soon as `count` are accepted, so sparse requests cost about `count` draws.
/// 2. Repair: greedy can stall below a feasible count (on 3×3 with cap 2 it may stop at 5 of
///    6). Each missing entry is then added along a shortest augmenting path of the bipartite
///    row–column graph: add an entry in a row with room, remove one from its column, add one
///    in the removed entry's row, …, ending in a column with room. Every row and column keeps
///    its count except the path's two ends, which gain one each, so the cap always holds.
///    Paths are searched in index order, so the result depends only on the seed.
///
/// By max-flow–min-cut, placements exist exactly when
/// `count ≤ min(perLine · rows, perLine · columns, rows · columns)`; below that bound the
/// repair always finds a path, above it this throws. When the cap does not bind, the result
/// is a uniformly random `count`-subset; when repair was needed it is close to, but not
/// exactly, uniform over capped placements.
func cappedSupport(count: Int, rows: Int, columns: Int, perLine: Int,
                   using generator: inout PCG64) throws -> [Int] {
    let capacity = min(min(perLine, columns) * rows, min(perLine, rows) * columns)
    guard count <= capacity else {
        throw InstanceError(
            "with at most \(perLine) per row and per column, a \(rows)×\(columns) matrix holds at most \(capacity) outliers; \(count) asked for")
    }
    var placement = CappedPlacement(rows: rows, columns: columns, perLine: perLine)
    let entries = rows * columns
    var order = Array(0 ..< entries)
    var visited = 0
    while placement.count < count && visited < entries {
        order.swapAt(visited, visited + generator.nextInt(below: entries - visited))
        placement.acceptIfRoom(order[visited])
        visited += 1
    }
    while placement.count < count {
        placement.addAlongAugmentingPath()
    }
    return placement.support
}

/// A set of matrix entries with per-row and per-column counts, grown under a cap.
private struct CappedPlacement {
    let rows: Int
    let columns: Int
    let perLine: Int
    /// Column-major membership flags, one per entry.
    private var selected: [Bool]
    private var rowCounts: [Int]
    private var columnCounts: [Int]
    private(set) var count = 0

    init(rows: Int, columns: Int, perLine: Int) {
        self.rows = rows
        self.columns = columns
        self.perLine = perLine
        selected = [Bool](repeating: false, count: rows * columns)
        rowCounts = [Int](repeating: 0, count: rows)
        columnCounts = [Int](repeating: 0, count: columns)
    }

    var support: [Int] { selected.indices.filter { selected[$0] } }

    mutating func acceptIfRoom(_ entry: Int) {
        let (column, row) = entry.quotientAndRemainder(dividingBy: rows)
        guard rowCounts[row] < perLine && columnCounts[column] < perLine else { return }
        selected[entry] = true
        rowCounts[row] += 1
        columnCounts[column] += 1
        count += 1
    }

    /// Breadth-first search from every row with room, alternating unselected entries (row →
    /// column) and selected ones (column → row), to the first column with room; then flips
    /// the entries along the path. The caller guarantees the count is below capacity, where
    /// max-flow theory guarantees such a path.
    mutating func addAlongAugmentingPath() {
        let unreached = -1
        let pathStart = -2
        // The row each column was reached from, and the column each row was reached from.
        var columnReachedFrom = [Int](repeating: unreached, count: columns)
        var rowReachedFrom = [Int](repeating: unreached, count: rows)
        var rowQueue: [Int] = []
        for row in 0 ..< rows where rowCounts[row] < perLine {
            rowReachedFrom[row] = pathStart
            rowQueue.append(row)
        }
        var next = 0
        while next < rowQueue.count {
            let row = rowQueue[next]
            next += 1
            for column in 0 ..< columns where columnReachedFrom[column] == unreached && !selected[row + column * rows] {
                columnReachedFrom[column] = row
                if columnCounts[column] < perLine {
                    flipPath(endingAt: column, columnReachedFrom: columnReachedFrom, rowReachedFrom: rowReachedFrom,
                             pathStart: pathStart)
                    return
                }
                for nextRow in 0 ..< rows where rowReachedFrom[nextRow] == unreached && selected[nextRow + column * rows] {
                    rowReachedFrom[nextRow] = column
                    rowQueue.append(nextRow)
                }
            }
        }
        preconditionFailure("no augmenting path although the count is below the capacity")
    }

    private mutating func flipPath(endingAt end: Int, columnReachedFrom: [Int], rowReachedFrom: [Int], pathStart: Int) {
        var column = end
        while true {
            let row = columnReachedFrom[column]
            selected[row + column * rows] = true
            let previousColumn = rowReachedFrom[row]
            if previousColumn == pathStart {
                rowCounts[row] += 1
                break
            }
            selected[row + previousColumn * rows] = false
            column = previousColumn
        }
        columnCounts[end] += 1
        count += 1
    }
}
