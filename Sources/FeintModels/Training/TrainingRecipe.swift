import Foundation

/// How a model is trained. Every field is recorded in the weights file and in Models/zoo.json.
public struct TrainingRecipe: Codable, Equatable, Sendable {
    public var epochs = 10
    public var batchSize = 128
    /// "sgd" (momentum, Nesterov off) or "adamw".
    public var optimizer = "sgd"
    public var learningRate: Float = 0.05
    public var momentum: Float = 0.9
    /// On every parameter (BatchNorm and LayerNorm weights, biases and embeddings included), as
    /// PyTorch's optimisers do with one parameter group; SGD adds it to the gradient, AdamW decays
    /// the weights directly (decoupled).
    public var weightDecay: Float = 5e-4
    /// Linear warm-up over this many epochs, then cosine decay to 0 (per step).
    public var warmupEpochs: Float = 1
    public var labelSmoothing: Float = 0
    /// Random crop after zero-padding by this many pixels (0: off).
    public var cropPadding = 2
    public var horizontalFlip = false
    /// Images held out of the training split for validation (a fixed, seed-independent choice).
    public var validationSize = 5000
    public var seed: UInt64 = 0
    /// Adversarial training (PGD-AT, Madry et al., ICLR 2018): when set, every batch is replaced by
    /// PGD adversarial examples (uniform start, cross-entropy, in this threat model) before the
    /// update. The examples are made with the model in evaluation mode (BatchNorm uses and keeps
    /// its running statistics) and frozen weights, as PyTorch PGD-AT / TRADES code does; Madry et
    /// al.'s TensorFlow code attacks with batch statistics. Nil: standard training.
    public var adversarial: AdversarialRecipe?

    public init() {}

    /// Learning rate at a fractional epoch position.
    public func learningRate(atEpoch e: Float) -> Float {
        if e < warmupEpochs { return learningRate * Swift.max(e, 1e-3) / warmupEpochs }
        let progress = (e - warmupEpochs) / max(Float(epochs) - warmupEpochs, 1e-6)
        return learningRate * 0.5 * (1 + Float(cos(Double.pi * Double(min(progress, 1)))))
    }
}

/// The inner maximisation of adversarial training.
public struct AdversarialRecipe: Codable, Equatable, Sendable {
    public var norm = "linf"
    public var epsilon: Float = 0.1
    public var steps = 10
    public var stepSize: Float = 0.025
    public init(norm: String = "linf", epsilon: Float, steps: Int, stepSize: Float) {
        self.norm = norm; self.epsilon = epsilon; self.steps = steps; self.stepSize = stepSize
    }
}

