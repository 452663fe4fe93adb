import FeintCore

/// Sizes of an MLP-Mixer.
public struct MixerConfig: Sendable, Equatable, Codable {
    public var imageSize = 28, patchSize = 4, inputChannels = 1
    public var width = 64, depth = 4, tokenHidden = 64, channelHidden = 128, classes = 10
    public init(imageSize: Int = 28, patchSize: Int = 4, inputChannels: Int = 1, width: Int = 64, depth: Int = 4,
                tokenHidden: Int = 64, channelHidden: Int = 128, classes: Int = 10) {
        self.imageSize = imageSize; self.patchSize = patchSize; self.inputChannels = inputChannels; self.width = width
        self.depth = depth; self.tokenHidden = tokenHidden; self.channelHidden = channelHidden; self.classes = classes
    }
    public var tokens: Int { (imageSize / patchSize) * (imageSize / patchSize) }
}

/// One Mixer layer (timm names): x += mlp_tokens(norm1(x)ᵀ)ᵀ (mixing across patches);
/// x += mlp_channels(norm2(x)).
public final class MixerBlock: Layer {
    let norm1: LayerNorm, mlpTokens: MLP, norm2: LayerNorm, mlpChannels: MLP
    init(_ c: MixerConfig, generator: inout RandomGenerator) {
        norm1 = LayerNorm(c.width)
        mlpTokens = MLP(c.tokens, c.tokenHidden, generator: &generator)
        norm2 = LayerNorm(c.width)
        mlpChannels = MLP(c.width, c.channelHidden, generator: &generator)
    }
    public var children: [(String, any Layer)] {
        [("norm1", norm1), ("mlp_tokens", mlpTokens), ("norm2", norm2), ("mlp_channels", mlpChannels)]
    }
    public func callAsFunction(_ x: Variable) -> Variable {
        let h = x + transpose(mlpTokens(transpose(norm1(x), 1, 2)), 1, 2)
        return h + mlpChannels(norm2(h))
    }
}

/// MLP-Mixer (Tolstikhin et al., NeurIPS 2021): patch embedding `stem.proj` (Conv2d p×p stride p),
/// `blocks.N`, `norm`, global average over tokens, `head`. A token-mixing family with no
/// attention at all, for contrast with the ViTs.
public final class MLPMixer: Network {
    public let config: MixerConfig
    let stem: Conv2d
    let blocks: [MixerBlock]
    let norm: LayerNorm
    let head: Linear

    public init(_ config: MixerConfig = MixerConfig(), seed: UInt64 = 0) {
        precondition(config.imageSize % config.patchSize == 0,
                     "MLPMixer: image size \(config.imageSize) is not a multiple of patch size \(config.patchSize)")
        var g = RandomGenerator(seed: seed)
        self.config = config
        stem = Conv2d(config.inputChannels, config.width, kernel: config.patchSize, stride: config.patchSize, generator: &g)
        blocks = (0..<config.depth).map { _ in MixerBlock(config, generator: &g) }
        norm = LayerNorm(config.width)
        head = Linear(config.width, config.classes, generator: &g)
    }

    public var children: [(String, any Layer)] {
        [("stem.proj", stem)] + blocks.enumerated().map { ("blocks.\($0.offset)", $0.element) } + [("norm", norm), ("head", head)]
    }

    public func forward(_ x: Variable) -> NetworkOutput {
        var h = transpose(flatten(stem(x), fromAxis: 2), 1, 2)   // [N, T, D]
        var features = h
        for (i, block) in blocks.enumerated() {
            if i == blocks.count - 1 { features = h }
            h = block(h)
        }
        return NetworkOutput(logits: head(mean(norm(h), axes: [1])), features: features, attention: [])
    }
}
