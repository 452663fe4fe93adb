import FeintCore
import Foundation

/// Everything needed to rebuild a model: its architecture and sizes, its input, its classes and
/// its normalisation. Stored as JSON in the safetensors `__metadata__` (key "feint.spec").
public struct ModelSpec: Codable, Equatable, Sendable {
    /// smallcnn, lenet5, resnet, vgg, mobilenet, vit, mixer.
    public var architecture: String
    /// [C, H, W].
    public var inputShape: [Int]
    public var classNames: [String]
    /// Per-channel normalisation applied inside the model: (x − mean) / std.
    public var mean: [Float]
    public var std: [Float]
    /// Architecture sizes (absent keys take the architecture's defaults).
    public var blocksPerStage: Int?
    public var width: Int?
    public var widths: [Int]?
    public var patchSize: Int?
    public var depth: Int?
    public var heads: Int?
    public var mlpHidden: Int?
    public var tokenHidden: Int?

    public init(architecture: String, inputShape: [Int], classNames: [String], mean: [Float], std: [Float]) {
        self.architecture = architecture; self.inputShape = inputShape; self.classNames = classNames
        self.mean = mean; self.std = std
    }

    /// "cnn" or "transformer" (token-mixing families count as transformers).
    public var family: String { ["vit", "mixer"].contains(architecture) ? "transformer" : "cnn" }

    static let architectures = ["smallcnn", "lenet5", "resnet", "vgg", "mobilenet", "vit", "mixer"]

    /// A freshly initialised network for this spec.
    public func build(seed: UInt64) throws -> any Network {
        let (c, size, classes) = (inputShape[0], inputShape[1], classNames.count)
        switch architecture {
        case "smallcnn": return SmallCNN(inputChannels: c, inputSize: size, classes: classes, seed: seed)
        case "lenet5": return LeNet5(inputChannels: c, inputSize: size, classes: classes, seed: seed)
        case "resnet": return ResNet(inputChannels: c, classes: classes, blocksPerStage: blocksPerStage ?? 1, width: width ?? 16, seed: seed)
        case "vgg": return VGG(inputChannels: c, classes: classes, widths: widths ?? [32, 64, 128], seed: seed)
        case "mobilenet": return MobileNet(inputChannels: c, classes: classes, seed: seed)
        case "vit":
            return ViT(ViTConfig(imageSize: size, patchSize: patchSize ?? 4, inputChannels: c, width: width ?? 64,
                                 depth: depth ?? 4, heads: heads ?? 4, mlpHidden: mlpHidden ?? 128, classes: classes), seed: seed)
        case "mixer":
            return MLPMixer(MixerConfig(imageSize: size, patchSize: patchSize ?? 4, inputChannels: c, width: width ?? 64,
                                        depth: depth ?? 4, tokenHidden: tokenHidden ?? 64, channelHidden: mlpHidden ?? 128,
                                        classes: classes), seed: seed)
        default:
            throw ModelError("unknown architecture '\(architecture)' (known: \(Self.architectures.joined(separator: ", ")))")
        }
    }
}

/// A problem building or loading a model.
public struct ModelError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
