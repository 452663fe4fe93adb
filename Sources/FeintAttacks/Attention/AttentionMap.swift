import FeintCore
import FeintModels

/// Attention maps: where a model looks. Both return [N, 1, H, W] maps in [0, 1] at the input
/// resolution (min-max normalised per image; a constant map becomes 0).
public enum AttentionMap {
    /// Grad-CAM (Selvaraju et al., ICCV 2017) for `classes`: with A the feature map of the forward
    /// pass (CNN: last convolutional stage [N, C, h, w]; transformer: the patch tokens entering
    /// the last block [N, T, D] on a √T × √T grid, a class token skipped), α_c = mean over positions
    /// of ∂z_y/∂A_c and H = ReLU(Σ_c α_c A_c), upsampled bilinearly. Reuses `output`'s graph (no
    /// second forward), so that pass must have been recorded: an input with requiresGrad: true.
    public static func gradCAM(_ output: NetworkOutput, classes: [Int], inputSize: (Int, Int)) -> Tensor {
        let a = output.features
        precondition(a.requiresGrad && output.logits.requiresGrad,
                     "gradCAM: the forward pass recorded no graph; run it on an input with requiresGrad: true")
        let score = sum(pick(output.logits, classes))
        let g = score.gradients(wrt: [a])[0]
        let n = a.shape[0]
        let (channels, positions, gridH, gridW, skip): (Int, Int, Int, Int, Int)
        let channelMajor = a.value.rank == 4
        if channelMajor {
            (channels, positions, gridH, gridW, skip) = (a.shape[1], a.shape[2] * a.shape[3], a.shape[2], a.shape[3], 0)
        } else {
            // Tokens on a square grid, after a class token when there is one (1 + T tokens).
            let tokens = a.shape[1]
            var side = Int(Double(tokens).squareRoot().rounded()), first = 0
            if side * side != tokens { side = Int(Double(tokens - 1).squareRoot().rounded()); first = 1 }
            precondition(side * side == tokens - first, "gradCAM: \(tokens) tokens do not form a square grid")
            (channels, positions, gridH, gridW, skip) = (a.shape[2], side * side, side, side, first)
        }
        let stride = positions + skip
        // Index of (sample, channel, position) in A's layout (positions after any class token).
        func at(_ i: Int, _ c: Int, _ p: Int) -> Int {
            channelMajor ? (i * channels + c) * positions + p : (i * stride + p + skip) * channels + c
        }
        var heat = Tensor(zeros: [n, 1, gridH, gridW])
        for i in 0..<n {
            for c in 0..<channels {
                var alpha: Float = 0
                for p in 0..<positions { alpha += g.scalars[at(i, c, p)] }
                alpha /= Float(positions)
                for p in 0..<positions { heat.scalars[i * positions + p] += alpha * a.value.scalars[at(i, c, p)] }
            }
        }
        heat = heat.map { Swift.max($0, 0) }
        return normalised(resizeBilinear(Variable(heat), height: inputSize.0, width: inputSize.1).value)
    }

    /// Attention rollout (Abnar & Zuidema, ACL 2020) for transformers: the product over blocks
    /// of (½·I + ½·mean_heads(A_l)), row of the class token, patch columns on the √T grid.
    public static func rollout(_ output: NetworkOutput, inputSize: (Int, Int)) -> Tensor {
        precondition(!output.attention.isEmpty, "rollout: the model returned no attention weights (not a ViT)")
        let first = output.attention[0]
        let (n, heads, t) = (first.shape[0], first.shape[1], first.shape[2])
        let side = Int(Double(t - 1).squareRoot().rounded())
        precondition(side * side == t - 1, "rollout: \(t - 1) patch tokens do not form a square grid")
        var heat = Tensor(zeros: [n, 1, side, side])
        for i in 0..<n {
            var joint = [Float](repeating: 0, count: t * t)
            for r in 0..<t { joint[r * t + r] = 1 }
            for layer in output.attention {
                var a = [Float](repeating: 0, count: t * t)
                for h in 0..<heads { for k in 0..<(t * t) { a[k] += layer.scalars[(i * heads + h) * t * t + k] / Float(heads) } }
                for r in 0..<t { for c in 0..<t { a[r * t + c] = 0.5 * a[r * t + c] + (r == c ? 0.5 : 0) } }
                var product = [Float](repeating: 0, count: t * t)
                for r in 0..<t { for k in 0..<t where a[r * t + k] != 0 { for c in 0..<t { product[r * t + c] += a[r * t + k] * joint[k * t + c] } } }
                joint = product
            }
            for p in 0..<(t - 1) { heat.scalars[i * (t - 1) + p] = joint[p + 1] }
        }
        return normalised(resizeBilinear(Variable(heat), height: inputSize.0, width: inputSize.1).value)
    }

    /// Per-image min-max normalisation to [0, 1].
    static func normalised(_ maps: Tensor) -> Tensor {
        let n = maps.shape[0], d = maps.count / max(n, 1)
        var out = maps
        for i in 0..<n {
            let row = maps.scalars[(i * d)..<((i + 1) * d)]
            let (lo, hi) = (row.min()!, row.max()!)
            for j in 0..<d { out.scalars[i * d + j] = hi > lo ? (maps.scalars[i * d + j] - lo) / (hi - lo) : 0 }
        }
        return out
    }
}
