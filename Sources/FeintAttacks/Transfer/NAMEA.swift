import FeintCore
import FeintModels

/// NAMEA: Non-Attention Meta-learning Ensemble Attack (Zou et al., "Boosting Adversarial
/// Transferability via Ensemble Non-Attention", AAAI 2026, arXiv 2511.08937).
///
/// T outer steps, each with K = 4N inner steps over 4 concatenated random permutations of the
/// N surrogates (as SMER):
///  1. Meta-train, from x_tr = x_adv, model n at step j:
///       G_tr = μ·G_tr + norm1(∇CE(f_n(x_tr), y));  x_tr = Clip(x_tr + β·sign(G_tr)).
///     The same forward pass gives f_n's Grad-CAM map of the true label at x_tr^j (min-max
///     normalised, upsampled): the attended area M_j = [map ≥ η_j], M̄_j = 1 − M_j.
///  2. Meta-test (non-attention), from x_te = x_adv, step j with model n:
///       x_te = clamp(x_te ⊙ M̄_j + clamp(ξ ⊙ M_j, 0, 1), 0, 1), ξ ~ N(0, 1) (the attended area
///       replaced by noise);  G_te += norm1(∇CE(f_n(x_te), y));  x_te = Clip(x_te + β·sign(G_te)).
///  3. Merge: g = norm1(norm1(G_tr) + norm1(G_te) ⊙ M̄_K);  G = μ·G + g;
///     x_adv = Clip(x_adv + α·sign(G)).  (`.ifgsm` merge: G_tr ⊙ M + G_te ⊙ M̄ instead.)
/// Defaults as the paper: ε = 8/255, α = β = 0.8/255, T = 10, μ = 1, η = 0.6, noise fill.
/// Options for where the released code differs: the threshold schedule `.code` (0.63 for the
/// first half of the inner steps, 0.65 for the next quarter, 0.85 for the last), the merge rule,
/// and the fill (noise, zeros, ones). The gradient scaling (GSO, `gradientScaling` γ, off by
/// default): in the released code it scales, during meta-test, the gradient through every
/// transformer block's attention weights by 0.5 and each CNN's classifier-input gradient by a
/// constant; only the first changes the normalised gradient (norm1 removes a constant), so GSO
/// here scales the attention-weight gradients of transformer surrogates by γ in meta-test
/// (MLP-Mixers and CNNs are unaffected). DI and TI apply to every gradient when set; the map is
/// always taken at x_tr itself (the released code, which has no DI, takes it from the meta-train
/// iterate), so with DI on each meta-train step makes one more forward pass for it. Cost per
/// outer step: 2K input gradients and K Grad-CAM maps (a backward pass from the logits to the
/// last feature map only).
/// Shapes: as `TransferAttack`; Grad-CAM maps and masks M, M̄ are [N, 1, H, W] (upsampled from
/// each surrogate's feature grid), the merged gradient [N, C, H, W].
public struct NAMEA: TransferAttack {
    public enum Threshold: Sendable, Equatable {
        case constant(Float)
        /// The released code's per-step schedule.
        case code
    }
    public enum Merge: String, Sendable { case momentum, ifgsm }
    public enum Fill: String, Sendable { case noise, zeros, ones }

    public var settings: TransferSettings
    public var threshold: Threshold
    public var merge: Merge
    public var fill: Fill
    /// Ablations: without meta-test G_te = 0; without meta-train G_tr = 0 (the masks still come
    /// from the meta-train iterates, whose gradients are computed but not used).
    public var metaTrain = true
    public var metaTest = true
    /// GSO: γ for the attention-weight gradients of transformer surrogates in meta-test (the
    /// released code's 0.5); nil: exact gradients (the default).
    public var gradientScaling: Float?

    public init(settings: TransferSettings = TransferSettings(), threshold: Threshold = .constant(0.6),
                merge: Merge = .momentum, fill: Fill = .noise, metaTrain: Bool = true, metaTest: Bool = true,
                gradientScaling: Float? = nil) {
        self.settings = settings; self.threshold = threshold; self.merge = merge; self.fill = fill
        self.metaTrain = metaTrain; self.metaTest = metaTest; self.gradientScaling = gradientScaling
    }

