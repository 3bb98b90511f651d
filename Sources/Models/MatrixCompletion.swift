import LinearAlgebra

/// Entry sampling: A_i = e_{p_i} e_{q_i}ᵀ, so A(X)_i = X[p_i, q_i]. Everything is O(m·k);
/// the only d1×d2 matrix ever formed is the one `adjoint` is asked for.
public struct MatrixCompletion: MeasurementOperator {
    public let family = OperatorFamily.completion
    public let rows: Int
    public let columns: Int
    /// Row and column of each observed entry, 0-based.
    public let entryRows: [Int]
    public let entryColumns: [Int]
    public var measurementCount: Int { entryRows.count }
    public var storedEntryCount: Int { 2 * entryRows.count }

    public init(rows: Int, columns: Int, entryRows: [Int], entryColumns: [Int]) throws {
        guard entryRows.count == entryColumns.count else {
            throw ModelError("completion needs as many row as column indices")
        }
        guard entryRows.allSatisfy({ (0..<rows).contains($0) }), entryColumns.allSatisfy({ (0..<columns).contains($0) }) else {
            throw ModelError("completion entries fall outside the \(rows)×\(columns) matrix")
        }
        self.rows = rows
        self.columns = columns
        self.entryRows = entryRows
        self.entryColumns = entryColumns
    }

    public func apply(_ x: Matrix) -> [Double] {
        zip(entryRows, entryColumns).map { x[$0, $1] }
    }

    public func adjoint(_ y: [Double]) -> Matrix {
        var result = Matrix.zeros(rows: rows, columns: columns)
        for (i, value) in y.enumerated() { result[entryRows[i], entryColumns[i]] += value }
        return result
    }

    public func applyFactored(left: Matrix, right: Matrix) -> [Double] {
        let k = left.columns
        // Transposed copies make each factor row contiguous, the access pattern of a lookup.
        let leftRows = left.transposed()
        let rightRows = right.transposed()
        return leftRows.withUnsafeBufferPointer { l in
            rightRows.withUnsafeBufferPointer { r in
                (0..<measurementCount).map { i in
                    let lBase = entryRows[i] * k
                    let rBase = entryColumns[i] * k
                    var sum = 0.0
                    for j in 0..<k { sum += l[lBase + j] * r[rBase + j] }
                    return sum
                }
            }
        }
    }

    /// Each product a gather over the entries, A*(y) never formed.
    public func adjointProductMaps(_ y: [Double]) -> AdjointProductMaps {
        AdjointProductMaps(setupPasses: 0, passesPerProduct: 1,
                           timesRight: { gather(y, targets: entryRows, targetCount: rows, sources: entryColumns, factor: $0) },
                           transposeTimesLeft: { gather(y, targets: entryColumns, targetCount: columns, sources: entryRows, factor: $0) })
    }

    /// Σ_i y_i e_{t_i} (row s_i of F): the sparse-times-dense product behind both gradient pieces.
    private func gather(_ y: [Double], targets: [Int], targetCount: Int, sources: [Int], factor: Matrix) -> Matrix {
        let k = factor.columns
        let factorRows = factor.transposed()
        var accumulated = Matrix.zeros(rows: k, columns: targetCount)  // transposed result, rows contiguous
        factorRows.withUnsafeBufferPointer { f in
            accumulated.withUnsafeMutableBufferPointer { out in
                for i in 0..<y.count {
                    let outBase = targets[i] * k
                    let fBase = sources[i] * k
                    let weight = y[i]
                    for j in 0..<k { out[outBase + j] += weight * f[fBase + j] }
                }
            }
        }
        return accumulated.transposed()
    }

    /// ‖Pᵀe_p e_qᵀQ‖² = ‖P[p, :]‖²·‖Q[q, :]‖², so both gradients scale rows.
    public func sandwichedSquaredNorm(left: Matrix, right: Matrix) -> (value: Double, gradientLeft: Matrix, gradientRight: Matrix) {
        let leftRowNorms = rowwiseDot(left, left), rightRowNorms = rowwiseDot(right, right)
        var value = 0.0
        var leftWeights = [Double](repeating: 0, count: rows), rightWeights = [Double](repeating: 0, count: columns)
        for i in 0..<measurementCount {
            let (p, q) = (entryRows[i], entryColumns[i])
            value += leftRowNorms[p] * rightRowNorms[q]
            leftWeights[p] += 2 * rightRowNorms[q]
            rightWeights[q] += 2 * leftRowNorms[p]
        }
        return (value, scalingRows(left, by: leftWeights), scalingRows(right, by: rightWeights))
    }

    /// Diagonal: how often each row (column) is observed, so flatness is a weighted trace norm.
    public func rescaling() -> Rescaling {
        let m = Double(measurementCount)
        var rowCounts = [Double](repeating: 0, count: rows)
        var columnCounts = [Double](repeating: 0, count: columns)
        for i in 0..<measurementCount {
            rowCounts[entryRows[i]] += 1
            columnCounts[entryColumns[i]] += 1
        }
        return Rescaling(left: .diagonal(rowCounts.map { $0 / (m * Double(columns)) }),
                         right: .diagonal(columnCounts.map { $0 / (m * Double(rows)) }))
    }
}
