import FeintAttacks
import FeintCore
import FeintModels
import Testing

@Suite("Transfer attacks and attention maps")
struct TransferTests {
    static func surrogates() throws -> [Model] {
        [try Model(name: "cnn", spec: try Catalog.entry("fmnist-lenet5").spec, seed: 1),
         try Model(name: "vit", spec: try Catalog.entry("fmnist-vit-p7").spec, seed: 2)]
    }

    static func batch() -> (Tensor, [Int]) {
        var g = RandomGenerator(seed: 4)
        return (g.uniform(shape: [3, 1, 28, 28]), [1, 4, 7])
    }

    static let settings = TransferSettings(epsilon: 16.0 / 255, steps: 2, diversityProbability: 0.5, translationKernel: 5)
    static let attacks: [(String, any TransferAttack)] = [
        ("I-FGSM", MIFGSM(settings: TransferSettings(epsilon: 16.0 / 255, steps: 2, momentum: 0))),
        ("TI-DI-MI-FGSM / Ens", MIFGSM(settings: settings)),
        ("SMER", SMER(settings: settings)),
        ("SVRE", SVRE(settings: settings)),
        ("AdaEA", AdaEA(settings: settings)),
        ("NAMEA", NAMEA(settings: settings)),
        ("NAMEA code schedule, I-FGSM merge, zero fill", NAMEA(settings: settings, threshold: .code, merge: .ifgsm, fill: .zeros)),
        ("NAMEA without meta-test", NAMEA(settings: settings, metaTest: false)),
        ("NAMEA without meta-train", NAMEA(settings: settings, metaTrain: false)),
        ("NAMEA with gradient scaling", NAMEA(settings: settings, gradientScaling: 0.5)),
    ]

