import Frames
import LinearAlgebra
import Models

/// What `solve-flat` makes of a stream before it solves anything: the frames it keeps
/// (observations and the operator's frames, column-major), the measurement set of the family
/// the observations name, and the operator's rescaling, the first thing every method asks.
@_cdecl("LLVMFuzzerTestOneInput")
public func measurementsFuzzTest(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let problemFrames: Set<String> = [
        FrameName.observations, FrameName.sensing, FrameName.sensingLeft, FrameName.sensingRight,
        FrameName.entries, FrameName.features,
    ]
    rejectingCleanly([{ $0 is ModelError }]) {
        let reader = FrameReader(source: MemorySource(inputBytes(data, count)), limits: fuzzLimits)
        var frames: [String: Frame] = [:]
        while let header = try reader.next() {
            if claimsOversizedCompletion(header) { return }
            if problemFrames.contains(header.name) { frames[header.name] = try reader.read().columnMajor() }
        }
        let set = try MeasurementSet(frames: frames)
        let rescaling = set.measurementOperator.rescaling()
        require(rescaling.left.size == set.measurementOperator.rows && rescaling.right.size == set.measurementOperator.columns,
                "the rescaling does not fit the operator")
    }
    return 0
}
