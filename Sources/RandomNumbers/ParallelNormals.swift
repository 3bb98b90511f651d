import Dispatch

/// Fills large buffers with standard normals on several threads with the same result on
/// any number of threads: the buffer is cut into fixed chunks, and chunk j always comes
/// from `PCG64(seed: seed, stream: streamBase + j)`, whichever thread draws it.
public enum ParallelNormals {
    /// Elements per chunk: large enough that seeding is free, small enough to balance 2–64 threads.
    public static let chunkSize = 1 << 18

    /// Fills `values` with chunks `firstChunk`, `firstChunk + 1`, … of the sequence, so a long
    /// sequence can be produced a batch at a time (`values.count` a multiple of `chunkSize`
    /// except in the last batch) and still equal the sequence drawn in one piece.
    public static func fill(_ values: UnsafeMutableBufferPointer<Double>, seed: UInt64, streamBase: UInt64,
                            firstChunk: Int = 0, threads: Int) {
        let chunks = (values.count + chunkSize - 1) / chunkSize
        // Chunks are disjoint, so concurrent writes through the same buffer never overlap.
        nonisolated(unsafe) let values = values
        let fillChunk: @Sendable (Int) -> Void = { chunk in
            let start = chunk * chunkSize
            let piece = UnsafeMutableBufferPointer(rebasing: values[start..<min(values.count, start + chunkSize)])
            var generator = PCG64(seed: seed, stream: streamBase &+ UInt64(firstChunk + chunk))
            generator.fillStandardNormal(piece)
        }
        if threads <= 1 || chunks <= 1 {
            (0..<chunks).forEach(fillChunk)
        } else {
            // Threads take chunks round-robin; which thread draws a chunk does not matter.
            let workers = min(threads, chunks)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for chunk in stride(from: worker, to: chunks, by: workers) { fillChunk(chunk) }
            }
        }
    }

    public static func array(count: Int, seed: UInt64, streamBase: UInt64, threads: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer, seed: seed, streamBase: streamBase, threads: threads)
            initialized = count
        }
    }
}
