import Foundation
import Frames
import LinearAlgebra
import Models
import Problems

/// `solve-flat` as a stage of a stream: it keeps the frames that define the problem (the
/// observations and the operator's frames, never the truth or the outlier record unless the
/// oracle budget is asked for), lets everything through unchanged, and at the end appends
/// the estimate and its factors.
public final class SolveStage {
    public let options: SolveOptions
    /// What the solve's arrays are checked against before the method starts; nil checks nothing.
    public var budget: MemoryBudget?
    let provenance: JSONValue
    private var frames: [String: Frame] = [:]
    public private(set) var summary: String?
    public private(set) var converged = true
    /// Why the answer is not converged, when the method could say more than that.
    public private(set) var diagnosis: String?

    public init(options: SolveOptions, provenance: JSONValue) {
        self.options = options
        self.provenance = provenance
    }

    static let problemFrames: Set<String> = [
        FrameName.observations, FrameName.sensing, FrameName.sensingLeft, FrameName.sensingRight,
        FrameName.entries, FrameName.features,
    ]

    /// Which frames the solver may read: decoding nothing else keeps memory at the problem's size.
    public func wants(_ header: FrameHeader) -> Bool {
        Self.problemFrames.contains(header.name)
            || (options.outliers == .oracleBudget && header.name == FrameName.outlierValues)
    }

    public func keep(_ frame: Frame) {
        frames[frame.header.name] = frame
    }

    /// Solves and appends the answer to `writer`.
    public func finish(writingTo writer: FrameWriter, progress: ProgressHandler? = nil) throws {
        let clock = ContinuousClock.now
        let measurements = try MeasurementSet(frames: frames, budget: budget)
        let operatorRescaling = measurements.measurementOperator.rescaling()
        // min-norm minimizes ‖L‖² + ‖R‖² with weights c·I at the operator's own scale c, which
        // keeps its solve as well conditioned as flat's, and reports in units of ‖L‖² + ‖R‖².
        let flatnessWeights = options.method == .minimumNorm ? operatorRescaling.isotropic : operatorRescaling
        let objectiveScale = options.method == .minimumNorm ? operatorRescaling.isotropicScale : 1
        let dataFit = try self.dataFit(for: measurements, flatnessWeights: flatnessWeights)
        let factorization = try self.factorization(for: measurements)
        try budget?.check(plannedArrays(for: factorization, measurements: measurements))
        let usage = OperatorUsage()
        let problem = RecoveryProblem(measurements: measurements, dataFit: dataFit, rescaling: flatnessWeights,
                                      factorization: factorization, usage: usage)
        let context = MethodContext(operatorRescaling: operatorRescaling, limits: options.limits, seed: options.seed,
                                    progress: progress)
        let solution = try options.method.implementation(options: options).solve(problem, context: context)
        let seconds = (ContinuousClock.now - clock) / .seconds(1)
        let report = SolveReport(problem: problem.with(factorization: solution.factorization ?? problem.factorization),
                                 solution: solution, operatorRescaling: operatorRescaling,
                                 seconds: seconds, method: options.method, objectiveScale: objectiveScale,
                                 estimateStorage: options.estimateStorage)
        summary = report.summary
        diagnosis = solution.diagnosis
        converged = solution.converged
        try report.write(to: writer, provenance: provenance)
        if options.recordsTimings { try report.writeTimings(to: writer, provenance: provenance) }
    }

