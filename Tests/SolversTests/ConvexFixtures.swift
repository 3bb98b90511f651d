import LinearAlgebra
import Models
import Problems
import RandomNumbers
import TestSupport
@testable import Solvers

/// Small instances drawn straight from PCG64 for the convex method's tests, with everything a
/// test needs to judge an answer without the solver's help.
struct ConvexInstance {
    let truth: Matrix
    let measurements: MeasurementSet
    let dataFit: DataFit
    let factorization: any Factorization

    var measurementOperator: any MeasurementOperator { measurements.measurementOperator }
    var rescaling: Rescaling { measurementOperator.rescaling() }

    /// A fresh problem, so each method's passes are counted apart.
    var problem: RecoveryProblem {
        RecoveryProblem(measurements: measurements, dataFit: dataFit, rescaling: rescaling, factorization: factorization)
    }

    func context(tolerance: Double = 1e-10, maxIterations: Int = 20_000) -> MethodContext {
        MethodContext(operatorRescaling: rescaling, limits: SolverLimits(tolerance: tolerance, maxIterations: maxIterations),
                      seed: 5, progress: nil)
    }

    func solve(with method: any RecoveryMethod, maxIterations: Int = 20_000) throws -> (solution: FactoredSolution, estimate: Matrix) {
        let solution = try method.solve(problem, context: context(maxIterations: maxIterations))
        return (solution, factoredMatrix(solution.parameters, factorization))
    }

    /// A(X) − b.
    func residual(_ x: Matrix) -> [Double] {
        zip(measurementOperator.apply(x), measurements.observations).map { $0 - $1 }
    }

    /// The relaxation's value 2‖D1XD2‖_* + h(A(X) − b), apart from anything the solver does.
    func objective(_ x: Matrix) throws -> Double {
        try relaxationObjective(x, measurements: measurements, dataFit: dataFit, rescaling: rescaling)
    }

    /// A_i with i.i.d. N(0, 1) entries, exact fit, factors as wide as solve-flat makes them.
    static func gaussianSensing(size: Int, rank: Int, measurements m: Int, seed: UInt64) throws -> ConvexInstance {
        var generator = PCG64(seed: seed)
        let truth = lowRankMatrix(rows: size, columns: size, rank: rank, generator: &generator)
        let sensing = GaussianSensing(sensing: gaussianMatrix(rows: m, columns: size * size, generator: &generator),
                                      rows: size, columns: size)
        let width = SolveStage.identifiableRank(rows: size, columns: size, measurements: m)
        return ConvexInstance(truth: truth,
                              measurements: try MeasurementSet(measurementOperator: sensing, observations: sensing.apply(truth)),
                              dataFit: .exact, factorization: GeneralFactorization(rows: size, columns: size, width: width))
    }

    /// Bilinear sensing a_iᵀXc_i with a_i, c_i i.i.d. N(0, I), exact fit, factors of width rank + 2.
    static func bilinearSensing(size: Int, rank: Int, measurements m: Int, seed: UInt64) throws -> ConvexInstance {
        var generator = PCG64(seed: seed)
        let truth = lowRankMatrix(rows: size, columns: size, rank: rank, generator: &generator)
        let sensing = BilinearSensing(left: gaussianMatrix(rows: m, columns: size, generator: &generator),
                                      right: gaussianMatrix(rows: m, columns: size, generator: &generator))
        return ConvexInstance(truth: truth,
                              measurements: try MeasurementSet(measurementOperator: sensing, observations: sensing.apply(truth)),
                              dataFit: .exact, factorization: GeneralFactorization(rows: size, columns: size, width: rank + 2))
    }

