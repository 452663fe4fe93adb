import FeintAttacks
import FeintCore
import FeintModels
import Testing

/// A tiny seeded classifier on 1×8×8 images: conv 3×3 (4 channels), ReLU, linear → 10 classes.
final class TinyNet: Layer, Classifying {
    let conv: Conv2d, fc: Linear
    init(seed: UInt64 = 1) {
        var g = RandomGenerator(seed: seed)
        conv = Conv2d(1, 4, kernel: 3, padding: 1, generator: &g)
        fc = Linear(4 * 64, 10, generator: &g)
        setRequiresGrad(false)
    }
    var children: [(String, any Layer)] { [("conv", conv), ("fc", fc)] }
    func logits(_ x: Variable) -> Variable { fc(flatten(relu(conv(x)))) * 8 }
}

struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let attack: any WhiteBoxAttack
    var testDescription: String { name }
}

@Suite("White-box attack invariants")
struct WhiteBoxInvariantTests {
    static let cases: [Case] = [
        Case(name: "FGSM L∞", attack: FGSM(epsilon: 0.1)),
        Case(name: "FGSM L2", attack: FGSM(epsilon: 0.5, norm: .l2)),
        Case(name: "PGD L∞ zero", attack: PGD(epsilon: 0.1, steps: 5, initialization: .zero)),
        Case(name: "PGD L∞ uniform CE", attack: PGD(epsilon: 0.1, steps: 5, restarts: 2, initialization: .uniform, loss: .crossEntropy)),
        Case(name: "PGD L∞ ODI", attack: PGD(epsilon: 0.1, steps: 5, restarts: 3)),
        Case(name: "PGD L∞ ODI cosine", attack: PGD(epsilon: 0.1, steps: 5, schedule: .cosine)),
        Case(name: "PGD L2 ODI", attack: PGD(epsilon: 0.5, norm: .l2, stepSize: 0.2, steps: 5, restarts: 2)),
        Case(name: "APGD CE", attack: APGD(epsilon: 0.1, steps: 10)),
        Case(name: "APGD DLR", attack: APGD(epsilon: 0.1, steps: 10, restarts: 2, loss: .dlr)),
        Case(name: "APGD L2", attack: APGD(epsilon: 0.5, norm: .l2, steps: 10)),
    ]

    static func batch() -> (Tensor, [Int]) {
        var g = RandomGenerator(seed: 3)
        let x = g.uniform(shape: [12, 1, 8, 8])
        return (x, TinyNet().logits(Variable(x)).value.argmaxLastAxis())   // labels = clean predictions
    }

    @Test(arguments: cases)
    func staysInThreatModelAndRepeats(c: Case) {
        let model = TinyNet()
        let (x, labels) = Self.batch()
        var g1 = RandomGenerator(seed: 7), g2 = RandomGenerator(seed: 7)
        let a = c.attack.run(on: model, images: x, goal: .untargeted(labels: labels), generator: &g1)
        let b = c.attack.run(on: model, images: x, goal: .untargeted(labels: labels), generator: &g2)
        #expect(a.adversarial == b.adversarial && a.success == b.success)
        let sizes = c.attack.threat.sizes(a.adversarial, around: x)
        #expect(sizes.allSatisfy { $0 <= c.attack.threat.epsilon + 1e-6 }, "largest perturbation \(sizes.max()!)")
        #expect(a.adversarial.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Clean labels are the model's predictions, so clean accuracy is 1; success must match
        // the predictions on the returned images.
        let predicted = model.logits(Variable(a.adversarial)).value.argmaxLastAxis()
        #expect(zip(predicted, labels).map { $0 != $1 } == a.success)
        #expect(a.remainingAfterRestart.allSatisfy { $0 <= 1 })
        #expect(zip(a.remainingAfterRestart, a.remainingAfterRestart.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(a.cost.gradientEvaluations > 0)
    }

    @Test func moreRestartsNeverRaiseRobustAccuracy() {
        let model = TinyNet()
        let (x, labels) = Self.batch()
        var previous = 2.0
        for r in [1, 2, 4] {
            var g = RandomGenerator(seed: 11)
            let res = PGD(epsilon: 0.03, steps: 3, restarts: r, initialization: .uniform).run(
                on: model, images: x, goal: .untargeted(labels: labels), generator: &g)
            let robust = res.remainingAfterRestart.last!
            #expect(robust <= previous)
            previous = robust
        }
    }

