import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Helper threads for the partitioned kernels that stay awake between jobs.
///
/// A solver's passes over its operator come a fraction of a millisecond apart. Dispatch's
/// workers sleep in between, and on a virtual machine an idle core halts: waking it for the
/// next pass cost about half a millisecond here, as much as the pass (Aᵀ·y on a 30 MB operator
/// took 0.65 ms back to back and 1.18 ms after a 2 ms pause). These helpers spin for a few
/// milliseconds after each job before they block, so consecutive passes find them awake.
///
/// Work is split as before: block b goes to worker b mod W (the caller is worker 0), so the
/// assignment, and with it every result, is fixed by the worker count.
final class SpinningWorkers: @unchecked Sendable {
    /// How long a helper spins for the next job before it blocks.
    static let spinNanoseconds: UInt64 = 5_000_000

    private let helperCount: Int
    private let generation = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private let wakeUp = DispatchSemaphore(value: 0)
    // Written by `run` before it publishes a generation, read by helpers after they see it.
    private var job: (@Sendable (Int) -> Void)?
    private var jobCount = 0

    private init(helpers: Int) {
        helperCount = helpers
        for helper in 1...helpers {
            let context = Unmanaged.passRetained(Assignment(workers: self, index: helper)).toOpaque()
            var thread = pthread_t()
            let created = pthread_create(&thread, nil, { raw in
                let assignment = Unmanaged<Assignment>.fromOpaque(raw!).takeRetainedValue()
                assignment.workers.serve(as: assignment.index)
                return nil
            }, context)
            precondition(created == 0, "SpinningWorkers: pthread_create failed (\(created))")
            pthread_detach(thread)
        }
    }

    private final class Assignment {
        let workers: SpinningWorkers
        let index: Int
        init(workers: SpinningWorkers, index: Int) {
            self.workers = workers
            self.index = index
        }
    }

    private static let pools = Mutex<[Int: SpinningWorkers]>([:])

    /// The process's pool for `workers` workers (the caller and workers − 1 helpers).
    static func pool(workers: Int) -> SpinningWorkers {
        precondition(workers >= 2, "a pool needs at least two workers")
        return pools.withLock { pools in
            if let pool = pools[workers] { return pool }
            let pool = SpinningWorkers(helpers: workers - 1)
            pools[workers] = pool
            return pool
        }
    }

    /// Runs body(0..<count) on the caller and the helpers and returns when all are done; false,
    /// without running anything, when the pool is busy with another thread's job.
    func run(_ count: Int, _ body: @Sendable (Int) -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            job = body
            jobCount = count
            unfinished.store(helperCount, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            for _ in 0..<sleepers.load(ordering: .sequentiallyConsistent) { wakeUp.signal() }
            for block in stride(from: 0, to: count, by: helperCount + 1) { body(block) }
            var spins = 0
            while unfinished.load(ordering: .acquiring) > 0 { Self.pause(&spins) }
            job = nil
        }
        return true
    }

    /// One turn of a wait loop: a plain spin at first, then a yield per turn, so that when more
    /// threads are runnable than there are cores (several solvers at once under GNU parallel)
    /// a waiting thread hands its core to the one it waits for instead of burning its slice.
    private static func pause(_ spins: inout Int) {
        spins += 1
        if spins > 256 { sched_yield() }
    }

    private func serve(as index: Int) {
        var seen = 0
        while true {
            var current = generation.load(ordering: .acquiring)
            var deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
            var spins = 0
            while current == seen {
                Self.pause(&spins)
                if spins % 1024 == 0, DispatchTime.now().uptimeNanoseconds > deadline {
                    // Counted as asleep before the last look: `run` either sees the count and
                    // signals, or this look sees its generation.
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    if generation.load(ordering: .sequentiallyConsistent) == seen { wakeUp.wait() }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    deadline = DispatchTime.now().uptimeNanoseconds + Self.spinNanoseconds
                }
                current = generation.load(ordering: .acquiring)
            }
            seen = current
            do {
                // The job goes out of scope before it is reported done, so `run` holds the
                // only reference when it returns.
                let body = job!, count = jobCount
                for block in stride(from: index, to: count, by: helperCount + 1) { body(block) }
            }
            unfinished.subtract(1, ordering: .releasing)
        }
    }
}
