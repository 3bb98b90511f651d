import LinearAlgebra
import Models
import Problems
import RandomNumbers
import TestSupport
@testable import Solvers

/// A Gaussian sensing instance below full sampling (m < d1·d2, so the solution set is large),
/// drawn directly from PCG64, and the measurements the implicit-method tests take on answers.
struct ImplicitInstance {
    let size: Int
    let truth: Matrix
    let sensing: GaussianSensing
    let observations: [Double]

    /// M♮ = U·Vᵀ with U, V having i.i.d. N(0, 1/d) entries (so ‖M♮‖ is about 1), and A_i with
    /// i.i.d. N(0, 1) entries.
    init(size: Int = 20, rank: Int = 2, measurements: Int = 240, seed: UInt64 = 11) {
        var generator = PCG64(seed: seed)
        func gaussian(rows: Int, columns: Int, deviation: Double) -> Matrix {
            gaussianMatrix(rows: rows, columns: columns, generator: &generator) * deviation
        }
        let spread = 1 / Double(size).squareRoot()
        self.size = size
        truth = BLAS.matmul(gaussian(rows: size, columns: rank, deviation: spread),
                            gaussian(rows: size, columns: rank, deviation: spread), transposeB: true)
        sensing = GaussianSensing(sensing: gaussian(rows: measurements, columns: size * size, deviation: 1),
                                  rows: size, columns: size)
        observations = sensing.apply(truth)
    }

    /// The problem with factors of width `width` (full width by default: the overparameterized
    /// setting where the solution set is large).
    func problem(width: Int? = nil) throws -> RecoveryProblem {
        RecoveryProblem(measurements: try MeasurementSet(measurementOperator: sensing, observations: observations),
                        dataFit: .exact, rescaling: sensing.rescaling(),
                        factorization: GeneralFactorization(rows: size, columns: size, width: width ?? size))
    }

    func context(tolerance: Double, maxIterations: Int = 20_000) -> MethodContext {
        MethodContext(operatorRescaling: sensing.rescaling(), limits: SolverLimits(tolerance: tolerance, maxIterations: maxIterations),
                      seed: 3, progress: nil)
    }

    /// What one method's answer is, in the terms the tests compare.
    struct Outcome {
        let converged: Bool
        let estimate: Matrix
        let relativeResidual: Double
        let relativeError: Double
        let scaledTrace: Double
        /// λ_max of the Gauss–Newton Hessian (1/m)·JᵀJ, the Hessian of f on the solution set.
        let largestCurvature: Double
    }

    func outcome(of method: any RecoveryMethod, tolerance: Double, maxIterations: Int = 20_000) throws -> Outcome {
        let problem = try problem()
        let solution = try method.solve(problem, context: context(tolerance: tolerance, maxIterations: maxIterations))
        let (left, right) = problem.factorization.factors(solution.parameters)
        let estimate = BLAS.matmul(left, right, transposeB: true)
        var residual = sensing.apply(estimate)
        BLAS.axpy(-1, observations, &residual)
        return Outcome(converged: solution.converged, estimate: estimate,
                       relativeResidual: BLAS.nrm2(residual) / BLAS.nrm2(observations),
                       relativeError: relativeError(estimate, truth),
                       scaledTrace: sensing.rescaling().scaledTrace(left: left, right: right),
                       largestCurvature: try largestCurvature(left: left, right: right))
    }

    /// From the explicit Jacobian, whose row i is (vec(A_i·R), vec(A_iᵀ·L))/√m, with each A_i
    /// recovered as A*(e_i): apart from anything the solvers compute.
    func largestCurvature(left: Matrix, right: Matrix) throws -> Double {
        let m = observations.count
        let width = (left.rows + right.rows) * left.columns
        var jacobian = Matrix.zeros(rows: m, columns: width)
        for i in 0..<m {
            let a = sensingMatrix(sensing, i)
            let row = BLAS.matmul(a, right).storage + BLAS.matmul(a, left, transposeA: true).storage
            for (j, value) in row.enumerated() { jacobian[i, j] = value / Double(m).squareRoot() }
        }
        let norm = try LAPACK.spectralNorm(jacobian)
        return norm * norm
    }
}
