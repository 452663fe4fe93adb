import FeintCore
import Foundation

/// Progress of a training run, reported once per logged step and once per epoch.
public struct TrainingProgress: Sendable {
    public var epoch: Int            // 0-based
    public var epochs: Int
    public var step: Int             // within the epoch
    public var steps: Int
    public var loss: Float           // running mean over the epoch so far
    public var learningRate: Float
    public var validationAccuracy: Double?   // set at the end of an epoch
    public var imagesPerSecond: Double
}

/// Supervised training of a `Model` with SGD-momentum or AdamW, warm-up + cosine schedule,
/// label smoothing, random-crop / flip augmentation, a validation split, a checkpoint after every
/// epoch and resumption from it. Deterministic for a seed: the data order and augmentation of
/// epoch e come from a generator seeded with (seed, e), so a resumed run continues exactly.
public final class Trainer {
    public let model: Model
    public let recipe: TrainingRecipe
    public let train: LabeledImages
    public let validation: LabeledImages
    private let sgd: SGD?
    private let adamw: AdamW?
    /// Replaces a training batch by adversarial examples (adversarial training); set by the
    /// caller from FeintAttacks when `recipe.adversarial` is set. Called with the model frozen
    /// and in evaluation mode.
    public var perturb: ((Model, Tensor, [Int], inout RandomGenerator) -> Tensor)?
    /// Seconds spent in `run` over every epoch trained so far, including those of the run a
    /// checkpoint was resumed from (recorded in the checkpoint).
    public private(set) var trainingSeconds: Double = 0

    public init(model: Model, recipe: TrainingRecipe, data: LabeledImages) {
        self.model = model
        self.recipe = recipe
        // Fixed split: a permutation from seed 0, whatever the training seed.
        var g = RandomGenerator(seed: 0)
        let order = g.permutation(data.count)
        let v = min(recipe.validationSize, data.count / 5)
        validation = data.subset(Array(order.prefix(v)))
        train = data.subset(Array(order.dropFirst(v)))
        model.setRequiresGrad(true)
        if recipe.optimizer == "adamw" {
            adamw = AdamW(model.parameters, learningRate: recipe.learningRate, weightDecay: recipe.weightDecay); sgd = nil
        } else {
            sgd = SGD(model.parameters, learningRate: recipe.learningRate, momentum: recipe.momentum, weightDecay: recipe.weightDecay)
            adamw = nil
        }
    }

    /// Trains from `startEpoch` to the end (or to `stopAfter` epochs, for an interrupted run),
    /// checkpointing to `checkpoint` after each epoch. Returns the last validation accuracy (of the
    /// model as it is when no epoch was left to train, e.g. resuming a finished checkpoint).
    @discardableResult
    public func run(startEpoch: Int = 0, checkpoint: URL?, progress: (TrainingProgress) -> Void,
                    stopAfter: Int? = nil) throws -> Double {
        let steps = train.count / recipe.batchSize
        let end = Swift.min(recipe.epochs, stopAfter ?? recipe.epochs)
        guard startEpoch < end else {
            model.setTraining(false)
            return model.accuracy(on: validation)
        }
        var accuracy = 0.0
        for epoch in startEpoch..<end {
            var rng = RandomGenerator(seed: recipe.seed &* 1_000_003 &+ UInt64(epoch))
            let order = rng.permutation(train.count)
            model.setTraining(true)
            var total: Float = 0
            let start = Date()
            for step in 0..<steps {
                let lr = recipe.learningRate(atEpoch: Float(epoch) + Float(step) / Float(steps))
                let batch = train.subset(Array(order[(step * recipe.batchSize)..<((step + 1) * recipe.batchSize)]))
                var x = augment(batch.images, &rng)
                if let perturb {
                    model.setRequiresGrad(false); model.setTraining(false)
                    x = perturb(model, x, batch.labels, &rng)
                    model.setRequiresGrad(true); model.setTraining(true)
                }
                zeroGrad()
                let loss = crossEntropy(model.logits(Variable(x)), labels: batch.labels, labelSmoothing: recipe.labelSmoothing)
                loss.backward()
                stepOptimizer(lr)
                total += loss.value.scalar
                if step % 50 == 49 || step == steps - 1 {
                    let rate = Double((step + 1) * recipe.batchSize) / Date().timeIntervalSince(start)
                    progress(TrainingProgress(epoch: epoch, epochs: recipe.epochs, step: step + 1, steps: steps,
                                              loss: total / Float(step + 1), learningRate: lr, validationAccuracy: nil,
                                              imagesPerSecond: rate))
                }
            }
            model.setTraining(false)
            accuracy = model.accuracy(on: validation)
            progress(TrainingProgress(epoch: epoch, epochs: recipe.epochs, step: steps, steps: steps, loss: total / Float(max(steps, 1)),
                                      learningRate: recipe.learningRate(atEpoch: Float(epoch + 1)), validationAccuracy: accuracy,
                                      imagesPerSecond: Double(steps * recipe.batchSize) / Date().timeIntervalSince(start)))
            trainingSeconds += Date().timeIntervalSince(start)
            if let checkpoint { try saveCheckpoint(checkpoint, epoch: epoch) }
        }
        model.setTraining(false)
        return accuracy
    }

