import CStreamKernels

/// Products with every matrix of a stack A_1, …, A_m (each d1×d2) stored as one m × (d1·d2)
/// column-major matrix whose row i is vec(A_i), the layout of dense sensing operators.
public enum StackedMatrixProducts {
    /// Row i of the result is [vec(A_iᵀ·U), vec(A_i·V)]: (d2·a + d1·b) entries for U d1×a and
    /// V d2×b. Two streaming passes over the stack, each split into pieces of fixed shape that own
    /// their entries of the result, so the bits do not depend on the worker count.
    public static func sidedProducts(_ stack: Matrix, rows d1: Int, columns d2: Int, left u: Matrix, right v: Matrix) -> Matrix {
        precondition(stack.columns == d1 * d2, "sidedProducts: the stack has \(stack.columns) columns, expected \(d1)·\(d2)")
        precondition(u.rows == d1 && v.rows == d2, "sidedProducts: U is \(u.rows)×·, V is \(v.rows)×·, expected \(d1) and \(d2) rows")
        let m = stack.rows, a = u.columns, b = v.columns
        guard m > 0, d1 > 0, d2 > 0 else { return Matrix.zeros(rows: m, columns: d2 * a + d1 * b) }
        return stack.withUnsafeBufferPointer { stackEntries in
            u.withUnsafeBufferPointer { uEntries in
                v.withUnsafeBufferPointer { vEntries in
                    Matrix.overwritten(rows: m, columns: d2 * a + d1 * b) { output in
                        let source = UnsafeSendablePointer(stackEntries.baseAddress!)
                        let left = UnsafeSendablePointer(uEntries.baseAddress!), right = UnsafeSendablePointer(vEntries.baseAddress!)
                        let result = UnsafeMutableSendablePointer(output.baseAddress!)
                        // Block j (m×d1, contiguous) holds column j of every A_i: block·U gives
                        // row j of A_iᵀU, for columns j + c·d2 of the result.
                        let blockGroups = PartitionedGEMV.split(d2)
                        PartitionedGEMV.runBlocks(blockGroups.count) { group in
                            for j in blockGroups[group] {
                                stream_multiply(m, d1, a, source.pointer + j * d1 * m, m, left.pointer, d1,
                                                result.pointer + j * m, d2 * m)
                            }
                        }
                        // Read as an (m·d1)×d2 matrix S, the stack gives S·V, whose column c read
                        // as m×d1 holds (A_iV)[:, c] in row i: already the result's layout.
                        let stackedRows = m * d1
                        let rowBlocks = PartitionedGEMV.blocks(rows: stackedRows)
                        let timesRight = UnsafeMutableSendablePointer(result.pointer + d2 * a * m)
                        PartitionedGEMV.runBlocks(rowBlocks.count) { block in
                            let rows = rowBlocks[block]
                            stream_multiply(rows.count, d2, b, source.pointer + rows.lowerBound, stackedRows, right.pointer, d2,
                                            timesRight.pointer + rows.lowerBound, stackedRows)
                        }
                    }
                }
            }
        }
    }
}
