import COpenBLAS
import CStreamKernels
import Dispatch

/// Matrix–vector products with A split into a fixed set of column blocks (contiguous in
/// column-major storage), each streamed by one worker of our own: products with a few vectors
/// through `CStreamKernels` (prefetched, the same bits on every x86 level), Gram matrices
/// through single-threaded BLAS. OpenBLAS's own threading rounds differently at different
/// thread counts (see `BLASThreads`); here the split depends on the matrix's shape alone, and
/// the per-block partial sums of A·x are added in block order, so the bits are the same at
/// every worker count while both cores still stream the matrix.
public enum PartitionedGEMV {
    /// How many workers share the blocks. Changing it changes speed, never results.
    nonisolated(unsafe) public static var workerCount = 1

    /// Blocks never have fewer rows (columns, for Aᵀ) than this, so that each streams a run
    /// long enough for full bandwidth.
    static let minimumBlockRows = 64
    static let maximumBlockCount = 8

    static func blocks(rows count: Int) -> [Range<Int>] {
        split(count, into: max(1, min(maximumBlockCount, count / minimumBlockRows)))
    }

    /// 0..<count in `pieces` (default: as many as there can be blocks) nearly equal ranges.
    static func split(_ count: Int, into pieces: Int = maximumBlockCount) -> [Range<Int>] {
        let pieces = max(1, min(pieces, count))
        return (0..<pieces).map { piece in (piece * count / pieces)..<((piece + 1) * count / pieces) }
    }

    /// A·x.
    public static func multiply(_ a: Matrix, _ x: [Double]) -> [Double] {
        precondition(x.count == a.columns, "multiply: A takes \(a.columns) entries, x has \(x.count)")
        return multiply(a, Matrix(rows: x.count, columns: 1, columnMajor: x)).storage
    }

    /// A·X for a few columns X at the cost of one pass over A. Each block of columns of A is
    /// contiguous and streamed once by `stream_multiply`; its share of the product goes to a
    /// buffer of its own, and the buffers are added in block order.
    public static func multiply(_ a: Matrix, _ x: Matrix) -> Matrix {
        precondition(x.rows == a.columns, "multiply: A takes \(a.columns) entries, X has \(x.rows) rows")
        let width = x.columns, outputSize = a.rows * width
        guard a.rows > 0, a.columns > 0, width > 0 else { return Matrix.zeros(rows: a.rows, columns: width) }
        let blocks = blocks(rows: a.columns)
        // Column b holds block b's share; every entry is written by its block.
        let partials = a.withUnsafeBufferPointer { entries in
            x.withUnsafeBufferPointer { x in
                Matrix.overwritten(rows: outputSize, columns: blocks.count) { partials in
                    let output = UnsafeMutableSendablePointer(partials.baseAddress!)
                    let input = UnsafeSendablePointer(x.baseAddress!), matrix = UnsafeSendablePointer(entries.baseAddress!)
                    let inputRows = a.columns
                    runBlocks(blocks.count) { block in
                        let columns = blocks[block]
                        stream_multiply(a.rows, columns.count, width, matrix.pointer + columns.lowerBound * a.rows, a.rows,
                                        input.pointer + columns.lowerBound, inputRows,
                                        output.pointer + block * outputSize, a.rows)
                    }
                }
            }
        }
        var sum = [Double](repeating: 0, count: outputSize)
        partials.withUnsafeBufferPointer { partials in
            sum.withUnsafeMutableBufferPointer { sum in
                for block in blocks.indices {
                    BLAS.axpy(1, UnsafeBufferPointer(rebasing: partials[(block * outputSize)..<((block + 1) * outputSize)]), sum)
                }
            }
        }
        return Matrix(rows: a.rows, columns: width, columnMajor: sum)
    }

    /// Aᵀ·y.
    public static func multiplyTransposed(_ a: Matrix, _ y: [Double]) -> [Double] {
        precondition(y.count == a.rows, "multiplyTransposed: Aᵀ takes \(a.rows) entries, y has \(y.count)")
        return multiplyTransposed(a, Matrix(rows: y.count, columns: 1, columnMajor: y)).storage
    }

