extension PCG64 {
    /// Shuffles `elements` in place by Fisher–Yates: for `i` from `count − 1` down to 1, swap
    /// the elements at offsets `i` and `nextInt(below: i + 1)`.
    public mutating func shuffle<Elements: MutableCollection & RandomAccessCollection>(
        _ elements: inout Elements
    ) {
        var last = elements.endIndex
        for remaining in stride(from: elements.count, to: 1, by: -1) {
            elements.formIndex(before: &last)
            let chosen = elements.index(elements.startIndex, offsetBy: nextInt(below: remaining))
            elements.swapAt(last, chosen)
        }
    }

    /// `count` distinct indices drawn uniformly from `0 ..< populationSize`, in increasing
    /// order, by Floyd's algorithm: for `j` from `populationSize − count` to
    /// `populationSize − 1`, draw `t = nextInt(below: j + 1)` and take `t`, or `j` if `t` was
    /// already taken. Every `count`-subset is equally likely; time and memory are O(count)
    /// whatever the population size (plus the final sort).
    public mutating func sampleWithoutReplacement(count: Int, from populationSize: Int) -> [Int] {
        precondition(
            0 <= count && count <= populationSize,
            "cannot sample \(count) distinct indices out of \(populationSize)")
        var chosen = Set<Int>(minimumCapacity: count)
        for upperCandidate in (populationSize - count) ..< populationSize {
            let draw = nextInt(below: upperCandidate + 1)
            if !chosen.insert(draw).inserted {
                chosen.insert(upperCandidate)
            }
        }
        return chosen.sorted()
    }

    /// The indices, in increasing order, of the successes among `count` independent trials
    /// that each succeed with `probability`.
    ///
    /// Costs one draw per success rather than one per trial: the number of failures before
    /// the next success is geometric, drawn as `⌊log(1 − u) / log(1 − p)⌋` with
    /// `u = nextUniform()`, and the next success sits that many trials after the previous
    /// one. A gap that would pass the last trial ends the sampling. Probabilities 0 and 1 use
    /// no draws. `log` and `log(1 − p)` are the portable implementations in
    /// `PortableMath.swift`.
    public mutating func bernoulliIndices(probability: Double, count: Int) -> [Int] {
        precondition(
            (0 ... 1).contains(probability), "probability must lie in [0, 1], got \(probability)")
        precondition(count >= 0, "count must be non-negative, got \(count)")
        if probability == 0 { return [] }
        if probability == 1 { return Array(0 ..< count) }
        let logFailure = portableLogOnePlus(-probability)
        var successes: [Int] = []
        var previous = -1
        while true {
            let failuresBefore = portableLog(1 - nextUniform()) / logFailure
            // Compared as doubles so that huge gaps (tiny probabilities) cannot overflow `Int`.
            guard failuresBefore < Double(count - 1 - previous) else { return successes }
            previous += 1 + Int(failuresBefore)
            successes.append(previous)
        }
    }
}
