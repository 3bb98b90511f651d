import Models
import Problems

/// What every method is given besides the problem.
public struct MethodContext {
    /// The operator's own D1², D2²: flatness is always reported, and certified, against these.
    public var operatorRescaling: Rescaling
    public var limits: SolverLimits
    public var seed: UInt64
    public var progress: ProgressHandler?
}

/// One way of reaching a solution (docs/mathematics.md §11). A method sees the problem through
/// `RecoveryProblem` only, so it never knows which model it is solving.
public protocol RecoveryMethod {
    func solve(_ problem: RecoveryProblem, context: MethodContext) throws -> FactoredSolution
}
