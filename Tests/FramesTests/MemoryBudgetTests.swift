import Frames
import Testing

@Suite struct MemoryBudgetTests {
    let budget = MemoryBudget(arrayLimit: 1000, arrayLimitSource: "--max-frame-bytes", totalLimit: 1500)

    @Test func arraysWithinTheLimitsPass() throws {
        try budget.check([PlannedArray("a", [("--d1 5", 5), ("--d2 25", 25)]),
                          PlannedArray("b", [("--m 60", 60)], elementBytes: 8)])
        // Written piece by piece: only the per-frame limit applies, not the total.
        try budget.check([PlannedArray("a", [("--d1 125", 125)]), PlannedArray("s", [("--m 125", 125)], isHeld: false),
                          PlannedArray("b", [("--d2 60", 60)])])
    }

    @Test func oneArrayOverTheLimitIsNamedWithItsSize() {
        let error = #expect(throws: AllocationRefused.self) {
            try budget.check([PlannedArray("the dense truth", [("--d1 12", 12), ("--d2 11", 11)])])
        }
        #expect(error?.description == "--d1 12 × --d2 11 needs 1.03 KiB for the dense truth, over the limit of 1000 B (--max-frame-bytes)")
    }

    @Test func overflowingSizesAreRefusedNotTrapped() {
        let error = #expect(throws: AllocationRefused.self) {
            try budget.check([PlannedArray("the left factor", [("--d1 2^62", 1 << 62), ("--rank 4", 4)])])
        }
        #expect(error?.description.hasPrefix("--d1 2^62 × --rank 4 needs more than 8.00 EiB for the left factor") == true)
        #expect(PlannedArray("x", [("n", Int.max)], elementBytes: 1).bytes == Int.max)
        #expect(PlannedArray("x", [("n", -1)]).bytes == nil)
        #expect(checkedSum(Int.max, 1) == nil)
        #expect(checkedSum(2, 3, 4) == 9)
    }

    @Test func theHeldArraysTogetherMustFitPhysicalMemory() {
        let error = #expect(throws: AllocationRefused.self) {
            try budget.check([PlannedArray("a", [("n", 100)]), PlannedArray("b", [("n", 100)])])
        }
        #expect(error?.description == "a, b together need 1.56 KiB, more than the 1.46 KiB of physical memory")
    }
}