    @Test func odiStepMovesOutputAlongW() {
        let model = TinyNet()
        let (x, _) = Self.batch()
        var g = RandomGenerator(seed: 5)
        let w = ODS.weights(samples: x.shape[0], classes: 10, generator: &g)
        let (grad, before) = ODS.gradient(model, at: x, weights: w)
        let moved = (x + grad.sign() * 1e-3).clamped(0, 1)
        let after = ODS.gradient(model, at: moved, weights: w).value
        #expect(zip(after, before).allSatisfy { $0 > $1 })
        let unit = ODS.direction(model, at: x, weights: w).rowNorms()
        #expect(unit.allSatisfy { abs($0 - 1) < 1e-5 })
    }

    @Test func targetedAttackReachesTarget() {
        let model = TinyNet()
        let (x, labels) = Self.batch()
        // Target: each image's runner-up class.
        let z = model.logits(Variable(x)).value
        let targets = (0..<12).map { i in (0..<10).filter { $0 != labels[i] }.max { z[i, $0] < z[i, $1] }! }
        var g = RandomGenerator(seed: 2)
        let res = PGD(epsilon: 0.3, stepSize: 0.02, steps: 60, initialization: .zero, loss: .crossEntropy)
            .run(on: model, images: x, goal: .targeted(labels: labels, targets: targets), generator: &g)
        let predicted = model.logits(Variable(res.adversarial)).value.argmaxLastAxis()
        #expect(predicted == targets)
        #expect(res.success.allSatisfy { $0 })
    }

    @Test func apgdCheckpointsFollowThePaper() {
        #expect(APGD(steps: 100).checkpoints == [22, 41, 57, 70, 80, 87, 93, 99])
    }

    /// APGD's step-size rules on scripted objectives (100 steps, 3 samples): the checkpoints fall
    /// where `checkpoints` says; (1) a flat objective halves η at every checkpoint; a rising one
    /// never; (2) an objective that rises every step but stays below its first (best) value halves
    /// η only at checkpoints whose predecessor did not: not at the first (rule (2) starts off),
    /// then every other one. (A bug once compared η with itself, so rule (2) fired at every one.)
    @Test func apgdStepSizeRules() {
        var control = APGDStepControl(steps: 100, initialValues: [0, 0, 10])
        var marks: [Int] = [], halved: [[Int]] = []
        for k in 1...100 {
            let values: [Float] = [0, Float(k), Float(k) * 1e-3]   // flat, rising, rising below the best
            if let reduce = control.record(values).reduce { marks.append(k); halved.append(reduce) }
        }
        #expect(marks == APGD(steps: 100).checkpoints)
        #expect(halved.map { $0.contains(0) } == Array(repeating: true, count: marks.count))
        #expect(halved.allSatisfy { !$0.contains(1) })
        #expect(halved.map { $0.contains(2) } == [false, true, false, true, false, true, false, true])
    }

    /// The L∞ projection keeps |δ| ≤ ε exactly in Float (c + d can round past ε), and the L2
    /// random start is uniform in the ball's volume: at d = 192 pixels nearly all its mass lies
    /// beyond 0.9 ε (a uniform radius would put 90 % of the starts inside).
    @Test func projectionAndRandomStartsKeepTheBall() {
        var g = RandomGenerator(seed: 3)
        let clean = g.uniform(shape: [64, 3, 8, 8])
        for e: Float in [0.1, 8.0 / 255, 16.0 / 255, 0.0313725] {
            let far = clean + g.uniform(shape: clean.shape, low: -1, high: 1)
            let projected = ThreatModel(norm: .linf, epsilon: e).project(far, around: clean)
            #expect(projected.zipMap(clean) { abs($0 - $1) }.scalars.allSatisfy { $0 <= e }, "ε \(e)")
        }
        let gray = Tensor(shape: [64, 3, 8, 8], scalars: Array(repeating: 0.5, count: 64 * 192))
        let starts = ThreatModel(norm: .l2, epsilon: 0.5).randomStart(around: gray, generator: &g)
        #expect((starts - gray).rowNorms().allSatisfy { $0 >= 0.45 && $0 <= 0.5 + 1e-6 })
    }

    @Test func dlrLossValue() {
        // z = (3, 1, 2, 0), y = 0: −(z_y − max_{j≠y} z_j)/(z_π1 − z_π3) = −(3 − 2)/(3 − 1) = −0.5.
        let z = Variable(Tensor(shape: [1, 4], scalars: [3, 1, 2, 0]))
        #expect(AttackLoss.dlr.perSample(z, goal: .untargeted(labels: [0])).value.scalars == [-0.5])
    }
}
