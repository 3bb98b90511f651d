/// A request for an instance that cannot be met (a ground truth, measurements or outliers),
/// said in one line in terms of the options that asked for it.
public struct InstanceError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
