import LinearAlgebra
import Models
import Problems
import RandomNumbers

/// X + Δ_k for `count` Gaussian Δ_k with their row-space part removed (Δ ← Δ − V_rV_rᵀΔ for the
/// right singular vectors V_r of the dense m × d1d2 operator whose singular values exceed
/// 10⁻¹⁰ of the largest), each scaled to `relativeSize`·‖X‖_F: other points with the same
/// A(X), so feasible for any fit X is. A must have a null space (quadratic sensing always does,
/// in the antisymmetric matrices); small operators only (A and its SVD are formed).
public func nullSpacePerturbations(of x: Matrix, under op: any MeasurementOperator, count: Int, relativeSize: Double,
                                   seed: UInt64) throws -> [Matrix] {
    let (_, singularValues, vt) = try LAPACK.svd(denseOperator(op))
    let rank = singularValues.filter { $0 > 1e-10 * singularValues[0] }.count
    precondition(rank < op.rows * op.columns, "A is injective: X is the only point with its measurements")
    var g = PCG64(seed: seed)
    return (0..<count).map { _ in
        var delta = gaussianVector(op.rows * op.columns, generator: &g)
        for k in 0..<rank {
            let direction = (0..<vt.columns).map { vt[k, $0] }
            let coefficient = innerProduct(direction, delta)
            for j in delta.indices { delta[j] -= coefficient * direction[j] }
        }
        let scale = relativeSize * x.frobeniusNorm / euclideanNorm(delta)
        return x + Matrix(rows: op.rows, columns: op.columns, columnMajor: delta.map { $0 * scale })
    }
}

/// Weak duality, checked at points chosen apart from the solver: a certified lower bound on the
/// relaxation must lie below its objective at every feasible X. For each point: how far it is
/// from feasible (‖s − P(s)‖/‖b‖ for s = A(X) − b, which must be rounding, or the check proves
/// nothing), and (bound − objective)/objective, which must not be positive beyond rounding.
public func certificateConformance(lowerBound: Double, measurements: MeasurementSet, dataFit: DataFit, rescaling: Rescaling,
                                   feasiblePoints: [Matrix]) throws -> [Discrepancy] {
    let scale = euclideanNorm(measurements.observations)
    return try feasiblePoints.enumerated().flatMap { index, x in
        let residual = zip(measurements.measurementOperator.apply(x), measurements.observations).map { $0 - $1 }
        let objective = try relaxationObjective(x, measurements: measurements, dataFit: dataFit, rescaling: rescaling)
        return [
            Discrepancy("point \(index) is feasible: distance of A(X) − b from the fit's set, relative to ‖b‖",
                        dataFit.violation(residual) / scale, tolerance: 1e-12),
            Discrepancy("point \(index): (lower bound − 2‖D1XD2‖_* − h(A(X) − b)) / objective",
                        (lowerBound - objective) / objective, tolerance: 1e-12),
        ]
    }
}