    /// The fit the stream and options ask for. A penalty weighs the residual against the
    /// flatness's own scale c = √(tr D1²/d1 · tr D2²/d2): objective str + 2cλ‖A(X) − b‖₁, which
    /// for the identity operator is 2c(‖X‖_* + λ‖Y − X‖₁) at the flattest factorization.
    func dataFit(for measurements: MeasurementSet, flatnessWeights: Rescaling) throws -> DataFit {
        if !options.method.choosesItsFit {
            // Descent and the pseudo-inverse interpolate b, noisy or corrupted: what they
            // fit is what they are studied for.
            guard options.noiseLevel == nil, options.outliers == nil else {
                throw ModelError("\(options.method.rawValue) interpolates b; --noise-level and the outlier options apply to flat, min-norm and convex")
            }
            return .exact
        }
        let attributes = frames[FrameName.observations]?.header.attributes ?? [:]
        let outlierCount = attributes[OutlierAttributeKey.outliers]?.integerValue ?? 0
        if let handling = options.outliers {
            switch handling {
            case .budget(let tau):
                return .l1Ball(radius: tau)
            case .oracleBudget:
                guard let record = frames[FrameName.outlierValues] else {
                    throw ModelError("--oracle-budget needs the stream's '\(FrameName.outlierValues)' record, which it lacks")
                }
                return .l1Ball(radius: record.data.doubles.reduce(0) { $0 + abs($1) })
            case .penalized(let lambda):
                let d1 = measurements.measurementOperator.rows, d2 = measurements.measurementOperator.columns
                let weight = lambda ?? 1 / Double(max(d1, d2)).squareRoot()
                return .l1Penalty(weight: 2 * flatnessWeights.isotropicScale * weight)
            }
        }
        if outlierCount > 0 {
            throw ModelError("the observations carry \(outlierCount) injected outliers; choose --l1-budget T, --oracle-budget or --penalized")
        }
        let sigma = attributes[AttributeKey.noiseStandardDeviation]?.doubleValue ?? 0
        let delta = options.noiseLevel ?? sigma * Double(measurements.observations.count).squareRoot()
        return delta > 0 ? .euclideanBall(radius: delta) : .exact
    }

    func factorization(for measurements: MeasurementSet) throws -> any Factorization {
        let op = measurements.measurementOperator
        let m = op.measurementCount
        if options.depth > 2 {
            guard [.flat, .minimumNorm, .gradientDescent, .sharpnessAware, .labelNoise].contains(options.method) else {
                throw ModelError("--depth applies to flat, min-norm, gd, sam and label-noise, not \(options.method.rawValue)")
            }
            guard options.method.choosesItsFit || options.step != nil else {
                throw ModelError("--depth with \(options.method.rawValue) needs --step: the default step comes from the curvature at the origin, which vanishes for three or more factors")
            }
            guard op.parametrization == .general else {
                throw ModelError("--depth needs X = W_N⋯W_1; the quadratic model's X = U1U1ᵀ − U2U2ᵀ has no deep form here")
            }
        }
        if op.parametrization == .signedSymmetric {
            // A⁺(b) has full rank in general: least-norm needs every column to fit it.
            let bound = options.method == .leastNorm ? op.rows : Self.identifiableSymmetricRank(size: op.rows, measurements: m)
            let positive = options.positiveWidth ?? options.width ?? bound
            let negative = options.negativeWidth ?? options.width ?? bound
            guard positive >= 0, negative >= 0, positive <= op.rows, negative <= op.rows, positive + negative >= 1 else {
                throw ModelError("--width-pos and --width-neg must be between 0 and d = \(op.rows) and not both 0, got \(positive) and \(negative)")
            }
            return SignedSymmetricFactorization(size: op.rows, positiveWidth: positive, negativeWidth: negative)
        }
        guard options.positiveWidth == nil, options.negativeWidth == nil else {
            throw ModelError("--width-pos and --width-neg apply to the quadratic model's signed factors (X = U1U1ᵀ − U2U2ᵀ); this stream's X = L·Rᵀ takes --width")
        }
        let width = options.width ?? (options.method == .leastNorm ? min(op.rows, op.columns)
            : Self.identifiableRank(rows: op.rows, columns: op.columns, measurements: m))
        guard width >= 1 else { throw ModelError("--width must be at least 1") }
        // Wider factors span no more matrices, and the spectral start and certificates take
        // thin QRs that need k ≤ min(d1, d2).
        guard width <= min(op.rows, op.columns) else {
            throw ModelError("--width \(width) exceeds min(d1, d2) = \(min(op.rows, op.columns))")
        }
        guard options.depth >= 2 else { throw ModelError("--depth must be at least 2") }
        if options.depth > 2 { return DeepFactorization(rows: op.rows, columns: op.columns, width: width, depth: options.depth) }
        return GeneralFactorization(rows: op.rows, columns: op.columns, width: width)
    }