    /// Random crop after zero padding, and horizontal flip, per image.
    func augment(_ images: Tensor, _ rng: inout RandomGenerator) -> Tensor {
        let p = recipe.cropPadding
        guard p > 0 || recipe.horizontalFlip else { return images }
        let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
        return Tensor(shape: images.shape) { out in
            images.withUnsafeBufferPointer { src in
                for i in 0..<n {
                    let dy = p > 0 ? rng.int(below: 2 * p + 1) - p : 0
                    let dx = p > 0 ? rng.int(below: 2 * p + 1) - p : 0
                    let flip = recipe.horizontalFlip && rng.int(below: 2) == 1
                    for ch in 0..<c {
                        let base = (i * c + ch) * h * w
                        for y in 0..<h {
                            let sy = y + dy
                            for x in 0..<w {
                                let sx = (flip ? w - 1 - x : x) + dx
                                out[base + y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? src[base + sy * w + sx] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    private func zeroGrad() { sgd?.zeroGrad(); adamw?.zeroGrad() }

    private func stepOptimizer(_ lr: Float) {
        if let sgd { sgd.learningRate = lr; sgd.step() }
        if let adamw { adamw.learningRate = lr; adamw.step() }
    }

    // MARK: checkpoints

    /// Weights, buffers and optimizer state after `epoch`, and the recipe, in one safetensors file.
    func saveCheckpoint(_ url: URL, epoch: Int) throws {
        var tensors = Dictionary(uniqueKeysWithValues: model.stateDict.map { ("model.\($0.0)", $0.1.value) })
        for (i, t) in (sgd?.state ?? adamw?.state ?? []).enumerated() { if let t { tensors["optimizer.\(i)"] = t } }
        try Safetensors(tensors: tensors, metadata: ["epoch": "\(epoch)", "optimizer.step": "\(adamw?.stepCount ?? 0)",
                                                     "training_seconds": "\(trainingSeconds)",
                                                     "recipe": try Self.recipeText(recipe)]).write(to: url)
    }

    /// Where a resumed run continues, and what the checkpoint said of its recipe.
    public struct ResumePoint: Sendable {
        /// The epoch to continue from (0-based).
        public var epoch: Int
        /// The epoch count the checkpoint was written for, when it differs from this run's
        /// (`--epochs` changed: the cosine schedule continues on the new length).
        public var checkpointEpochs: Int?
        /// False for checkpoints written before the recipe was recorded in them (not checked).
        public var recipeChecked: Bool
        /// The warm restarts the checkpoint was written for, when this run adds some after the
        /// epochs done.
        public var checkpointWarmRestarts: [Int]? = nil
    }

    /// Restores a checkpoint. Refuses one written with another recipe (seed, learning rate,
    /// batch, optimizer, augmentation, adversarial training…); only the epoch count may differ,
    /// and warm restarts may differ from the epochs done on (a new cosine cycle after them, as
    /// cifar10-resnet20's second cycle), not within them.
    public func resume(from url: URL) throws -> ResumePoint {
        let file = try Safetensors(contentsOf: url)
        guard let e = file.metadata["epoch"].flatMap(Int.init) else { throw WeightsError(file: url.path, "is not a Feint training checkpoint") }
        var point = ResumePoint(epoch: e + 1, checkpointEpochs: nil, recipeChecked: false)
        if let text = file.metadata["recipe"] {
            let saved = try JSONDecoder().decode(TrainingRecipe.self, from: Data(text.utf8))
            var sameLength = saved
            sameLength.epochs = recipe.epochs
            if saved.warmRestarts.filter({ $0 <= e }) == recipe.warmRestarts.filter({ $0 <= e }) {
                sameLength.warmRestarts = recipe.warmRestarts
            }
            guard sameLength == recipe else {
                throw WeightsError(file: url.path, "is a checkpoint of another recipe (\(text)); delete it or give the options it was trained with")
            }
            point.recipeChecked = true
            if saved.epochs != recipe.epochs { point.checkpointEpochs = saved.epochs }
            if saved.warmRestarts != recipe.warmRestarts { point.checkpointWarmRestarts = saved.warmRestarts }
        }
        var weights = Safetensors(tensors: [:])
        for (k, v) in file.tensors where k.hasPrefix("model.") { weights.tensors[String(k.dropFirst(6))] = v }
        try model.loadState(weights, fileName: url.path)
        let count = sgd?.state.count ?? adamw?.state.count ?? 0
        let state = (0..<count).map { file.tensors["optimizer.\($0)"] }
        sgd?.state = state
        if let adamw { adamw.state = state; adamw.stepCount = file.metadata["optimizer.step"].flatMap(Int.init) ?? 0 }
        trainingSeconds = file.metadata["training_seconds"].flatMap(Double.init) ?? 0
        return point
    }

    static func recipeText(_ recipe: TrainingRecipe) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(recipe), as: UTF8.self)
    }
}