    /// Aᵀ·Y for a few columns Y in one pass. The split is by columns of A here: each block of
    /// columns is contiguous in memory and owns its entries of the result outright, so nothing
    /// needs adding up afterwards.
    public static func multiplyTransposed(_ a: Matrix, _ y: Matrix) -> Matrix {
        precondition(y.rows == a.rows, "multiplyTransposed: Aᵀ takes \(a.rows) entries, Y has \(y.rows) rows")
        let width = y.columns
        guard a.rows > 0, a.columns > 0, width > 0 else { return Matrix.zeros(rows: a.columns, columns: width) }
        let blocks = blocks(rows: a.columns)
        let outputRows = a.columns
        return a.withUnsafeBufferPointer { entries in
            y.withUnsafeBufferPointer { y in
                Matrix.overwritten(rows: outputRows, columns: width) { z in
                    let output = UnsafeMutableSendablePointer(z.baseAddress!)
                    let input = UnsafeSendablePointer(y.baseAddress!), matrix = UnsafeSendablePointer(entries.baseAddress!)
                    runBlocks(blocks.count) { block in
                        let columns = blocks[block]
                        stream_multiply_transposed(a.rows, columns.count, width, matrix.pointer + columns.lowerBound * a.rows, a.rows,
                                                   input.pointer, a.rows, output.pointer + columns.lowerBound, outputRows)
                    }
                }
            }
        }
    }

    /// AᵀA for a tall A: one syrk per fixed block of rows, the partial sums added in block order.
    public static func gram(_ a: Matrix) -> Matrix {
        // Two blocks: each partial sum is a whole n×n matrix to hold and add.
        let pieces = split(a.rows, into: min(2, max(1, a.rows / minimumBlockRows)))
        return summedGrams(a, n: a.columns, pieces: pieces.count) { piece in
            [(first: pieces[piece].lowerBound, rows: pieces[piece].count)]
        }
    }

    /// Σ_j A_jᵀA_j over the column blocks A_j = A[:, j·w ..< (j+1)·w]: one syrk per block, the
    /// blocks in fixed groups whose partial sums are added in group order.
    public static func blockGram(_ a: Matrix, blockWidth: Int) -> Matrix {
        precondition(blockWidth > 0 && a.columns % blockWidth == 0, "blockGram: \(a.columns) columns do not split into blocks of \(blockWidth)")
        let groups = split(a.columns / blockWidth, into: 4)
        return summedGrams(a, n: blockWidth, pieces: groups.count) { group in
            groups[group].map { (first: $0 * blockWidth * a.rows, rows: a.rows) }
        }
    }

    /// Σ over pieces of Σ over each piece's panels of PᵀP, P the n columns of `a`'s leading
    /// dimension starting at entry `first` with `rows` rows; pieces run on the workers. The
    /// first piece sums into the result itself, the others into buffers added after it.
    private static func summedGrams(_ a: Matrix, n: Int, pieces: Int,
                                    panels: @Sendable (Int) -> [(first: Int, rows: Int)]) -> Matrix {
        var sum = Matrix.zeros(rows: n, columns: n)
        var partials = [Double](repeating: 0, count: (pieces - 1) * n * n)
        a.withUnsafeBufferPointer { entries in
            sum.withUnsafeMutableBufferPointer { sum in
                partials.withUnsafeMutableBufferPointer { partials in
                    let first = UnsafeMutableSendablePointer(sum.baseAddress!), matrix = UnsafeSendablePointer(entries.baseAddress!)
                    let others = partials.baseAddress.map { UnsafeMutableSendablePointer($0) }
                    runBlocks(pieces) { piece in
                        let output = piece == 0 ? first.pointer : others!.pointer + (piece - 1) * n * n
                        for panel in panels(piece) {
                            cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, blasInt(n), blasInt(panel.rows), 1,
                                        matrix.pointer + panel.first, blasInt(a.rows), 1, output, blasInt(n))
                        }
                    }
                    for piece in 1..<max(pieces, 1) {
                        for j in 0..<n { for i in 0...j { sum[i + j * n] += partials[(piece - 1) * n * n + i + j * n] } }
                    }
                }
                for j in 0..<n { for i in (j + 1)..<n { sum[i + j * n] = sum[j + i * n] } }
            }
        }
        return sum
    }

    /// Blocks w, w + W, w + 2W, … go to worker w, so the assignment is fixed too.
    /// The workers are `SpinningWorkers`, awake between passes; Dispatch's when another thread
    /// holds them.
    public static func runBlocks(_ count: Int, _ body: @Sendable (Int) -> Void) {
        let workers = max(1, min(workerCount, count))
        if workers == 1 {
            for block in 0..<count { body(block) }
            return
        }
        if SpinningWorkers.pool(workers: workerCount).run(count, body) { return }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for block in stride(from: worker, to: count, by: workers) { body(block) }
        }
    }
}

/// Raw pointers cross into worker closures; each worker touches a disjoint range.
public struct UnsafeSendablePointer<Pointee>: @unchecked Sendable {
    public let pointer: UnsafePointer<Pointee>
    public init(_ pointer: UnsafePointer<Pointee>) { self.pointer = pointer }
}

public struct UnsafeMutableSendablePointer<Pointee>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Pointee>
    public init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
}