    /// Step 3's merged gradient from the accumulated G_tr, G_te and the last attention mask M
    /// (1 = attended; shaped like the gradients).
    public static func merged(_ gTr: Tensor, _ gTe: Tensor, attended: Tensor, rule: Merge) -> Tensor {
        let nonAttention = attended.map { 1 - $0 }
        switch rule {
        case .momentum: return norm1(norm1(gTr) + norm1(gTe) * nonAttention)
        case .ifgsm: return gTr * attended + gTe * nonAttention
        }
    }

    func eta(step j: Int, of k: Int) -> Float {
        switch threshold {
        case let .constant(v): return v
        case .code: return j < k / 2 ? 0.63 : (j < 3 * k / 4 ? 0.65 : 0.85)
        }
    }

    public func run(surrogates: [Model], images: Tensor, labels: [Int], generator: inout RandomGenerator) -> TransferResult {
        precondition(!surrogates.isEmpty, "NAMEA: needs at least one surrogate")
        var cost = Cost()
        let threat = settings.threat
        let (batch, h, w) = (images.shape[0], images.shape[2], images.shape[3])
        var adv = images, big = Tensor(zeros: images.shape)
        var lastMask = Tensor(zeros: [batch, 1, h, w])
        for _ in 0..<settings.steps {
            let order = innerOrder(models: surrogates.count, &generator)
            // 1. Meta-train, keeping each step's attention mask.
            var xTr = adv, gTr = Tensor(zeros: images.shape)
            var attended: [Tensor] = []
            for (j, n) in order.enumerated() {
                let input = Variable(xTr, requiresGrad: true)
                let diversified = settings.diversify(input, &generator)
                let out = surrogates[n].forward(diversified)
                let grad = crossEntropy(out.logits, labels: labels, reduction: .sum).gradients(wrt: [input])[0]
                // The map at x_tr: with DI applied, from a forward pass of the untransformed image.
                let transformed = diversified !== input
                let plain = transformed ? surrogates[n].forward(Variable(xTr, requiresGrad: true)) : out
                let map = AttentionMap.gradCAM(plain, classes: labels, inputSize: (h, w))
                cost.forwardPasses += batch * (transformed ? 2 : 1); cost.gradientEvaluations += batch; cost.attentionMaps += batch
                let threshold = eta(step: j, of: order.count)
                attended.append(map.map { $0 >= threshold ? 1 : 0 })
                gTr = gTr * settings.momentum + norm1(settings.smooth(grad))
                xTr = threat.project(xTr + gTr.sign() * settings.stepSize, around: images)
            }
            // 2. Meta-test on the non-attention area.
            var xTe = adv, gTe = Tensor(zeros: images.shape)
            for (j, n) in order.enumerated() where metaTest {
                let mask = attended[j] + Tensor(zeros: images.shape)          // broadcast over channels
                let keep = mask.map { 1 - $0 }
                let filler: Tensor
                switch fill {
                case .noise: filler = (generator.normal(shape: images.shape) * mask).clamped(0, 1)
                case .zeros: filler = Tensor(zeros: images.shape)
                case .ones: filler = mask
                }
                xTe = (xTe * keep + filler).clamped(0, 1)
                let grad = withScaledAttentionGradients(surrogates[n], gradientScaling) {
                    crossEntropyGradient({ surrogates[n].logits($0) }, at: xTe, labels: labels, settings: settings,
                                         generator: &generator, cost: &cost)
                }
                gTe += norm1(settings.smooth(grad))
                xTe = threat.project(xTe + gTe.sign() * settings.stepSize, around: images)
            }
            // 3. Merge and step.
            let g = Self.merged(metaTrain ? gTr : Tensor(zeros: images.shape), gTe,
                                attended: attended.last! + Tensor(zeros: images.shape), rule: merge)
            big = big * settings.momentum + g
            adv = threat.project(adv + big.sign() * settings.stepSize, around: images)
            lastMask = attended.last!.map { 1 - $0 }
        }
        return TransferResult(adversarial: adv, cost: cost, nonAttentionMask: lastMask)
    }

    /// `body` with the attention-weight gradients of `model` scaled by γ (GSO), restored after.
    func withScaledAttentionGradients<T>(_ model: Model, _ gamma: Float?, _ body: () -> T) -> T {
        guard let gamma else { return body() }
        let layers = model.descendants.compactMap { $0 as? MultiheadSelfAttention }
        for layer in layers { layer.weightGradientScale = gamma }
        defer { for layer in layers { layer.weightGradientScale = 1 } }
        return body()
    }
}