    /// Noiseless completion of `m` uniformly drawn entries, factors of width rank + 2.
    static func exactCompletion(size: Int, rank: Int, entries m: Int, seed: UInt64) throws -> ConvexInstance {
        var generator = PCG64(seed: seed)
        let truth = lowRankMatrix(rows: size, columns: size, rank: rank, generator: &generator)
        let positions = generator.sampleWithoutReplacement(count: m, from: size * size)
        let completion = try MatrixCompletion(rows: size, columns: size, entryRows: positions.map { $0 % size },
                                              entryColumns: positions.map { $0 / size })
        return ConvexInstance(truth: truth,
                              measurements: try MeasurementSet(measurementOperator: completion, observations: completion.apply(truth)),
                              dataFit: .exact, factorization: GeneralFactorization(rows: size, columns: size, width: rank + 2))
    }

    /// Robust PCA in the penalized form: the whole matrix observed, `outliers` entries moved by
    /// N(0, 10²), and λ‖A(X) − b‖₁ with the weight solve-flat's --penalized uses.
    static func penalizedRobustPCA(size: Int, rank: Int, outliers: Int, seed: UInt64) throws -> ConvexInstance {
        var generator = PCG64(seed: seed)
        let truth = lowRankMatrix(rows: size, columns: size, rank: rank, generator: &generator)
        var observations = truth.storage
        for index in generator.sampleWithoutReplacement(count: outliers, from: size * size) {
            observations[index] += 10 * generator.nextStandardNormal()
        }
        let identity = IdentityObservation(rows: size, columns: size)
        let weight = 2 * identity.rescaling().isotropicScale / Double(size).squareRoot()
        return ConvexInstance(truth: truth,
                              measurements: try MeasurementSet(measurementOperator: identity, observations: observations),
                              dataFit: .l1Penalty(weight: weight),
                              factorization: GeneralFactorization(rows: size, columns: size, width: rank + 2))
    }

    /// Completion of a uniformly drawn set of entries with N(0, noise²) errors, fitted by the
    /// ℓ2 ball whose radius is the noise's actual norm.
    static func noisyCompletion(size: Int, rank: Int, entries m: Int, noise: Double, seed: UInt64) throws -> ConvexInstance {
        var generator = PCG64(seed: seed)
        let truth = lowRankMatrix(rows: size, columns: size, rank: rank, generator: &generator)
        let positions = generator.sampleWithoutReplacement(count: m, from: size * size)
        let completion = try MatrixCompletion(rows: size, columns: size, entryRows: positions.map { $0 % size },
                                              entryColumns: positions.map { $0 / size })
        var errors = gaussianVector(m, generator: &generator)
        BLAS.scal(noise, &errors)
        var observations = completion.apply(truth)
        BLAS.axpy(1, errors, &observations)
        return ConvexInstance(truth: truth,
                              measurements: try MeasurementSet(measurementOperator: completion, observations: observations),
                              dataFit: .euclideanBall(radius: BLAS.nrm2(errors)),
                              factorization: GeneralFactorization(rows: size, columns: size, width: rank + 3))
    }

    /// Quadratic sensing x_iᵀMx_i of M = U1U1ᵀ − U2U2ᵀ (a quadratic network with output
    /// weights of both signs), with the signed symmetric factorization one column wider on each side.
    static func quadraticNetwork(size: Int, positiveRank: Int, negativeRank: Int, measurements m: Int,
                                 seed: UInt64) throws -> ConvexInstance {
        var generator = PCG64(seed: seed)
        let positive = gaussianMatrix(rows: size, columns: positiveRank, generator: &generator)
        let negative = gaussianMatrix(rows: size, columns: negativeRank, generator: &generator)
        let truth = BLAS.matmul(positive, positive, transposeB: true) - BLAS.matmul(negative, negative, transposeB: true)
        let sensing = QuadraticSensing(features: gaussianMatrix(rows: m, columns: size, generator: &generator))
        return ConvexInstance(truth: truth,
                              measurements: try MeasurementSet(measurementOperator: sensing, observations: sensing.apply(truth)),
                              dataFit: .exact,
                              factorization: SignedSymmetricFactorization(size: size, positiveWidth: positiveRank + 1,
                                                                          negativeWidth: negativeRank + 1))
    }
}
