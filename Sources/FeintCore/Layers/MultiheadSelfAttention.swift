/// Multi-head self-attention with a fused QKV projection, named as timm's ViT (`attn.qkv`,
/// `attn.proj`). x: [B, T, D] → [B, T, D]; qkv.weight: [3D, D] with rows ordered (q, k, v) ×
/// heads × head_dim, as timm.
public final class MultiheadSelfAttention: Layer {
    public let qkv: Linear    // [3D, D]
    public let proj: Linear   // [D, D]
    public let heads: Int
    /// Attention weights [B, H, T, T] of the last forward pass (for rollout and inspection).
    public private(set) var lastWeights: Tensor?
    /// Scale of the gradient through the attention weights in graphs built from now on (1: the
    /// exact gradient; see `multiheadAttention`). Attacks set it around one gradient and reset it.
    public var weightGradientScale: Float = 1

    public init(width: Int, heads: Int, generator: inout RandomGenerator) {
        precondition(width % heads == 0, "MultiheadSelfAttention: width \(width) not divisible by \(heads) heads")
        qkv = Linear(width, 3 * width, generator: &generator)
        proj = Linear(width, width, generator: &generator)
        self.heads = heads
    }

    public var children: [(String, any Layer)] { [("qkv", qkv), ("proj", proj)] }

    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.value.rank == 3, "MultiheadSelfAttention: input must be [B, T, D], got \(x.shape)")
        let attended = multiheadAttention(qkv: qkv(x), heads: heads, weightGradientScale: weightGradientScale)
        lastWeights = attended.weights
        return proj(attended.output)
    }
}
