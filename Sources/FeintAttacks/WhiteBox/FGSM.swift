import FeintCore
import FeintModels

/// Fast Gradient Sign Method (Goodfellow, Shlens & Szegedy, ICLR 2015):
///   x′ = Clip(x + ε · sign(∇ₓ L(f(x), y)))   (L2: ε · ∇/‖∇‖₂).
/// One gradient evaluation per image; L = cross-entropy by default.
/// Shapes: as `WhiteBoxAttack` (images [N, C, H, W] → adversarial [N, C, H, W], success and loss [N]).
public struct FGSM: WhiteBoxAttack {
    public var threat: ThreatModel
    public var loss: AttackLoss

    public init(epsilon: Float = 8.0 / 255, norm: Norm = .linf, loss: AttackLoss = .crossEntropy) {
        threat = ThreatModel(norm: norm, epsilon: epsilon)
        self.loss = loss
    }

    public func run(on model: any Classifying, images: Tensor, goal: Goal, generator: inout RandomGenerator) -> AttackResult {
        RestartLoop(restarts: 1, earlyExit: true).run(model, images: images, goal: goal, loss: loss, generator: &generator) { x, goal, _, cost in
            let g = objectiveAndGradient(model, x, goal: goal, loss: loss, cost: &cost).gradient
            return threat.project(x + threat.ascentDirection(g) * threat.epsilon, around: x)
        }
    }
}
