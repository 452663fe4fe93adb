import FeintCore

/// What a black-box attack returns, per image.
public struct BlackBoxResult: Sendable {
    /// The final images (adversarial where `success`).
    public var adversarial: Tensor
    public var success: [Bool]
    /// Queries spent until the first success (or in all, when unsuccessful).
    public var queries: [Int]
    /// Final ‖x′ − x‖₂ and ‖x′ − x‖∞ per image.
    public var l2: [Float]
    public var linf: [Float]
    /// A value per image every 100 queries: the SimBA objective, or the Boundary attack's L2
    /// distance to the original (∞ before an adversarial start is found).
    public var curve: [[Float]]
}
