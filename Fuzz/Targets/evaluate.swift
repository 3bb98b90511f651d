import Evaluation
import Frames
import LinearAlgebra
import Models

/// `evaluate` on a stream: the frames it wants decoded (dense ones only up to the dense
/// limit), everything forwarded as with `--pass`, and every metric the frames allow, in each
/// report format. Sharpness is left out: it is a Lanczos iteration on the Hessian, a
/// computation rather than a reading of the stream.
@_cdecl("LLVMFuzzerTestOneInput")
public func evaluateFuzzTest(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    var options = EvaluationOptions()
    options.denseLimit = 1 << 12
    let input = inputBytes(data, count)
    rejectingCleanly([{ $0 is ModelError }, { $0 is LinearAlgebraError }]) {
        let evaluation = StreamEvaluation(options: options)
        let forwarded = MemorySink()
        let writer = FrameWriter(sink: forwarded)
        try evaluation.consume(FrameReader(source: MemorySource(input), limits: fuzzLimits), forwardingTo: writer)
        try writer.flush()
        require(forwarded.bytes == input, "evaluate --pass did not forward the stream verbatim")
        let headers = FrameReader(source: MemorySource(input), limits: fuzzLimits)
        while let header = try headers.next() {
            if claimsOversizedCompletion(header) { return }
        }
        let report = try evaluation.report()
        _ = report.json
        _ = report.csvRow
        _ = report.table(title: "fuzz")
    }
    return 0
}
