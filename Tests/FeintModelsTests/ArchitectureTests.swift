import FeintCore
import FeintModels
import Foundation
import Testing

@Suite("Architectures and zoo models")
struct ArchitectureTests {
    @Test(arguments: Catalog.entries.map(\.name))
    func forwardShapesAndHooks(name: String) throws {
        let spec = try Catalog.entry(name).spec
        let model = try Model(name: name, spec: spec, seed: 1)
        var rng = RandomGenerator(seed: 2)
        let out = model.forward(Variable(rng.uniform(shape: [2] + spec.inputShape)))
        #expect(out.logits.shape == [2, 10])
        if spec.family == "cnn" {
            #expect(out.features.value.rank == 4 && out.features.shape[0] == 2)
        } else {
            let side = spec.inputShape[1] / spec.patchSize!
            let tokens = side * side
            let cls = spec.architecture == "vit" ? 1 : 0
            #expect(out.features.shape == [2, tokens + cls, spec.width!])
            #expect(out.attention.count == (spec.architecture == "vit" ? spec.depth! : 0))
            if let a = out.attention.first { #expect(a.shape == [2, spec.heads!, tokens + 1, tokens + 1]) }
        }
    }

    @Test(arguments: ["fmnist-lenet5", "fmnist-resnet8", "fmnist-vgg", "fmnist-mobilenet", "fmnist-mixer", "fmnist-vit-p7"])
    func inputGradientMatchesFiniteDifferences(name: String) throws {
        let model = try Model(name: name, spec: try Catalog.entry(name).spec, seed: 3)
        model.setTraining(false)
        var rng = RandomGenerator(seed: 4)
        let x = rng.uniform(shape: [2, 1, 28, 28]), v = rng.uniform(shape: [2, 1, 28, 28], low: -1, high: 1)
        let loss = { (t: Tensor) in Double(crossEntropy(model.logits(Variable(t)), labels: [3, 8], reduction: .sum).value.scalar) }
        let g = valueWithGradient(at: x) { crossEntropy(model.logits($0), labels: [3, 8], reduction: .sum) }.gradient
        let analytic = zip(g.scalars, v.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        // h = 1e-3 keeps ReLU and max-pool switches rare; the Float loss (≈ 4.6) then limits the
        // difference quotient to ≈ 1.5e-4 absolute, hence the absolute allowance.
        let numeric = (loss(x + v * 1e-3) - loss(x - v * 1e-3)) / 2e-3
        #expect(abs(analytic - numeric) <= 3e-2 * abs(numeric) + 5e-4, "\(name): analytic \(analytic) vs numeric \(numeric)")
    }

    @Test func colourInputs() throws {
        for arch in ["smallcnn", "lenet5", "resnet", "vgg", "mobilenet", "vit", "mixer"] {
            var spec = ModelSpec(architecture: arch, inputShape: [3, 32, 32], classNames: (0..<10).map(String.init),
                                 mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25])
            spec.patchSize = 4
            let model = try Model(name: arch, spec: spec)
            #expect(model.logits(Variable(Tensor(zeros: [1, 3, 32, 32]))).shape == [1, 10])
        }
    }

    @Test func saveLoadRoundTripAndErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feint-zoo-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = try Catalog.entry("fmnist-resnet8").spec
        let model = try Model(name: "r", spec: spec, seed: 5)
        let url = dir.appendingPathComponent("r.safetensors")
        try model.save(to: url, metadata: ["note": "test"])
        let back = try Model.load(url)
        let x = Variable(RandomGenerator(seed: 1).uniformCopy(shape: [2, 1, 28, 28]))
        #expect(back.logits(x).value == model.logits(x).value)
        #expect(back.stateDict.map(\.0).contains("layer2.0.downsample.1.running_var"))

        var file = try Safetensors(contentsOf: url)
        file.tensors["fc.weight"] = Tensor(zeros: [10, 63])
        #expect(throws: WeightsError(file: "f", "tensor 'fc.weight' has shape [10, 63], the architecture needs [10, 64]")) {
            try back.loadState(file, fileName: "f")
        }
        file.tensors["fc.weight"] = nil
        #expect(throws: WeightsError(file: "f", "tensor 'fc.weight' is missing (1 missing in all)")) { try back.loadState(file, fileName: "f") }
        file = try Safetensors(contentsOf: url)
        file.tensors["extra"] = Tensor(zeros: [1])
        #expect(throws: WeightsError(file: "f", "unexpected tensor 'extra' for architecture resnet")) { try back.loadState(file, fileName: "f") }
        file.metadata = [:]
        try file.write(to: url)
        #expect(throws: WeightsError.self) { try Model.load(url) }
    }

    @Test func sha256KnownAnswers() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array(repeating: 0x61, count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    /// 80 random 28×28 images (10 classes) and a small SGD recipe: 4 steps of 16 per epoch, 16 held out.
    static func tinyTraining(epochs: Int) -> (LabeledImages, TrainingRecipe) {
        var rng = RandomGenerator(seed: 9)
        let data = LabeledImages(images: rng.uniform(shape: [80, 1, 28, 28]), labels: (0..<80).map { $0 % 10 },
                                 classNames: IDX.fashionMNISTClasses)
        var recipe = TrainingRecipe()
        recipe.epochs = epochs; recipe.batchSize = 16; recipe.validationSize = 16; recipe.learningRate = 0.01
        return (data, recipe)
    }

    /// Training is deterministic, and a run interrupted after its first epoch and resumed from the
    /// checkpoint in a fresh model ends with the same weights: plain SGD (LeNet-5), BatchNorm
    /// statistics with crop and flip (ResNet-8), AdamW's moments and step count (ViT), and the
    /// random draws of adversarial training (a one-step sign attack on LeNet-5).
    @Test(arguments: ["lenet5", "resnet8-flip", "vit-adamw", "lenet5-adversarial"])
    func trainingIsDeterministicAndResumes(setup: String) throws {
        let (data, tiny) = Self.tinyTraining(epochs: 2)
        var recipe = tiny
        var spec = try Catalog.entry("fmnist-lenet5").spec
        switch setup {
        case "resnet8-flip": spec = try Catalog.entry("fmnist-resnet8").spec; recipe.horizontalFlip = true
        case "vit-adamw": spec = try Catalog.entry("fmnist-vit-p7").spec; recipe.optimizer = "adamw"; recipe.learningRate = 1e-3
        case "lenet5-adversarial": recipe.adversarial = AdversarialRecipe(epsilon: 0.1, steps: 1, stepSize: 0.1)
        default: break
        }
        /// A uniform start and one sign step of the cross-entropy gradient, drawn from the trainer's stream.
        func perturb(_ model: Model, _ x: Tensor, _ labels: [Int], _ g: inout RandomGenerator) -> Tensor {
            let start = (x + g.uniform(shape: x.shape, low: -0.1, high: 0.1)).clamped(0, 1)
            let input = Variable(start, requiresGrad: true)
            let grad = crossEntropy(model.logits(input), labels: labels).gradients(wrt: [input])[0]
            return (start + grad.sign() * 0.1).zipMap(x) { Swift.min(Swift.max($0, $1 - 0.1), $1 + 0.1) }.clamped(0, 1)
        }
        func trainer(_ model: Model) -> Trainer {
            let t = Trainer(model: model, recipe: recipe, data: data)
            if recipe.adversarial != nil { t.perturb = perturb }
            return t
        }
        func trained(resumeAfterFirst: Bool) throws -> [Tensor] {
            let ck = FileManager.default.temporaryDirectory.appendingPathComponent("ck-\(UInt32.random(in: 0...UInt32.max)).safetensors")
            defer { try? FileManager.default.removeItem(at: ck) }
            var model = try Model(name: "l", spec: spec, seed: 1)
            if resumeAfterFirst {
                // Train one epoch, then continue in a fresh model from the checkpoint.
                let partial = trainer(model)
                try partial.run(startEpoch: 0, checkpoint: ck, progress: { _ in }, stopAfter: 1)
                model = try Model(name: "l", spec: spec, seed: 99)
                let resumed = trainer(model)
                let next = try resumed.resume(from: ck).epoch
                // The training time carries over from the checkpoint.
                #expect(partial.trainingSeconds > 0 && resumed.trainingSeconds == partial.trainingSeconds)
                try resumed.run(startEpoch: next, checkpoint: ck, progress: { _ in })
                #expect(resumed.trainingSeconds > partial.trainingSeconds)
            } else {
                try trainer(model).run(checkpoint: ck, progress: { _ in })
            }
            // Every weight and buffer (BatchNorm's running statistics included).
            return model.stateDict.map { $0.1.value }
        }
        let a = try trained(resumeAfterFirst: false), b = try trained(resumeAfterFirst: false), c = try trained(resumeAfterFirst: true)
        #expect(a == b)
        #expect(a == c)
    }

    /// Warm restarts: each cycle warms from the peak and decays to 0 by its end; the first cycle
    /// is the schedule of a run that ends at the first restart; old recipes read with none.
    @Test func warmRestartsStartNewCosineCycles() throws {
        var one = TrainingRecipe()
        one.epochs = 40; one.learningRate = 0.1; one.warmupEpochs = 1
        var two = one
        two.epochs = 80; two.warmRestarts = [40]
        for e: Float in [0.5, 1, 10, 25.5, 39.9] { #expect(two.learningRate(atEpoch: e) == one.learningRate(atEpoch: e)) }
        #expect(abs(two.learningRate(atEpoch: 40) - 0.1) < 1e-6)
        #expect(abs(two.learningRate(atEpoch: 60) - 0.05) < 1e-6)
        #expect(two.learningRate(atEpoch: 79.999) < 1e-6)
        let json = String(decoding: try JSONEncoder().encode(one), as: UTF8.self)
        #expect(!json.contains("warmRestarts"))
        #expect(try JSONDecoder().decode(TrainingRecipe.self, from: Data(json.utf8)) == one)
        #expect(try JSONDecoder().decode(TrainingRecipe.self, from: JSONEncoder().encode(two)) == two)
    }

    /// A checkpoint remembers its recipe: resuming with another one (seed, learning rate, …) is
    /// refused, another epoch count is allowed and reported, and a finished checkpoint trains
    /// nothing more but still reports its validation accuracy.
    @Test func resumeChecksTheRecipe() throws {
        let (data, recipe) = Self.tinyTraining(epochs: 1)
        let spec = try Catalog.entry("fmnist-lenet5").spec
        let ck = FileManager.default.temporaryDirectory.appendingPathComponent("ck-\(UInt32.random(in: 0...UInt32.max)).safetensors")
        defer { try? FileManager.default.removeItem(at: ck) }
        let model = try Model(name: "l", spec: spec, seed: 1)
        let trained = try Trainer(model: model, recipe: recipe, data: data).run(checkpoint: ck, progress: { _ in })
        var other = recipe
        other.seed = 5
        #expect(throws: WeightsError.self) { try Trainer(model: try Model(name: "l", spec: spec, seed: 1), recipe: other, data: data).resume(from: ck) }
        other = recipe
        other.learningRate = 0.02
        #expect(throws: WeightsError.self) { try Trainer(model: try Model(name: "l", spec: spec, seed: 1), recipe: other, data: data).resume(from: ck) }
        other = recipe
        other.epochs = 3
        let longer = try Trainer(model: try Model(name: "l", spec: spec, seed: 1), recipe: other, data: data).resume(from: ck)
        #expect(longer.epoch == 1 && longer.checkpointEpochs == 1 && longer.recipeChecked)
        // A warm restart after the epochs done starts a new cycle (a one-cycle run continued);
        // one within them would have changed the schedule already run.
        other.warmRestarts = [1]
        #expect(throws: Never.self) { try Trainer(model: try Model(name: "l", spec: spec, seed: 1), recipe: other, data: data).resume(from: ck) }
        other.warmRestarts = [0]
        #expect(throws: WeightsError.self) { try Trainer(model: try Model(name: "l", spec: spec, seed: 1), recipe: other, data: data).resume(from: ck) }
        let finished = Trainer(model: try Model(name: "l", spec: spec, seed: 1), recipe: recipe, data: data)
        let point = try finished.resume(from: ck)
        #expect(point.epoch == 1 && point.checkpointEpochs == nil)
        var epochsRun = 0
        let validation = try finished.run(startEpoch: point.epoch, checkpoint: ck, progress: { _ in epochsRun += 1 })
        #expect(epochsRun == 0 && validation == trained && validation > 0)
    }
}
