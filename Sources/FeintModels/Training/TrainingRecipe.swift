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
    /// Warm restarts (SGDR, Loshchilov & Hutter, ICLR 2017): epochs at which the learning rate
    /// jumps back to its peak and a new cosine cycle starts, ending at the next restart or at
    /// `epochs`. Empty (the default): one cycle. The first cycle of a run with restarts is the
    /// whole schedule of a run that ends at the first restart, so such a run can be continued
    /// with `--resume`.
    public var warmRestarts: [Int] = []

    public init() {}

    /// Learning rate at a fractional epoch position: linear warm-up, then cosine decay to 0 over
    /// each cycle.
    public func learningRate(atEpoch e: Float) -> Float {
        if e < warmupEpochs { return learningRate * Swift.max(e, 1e-3) / warmupEpochs }
        let starts = [warmupEpochs] + warmRestarts.map(Float.init).filter { $0 > warmupEpochs }
        let start = starts.last { $0 <= e } ?? warmupEpochs
        let end = warmRestarts.map(Float.init).first { $0 > e } ?? Float(epochs)
        let progress = (e - start) / max(end - start, 1e-6)
        return learningRate * 0.5 * (1 + Float(cos(Double.pi * Double(min(progress, 1)))))
    }

    enum CodingKeys: String, CodingKey {
        case epochs, batchSize, optimizer, learningRate, momentum, weightDecay, warmupEpochs, labelSmoothing, cropPadding,
             horizontalFlip, validationSize, seed, adversarial, warmRestarts
    }

    /// Recipes recorded before warm restarts existed read as having none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        optimizer = try c.decode(String.self, forKey: .optimizer)
        learningRate = try c.decode(Float.self, forKey: .learningRate)
        momentum = try c.decode(Float.self, forKey: .momentum)
        weightDecay = try c.decode(Float.self, forKey: .weightDecay)
        warmupEpochs = try c.decode(Float.self, forKey: .warmupEpochs)
        labelSmoothing = try c.decode(Float.self, forKey: .labelSmoothing)
        cropPadding = try c.decode(Int.self, forKey: .cropPadding)
        horizontalFlip = try c.decode(Bool.self, forKey: .horizontalFlip)
        validationSize = try c.decode(Int.self, forKey: .validationSize)
        seed = try c.decode(UInt64.self, forKey: .seed)
        adversarial = try c.decodeIfPresent(AdversarialRecipe.self, forKey: .adversarial)
        warmRestarts = try c.decodeIfPresent([Int].self, forKey: .warmRestarts) ?? []
    }

    /// `warmRestarts` is written only when there are some, so one-cycle recipes read as before.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs); try c.encode(batchSize, forKey: .batchSize)
        try c.encode(optimizer, forKey: .optimizer); try c.encode(learningRate, forKey: .learningRate)
        try c.encode(momentum, forKey: .momentum); try c.encode(weightDecay, forKey: .weightDecay)
        try c.encode(warmupEpochs, forKey: .warmupEpochs); try c.encode(labelSmoothing, forKey: .labelSmoothing)
        try c.encode(cropPadding, forKey: .cropPadding); try c.encode(horizontalFlip, forKey: .horizontalFlip)
        try c.encode(validationSize, forKey: .validationSize); try c.encode(seed, forKey: .seed)
        try c.encodeIfPresent(adversarial, forKey: .adversarial)
        if !warmRestarts.isEmpty { try c.encode(warmRestarts, forKey: .warmRestarts) }
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

