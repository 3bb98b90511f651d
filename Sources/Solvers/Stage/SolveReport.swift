import Foundation
import Frames
import LinearAlgebra
import Models
import Problems

/// What a solve produced, as the frames and attributes of the stream schema and as one line
/// for people.
struct SolveReport {
    let problem: RecoveryProblem
    let solution: FactoredSolution
    let operatorRescaling: Rescaling
    let seconds: Double
    let method: SolverMethod
    /// ‖A(X̂) − b‖/‖b‖, str under the operator's rescaling, and the method's own objective
    /// (what `lower_bound` bounds), from one last pass.
    let relativeResidual: Double
    let scaledTrace: Double
    let objective: Double

    /// The objective and its bound are reported divided by `objectiveScale`, the factor the
    /// method's weights carry (min-norm's c in c·I), so that they are in the method's own units.
    let objectiveScale: Double
    let estimateStorage: DenseStorage

    init(problem: RecoveryProblem, solution: FactoredSolution, operatorRescaling: Rescaling, seconds: Double, method: SolverMethod,
         objectiveScale: Double = 1, estimateStorage: DenseStorage = .auto) {
        self.objectiveScale = objectiveScale
        self.estimateStorage = estimateStorage
        self.problem = problem
        self.solution = solution
        self.operatorRescaling = operatorRescaling
        self.seconds = seconds
        self.method = method
        let residual = problem.residual(solution.parameters)
        relativeResidual = BLAS.nrm2(residual) / max(problem.observationNorm, .leastNormalMagnitude)
        scaledTrace = problem.flatness(solution.parameters, rescaling: operatorRescaling).value
        objective = method.objective(of: problem, at: solution.parameters, residual: residual) / objectiveScale
    }

    var summary: String {
        let status = solution.converged ? "converged" : "NOT converged"
        var line = "\(method.rawValue): \(status) after \(solution.iterations) iterations, \(problem.measurementOperator.usage.passes) passes, "
            + String(format: "%.2f s; residual %.2e, str %.10g", seconds, relativeResidual, scaledTrace)
        if objective != scaledTrace { line += String(format: ", objective %.10g", objective) }
        if let lowerBound = solution.lowerBound { line += String(format: " (lower bound %.10g)", lowerBound / objectiveScale) }
        return line
    }

    /// Appends the estimate and its factors, the solve's attributes on the first frame written.
    /// X̂ = L·Rᵀ is produced a block of columns at a time, so a 2000×2000 estimate never sits in
    /// memory whole; above `DenseMatrixLimit` (unless asked for) it is not written at all, and
    /// every tool works from `estimate_left` and `estimate_right`.
    func write(to writer: FrameWriter, provenance: JSONValue) throws {
        let (left, right) = problem.factorization.factors(solution.parameters)
        let usage = problem.measurementOperator.usage
        var attributes: JSONObject = [
            SolverAttributeKey.method: .string(method.rawValue),
            AttributeKey.rank: .integer(Int64(problem.factorization.width)),
            SolverAttributeKey.iterations: .integer(Int64(solution.iterations)),
            SolverAttributeKey.passes: .integer(Int64(usage.passes)),
            SolverAttributeKey.residual: .double(relativeResidual),
            SolverAttributeKey.scaledTrace: .double(scaledTrace),
            SolverAttributeKey.objective: .double(objective),
            SolverAttributeKey.converged: .bool(solution.converged),
            SolverAttributeKey.dataFit: .string(problem.dataFit.name),
            AttributeKey.provenance: .array([provenance]),
        ]
        if usage.columns > 0, usage.passes > 0 {
            attributes[SolverAttributeKey.passWidth] = .double(Double(usage.columns) / Double(usage.passes))
        }
        if let lowerBound = solution.lowerBound { attributes[SolverAttributeKey.lowerBound] = .double(lowerBound / objectiveScale) }
        if let widths = problem.factorization.signedWidths {
            attributes[AttributeKey.rankPositive] = .integer(Int64(widths.positive))
            attributes[AttributeKey.rankNegative] = .integer(Int64(widths.negative))
        }
        let factorAttributes: JSONObject = [AttributeKey.provenance: .array([provenance])]
        let dense = estimateStorage.keepsDense(rows: left.rows, columns: right.rows)
        if dense {
            let header = FrameHeader(name: FrameName.estimate, dtype: .float64, shape: [left.rows, right.rows],
                                     attributes: attributes)
            try writer.write(header: header) { emit in
                for columns in stride(from: 0, to: right.rows, by: Self.estimateBlockColumns) {
                    let block = columns..<min(columns + Self.estimateBlockColumns, right.rows)
                    let product = BLAS.matmul(left, selectRows(right, block), transposeB: true)
                    try product.withUnsafeBufferPointer { try emit(UnsafeRawBufferPointer($0)) }
                }
            }
        }
        try writer.write(Frame(name: FrameName.estimateLeft, matrix: left, attributes: dense ? factorAttributes : attributes))
        try writer.write(Frame(name: FrameName.estimateRight, matrix: right, attributes: factorAttributes))
    }

    /// The `timings` frame: [seconds, operator_seconds], also as attributes with the passes.
    func writeTimings(to writer: FrameWriter, provenance: JSONValue) throws {
        let usage = problem.measurementOperator.usage
        let attributes: JSONObject = [
            SolverAttributeKey.seconds: .double(seconds),
            SolverAttributeKey.operatorSeconds: .double(usage.seconds),
            SolverAttributeKey.passes: .integer(Int64(usage.passes)),
            AttributeKey.provenance: .array([provenance]),
        ]
        try writer.write(Frame(name: FrameName.timings, shape: [2], data: .float64([seconds, usage.seconds]),
                               attributes: attributes))
    }

    static let estimateBlockColumns = 256
}

/// Rows `range` of M as a matrix of their own.
func selectRows(_ matrix: Matrix, _ range: Range<Int>) -> Matrix {
    var selected = Matrix.zeros(rows: range.count, columns: matrix.columns)
    for j in 0..<matrix.columns {
        for (i, row) in range.enumerated() { selected[i, j] = matrix[row, j] }
    }
    return selected
}
