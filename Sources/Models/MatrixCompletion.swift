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
    private let index: EntryIndex

    public init(rows: Int, columns: Int, entryRows: [Int], entryColumns: [Int]) throws {
        guard entryRows.count == entryColumns.count else {
            throw ModelError("completion needs as many row as column indices")
        }
        guard entryRows.allSatisfy({ (0..<rows).contains($0) }), entryColumns.allSatisfy({ (0..<columns).contains($0) }) else {
            throw ModelError("completion entries fall outside the \(rows)×\(columns) matrix")
        }
        self.rows = rows
        self.columns = columns
        guard entryRows.count < Int(Int32.max), rows < Int(Int32.max), columns < Int(Int32.max) else {
            throw ModelError("completion holds at most 2^31 − 1 entries, rows and columns")
        }
        self.entryRows = entryRows
        self.entryColumns = entryColumns
        index = EntryIndex(rows: rows, columns: columns, entryRows: entryRows, entryColumns: entryColumns)
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
        applyFactored([(left: left, right: right)])[0]
    }

    /// Every pair in one walk over the entries: the factors side by side, so that each entry
    /// reads one row of each.
    public func applyFactored(_ pairs: [(left: Matrix, right: Matrix)]) -> [[Double]] {
        // Row-major copies make each factor row contiguous, the access pattern of a lookup.
        func sideBySide(_ factors: [Matrix], rows: Int) -> [Double] {
            Matrix(rows: rows, columns: factors.reduce(0) { $0 + $1.columns }, columnMajor: factors.flatMap(\.storage)).transposed().storage
        }
        return index.applyFactored(leftRows: sideBySide(pairs.map(\.left), rows: rows), rightRows: sideBySide(pairs.map(\.right), rows: columns),
                                   widths: pairs.map { $0.left.columns }, count: measurementCount)
    }

    /// Each product a gather over the entries grouped by its target, A*(y) never formed.
    public func adjointProductMaps(_ y: [Double]) -> AdjointProductMaps {
        AdjointProductMaps(setupPasses: 0, passesPerProduct: 1,
                           timesRight: { gather(y, factor: $0, byRows: true) },
                           transposeTimesLeft: { gather(y, factor: $0, byRows: false) })
    }

    private func gather(_ y: [Double], factor: Matrix, byRows: Bool) -> Matrix {
        let k = factor.columns
        let rowMajor = index.gather(y, factorRows: factor.transposed().storage, width: k, byRows: byRows)
        return Matrix(rows: k, columns: byRows ? rows : columns, columnMajor: rowMajor).transposed()
    }

    /// Column j of J's first block is A(u_c·e_jᵀ), nonzero at the entries of column j, where it
    /// is U[p, c]; row i's of the second, A(e_i·v_cᵀ), at the entries of row i, V[q, c]: each
    /// block is a sum of outer products of factor rows over one column's (row's) entries.
    public func tangentGramBlocks(left: Matrix, right: Matrix) -> TangentGramBlocks? {
        TangentGramBlocks(leftWidth: left.columns, rightWidth: right.columns,
                          columnBlocks: index.grams(factorRows: left.transposed().storage, width: left.columns, byRows: false),
                          rowBlocks: index.grams(factorRows: right.transposed().storage, width: right.columns, byRows: true))
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

    public var rescalingForms: (left: ScalingForm, right: ScalingForm) { (.diagonal, .diagonal) }

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
