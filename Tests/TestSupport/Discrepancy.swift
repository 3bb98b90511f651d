import Testing

/// One conformance check's outcome: how far the code under test is from its independent
/// truth, in the units the check states (usually relative), and how far it may be.
public struct Discrepancy: Sendable, CustomStringConvertible {
    /// What was compared with what.
    public let check: String
    public let value: Double
    public let tolerance: Double

    public init(_ check: String, _ value: Double, tolerance: Double) {
        self.check = check
        self.value = value
        self.tolerance = tolerance
    }

    /// NaN is never within tolerance.
    public var isWithinTolerance: Bool { value <= tolerance }

    public var description: String { "\(check): \(value) (tolerance \(tolerance))" }
}

/// Records an issue, at the caller's line, for every discrepancy above its tolerance, and one
/// if there are none at all: a conformance check that measured nothing has proved nothing.
public func expectWithinTolerance(_ discrepancies: [Discrepancy], _ subject: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!discrepancies.isEmpty, "\(subject): no checks were made", sourceLocation: sourceLocation)
    for discrepancy in discrepancies {
        #expect(discrepancy.isWithinTolerance, "\(subject): \(discrepancy)", sourceLocation: sourceLocation)
    }
}
