import FeintCore
import FeintModels

/// What a transfer attack returns: the adversarial batch (crafted on the surrogates only) and
/// what it cost.
public struct TransferResult: Sendable {
    public var adversarial: Tensor
    public var cost: Cost
    /// NAMEA: the last non-attention mask M̄ per image, [N, 1, H, W] (for galleries).
    public var nonAttentionMask: Tensor?
}

/// A transfer attack: white-box on the surrogates, then evaluated on other models.
/// Shapes: images [N, C, H, W] in [0, 1], N labels (untargeted) → `TransferResult` with
/// adversarial [N, C, H, W] within ε (L∞) and, for NAMEA, nonAttentionMask [N, 1, H, W].
public protocol TransferAttack: Sendable {
    var settings: TransferSettings { get }
    func run(surrogates: [Model], images: Tensor, labels: [Int], generator: inout RandomGenerator) -> TransferResult
}
