import FeintCore
import FeintModels

/// Momentum iterative FGSM (Dong et al., CVPR 2018) on one surrogate or on the logit ensemble
/// of several (Ens: Liu et al., ICLR 2017, in Dong et al.'s logit form):
///   g = μ·g + norm1(TI(∇ₓ CE(mean_k f_k(DI(x′)), y)));  x′ = Clip(x′ + α·sign(g)).
/// μ = 0 gives I-FGSM; DI and TI come from `settings`. Common protocol: ε = 16/255,
/// α = 1.6/255, T = 10, μ = 1.
/// Shapes: as `TransferAttack` (images [N, C, H, W], N labels → adversarial [N, C, H, W]).
public struct MIFGSM: TransferAttack {
    public var settings: TransferSettings

    public init(settings: TransferSettings = TransferSettings()) { self.settings = settings }

    public func run(surrogates: [Model], images: Tensor, labels: [Int], generator: inout RandomGenerator) -> TransferResult {
        precondition(!surrogates.isEmpty, "MIFGSM: needs at least one surrogate")
        var cost = Cost()
        var adv = images, g = Tensor(zeros: images.shape)
        let threat = settings.threat
        for _ in 0..<settings.steps {
            let grad = ensembleGradient(surrogates, at: adv, labels: labels, settings: settings, generator: &generator, cost: &cost)
            g = g * settings.momentum + norm1(settings.smooth(grad))
            adv = threat.project(adv + g.sign() * settings.stepSize, around: images)
        }
        return TransferResult(adversarial: adv, cost: cost, nonAttentionMask: nil)
    }
}
