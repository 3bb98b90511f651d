import Frames
import Testing

@Suite struct ByteCountsTests {
    @Test func byteSizesReadNaturally() {
        #expect(formatBytes(512) == "512 B")
        #expect(formatBytes(1536) == "1.50 KiB")
        #expect(formatBytes(15 * 1024 * 1024 + 512 * 1024) == "15.5 MiB")
        #expect(formatBytes(300 * 1024 * 1024 * 1024) == "300 GiB")
        #expect(formatBytes(Int.max) == "8.00 EiB")
    }
}
