import FeintCore

/// Sizes of a Vision Transformer.
public struct ViTConfig: Sendable, Equatable, Codable {
    public var imageSize = 28, patchSize = 4, inputChannels = 1
    public var width = 64, depth = 4, heads = 4, mlpHidden = 128, classes = 10
    public init(imageSize: Int = 28, patchSize: Int = 4, inputChannels: Int = 1, width: Int = 64,
                depth: Int = 4, heads: Int = 4, mlpHidden: Int = 128, classes: Int = 10) {
        self.imageSize = imageSize; self.patchSize = patchSize; self.inputChannels = inputChannels
        self.width = width; self.depth = depth; self.heads = heads; self.mlpHidden = mlpHidden; self.classes = classes
    }
    public var tokens: Int { (imageSize / patchSize) * (imageSize / patchSize) }
}

/// A pre-norm transformer block (timm names): x += attn(norm1(x)); x += mlp(norm2(x)).
public final class TransformerBlock: Layer {
    public let norm1: LayerNorm
    public let attn: MultiheadSelfAttention
    public let norm2: LayerNorm
    public let mlp: MLP

    public init(width: Int, heads: Int, hidden: Int, generator: inout RandomGenerator) {
        norm1 = LayerNorm(width)
        attn = MultiheadSelfAttention(width: width, heads: heads, generator: &generator)
        norm2 = LayerNorm(width)
        mlp = MLP(width, hidden, generator: &generator)
    }

    public var children: [(String, any Layer)] { [("norm1", norm1), ("attn", attn), ("norm2", norm2), ("mlp", mlp)] }

    public func callAsFunction(_ x: Variable) -> Variable {
        let h = x + attn(norm1(x))
        return h + mlp(norm2(h))
    }
}

/// fc1 → GELU (erf) → fc2.
public final class MLP: Layer {
    public let fc1, fc2: Linear
    public init(_ width: Int, _ hidden: Int, generator: inout RandomGenerator) {
        fc1 = Linear(width, hidden, generator: &generator)
        fc2 = Linear(hidden, width, generator: &generator)
    }
    public var children: [(String, any Layer)] { [("fc1", fc1), ("fc2", fc2)] }
    public func callAsFunction(_ x: Variable) -> Variable { fc2(gelu(fc1(x))) }
}

/// Vision Transformer (Dosovitskiy et al., ICLR 2021) with a class token, learned position
/// embedding and pre-norm blocks, named as timm: `patch_embed.proj` (Conv2d p×p, stride p),
/// `cls_token` [1, 1, D], `pos_embed` [1, T+1, D], `blocks.N.*`, `norm`, `head` (on the class
/// token). Same layers as `ViT` in `Models/pytorch_reference.py`
/// and the PyTorch speed reference, with timm's LayerNorm ε 1e-6.
public final class ViT: Network {
    public let config: ViTConfig
    public let patchEmbed: Conv2d
    public let clsToken: Variable   // [1, 1, D]
    public let posEmbed: Variable   // [1, T+1, D]
    public let blocks: [TransformerBlock]
    public let norm: LayerNorm
    public let head: Linear

    public init(_ config: ViTConfig = ViTConfig(), seed: UInt64 = 0) {
        precondition(config.imageSize % config.patchSize == 0,
                     "ViT: image size \(config.imageSize) is not a multiple of patch size \(config.patchSize)")
        var g = RandomGenerator(seed: seed)
        self.config = config
        patchEmbed = Conv2d(config.inputChannels, config.width, kernel: config.patchSize, stride: config.patchSize, generator: &g)
        clsToken = Initializer.normal([1, 1, config.width], std: 0.02, generator: &g)
        posEmbed = Initializer.normal([1, config.tokens + 1, config.width], std: 0.02, generator: &g)
        blocks = (0..<config.depth).map { _ in
            TransformerBlock(width: config.width, heads: config.heads, hidden: config.mlpHidden, generator: &g)
        }
        norm = LayerNorm(config.width)
        head = Linear(config.width, config.classes, generator: &g)
    }

    public var ownParameters: [(String, Variable)] { [("cls_token", clsToken), ("pos_embed", posEmbed)] }
    public var children: [(String, any Layer)] {
        [("patch_embed.proj", patchEmbed)] + blocks.enumerated().map { ("blocks.\($0.offset)", $0.element) }
            + [("norm", norm), ("head", head)]
    }

    /// Logits [N, classes] for x [N, C, H, W]; features: the tokens entering the last block,
    /// [N, 1 + T, D] with the class token first.
    public func forward(_ x: Variable) -> NetworkOutput {
        let n = x.shape[0], d = config.width
        let patches = transpose(flatten(patchEmbed(x), fromAxis: 2), 1, 2)            // [N, T, D]
        var h = concat([expand(clsToken, to: [n, 1, d]), patches], axis: 1) + posEmbed  // [N, T+1, D]
        var features = h
        var attention: [Tensor] = []
        for (i, block) in blocks.enumerated() {
            if i == blocks.count - 1 { features = h }
            h = block(h)
            if let w = block.attn.lastWeights { attention.append(w) }
        }
        let logits = head(reshape(slice(norm(h), axis: 1, 0..<1), [n, d]))
        // The tokens themselves (class token first), not a slice of them: a slice would be a side
        // branch of the graph, with no gradient from the logits.
        return NetworkOutput(logits: logits, features: features, attention: attention)
    }

    public func callAsFunction(_ x: Variable) -> Variable { forward(x).logits }
}
