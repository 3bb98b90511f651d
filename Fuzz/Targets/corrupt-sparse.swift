import Frames
import Instances
import Models

/// `corrupt-sparse` over a stream: the target and any earlier outlier record decoded and
/// withheld, everything else forwarded, the corrupted target written in place and the merged
/// record appended. The options come from the input's first byte so that the per-line cap
/// and both ways of giving the amount are exercised.
@_cdecl("LLVMFuzzerTestOneInput")
public func corruptSparseFuzzTest(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let options = data[0]
    let amount: OutlierAmount = options & 1 == 0 ? .fraction(Double(options >> 4) / 16) : .count(Int(options >> 4))
    let specification = SparseCorruptionSpecification(
        amount: amount, perLine: options & 2 == 0 ? nil : 1 + Int(options >> 5),
        distribution: OutlierDistribution.allCases[Int(options >> 2) % OutlierDistribution.allCases.count], seed: 7)
    let output = MemorySink()
    rejectingCleanly([{ $0 is InstanceError }, { $0 is ModelError }]) {
        let stage = try SparseCorruptionStage(specification: specification, provenance: ["tool": "fuzz"])
        let reader = FrameReader(source: MemorySource(inputBytes(data + 1, count - 1)), limits: fuzzLimits)
        let writer = FrameWriter(sink: output, compression: CompressionSettings(level: 1, workers: 1))
        // The loop of ToolSupport's processStream, which the tool runs (ToolSupport itself
        // needs swift-argument-parser, which this build does not compile).
        while let header = try reader.next() {
            if stage.consumes(header) {
                for replacement in try stage.handle(try reader.read().columnMajor()) { try writer.write(replacement) }
            } else {
                try reader.forward(to: writer)
            }
        }
        for frame in try stage.finish() { try writer.write(frame) }
        try writer.flush()

        // What the stage wrote is a stream whose record describes the target.
        let written = FrameReader(source: MemorySource(output.bytes), limits: FrameLimits(maximumFrameBytes: Int.max))
        var frames: [String: Frame] = [:]
        while let header = try written.next() { frames[header.name] = try written.read() }
        guard let target = frames[FrameName.observations], let support = frames[FrameName.outlierSupport],
              let values = frames[FrameName.outlierValues] else {
            fatalError("corrupt-sparse finished without the target and its record")
        }
        do {
            let record = try OutlierRecord(supportFrame: support, valuesFrame: values, entries: target.header.elementCount)
            require(record.count == support.header.attributes[OutlierAttributeKey.count]?.integerValue.map(Int.init),
                    "the record's count attribute is wrong")
        } catch {
            fatalError("corrupt-sparse wrote a record it cannot read back: \(error)")
        }
    }
    return 0
}
