import FeintCore
import FeintModels
import Foundation

/// Projected gradient descent (Madry et al., ICLR 2018) with Output Diversified Initialization
/// (Tashiro, Song & Ermon, NeurIPS 2020, arXiv 2003.06878). Threat model L∞ or L2, pixels in [0, 1].
///
/// Per restart (each draws fresh noise and a fresh w ~ U(−1, 1)^C per sample):
///   x′ = Clip(x + U(−ε, ε))                                      (.uniform and .odi; .zero: x′ = x)
///   ODI, N_ODI times:  x′ = Clip(x′ + η_ODI · d(∇ₓ′ wᵀf(x′)))    (η_ODI = ε by default)
///   K times:           x′ = Clip(x′ + α_k · d(∇ₓ′ L(f(x′), y)))
/// with d = sign for L∞ and g/‖g‖₂ for L2; α_k constant or cosine-decayed. Restarts keep the
/// per-sample worst case; with `earlyExit`, samples already fooled skip later restarts (their
/// result cannot change). Paper defaults (CIFAR-10): ε = 8/255, α = 2/255, K = 20, R = 20,
/// margin loss, N_ODI = 2; the argument defaults follow them with α = ε/4.
/// Shapes: as `WhiteBoxAttack` (images [N, C, H, W] → adversarial [N, C, H, W], success and loss [N]).
public struct PGD: WhiteBoxAttack {
    public enum Initialization: Sendable, Equatable {
        case zero, uniform
        /// `steps` ODI steps of size `stepSize` (nil: ε).
        case odi(steps: Int = 2, stepSize: Float? = nil)
    }

    public enum Schedule: String, Sendable, Codable { case constant, cosine }

    public var threat: ThreatModel
    public var stepSize: Float
    public var steps: Int
    public var restarts: Int
    public var initialization: Initialization
    public var loss: AttackLoss
    public var schedule: Schedule
    public var earlyExit: Bool

    public init(epsilon: Float = 8.0 / 255, norm: Norm = .linf, stepSize: Float? = nil, steps: Int = 20, restarts: Int = 1,
                initialization: Initialization = .odi(), loss: AttackLoss = .margin, schedule: Schedule = .constant,
                earlyExit: Bool = true) {
        precondition(steps >= 0 && restarts >= 1, "PGD: steps \(steps) must be ≥ 0 and restarts \(restarts) ≥ 1")
        threat = ThreatModel(norm: norm, epsilon: epsilon)
        self.stepSize = stepSize ?? epsilon / 4
        self.steps = steps; self.restarts = restarts; self.initialization = initialization
        self.loss = loss; self.schedule = schedule; self.earlyExit = earlyExit
    }

    /// Step size of step k (0-based).
    public func stepSize(at k: Int) -> Float {
        switch schedule {
        case .constant: return stepSize
        case .cosine: return stepSize * 0.5 * (1 + Float(cos(Double.pi * Double(k) / Double(max(steps, 1)))))
        }
    }

    public func run(on model: any Classifying, images: Tensor, goal: Goal, generator: inout RandomGenerator) -> AttackResult {
        RestartLoop(restarts: restarts, earlyExit: earlyExit).run(model, images: images, goal: goal, loss: loss,
                                                                  generator: &generator) { x, goal, gen, cost in
            perturb(model, x, goal: goal, generator: &gen, cost: &cost)
        }
    }

    /// One restart's final iterate for every sample, without the clean evaluation and worst-case
    /// bookkeeping of `run` (the inner maximisation of adversarial training).
    public func perturb(_ model: any Classifying, _ x: Tensor, goal: Goal, generator: inout RandomGenerator,
                        cost: inout Cost) -> Tensor {
        var adv = start(model, x, &generator, &cost)
        for k in 0..<steps {
            let g = objectiveAndGradient(model, adv, goal: goal, loss: loss, cost: &cost).gradient
            adv = threat.project(adv + threat.ascentDirection(g) * stepSize(at: k), around: x)
        }
        return adv
    }

    /// The starting point of one restart (after the ODI steps, if any).
    func start(_ model: any Classifying, _ x: Tensor, _ generator: inout RandomGenerator, _ cost: inout Cost) -> Tensor {
        switch initialization {
        case .zero:
            return x
        case .uniform:
            return threat.randomStart(around: x, generator: &generator)
        case let .odi(odiSteps, odiStep):
            var adv = threat.randomStart(around: x, generator: &generator)
            let classes = model.logits(Variable(x.rows([0]))).shape[1]
            cost.forwardPasses += 1
            let w = ODS.weights(samples: x.shape[0], classes: classes, generator: &generator)
            for _ in 0..<odiSteps {
                let g = ODS.gradient(model, at: adv, weights: w).gradient
                cost.forwardPasses += x.shape[0]; cost.gradientEvaluations += x.shape[0]
                adv = threat.project(adv + threat.ascentDirection(g) * (odiStep ?? threat.epsilon), around: x)
            }
            return adv
        }
    }
}
