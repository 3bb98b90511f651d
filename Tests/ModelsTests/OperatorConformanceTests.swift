import Testing
import LinearAlgebra
import Models
import RandomNumbers
import TestSupport

/// Every family passes the shared operator conformance checks: the adjoint's dot-product test,
/// and every factored, structured and rescaling formula against the A_i recovered as A*(e_i)
/// (see `operatorConformance`).
@Suite("Measurement operators: every family against its independent routes")
struct OperatorConformanceTests {
    @Test(arguments: OperatorFixtures.all())
    func everyFormulaAgreesWithItsIndependentRoute(fixture: OperatorFixture) {
        expectWithinTolerance(operatorConformance(fixture.measurementOperator), fixture.name)
    }

    /// Wider than tall, and more measurements than entries for the families that choose m: a
    /// transposed index or a d1 for a d2 shows on one of the two shapes.
    @Test(arguments: OperatorFixtures.all(rows: 3, columns: 6, measurements: 50, seed: 5))
    func everyFormulaAgreesOnAWideOverdeterminedShape(fixture: OperatorFixture) {
        expectWithinTolerance(operatorConformance(fixture.measurementOperator, seed: 8), fixture.name)
    }

    /// The memory planned before computing the rescaling is what the rescaling then holds:
    /// the declared forms match the computed ones, entry for entry.
    @Test(arguments: OperatorFixtures.all())
    func theDeclaredRescalingFormsAreTheComputedOnes(fixture: OperatorFixture) {
        let op = fixture.measurementOperator, rescaling = op.rescaling()
        func heldEntries(_ side: SquaredScaling) -> Int {
            switch side {
            case .multipleOfIdentity: return 0
            case .diagonal(let d): return d.count
            case .dense(let m): return m.storage.count
            }
        }
        let planned = op.plannedRescaling.map { $0.bytes! / 8 }.reduce(0, +)
        #expect(planned == heldEntries(rescaling.left) + heldEntries(rescaling.right), "\(fixture.name)")
    }

    /// The checks themselves: an adjoint off by one part in 10⁶ fails the dot-product test, and
    /// a rescaling normalized by d1 where d2 belongs (and the reverse) fails exactly the checks
    /// that read the rescaling.
    @Test func theChecksCatchAMiscalibratedAdjointAndASwappedRescaling() throws {
        let gaussian = OperatorFixtures.all()[0].measurementOperator
        #expect(gaussian.family == .gaussian)
        func failedChecks(_ defect: CoreOnly.Defect) -> [String] {
            operatorConformance(CoreOnly(base: gaussian, defect: defect)).filter { !$0.isWithinTolerance }.map(\.check)
        }
        #expect(failedChecks(.adjointScaled).contains { $0.hasPrefix("adjoint:") })
        let rescalingFailures = failedChecks(.rescalingSwapped)
        #expect(rescalingFailures.count == 3 && rescalingFailures.allSatisfy { $0.hasPrefix("rescaling") || $0.hasPrefix("scaledTrace") },
                "\(rescalingFailures)")
    }
}

/// What a new family must write is its shape, `apply`, `adjoint` and `rescaling`: every family,
/// stripped to those, passes the same checks through the protocol's defaults, and the
/// defaults agree with the family's own structured forms.
@Suite("Measurement operators: the core alone is enough")
struct CoreOperatorTests {
    @Test(arguments: OperatorFixtures.all())
    func aFamilyStrippedToItsCorePassesEveryCheck(fixture: OperatorFixture) {
        let core = CoreOnly(base: fixture.measurementOperator)
        expectWithinTolerance(operatorConformance(core), "\(fixture.name), core only")
    }

    @Test(arguments: OperatorFixtures.all())
    func theDefaultsAgreeWithTheStructuredForms(fixture: OperatorFixture) {
        let base = fixture.measurementOperator, core = CoreOnly(base: base)
        var generator = PCG64(seed: 11)
        let p = gaussianMatrix(rows: base.rows, columns: 2, generator: &generator)
        let q = gaussianMatrix(rows: base.columns, columns: 3, generator: &generator)
        let structured = base.sandwichedSquaredNorm(left: p, right: q), generic = core.sandwichedSquaredNorm(left: p, right: q)
        #expect(abs(structured.value - generic.value) <= 1e-12 * abs(structured.value), "\(fixture.name)")
        #expect(relativeMaxDifference(structured.gradientLeft, generic.gradientLeft) <= 1e-12, "\(fixture.name)")
        #expect(relativeMaxDifference(structured.gradientRight, generic.gradientRight) <= 1e-12, "\(fixture.name)")
        #expect(relativeMaxDifference(base.tangentJacobian(left: p, right: q), core.tangentJacobian(left: p, right: q)) <= 1e-12,
                "\(fixture.name)")
    }
}

