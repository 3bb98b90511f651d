import COpenBLAS

/// Products with every matrix of a stack A_1, …, A_m (each d1×d2) stored as one m × (d1·d2)
/// column-major matrix whose row i is vec(A_i), the layout of dense sensing operators.
public enum StackedMatrixProducts {
    /// Row i of the result is [vec(A_iᵀ·U), vec(A_i·V)]: (d2·a + d1·b) entries for U d1×a and
    /// V d2×b. Two passes over the stack, each split into pieces of fixed shape that own their
    /// entries of the result, so the bits do not depend on the worker count; each piece is
    /// walked in panels that stay in cache while every column of U or V uses them.
    public static func sidedProducts(_ stack: Matrix, rows d1: Int, columns d2: Int, left u: Matrix, right v: Matrix) -> Matrix {
        precondition(stack.columns == d1 * d2, "sidedProducts: the stack has \(stack.columns) columns, expected \(d1)·\(d2)")
        precondition(u.rows == d1 && v.rows == d2, "sidedProducts: U is \(u.rows)×·, V is \(v.rows)×·, expected \(d1) and \(d2) rows")
        let m = stack.rows, a = u.columns, b = v.columns
        var products = Matrix.zeros(rows: m, columns: d2 * a + d1 * b)
        guard m > 0, d1 > 0, d2 > 0 else { return products }
        stack.withUnsafeBufferPointer { stackEntries in
            u.withUnsafeBufferPointer { uEntries in
                v.withUnsafeBufferPointer { vEntries in
                    products.withUnsafeMutableBufferPointer { output in
                        let source = UnsafeSendablePointer(stackEntries.baseAddress!)
                        let left = UnsafeSendablePointer(uEntries.baseAddress!), right = UnsafeSendablePointer(vEntries.baseAddress!)
                        let result = UnsafeMutableSendablePointer(output.baseAddress!)
                        // Block j (m×d1, contiguous) holds column j of every A_i: block·U gives
                        // row j of A_iᵀU, for column j + c·d2 of the result.
                        let blockGroups = PartitionedGEMV.split(d2)
                        let blockPanel = max(64, PartitionedGEMV.panelBytes / (8 * d1))
                        PartitionedGEMV.runBlocks(blockGroups.count) { group in
                            for j in blockGroups[group] {
                                for panel in stride(from: 0, to: m, by: blockPanel) {
                                    let rows = panel..<min(panel + blockPanel, m)
                                    for c in 0..<a {
                                        cblas_dgemv(CblasColMajor, CblasNoTrans, blasInt(rows.count), blasInt(d1), 1,
                                                    source.pointer + j * d1 * m + rows.lowerBound, blasInt(m), left.pointer + c * d1, 1,
                                                    0, result.pointer + (j + c * d2) * m + rows.lowerBound, 1)
                                    }
                                }
                            }
                        }
                        // Read as an (m·d1)×d2 matrix S, the stack gives S·V, whose column c read
                        // as m×d1 holds (A_iV)[:, c] in row i: already the result's layout.
                        let stackedRows = m * d1
                        let rowBlocks = PartitionedGEMV.blocks(rows: stackedRows)
                        let rowPanel = max(64, PartitionedGEMV.panelBytes / (8 * d2))
                        let timesRight = UnsafeMutableSendablePointer(result.pointer + d2 * a * m)
                        PartitionedGEMV.runBlocks(rowBlocks.count) { block in
                            for panel in stride(from: rowBlocks[block].lowerBound, to: rowBlocks[block].upperBound, by: rowPanel) {
                                let rows = panel..<min(panel + rowPanel, rowBlocks[block].upperBound)
                                for c in 0..<b {
                                    cblas_dgemv(CblasColMajor, CblasNoTrans, blasInt(rows.count), blasInt(d2), 1,
                                                source.pointer + rows.lowerBound, blasInt(stackedRows), right.pointer + c * d2, 1,
                                                0, timesRight.pointer + c * stackedRows + rows.lowerBound, 1)
                                }
                            }
                        }
                    }
                }
            }
        }
        return products
    }
}
