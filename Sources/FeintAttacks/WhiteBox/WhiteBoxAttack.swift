import FeintCore
import FeintModels

/// What a white-box attack returns.
public struct AttackResult: Sendable {
    /// The adversarial batch, inside the threat model.
    public var adversarial: Tensor
    /// Whether the goal is met on `adversarial`.
    public var success: [Bool]
    /// The attack objective on `adversarial`, per sample.
    public var loss: [Float]
    /// Model evaluations spent.
    public var cost: Cost
    /// With restarts: the share of samples not yet fooled after each restart (robust accuracy
    /// when the batch was correctly classified to begin with, success counted cumulatively).
    public var remainingAfterRestart: [Double]
}

/// A white-box attack: full access to the model's gradients. Batch-parallel: every sample of
/// the batch advances together; randomness comes only from `generator`.
/// Shapes: images [N, C, H, W] in [0, 1], `goal` with N labels (and targets) → `AttackResult`
/// with adversarial [N, C, H, W] in the threat model, success [N], loss [N],
/// remainingAfterRestart [restarts].
public protocol WhiteBoxAttack: Sendable {
    var threat: ThreatModel { get }
    func run(on model: any Classifying, images: Tensor, goal: Goal, generator: inout RandomGenerator) -> AttackResult
}
