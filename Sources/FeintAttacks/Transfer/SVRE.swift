import FeintCore
import FeintModels

/// Stochastic variance-reduced ensemble attack (SVRE; Xiong et al., CVPR 2022).
///
/// Per outer step: the full ensemble gradient g_ens = ∇CE(mean_k f_k(x_t), y) and each model's
/// g_k(x_t); then M = 4N inner steps, each on a random model k with the variance-reduced gradient
///   g = ∇CE(f_k(x_in), y) − (g_k(x_t) − g_ens),  G_in = μ·G_in + norm1(g),  x_in = Clip(x_in + β·sign(G_in));
/// the outer step uses the last inner momentum: G = μ·G + norm1(G_in), x_{t+1} = Clip(x_t + α·sign(G)).
/// β = α. DI and TI apply to every gradient when set.
/// Shapes: as `TransferAttack` (images [N, C, H, W], N labels → adversarial [N, C, H, W]).
public struct SVRE: TransferAttack {
    public var settings: TransferSettings

    public init(settings: TransferSettings = TransferSettings()) { self.settings = settings }

    public func run(surrogates: [Model], images: Tensor, labels: [Int], generator: inout RandomGenerator) -> TransferResult {
        let n = surrogates.count
        precondition(n >= 1, "SVRE: needs at least one surrogate")
        var cost = Cost()
        let threat = settings.threat
        var adv = images, big = Tensor(zeros: images.shape)
        for _ in 0..<settings.steps {
            let ensemble = ensembleGradient(surrogates, at: adv, labels: labels, settings: settings, generator: &generator, cost: &cost)
            let anchors = surrogates.map { s in
                crossEntropyGradient({ s.logits($0) }, at: adv, labels: labels, settings: settings, generator: &generator, cost: &cost)
            }
            var xIn = adv, gIn = Tensor(zeros: images.shape)
            for _ in 0..<(4 * n) {
                let k = generator.int(below: n)
                let g = crossEntropyGradient({ surrogates[k].logits($0) }, at: xIn, labels: labels, settings: settings,
                                             generator: &generator, cost: &cost)
                gIn = gIn * settings.momentum + norm1(settings.smooth(g - (anchors[k] - ensemble)))
                xIn = threat.project(xIn + gIn.sign() * settings.stepSize, around: images)
            }
            big = big * settings.momentum + norm1(gIn)
            adv = threat.project(adv + big.sign() * settings.stepSize, around: images)
        }
        return TransferResult(adversarial: adv, cost: cost, nonAttentionMask: nil)
    }
}