    @Test(arguments: 0..<attacks.count)
    func staysInBallRepeatsAndRaisesSurrogateLoss(index: Int) throws {
        let (name, attack) = Self.attacks[index]
        let models = try Self.surrogates()
        for m in models { m.setRequiresGrad(false) }
        let (x, y) = Self.batch()
        var g1 = RandomGenerator(seed: 8), g2 = RandomGenerator(seed: 8)
        let a = attack.run(surrogates: models, images: x, labels: y, generator: &g1)
        let b = attack.run(surrogates: models, images: x, labels: y, generator: &g2)
        #expect(a.adversarial == b.adversarial, "\(name) is not reproducible")
        #expect((a.adversarial - x).maxAbs() <= 16.0 / 255 + 1e-6)
        #expect(a.adversarial.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        for m in models {
            let before = crossEntropy(m.logits(Variable(x)), labels: y).value.scalar
            let after = crossEntropy(m.logits(Variable(a.adversarial)), labels: y).value.scalar
            #expect(after > before, "\(name) on \(m.name): loss \(before) → \(after)")
        }
        #expect(a.cost.gradientEvaluations > 0)
    }

    /// Steps as large as ε (α = ε, 3 steps) would leave the ball without the projection: every
    /// attack must end on it (some pixel at exactly ε, none beyond), and at ε = 0 return the clean
    /// images bit for bit. (The test above cannot see a missing projection: 2 steps of ε/2.)
    @Test func theProjectionHoldsWhenStepsOvershoot() throws {
        let models = try Self.surrogates()
        for m in models { m.setRequiresGrad(false) }
        let (x, y) = Self.batch()
        func variants(_ s: TransferSettings) -> [(String, any TransferAttack)] {
            [("MI", MIFGSM(settings: s)), ("SMER", SMER(settings: s)), ("SVRE", SVRE(settings: s)), ("AdaEA", AdaEA(settings: s)),
             ("NAMEA", NAMEA(settings: s)), ("NAMEA code, I-FGSM merge, zero fill", NAMEA(settings: s, threshold: .code, merge: .ifgsm, fill: .zeros))]
        }
        let eps: Float = 8.0 / 255
        for (name, attack) in variants(TransferSettings(epsilon: eps, stepSize: eps, steps: 3, diversityProbability: 0.5, translationKernel: 5)) {
            var g = RandomGenerator(seed: 3)
            let delta = (attack.run(surrogates: models, images: x, labels: y, generator: &g).adversarial - x).maxAbs()
            #expect(delta <= eps + 1e-6 && delta >= eps - 1e-6, "\(name): max |δ| \(delta), ε \(eps)")
        }
        for (name, attack) in variants(TransferSettings(epsilon: 0, steps: 2)) {
            var g = RandomGenerator(seed: 3)
            #expect(attack.run(surrogates: models, images: x, labels: y, generator: &g).adversarial == x, "\(name) moved at ε = 0")
        }
    }

    /// Gradient evaluations per image, T steps on N surrogates: Ens T·N (the logit ensemble's
    /// gradient runs every surrogate); SVRE T·(N + N + 4N) (ensemble gradient, the N anchors, the
    /// 4N inner steps); AdaEA T·2N (each model's own, then the weighted ensemble's); SMER T·4N;
    /// NAMEA T·2·4N input gradients and T·4N Grad-CAM maps, with or without DI.
    @Test func costCountsEverySurrogatePass() throws {
        let models = try Self.surrogates()
        for m in models { m.setRequiresGrad(false) }
        let (x, y) = Self.batch()
        let (n, steps, images) = (models.count, 2, x.shape[0])
        let plain = TransferSettings(epsilon: 16.0 / 255, steps: steps)
        var diverse = plain
        diverse.diversityProbability = 1
        let cases: [(any TransferAttack, Int, Int)] = [
            (MIFGSM(settings: plain), steps * n, 0), (SVRE(settings: plain), steps * 6 * n, 0), (AdaEA(settings: plain), steps * 2 * n, 0),
            (SMER(settings: plain), steps * 4 * n, 0), (NAMEA(settings: plain), steps * 8 * n, steps * 4 * n),
            (NAMEA(settings: diverse), steps * 8 * n, steps * 4 * n),
        ]
        for (attack, perImage, maps) in cases {
            var g = RandomGenerator(seed: 1)
            let cost = attack.run(surrogates: models, images: x, labels: y, generator: &g).cost
            #expect(cost.gradientEvaluations == images * perImage, "\(type(of: attack)): \(cost.gradientEvaluations)")
            #expect(cost.attentionMaps == images * maps, "\(type(of: attack)): \(cost.attentionMaps) maps")
        }
    }

    @Test func gradCAMAndRollout() throws {
        let models = try Self.surrogates()
        let (x, y) = Self.batch()
        for m in models {
            m.setRequiresGrad(false)   // frozen, as attacks run them: the input carries the graph
            let out = m.forward(Variable(x, requiresGrad: true))
            let map = AttentionMap.gradCAM(out, classes: y, inputSize: (28, 28))
            #expect(map.shape == [3, 1, 28, 28])
            #expect(map.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
            // Not all zero: the features are on the path to the logits (a ViT bug once made them a
            // side branch with no gradient).
            #expect(map.rowMaxAbs().allSatisfy { $0 == 1 }, "\(m.name): an all-zero Grad-CAM map")
        }
        let roll = AttentionMap.rollout(models[1].forward(Variable(x)), inputSize: (28, 28))
        #expect(roll.shape == [3, 1, 28, 28] && roll.rowMaxAbs().allSatisfy { abs($0 - 1) < 1e-6 })
    }

    /// Rollout as matrix products (later blocks on the left) of ½·I + ½·mean over heads, class
    /// token row, patch columns; Grad-CAM on a ViT's tokens (class token skipped, token-major),
    /// at the token grid and upsampled to the input.
    @Test func rolloutAndViTGradCAMByHand() throws {
        let vit = try Model(name: "vit", spec: try Catalog.entry("fmnist-vit-p7").spec, seed: 2)
        let (x, y) = Self.batch()
        let out = vit.forward(Variable(x, requiresGrad: true))
        let t = out.attention[0].shape[2], heads = out.attention[0].shape[1], side = 4
        #expect(t == 1 + side * side)
        func minMax(_ v: [Float]) -> [Float] {
            let (lo, hi) = (v.min()!, v.max()!)
            return v.map { hi > lo ? ($0 - lo) / (hi - lo) : 0 }
        }
        let rollout = AttentionMap.rollout(out, inputSize: (side, side))
        var eye = Tensor(zeros: [t, t])
        for r in 0..<t { eye.scalars[r * t + r] = 1 }
        for i in 0..<3 {
            var joint = eye
            for layer in out.attention {
                let own = Tensor(shape: [heads, t, t], scalars: Array(layer.scalars[(i * heads * t * t)..<((i + 1) * heads * t * t)]))
                let a = mean(Variable(own), axes: [0]).value * 0.5 + eye * 0.5
                joint = matmul(Variable(a), Variable(joint)).value
            }
            let expected = minMax(Array(joint.scalars[1..<t]))
            let ours = Array(rollout.scalars[(i * side * side)..<((i + 1) * side * side)])
            #expect(zip(ours, expected).allSatisfy { abs($0 - $1) < 1e-4 }, "image \(i)")
        }
        // Grad-CAM: α_d = mean over the 16 patch tokens of ∂z_y/∂A[1 + p, d]; H = ReLU(Σ_d α_d A[1 + p, d]).
        let a = out.features
        let g = sum(pick2(out.logits, y)).gradients(wrt: [a])[0]
        let d = a.shape[2]
        var heat = Tensor(zeros: [3, 1, side, side])
        for i in 0..<3 {
            for c in 0..<d {
                var alpha: Float = 0
                for p in 0..<(side * side) { alpha += g[i, 1 + p, c] }
                alpha /= Float(side * side)
                for p in 0..<(side * side) { heat.scalars[i * side * side + p] += alpha * a.value[i, 1 + p, c] }
            }
        }
        heat = heat.map { max($0, 0) }
        let grid = AttentionMap.gradCAM(out, classes: y, inputSize: (side, side))
        let full = AttentionMap.gradCAM(out, classes: y, inputSize: (28, 28))
        let upsampled = resizeBilinear(Variable(heat), height: 28, width: 28).value
        for i in 0..<3 {
            let expected = minMax(Array(heat.scalars[(i * side * side)..<((i + 1) * side * side)]))
            #expect(zip(grid.scalars[(i * side * side)..<((i + 1) * side * side)], expected).allSatisfy { abs($0 - $1) < 1e-4 })
            let big = minMax(Array(upsampled.scalars[(i * 784)..<((i + 1) * 784)]))
            #expect(zip(full.scalars[(i * 784)..<((i + 1) * 784)], big).allSatisfy { abs($0 - $1) < 1e-4 })
        }
    }

    @Test func gradCAMByHand() throws {
        // A CNN whose features are known: Grad-CAM must equal ReLU(Σ_c mean(∂z_y/∂A_c)·A_c).
        let model = try Model(name: "cnn", spec: try Catalog.entry("fmnist-lenet5").spec, seed: 3)
        let (x, y) = Self.batch()
        let out = model.forward(Variable(x, requiresGrad: true))
        let a = out.features
        let g = sum(pick2(out.logits, y)).gradients(wrt: [a])[0]
        let (c, h, w) = (a.shape[1], a.shape[2], a.shape[3])
        var expected = Tensor(zeros: [3, 1, h, w])
        for i in 0..<3 { for ch in 0..<c {
            var alpha: Float = 0
            for p in 0..<(h * w) { alpha += g[i, ch, p / w, p % w] }
            alpha /= Float(h * w)
            for p in 0..<(h * w) { expected.scalars[i * h * w + p] += alpha * a.value[i, ch, p / w, p % w] }
        } }
        expected = expected.map { max($0, 0) }
        let ours = AttentionMap.gradCAM(out, classes: y, inputSize: (h, w))
        for i in 0..<3 {
            let row = Array(expected.scalars[(i * h * w)..<((i + 1) * h * w)])
            let (lo, hi) = (row.min()!, row.max()!)
            for p in 0..<(h * w) where hi > lo {
                #expect(abs(ours.scalars[i * h * w + p] - (row[p] - lo) / (hi - lo)) < 1e-4)
            }
        }
    }

    @Test func nameaGradientScalingActsOnTransformersOnlyAndIsUndone() throws {
        let models = try Self.surrogates()
        for m in models { m.setRequiresGrad(false) }
        let (x, y) = Self.batch()
        let settings = TransferSettings(epsilon: 16.0 / 255, steps: 2)
        func attack(_ gso: Float?, _ surrogates: [Model]) -> Tensor {
            var g = RandomGenerator(seed: 8)
            return NAMEA(settings: settings, gradientScaling: gso).run(surrogates: surrogates, images: x, labels: y, generator: &g).adversarial
        }
        #expect(attack(0.5, models) != attack(nil, models))            // the ViT's meta-test gradients change
        #expect(attack(0.5, [models[0]]) == attack(nil, [models[0]]))   // a CNN alone: nothing to scale
        let layers = models[1].descendants.compactMap { $0 as? MultiheadSelfAttention }
        #expect(!layers.isEmpty && layers.allSatisfy { $0.weightGradientScale == 1 })
    }

    @Test func nameaMergeRule() {
        // One image, 4 pixels; attended mask [1, 0, 1, 0].
        let gTr = Tensor(shape: [1, 1, 2, 2], scalars: [2, -2, 4, 0])    // mean |·| = 2 → norm1 = [1, −1, 2, 0]
        let gTe = Tensor(shape: [1, 1, 2, 2], scalars: [1, 1, -1, 1])    // mean |·| = 1 → itself
        let m = Tensor(shape: [1, 1, 2, 2], scalars: [1, 0, 1, 0])
        // momentum: norm1([1, −1, 2, 0] + [0, 1, 0, 1]) = norm1([1, 0, 2, 1]) = [1, 0, 2, 1] / 1
        #expect(NAMEA.merged(gTr, gTe, attended: m, rule: .momentum).scalars == [1, 0, 2, 1])
        // I-FGSM: G_tr ⊙ M + G_te ⊙ M̄ = [2, 1, 4, 1]
        #expect(NAMEA.merged(gTr, gTe, attended: m, rule: .ifgsm).scalars == [2, 1, 4, 1])
    }

    @Test func norm1HasUnitMeanMagnitude() {
        var g = RandomGenerator(seed: 1)
        let t = norm1(g.normal(shape: [4, 3, 5, 5]))
        for i in 0..<4 {
            let m = t.scalars[(i * 75)..<((i + 1) * 75)].map { abs($0) }.reduce(0, +) / 75
            #expect(abs(m - 1) < 1e-4)
        }
    }
}

/// z[i, y_i] summed: the Grad-CAM score, written out for the hand check.
func pick2(_ z: Variable, _ y: [Int]) -> Variable {
    var onehot = Tensor(zeros: z.shape)
    for (i, k) in y.enumerated() { onehot[i, k] = 1 }
    return sum(z * Variable(onehot), axes: [1])
}