    /// What the solve holds besides the stream's frames: the factors with the working copies
    /// the methods keep (L-BFGS's history of 2·12 vectors and a few more), the dense iterate of
    /// the convex relaxation (X, its gradient step and the SVD's two factors), and the dense
    /// estimate when it is written.
    func plannedArrays(for factorization: any Factorization, measurements: MeasurementSet) -> [PlannedArray] {
        let op = measurements.measurementOperator
        let d1 = ("d1 \(op.rows)", op.rows), d2 = ("d2 \(op.columns)", op.columns)
        var plan: [PlannedArray] = []
        if let deep = factorization as? DeepFactorization {
            // (N − 2)·k² + (d1 + d2)·k, computed without overflow for any --depth.
            let k = deep.width
            let inner = checkedProduct(deep.depth - 2, k, k), outer = checkedProduct(checkedSum(op.rows, op.columns) ?? -1, k)
            let count = inner.flatMap { i in outer.flatMap { checkedSum(i, $0) } } ?? -1
            plan.append(PlannedArray("the \(deep.depth) layers with the solver's working copies",
                                     [("--depth \(deep.depth) × --width \(k): \(count) parameters", count), ("32 copies", 32)]))
        } else {
            // (d1 + d2)·k, or d·(k1 + k2) for the quadratic model, without overflow.
            let k = (factorization as? SignedSymmetricFactorization).map { $0.positiveWidth + $0.negativeWidth }
                ?? (factorization as? GeneralFactorization)?.width ?? 0
            let sides = factorization is SignedSymmetricFactorization ? op.rows : checkedSum(op.rows, op.columns) ?? -1
            let count = checkedProduct(sides, k) ?? -1
            plan.append(PlannedArray("the factors with the solver's working copies",
                                     [("\(count) parameters", count), ("32 copies", 32)]))
        }
        if options.method == .convex {
            plan.append(PlannedArray("the convex method's dense iterate, step and SVD", [d1, d2, ("4 matrices", 4)]))
        }
        if options.estimateStorage.keepsDense(rows: op.rows, columns: op.columns) {
            plan.append(PlannedArray("the dense estimate (--estimate \(options.estimateStorage.rawValue))", [d1, d2]))
        }
        return plan
    }

    /// The default width: the largest r with r(d1 + d2 − r) ≤ m, the number of measurements
    /// a rank-r matrix needs at the very least, so every truth the data could determine fits.
    public static func identifiableRank(rows: Int, columns: Int, measurements: Int) -> Int {
        var r = 0
        while r < min(rows, columns), (r + 1) * (rows + columns - r - 1) <= measurements { r += 1 }
        return max(r, 1)
    }

    /// The same count for a symmetric d×d matrix of rank r: r·d − r(r − 1)/2 ≤ m.
    public static func identifiableSymmetricRank(size: Int, measurements: Int) -> Int {
        var r = 0
        while r < size, (r + 1) * size - (r + 1) * r / 2 <= measurements { r += 1 }
        return max(r, 1)
    }
}

/// The product, or nil on overflow or a negative factor.
private func checkedProduct(_ factors: Int...) -> Int? {
    var product = 1
    for factor in factors {
        guard factor >= 0 else { return nil }
        let (next, overflow) = product.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        product = next
    }
    return product
}

extension Rescaling {
    /// √(tr D1²/d1 · tr D2²/d2): one number for the operator's overall scale.
    var isotropicScale: Double {
        (left.trace / Double(left.size) * right.trace / Double(right.size)).squareRoot()
    }

    /// Both sides c·I with c the isotropic scale: flatness that counts every direction alike,
    /// c(‖L‖² + ‖R‖²).
    var isotropic: Rescaling {
        let c = isotropicScale
        return Rescaling(left: .multipleOfIdentity(c, size: left.size), right: .multipleOfIdentity(c, size: right.size))
    }
}
