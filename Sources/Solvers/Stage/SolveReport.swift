import Foundation
import Frames
import LinearAlgebra
import Models

/// What a solve produced, as the frames and attributes of the stream schema and as one line
/// for people.
struct SolveReport {
    let problem: RecoveryProblem
    let solution: FactoredSolution
    let operatorRescaling: Rescaling
    let seconds: Double
    let method: String

    var relativeResidual: Double {
        euclideanNorm(problem.residual(solution.parameters)) / max(problem.observationNorm, .leastNormalMagnitude)
    }

    var scaledTrace: Double {
        problem.scaledTrace(solution.parameters, operatorRescaling: operatorRescaling)
    }

    var summary: String {
        let status = solution.converged ? "converged" : "NOT converged"
        var line = "\(method): \(status) after \(solution.iterations) iterations, \(problem.measurementOperator.usage.passes) passes, "
            + String(format: "%.2f s; residual %.2e, str %.6g", seconds, relativeResidual, scaledTrace)
        if let lowerBound = solution.lowerBound { line += String(format: " (lower bound %.6g)", lowerBound) }
        return line
    }

    func frames(provenance: JSONValue) -> [Frame] {
        let (left, right) = problem.factorization.factors(solution.parameters)
        let usage = problem.measurementOperator.usage
        var attributes: [String: JSONValue] = [
            SolverAttributeKey.method: .string(method),
            AttributeKey.rank: .integer(Int64(problem.factorization.width)),
            SolverAttributeKey.iterations: .integer(Int64(solution.iterations)),
            SolverAttributeKey.passes: .integer(Int64(usage.passes)),
            SolverAttributeKey.operatorSeconds: .double(usage.seconds),
            SolverAttributeKey.seconds: .double(seconds),
            SolverAttributeKey.residual: .double(relativeResidual),
            SolverAttributeKey.scaledTrace: .double(scaledTrace),
            SolverAttributeKey.converged: .bool(solution.converged),
            SolverAttributeKey.dataFit: .string(problem.dataFit.name),
            AttributeKey.provenance: .array([provenance]),
        ]
        if let lowerBound = solution.lowerBound { attributes[SolverAttributeKey.lowerBound] = .double(lowerBound) }
        if let symmetric = problem.factorization as? SignedSymmetricFactorization {
            attributes[AttributeKey.rankPositive] = .integer(Int64(symmetric.positiveWidth))
            attributes[AttributeKey.rankNegative] = .integer(Int64(symmetric.negativeWidth))
        }
        let factorAttributes: [String: JSONValue] = [AttributeKey.provenance: .array([provenance])]
        return [
            Frame(name: FrameName.estimate, matrix: BLAS.matmul(left, right, transposeB: true), attributes: attributes),
            Frame(name: FrameName.estimateLeft, matrix: left, attributes: factorAttributes),
            Frame(name: FrameName.estimateRight, matrix: right, attributes: factorAttributes),
        ]
    }
}
