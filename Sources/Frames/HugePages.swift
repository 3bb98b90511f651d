#if canImport(Glibc)
import Glibc
#endif

/// Large decoded arrays are streamed over again and again by the solvers (a dense operator,
/// once per pass). With 4 KB pages a 30 MB array spans 7 500 pages, more than the TLB holds, so
/// every pass walks the page tables for each of them; backed by 2 MB pages it spans 15. Linux
/// gives huge pages on request (transparent_hugepage=madvise, the common default) to memory
/// advised before it is first touched, which is what numpy does for its large arrays too.
/// `Pipelines/bench/stream-kernels.sh` measures it: Aᵀy over a 30 MB operator, warm in cache,
/// ran 2.0–2.4× as fast on 2 MB pages as on 4 KB pages.
enum HugePages {
    static let size = 2 << 20

    /// Advises the 2 MB-aligned interior of `buffer`, which must not have been written yet.
    /// Where the kernel declines, nothing changes but the speed.
    static func advise(_ buffer: UnsafeMutableRawBufferPointer) {
        #if os(Linux)
        guard buffer.count >= 2 * size, let base = buffer.baseAddress else { return }
        let mask = ~UInt(size - 1)
        let start = (UInt(bitPattern: base) + UInt(size - 1)) & mask
        let end = (UInt(bitPattern: base) + UInt(buffer.count)) & mask
        guard end > start, let first = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(first, Int(end - start), MADV_HUGEPAGE)
        #endif
    }
}
