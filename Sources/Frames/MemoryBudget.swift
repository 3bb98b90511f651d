#if canImport(Glibc)
import Glibc
#endif

/// One array a command is about to allocate or write, sized from the flags and frame headers
/// it comes from: the product of `factors` times `elementBytes`, computed with overflow checks
/// so that `--d1 2^62` is a size too large rather than a crash.
public struct PlannedArray: Sendable {
    /// What the array is, as the message names it: "the dense truth", "frame 'sensing'".
    public var what: String
    /// Each factor of the element count with the flag or frame it comes from:
    /// ("--d1 100000", 100000).
    public var factors: [(source: String, value: Int)]
    public var elementBytes: Int
    /// Whether the array is held in memory; a frame written piece by piece counts against
    /// the per-frame limit only.
    public var isHeld: Bool

    public init(_ what: String, _ factors: [(source: String, value: Int)], elementBytes: Int = 8, isHeld: Bool = true) {
        self.what = what
        self.factors = factors
        self.elementBytes = elementBytes
        self.isHeld = isHeld
    }

    /// The size in bytes, nil when it exceeds `Int.max` (or a factor is negative).
    public var bytes: Int? {
        var product = elementBytes
        for (_, value) in factors {
            guard value >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: value)
            if overflow { return nil }
            product = next
        }
        return product
    }

    /// The factors as the message shows them: `--d1 100000 × --d2 100000`.
    var sourceDescription: String {
        factors.map(\.source).joined(separator: " × ")
    }
}

/// a + b, or nil on overflow: for sizes such as (d1 + d2)·r.
public func checkedSum(_ terms: Int...) -> Int? {
    var total = 0
    for term in terms {
        let (next, overflow) = total.addingReportingOverflow(term)
        if overflow { return nil }
        total = next
    }
    return total
}

/// The most a command may allocate: `--max-frame-bytes` for any one array or frame (half of
/// physical memory by default), and physical memory for all of them together. Commands list
/// what they are about to make, from flags and headers, and ``check(_:)`` refuses a plan that
/// cannot fit before anything is allocated, in one line naming the flag or frame, the size
/// asked and the limit.
public struct MemoryBudget: Sendable {
    /// The largest single array or frame, in bytes.
    public var arrayLimit: Int
    /// Where `arrayLimit` comes from, for the message.
    public var arrayLimitSource: String
    /// All arrays together, in bytes.
    public var totalLimit: Int

    public init(maximumFrameBytes: Int?) {
        totalLimit = Self.physicalMemory
        if let maximumFrameBytes {
            arrayLimit = maximumFrameBytes
            arrayLimitSource = "--max-frame-bytes"
        } else {
            arrayLimit = FrameLimits.defaultMaximumFrameBytes
            arrayLimitSource = "half of physical memory; --max-frame-bytes"
        }
    }

    public init(arrayLimit: Int, arrayLimitSource: String, totalLimit: Int) {
        self.arrayLimit = arrayLimit
        self.arrayLimitSource = arrayLimitSource
        self.totalLimit = totalLimit
    }

    public static var physicalMemory: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return 1 << 33 }
        return pages.multipliedReportingOverflow(by: pageSize).overflow ? Int.max : pages * pageSize
    }

    /// Throws ``AllocationRefused`` for the first array over the per-array limit, or when the
    /// arrays held together exceed physical memory.
    public func check(_ plan: [PlannedArray]) throws {
        var total: Int? = 0
        for array in plan {
            guard let bytes = array.bytes else {
                throw AllocationRefused("\(array.sourceDescription) needs more than \(formatBytes(Int.max)) for \(array.what), over the limit of \(formatBytes(arrayLimit)) (\(arrayLimitSource))")
            }
            guard bytes <= arrayLimit else {
                throw AllocationRefused("\(array.sourceDescription) needs \(formatBytes(bytes)) for \(array.what), over the limit of \(formatBytes(arrayLimit)) (\(arrayLimitSource))")
            }
            if array.isHeld { total = total.flatMap { checkedSum($0, bytes) } }
        }
        guard let total, total <= totalLimit else {
            let names = plan.filter(\.isHeld).map(\.what).joined(separator: ", ")
            throw AllocationRefused("\(names) together need \(total.map(formatBytes) ?? "more than " + formatBytes(Int.max)), more than the \(formatBytes(totalLimit)) of physical memory")
        }
    }
}

/// A plan that does not fit the budget, said in one line.
public struct AllocationRefused: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