/// A family's operator with only what every family must provide, optionally with one
/// deliberate mistake.
private struct CoreOnly: MeasurementOperator {
    enum Defect {
        /// A*(y) is (1 + 10⁻⁶) times too large.
        case adjointScaled
        /// D1² divided by m·d1 instead of m·d2, D2² by m·d2 instead of m·d1.
        case rescalingSwapped
    }

    let base: any MeasurementOperator
    var defect: Defect?
    var family: OperatorFamily { base.family }
    var rows: Int { base.rows }
    var columns: Int { base.columns }
    var measurementCount: Int { base.measurementCount }
    var storedEntryCount: Int { base.storedEntryCount }

    func apply(_ x: Matrix) -> [Double] { base.apply(x) }
    func adjoint(_ y: [Double]) -> Matrix { defect == .adjointScaled ? base.adjoint(y) * (1 + 1e-6) : base.adjoint(y) }
    func rescaling() -> Rescaling {
        let exact = base.rescaling()
        guard defect == .rescalingSwapped else { return exact }
        let swap = Double(columns) / Double(rows)
        return Rescaling(left: .dense(exact.left.matrix * swap), right: .dense(exact.right.matrix * (1 / swap)))
    }
}

/// Completion's products and tangent Gram blocks run on the helper threads over blocks of
/// columns (or panels of rows), each output written by one of them: the bits are those of one
/// thread, whatever the count the operator was built for or runs with.
@Suite("Completion: threaded products")
struct CompletionThreadingTests {
    @Test func bitsDoNotDependOnTheWorkerCount() throws {
        var generator = PCG64(seed: 17)
        let (d1, d2, m, k) = (300, 200, 5000, 4)
        let rows = (0..<m).map { _ in Int(generator.nextUInt64() % UInt64(d1)) }
        let columns = (0..<m).map { _ in Int(generator.nextUInt64() % UInt64(d2)) }
        let left = gaussianMatrix(rows: d1, columns: k, generator: &generator)
        let right = gaussianMatrix(rows: d2, columns: k, generator: &generator)
        let y = gaussianVector(m, generator: &generator)
        func products(workers: Int) throws -> [[Double]] {
            let saved = PartitionedGEMV.workerCount
            PartitionedGEMV.workerCount = workers
            defer { PartitionedGEMV.workerCount = saved }
            let completion = try MatrixCompletion(rows: d1, columns: d2, entryRows: rows, entryColumns: columns)
            let maps = completion.adjointProductMaps(y)
            let blocks = try #require(completion.tangentGramBlocks(left: left, right: right))
            return completion.applyFactored([(left: left, right: right), (left: left * 2, right: right)])
                + [maps.timesRight(right).storage, maps.transposeTimesLeft(left).storage, blocks.columnBlocks, blocks.rowBlocks]
        }
        let one = try products(workers: 1)
        #expect(try products(workers: 2) == one)
        #expect(try products(workers: 3) == one)
    }
}

/// Completion's walks over its entries (in column order, through the positions when the
/// stream lists them otherwise) against the plain loops over the entries in stream order, and
/// its tangent Gram blocks against the diagonal blocks of JᵀJ for the Jacobian written out
/// from its definition.
@Suite("Completion: kernels against their definitions")
struct CompletionKernelTests {
    /// Entries with repeats, rows and columns never observed, in shuffled and in column order.
    static func entries(sorted: Bool) -> (d1: Int, d2: Int, rows: [Int], columns: [Int]) {
        var generator = PCG64(seed: 23)
        let (d1, d2, m) = (37, 29, 400)
        var pairs = (0..<m).map { _ in (Int(generator.nextUInt64() % UInt64(d1 - 2)), Int(generator.nextUInt64() % UInt64(d2 - 1))) }
        if sorted { pairs.sort { ($0.1, $0.0) < ($1.1, $1.0) } }
        return (d1, d2, pairs.map(\.0), pairs.map(\.1))
    }

