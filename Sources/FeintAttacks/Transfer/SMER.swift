import FeintCore
import FeintModels

/// Stochastic mini-batch black-box attack with ensemble reweighing (SMER; Tang et al., CVPR 2024).
///
/// Each outer step runs K = 4N inner steps in the order of 4 concatenated random permutations of
/// the N surrogates. Inner step j attacks one model n with the current ensemble weight w_n (init 1):
///   G_in += norm1(∇ₓ CE(w_n·f_n(x_in), y));  x_in = Clip(x_in + β·sign(G_in));
/// then the weights take one SGD step (lr 2e-2, weight decay 2e-3) that raises the ensemble loss
/// CE(Σ_k w_k f_k(x_in)/N, y) (N forwards, no input gradient; without DI the next inner step's
/// model keeps its forward graph, so its gradient costs a backward pass only). Outer:
///   G = μ·G + norm1(G_in);  x_{t+1} = Clip(x_t + α·sign(G)).   β = α.
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
        for _ in 0..<settings.steps {
            var xIn = adv, gIn = Tensor(zeros: images.shape)
            var weights = [Float](repeating: 1, count: n)
            let order = innerOrder(models: n, &generator)
            // The next inner step's model, forwarded during the reweighing with its graph kept: its
            // gradient then needs only the backward pass (without DI its input is exactly x_in).
            var recorded: (input: Variable, logits: Variable)? = nil
            for (j, model) in order.enumerated() {
                let w = weights[model]
                let grad: Tensor
                if let r = recorded {
                    let loss = crossEntropy(r.logits * w, labels: labels, reduction: .sum)
                    cost.gradientEvaluations += batch
                    grad = loss.gradients(wrt: [r.input])[0]
                } else {
                    grad = crossEntropyGradient({ surrogates[model].logits($0) * w }, at: xIn, labels: labels, settings: settings,
                                                generator: &generator, cost: &cost)
                }
                recorded = nil
                gIn += norm1(settings.smooth(grad))
                xIn = threat.project(xIn + gIn.sign() * settings.stepSize, around: images)
                // Reweigh: ascend CE(Σ w_k f_k / N) in w.
                let next = j + 1 < order.count && settings.diversityProbability == 0 ? order[j + 1] : nil
                let logits = (0..<n).map { k -> Tensor in
                    guard k == next else { return surrogates[k].logits(Variable(xIn)).value }
                    let input = Variable(xIn, requiresGrad: true)
                    let out = surrogates[k].logits(input)
                    recorded = (input, out)
                    return out.value
                }
                cost.forwardPasses += batch * n
                let wv = Variable(Tensor(shape: [n], scalars: weights), requiresGrad: true)
                var mixed: Variable? = nil
                for k in 0..<n {
                    let term = Variable(logits[k]) * reshape(slice(wv, axis: 0, k..<(k + 1)), [1, 1])
                    mixed = mixed.map { $0 + term } ?? term
                }
                let loss = crossEntropy(mixed! / Float(n), labels: labels)
                let dw = loss.gradients(wrt: [wv])[0]
                for k in 0..<n { weights[k] += weightLearningRate * dw.scalars[k] - weightLearningRate * weightDecay * weights[k] }
            }
            big = big * settings.momentum + norm1(gIn)
            adv = threat.project(adv + big.sign() * settings.stepSize, around: images)
        }
        return TransferResult(adversarial: adv, cost: cost, nonAttentionMask: nil)
    }
}
