import FeintCore
import FeintModels

/// Stochastic mini-batch black-box attack with ensemble reweighing (SMER; Tang et al., CVPR 2024),
/// as the official code (tangbwb/SMER, `MI_FGSM_SMER`) runs it.
///
/// Each outer step runs K = 4N inner steps in the order of 4 concatenated random permutations of
/// the N surrogates. Inner step j attacks one model n with its current ensemble weight w_n:
///   g = ∇ₓ CE(w_n·f_n(x_in), y);
/// at the same x_in the weights take one SGD step (lr 2e-2, weight decay 2e-3) on
/// −log CE(Σ_k w_k f_k(x_in)/N, y), i.e. w += lr·(∇_w CE / CE) − lr·2e-3·w (N forwards, no input
/// gradient; without DI model n's forward is the gradient's own); then
///   G_in += norm1(g);  x_in = Clip(x_in + β·sign(G_in)).
/// The weights start at 1 once per attack and carry over the outer steps. Outer:
///   G = μ·G + norm1(G_in);  x_{t+1} = Clip(x_t + α·sign(G)).   β = α.
/// Shapes: as `TransferAttack` (images [N, C, H, W], N labels → adversarial [N, C, H, W]).
public struct SMER: TransferAttack {
    public var settings: TransferSettings
    public var weightLearningRate: Float = 2e-2
    public var weightDecay: Float = 2e-3

    public init(settings: TransferSettings = TransferSettings()) { self.settings = settings }

    public func run(surrogates: [Model], images: Tensor, labels: [Int], generator: inout RandomGenerator) -> TransferResult {
        let n = surrogates.count, batch = images.shape[0]
        precondition(n >= 1, "SMER: needs at least one surrogate")
        var cost = Cost()
        let threat = settings.threat
        var adv = images, big = Tensor(zeros: images.shape)
        var weights = [Float](repeating: 1, count: n)
        for _ in 0..<settings.steps {
            var xIn = adv, gIn = Tensor(zeros: images.shape)
            for model in innerOrder(models: n, &generator) {
                let w = weights[model]
                let input = Variable(xIn, requiresGrad: true)
                let diversified = settings.diversify(input, &generator)
                let out = surrogates[model].logits(diversified)
                let grad = crossEntropy(out * w, labels: labels, reduction: .sum).gradients(wrt: [input])[0]
                cost.forwardPasses += batch; cost.gradientEvaluations += batch
                // Reweigh at x_in: without DI, model n's logits there are the ones just computed.
                let reuse = diversified === input
                let logits = (0..<n).map { k in k == model && reuse ? out.value : surrogates[k].logits(Variable(xIn)).value }
                cost.forwardPasses += batch * (reuse ? n - 1 : n)
                let wv = Variable(Tensor(shape: [n], scalars: weights), requiresGrad: true)
                var mixed: Variable? = nil
                for k in 0..<n {
                    let term = Variable(logits[k]) * reshape(slice(wv, axis: 0, k..<(k + 1)), [1, 1])
                    mixed = mixed.map { $0 + term } ?? term
                }
                let loss = crossEntropy(mixed! / Float(n), labels: labels)
                let dw = loss.gradients(wrt: [wv])[0]
                let ce = max(loss.value.scalar, 1e-12)
                for k in 0..<n { weights[k] += weightLearningRate * dw.scalars[k] / ce - weightLearningRate * weightDecay * weights[k] }
                gIn += norm1(settings.smooth(grad))
                xIn = threat.project(xIn + gIn.sign() * settings.stepSize, around: images)
            }
            big = big * settings.momentum + norm1(gIn)
            adv = threat.project(adv + big.sign() * settings.stepSize, around: images)
        }
        return TransferResult(adversarial: adv, cost: cost, nonAttentionMask: nil)
    }
}