    @Test(arguments: [false, true])
    func productsEqualThePlainLoops(sorted: Bool) throws {
        let (d1, d2, rows, columns) = Self.entries(sorted: sorted)
        let completion = try MatrixCompletion(rows: d1, columns: d2, entryRows: rows, entryColumns: columns)
        var generator = PCG64(seed: 29)
        for k in [1, 3, 4, 7, 10] {
            let left = gaussianMatrix(rows: d1, columns: k, generator: &generator)
            let right = gaussianMatrix(rows: d2, columns: k, generator: &generator)
            let otherLeft = gaussianMatrix(rows: d1, columns: 2, generator: &generator)
            let otherRight = gaussianMatrix(rows: d2, columns: 2, generator: &generator)
            let y = gaussianVector(rows.count, generator: &generator)
            func dot(_ a: Matrix, _ p: Int, _ b: Matrix, _ q: Int) -> Double { (0..<a.columns).reduce(0) { $0 + a[p, $1] * b[q, $1] } }
            let forward = rows.indices.map { dot(left, rows[$0], right, columns[$0]) }
            let otherForward = rows.indices.map { dot(otherLeft, rows[$0], otherRight, columns[$0]) }
            var timesRight = Matrix.zeros(rows: d1, columns: k), transposeTimesLeft = Matrix.zeros(rows: d2, columns: k)
            for e in rows.indices {
                for c in 0..<k {
                    timesRight[rows[e], c] += y[e] * right[columns[e], c]
                    transposeTimesLeft[columns[e], c] += y[e] * left[rows[e], c]
                }
            }
            let pairs = completion.applyFactored([(left: left, right: right), (left: otherLeft, right: otherRight)])
            #expect(relativeMaxDifference(completion.applyFactored(left: left, right: right), forward) <= 1e-14, "k = \(k)")
            #expect(relativeMaxDifference(pairs[0], forward) <= 1e-14 && relativeMaxDifference(pairs[1], otherForward) <= 1e-14, "k = \(k)")
            let maps = completion.adjointProductMaps(y)
            #expect(relativeMaxDifference(maps.timesRight(right), timesRight) <= 1e-14, "k = \(k)")
            #expect(relativeMaxDifference(maps.transposeTimesLeft(left), transposeTimesLeft) <= 1e-14, "k = \(k)")
        }
    }

    @Test(arguments: [false, true])
    func tangentGramBlocksAreTheDiagonalBlocksOfTheGaussNewtonMatrix(sorted: Bool) throws {
        let (d1, d2, rows, columns) = Self.entries(sorted: sorted)
        let completion = try MatrixCompletion(rows: d1, columns: d2, entryRows: rows, entryColumns: columns)
        var generator = PCG64(seed: 31)
        let (a, b) = (3, 4)
        let u = gaussianMatrix(rows: d1, columns: a, generator: &generator)
        let v = gaussianMatrix(rows: d2, columns: b, generator: &generator)
        // Row e of J: vec(A_eᵀU) (d2×a, nonzero in row q_e: U[p_e, :]), then vec(A_eV) (d1×b,
        // nonzero in row p_e: V[q_e, :]), column-major.
        let m = rows.count, n = d2 * a + d1 * b
        var jacobian = Matrix.zeros(rows: m, columns: n)
        for e in 0..<m {
            for c in 0..<a { jacobian[e, c * d2 + columns[e]] = u[rows[e], c] }
            for c in 0..<b { jacobian[e, d2 * a + c * d1 + rows[e]] = v[columns[e], c] }
        }
        let gram = BLAS.matmul(jacobian, jacobian, transposeA: true)
        let blocks = try #require(completion.tangentGramBlocks(left: u, right: v))
        #expect(blocks.leftWidth == a && blocks.rightWidth == b)
        var expectedColumns = [Double](), expectedRows = [Double]()
        for j in 0..<d2 { for c in 0..<a { for c2 in 0..<a { expectedColumns.append(gram[c * d2 + j, c2 * d2 + j]) } } }
        for i in 0..<d1 { for c in 0..<b { for c2 in 0..<b { expectedRows.append(gram[d2 * a + c * d1 + i, d2 * a + c2 * d1 + i]) } } }
        #expect(relativeMaxDifference(blocks.columnBlocks, expectedColumns) <= 1e-14)
        #expect(relativeMaxDifference(blocks.rowBlocks, expectedRows) <= 1e-14)
        // The same Jacobian is the protocol's: the blocks are of the matrix the solver uses.
        #expect(relativeMaxDifference(completion.tangentJacobian(left: u, right: v), jacobian) <= 1e-15)
    }
}
