import FeintCore
import FeintModels
import Foundation

/// Adaptive ensemble attack (AdaEA; Chen et al., ICCV 2023).
///
/// Per step, each model's gradient g_k = ∇CE(f_k(x′), y) and its one-step probe
/// x_k⁺ = Clip(x′ + α·sign(g_k)). Adaptive weights from how well each probe fools the others:
///   w_j = softmax_j( β · Σ_{i≠j} CE(f_i(x_j⁺), y) / CE(f_i(x_i⁺), y) ),  β = 10
/// (as the paper and the official code; CE is the batch mean, so the weights are per batch).
/// Disparity-reduced filter: the per-pixel cosine similarity of the normalised g_i, g_j over the
/// channels, averaged over pairs; pixels below −0.3 are dropped. Gradient:
///   ∇CE(Σ_k w_k f_k(x′), y) ⊙ mask, then the MI update (μ from the settings: 1 here as in common
///   ports; the official code uses 0.9). Cost: N² + 2N forward and 2N backward passes a step (the
///   weighted ensemble's gradient runs through every model). Where the official MI-FGSM code
///   differs, kept as the paper has it: it computes the weights at the first step only and reuses
///   them, and its filter's average counts the pairs with the last model once, the others twice.
/// Shapes: as `TransferAttack` (images [N, C, H, W], N labels → adversarial [N, C, H, W]).
public struct AdaEA: TransferAttack {
    public var settings: TransferSettings
    public var beta: Float = 10
    public var similarityThreshold: Float = -0.3

    public init(settings: TransferSettings = TransferSettings()) { self.settings = settings }

    public func run(surrogates: [Model], images: Tensor, labels: [Int], generator: inout RandomGenerator) -> TransferResult {
        let n = surrogates.count, batch = images.shape[0]
        precondition(n >= 1, "AdaEA: needs at least one surrogate")
        var cost = Cost()
        let threat = settings.threat
        var adv = images, big = Tensor(zeros: images.shape)
        for _ in 0..<settings.steps {
            let grads = surrogates.map { s in
                crossEntropyGradient({ s.logits($0) }, at: adv, labels: labels, settings: settings, generator: &generator, cost: &cost)
            }
            let probes = grads.map { threat.project(adv + $0.sign() * settings.stepSize, around: images) }
            // loss[i][j] = CE(f_i(x_j⁺)), mean over the batch.
            let loss = surrogates.map { s in probes.map { p in crossEntropy(s.logits(Variable(p)), labels: labels).value.scalar } }
            cost.forwardPasses += batch * n * n
            let scores = (0..<n).map { j in
                beta * (0..<n).filter { $0 != j }.reduce(Float(0)) { $0 + loss[$1][j] / max(loss[$1][$1], 1e-12) }
            }
            let top = scores.max()!
            let e = scores.map { Foundation.exp($0 - top) }
            let weights = e.map { $0 / e.reduce(0, +) }
            let mask = agreementMask(grads)
            let g = crossEntropyGradient({ x in
                (1..<n).reduce(surrogates[0].logits(x) * weights[0]) { $0 + surrogates[$1].logits(x) * weights[$1] }
            }, at: adv, labels: labels, settings: settings, generator: &generator, cost: &cost) * mask
            cost.forwardPasses += batch * (n - 1); cost.gradientEvaluations += batch * (n - 1)
            big = big * settings.momentum + norm1(settings.smooth(g))
            adv = threat.project(adv + big.sign() * settings.stepSize, around: images)
        }
        return TransferResult(adversarial: adv, cost: cost, nonAttentionMask: nil)
    }

    /// 1 where the models' gradients agree (mean pairwise cosine over channels ≥ threshold), else 0;
    /// shaped like the gradients.
    func agreementMask(_ grads: [Tensor]) -> Tensor {
        let shape = grads[0].shape
        let (b, c, plane) = (shape[0], shape[1], shape[2] * shape[3])
        guard grads.count > 1 else { return Tensor(repeating: 1, shape: shape) }
        var mask = Tensor(zeros: shape)
        for i in 0..<b {
            for p in 0..<plane {
                var total: Float = 0, pairs = 0
                for x in 0..<grads.count {
                    for y in (x + 1)..<grads.count {
                        var dot: Float = 0, nx: Float = 0, ny: Float = 0
                        for ch in 0..<c {
                            let (u, v) = (grads[x].scalars[(i * c + ch) * plane + p], grads[y].scalars[(i * c + ch) * plane + p])
                            dot += u * v; nx += u * u; ny += v * v
                        }
                        total += nx > 0 && ny > 0 ? dot / (nx * ny).squareRoot() : 0
                        pairs += 1
                    }
                }
                let keep: Float = total / Float(pairs) >= similarityThreshold ? 1 : 0
                for ch in 0..<c { mask.scalars[(i * c + ch) * plane + p] = keep }
            }
        }
        return mask
    }
}
