import FeintCore
import Foundation

/// A classifier ready for attacks: a network plus its own normalisation, taking [0, 1] pixels.
/// Its state dict is the network's (no prefix), so a weights file loads into the bare PyTorch
/// architecture; the normalisation constants travel in the metadata.
public final class Model: Layer, Classifying {
    public let name: String
    public let spec: ModelSpec
    public let network: any Network
    /// The training recipe read from the weights file's metadata (nil for a fresh model or a
    /// file without one).
    public internal(set) var recipe: TrainingRecipe?
    /// The data set the model classifies ("fashion-mnist" or "cifar10"); saved in the metadata
    /// as `feint.dataset` (files without it are Fashion-MNIST models).
    public var dataset = "fashion-mnist"
    /// SHA-256 of the weights file the model was loaded from (nil for a model built in code):
    /// results record it, since a zoo name may be retrained.
    public var weightsSHA256: String?
    /// Trained adversarially (the recipe has an inner maximisation).
    public var isAdversariallyTrained: Bool { recipe?.adversarial != nil }
    private let mean: Variable, invStd: Variable   // [1, C, 1, 1]

    public init(name: String, spec: ModelSpec, seed: UInt64 = 0) throws {
        guard spec.inputShape.count == 3, spec.mean.count == spec.inputShape[0], spec.std.count == spec.inputShape[0],
              spec.std.allSatisfy({ $0 > 0 }) else {
            throw ModelError("model \(name): input shape \(spec.inputShape) does not match mean \(spec.mean) / std \(spec.std)")
        }
        self.name = name
        self.spec = spec
        network = try spec.build(seed: seed)
        let c = spec.inputShape[0]
        mean = Variable(Tensor(shape: [1, c, 1, 1], scalars: spec.mean))
        invStd = Variable(Tensor(shape: [1, c, 1, 1], scalars: spec.std.map { 1 / $0 }))
    }

    public var children: [(String, any Layer)] { network.children }
    public var ownParameters: [(String, Variable)] { network.ownParameters }
    public var ownBuffers: [(String, Variable)] { network.ownBuffers }
    public func setTraining(_ training: Bool) { network.setTraining(training) }

    /// One forward pass on [0, 1] pixels, with the attention hooks.
    public func forward(_ x: Variable) -> NetworkOutput {
        precondition(Array(x.shape.dropFirst()) == spec.inputShape,
                     "model \(name): input \(x.shape) does not match its input shape \(spec.inputShape)")
        return network.forward((x - mean) * invStd)
    }

    public func logits(_ x: Variable) -> Variable { forward(x).logits }

    /// Logits for a batch without recording a graph (parameters frozen for the call), in
    /// evaluation mode, `batchSize` images at a time.
    public func predict(_ images: Tensor, batchSize: Int = 256) -> Tensor {
        let trainable = parameters.map(\.requiresGrad)
        setRequiresGrad(false)
        defer { for (p, t) in zip(parameters, trainable) { p.requiresGrad = t } }
        let n = images.shape[0], per = images.count / Swift.max(n, 1)
        var out: [Float] = []
        var start = 0
        while start < n {
            let end = Swift.min(n, start + batchSize)
            let batch = Tensor(shape: [end - start] + Array(images.shape.dropFirst()),
                               scalars: Array(images.scalars[(start * per)..<(end * per)]))
            out += logits(Variable(batch)).value.scalars
            start = end
        }
        return Tensor(shape: [n, spec.classNames.count], scalars: out)
    }

    /// Share of `data` classified correctly.
    public func accuracy(on data: LabeledImages, batchSize: Int = 256) -> Double {
        let predicted = predict(data.images, batchSize: batchSize).argmaxLastAxis()
        return Double(zip(predicted, data.labels).filter { $0 == $1 }.count) / Double(max(data.count, 1))
    }

    // MARK: weights files

    /// Loads a safetensors file written by `save` (or by PyTorch with the documented names).
    public static func load(_ url: URL, name: String? = nil) throws -> Model {
        let file = try Safetensors(contentsOf: url)
        guard let json = file.metadata["feint.spec"], let spec = try? JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8)) else {
            throw WeightsError(file: url.path, "has no Feint model description (__metadata__ key 'feint.spec')")
        }
        let model = try Model(name: name ?? url.deletingPathExtension().lastPathComponent, spec: spec)
        try model.loadState(file, fileName: url.path)
        model.dataset = file.metadata["feint.dataset"] ?? "fashion-mnist"
        model.weightsSHA256 = (try? Data(contentsOf: url)).map { SHA256.hex([UInt8]($0)) }
        model.recipe = file.metadata["feint.recipe"].flatMap { try? JSONDecoder().decode(TrainingRecipe.self, from: Data($0.utf8)) }
        return model
    }

    /// Copies tensors into the model, checking that names and shapes match exactly.
    public func loadState(_ file: Safetensors, fileName: String) throws {
        let state = stateDict
        let expected = Set(state.map(\.0)), present = Set(file.tensors.keys)
        if let missing = expected.subtracting(present).sorted().first {
            throw WeightsError(file: fileName, "tensor '\(missing)' is missing (\(expected.subtracting(present).count) missing in all)")
        }
        if let extra = present.subtracting(expected).sorted().first {
            throw WeightsError(file: fileName, "unexpected tensor '\(extra)' for architecture \(spec.architecture)")
        }
        for (key, variable) in state {
            let t = file.tensors[key]!
            guard t.shape == variable.shape else {
                throw WeightsError(file: fileName, "tensor '\(key)' has shape \(t.shape), the architecture needs \(variable.shape)")
            }
            variable.value = t
        }
    }

    /// Writes weights and metadata (spec, plus any extra strings such as the training recipe).
    public func save(to url: URL, metadata extra: [String: String] = [:]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var metadata = extra
        metadata["feint.dataset"] = dataset
        metadata["feint.spec"] = String(decoding: try encoder.encode(spec), as: UTF8.self)
        metadata["architecture"] = spec.architecture
        metadata["input_shape"] = spec.inputShape.map(String.init).joined(separator: ",")
        metadata["class_names"] = spec.classNames.joined(separator: "|")
        metadata["mean"] = spec.mean.map { "\($0)" }.joined(separator: ",")
        metadata["std"] = spec.std.map { "\($0)" }.joined(separator: ",")
        try Safetensors(tensors: Dictionary(uniqueKeysWithValues: stateDict.map { ($0.0, $0.1.value) }), metadata: metadata)
            .write(to: url)
    }
}
