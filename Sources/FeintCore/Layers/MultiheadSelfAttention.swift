/// Multi-head self-attention with a fused QKV projection, named as timm's ViT (`attn.qkv`,
/// `attn.proj`). x: [B, T, D] → [B, T, D]; qkv.weight: [3D, D] with rows ordered (q, k, v) ×
/// heads × head_dim, as timm.
public final class MultiheadSelfAttention: Layer {
    public let qkv: Linear    // [3D, D]
    public let proj: Linear   // [D, D]
    public let heads: Int
    /// Attention weights [B, H, T, T] of the last forward pass (for rollout and inspection).
    public private(set) var lastWeights: Tensor?

    public init(width: Int, heads: Int, generator: inout RandomGenerator) {
        precondition(width % heads == 0, "MultiheadSelfAttention: width \(width) not divisible by \(heads) heads")
        qkv = Linear(width, 3 * width, generator: &generator)
        proj = Linear(width, width, generator: &generator)
        self.heads = heads
    }

    public var children: [(String, any Layer)] { [("qkv", qkv), ("proj", proj)] }

    public func callAsFunction(_ x: Variable) -> Variable {
        precondition(x.value.rank == 3, "MultiheadSelfAttention: input must be [B, T, D], got \(x.shape)")
        let (b, t, d) = (x.shape[0], x.shape[1], x.shape[2])
        let parts = permute(reshape(qkv(x), [b, t, 3, heads, d / heads]), [2, 0, 3, 1, 4])  // [3, B, H, T, hd]
        let q = reshape(slice(parts, axis: 0, 0..<1), [b, heads, t, d / heads])
        let k = reshape(slice(parts, axis: 0, 1..<2), [b, heads, t, d / heads])
        let v = reshape(slice(parts, axis: 0, 2..<3), [b, heads, t, d / heads])
        let attended = scaledDotProductAttention(query: q, key: k, value: v)
        lastWeights = attended.weights
        return proj(reshape(permute(attended.output, [0, 2, 1, 3]), [b, t, d]))
    }
}
