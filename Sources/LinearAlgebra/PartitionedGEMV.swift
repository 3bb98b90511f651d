import COpenBLAS
import Dispatch

/// Matrix–vector products with A split into a fixed set of row blocks, each handed to
/// single-threaded BLAS on a worker of our own. OpenBLAS's own threading rounds differently at
/// different thread counts (see `BLASThreads`); here the split depends on the matrix's shape
/// alone, and the per-block partial sums of Aᵀy are added in block order, so the bits are the
/// same at every worker count while both cores still stream the matrix.
public enum PartitionedGEMV {
    /// How many workers share the blocks. Changing it changes speed, never results.
    nonisolated(unsafe) public static var workerCount = 1

    /// Rows per block never drop below this, so that each block's slice of a column is a
    /// contiguous run long enough to stream at full bandwidth.
    static let minimumBlockRows = 64
    static let maximumBlockCount = 8

    static func blocks(rows: Int) -> [Range<Int>] {
        let count = max(1, min(maximumBlockCount, rows / minimumBlockRows))
        return (0..<count).map { block in (block * rows / count)..<((block + 1) * rows / count) }
    }

    /// A·x.
    public static func multiply(_ a: Matrix, _ x: [Double]) -> [Double] {
        precondition(x.count == a.columns, "multiply: A takes \(a.columns) entries, x has \(x.count)")
        return multiply(a, Matrix(rows: x.count, columns: 1, columnMajor: x)).storage
    }

    /// A·X for a few columns X at the cost of one pass over A: the matrix is the bandwidth,
    /// the extra columns ride along.
    public static func multiply(_ a: Matrix, _ x: Matrix) -> Matrix {
        precondition(x.rows == a.columns, "multiply: A takes \(a.columns) entries, X has \(x.rows) rows")
        var y = Matrix.zeros(rows: a.rows, columns: x.columns)
        guard a.rows > 0, a.columns > 0, x.columns > 0 else { return y }
        let blocks = blocks(rows: a.rows)
        let outputRows = a.rows, width = x.columns
        a.withUnsafeBufferPointer { entries in
            x.withUnsafeBufferPointer { x in
                y.withUnsafeMutableBufferPointer { y in
                    let output = UnsafeMutableSendablePointer(y.baseAddress!)
                    let input = UnsafeSendablePointer(x.baseAddress!), matrix = UnsafeSendablePointer(entries.baseAddress!)
                    runBlocks(blocks.count) { block in
                        let rows = blocks[block]
                        if width == 1 {
                            cblas_dgemv(CblasColMajor, CblasNoTrans, blasInt(rows.count), blasInt(a.columns), 1,
                                        matrix.pointer + rows.lowerBound, blasInt(a.rows), input.pointer, 1,
                                        0, output.pointer + rows.lowerBound, 1)
                        } else {
                            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, blasInt(rows.count), blasInt(width),
                                        blasInt(a.columns), 1, matrix.pointer + rows.lowerBound, blasInt(a.rows),
                                        input.pointer, blasInt(a.columns), 0, output.pointer + rows.lowerBound,
                                        blasInt(outputRows))
                        }
                    }
                }
            }
        }
        return y
    }

    /// Aᵀ·y.
    public static func multiplyTransposed(_ a: Matrix, _ y: [Double]) -> [Double] {
        precondition(y.count == a.rows, "multiplyTransposed: Aᵀ takes \(a.rows) entries, y has \(y.count)")
        return multiplyTransposed(a, Matrix(rows: y.count, columns: 1, columnMajor: y)).storage
    }

    /// Aᵀ·Y for a few columns Y in one pass: each block's partial product goes to a buffer of
    /// its own and the buffers are added in block order.
    public static func multiplyTransposed(_ a: Matrix, _ y: Matrix) -> Matrix {
        precondition(y.rows == a.rows, "multiplyTransposed: Aᵀ takes \(a.rows) entries, Y has \(y.rows) rows")
        let width = y.columns, outputSize = a.columns * width
        guard a.rows > 0, a.columns > 0, width > 0 else { return Matrix.zeros(rows: a.columns, columns: width) }
        let blocks = blocks(rows: a.rows)
        var partials = [Double](repeating: 0, count: blocks.count * outputSize)
        a.withUnsafeBufferPointer { entries in
            y.withUnsafeBufferPointer { y in
                partials.withUnsafeMutableBufferPointer { partials in
                    let output = UnsafeMutableSendablePointer(partials.baseAddress!)
                    let input = UnsafeSendablePointer(y.baseAddress!), matrix = UnsafeSendablePointer(entries.baseAddress!)
                    let inputRows = a.rows
                    runBlocks(blocks.count) { block in
                        let rows = blocks[block]
                        if width == 1 {
                            cblas_dgemv(CblasColMajor, CblasTrans, blasInt(rows.count), blasInt(a.columns), 1,
                                        matrix.pointer + rows.lowerBound, blasInt(a.rows), input.pointer + rows.lowerBound, 1,
                                        0, output.pointer + block * outputSize, 1)
                        } else {
                            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, blasInt(a.columns), blasInt(width),
                                        blasInt(rows.count), 1, matrix.pointer + rows.lowerBound, blasInt(a.rows),
                                        input.pointer + rows.lowerBound, blasInt(inputRows), 0,
                                        output.pointer + block * outputSize, blasInt(a.columns))
                        }
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
        return Matrix(rows: a.columns, columns: width, columnMajor: sum)
    }

    /// Blocks w, w + W, w + 2W, … go to worker w, so the assignment is fixed too.
    private static func runBlocks(_ count: Int, _ body: @Sendable (Int) -> Void) {
        let workers = max(1, min(workerCount, count))
        if workers == 1 {
            for block in 0..<count { body(block) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for block in stride(from: worker, to: count, by: workers) { body(block) }
        }
    }
}

/// Raw pointers cross into worker closures; each worker touches a disjoint range.
struct UnsafeSendablePointer: @unchecked Sendable {
    let pointer: UnsafePointer<Double>
    init(_ pointer: UnsafePointer<Double>) { self.pointer = pointer }
}

struct UnsafeMutableSendablePointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
    init(_ pointer: UnsafeMutablePointer<Double>) { self.pointer = pointer }
}
