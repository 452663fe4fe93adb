import FeintAttacks
import FeintCore
import FeintEval
import FeintModels
import Foundation
import Testing

/// `RobustAccuracy.evaluate` on a model with images it gets wrong when clean: those count as
/// broken from the first restart, are never attacked (no gradient spent on them) and come back
/// unchanged; the per-restart curve never rises and ends at the robust accuracy.
@Suite("Robust accuracy")
struct RobustAccuracyTests {
    /// Batches of 8, 7 and 13 (the curve adds each batch's count exactly: 15/104·104 is not 15 in Double).
    @Test(arguments: [8, 7, 13])
    func imagesMisclassifiedWhenCleanAreBrokenAndNotAttacked(batch: Int) throws {
        let model = try Model(name: "m", spec: try Catalog.entry("fmnist-lenet5").spec, seed: 4)
        var g = RandomGenerator(seed: 2)
        let images = g.uniform(shape: [20, 1, 28, 28])
        let predicted = model.predict(images).argmaxLastAxis()
        // Labels: the model's own prediction for the first 10 images, another class for the rest.
        let labels = (0..<20).map { $0 < 10 ? predicted[$0] : (predicted[$0] + 1) % 10 }
        let data = LabeledImages(images: images, labels: labels, classNames: IDX.fashionMNISTClasses)
        let steps = 3, restarts = 2
        let pgd = PGD(epsilon: 0.05, stepSize: 0.02, steps: steps, restarts: restarts, initialization: .uniform, loss: .margin)
        let r = RobustAccuracy.evaluate(model, attack: pgd, description: "pgd", settings: [:], data: data, batchSize: batch, seed: 0)
        #expect(r.cleanAccuracy == 0.5)
        for s in r.samples where s.index >= 10 {
            #expect(!s.robust && s.cleanPrediction != s.label && s.linf == 0, "image \(s.index)")
        }
        #expect(r.robustAccuracy <= 0.5)
        #expect(r.robustAfterRestart.count == restarts && r.robustAfterRestart[0] <= 0.5)
        #expect(zip(r.robustAfterRestart, r.robustAfterRestart.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(r.robustAfterRestart.last == r.robustAccuracy)
        // At most the 10 correctly classified images are attacked, K gradients per restart each.
        #expect(r.gradientEvaluations <= 10 * steps * restarts)
        #expect(r.samples.allSatisfy { $0.linf <= 0.05 })
    }

    /// An attack that hands back, for every image, one fixed image the model puts in class k.
    struct Replace: WhiteBoxAttack {
        let image: Tensor
        var threat: ThreatModel { ThreatModel(norm: .linf, epsilon: 1) }
        func run(on model: any Classifying, images: Tensor, goal: Goal, generator: inout RandomGenerator) -> AttackResult {
            var r = FGSM(epsilon: 0.01).run(on: model, images: images, goal: goal, generator: &generator)
            let n = images.shape[0]
            r.adversarial = Tensor(shape: images.shape, scalars: Array((0..<n).map { _ in image.scalars }.joined()))
            return r
        }
    }

    /// An image the model gets wrong when clean is never robust, even when the attack's output
    /// happens to be classified as its label.
    @Test func robustNeedsTheCleanImageRight() throws {
        // The trained LeNet-5 on bundled test images (an untrained one puts every image in one class).
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let model = try Model.load(repo.appendingPathComponent("Models/fmnist-lenet5.safetensors"), name: "fmnist-lenet5")
        let test = try IDX.fashionMNIST(split: .test, directory: repo.appendingPathComponent("datasets/fashion-mnist")).prefix(7)
        let images = test.subset(Array(1..<7)).images, fixed = test.subset([0]).images.reshaped([1, 28, 28])
        let k = model.predict(fixed.reshaped([1, 1, 28, 28])).argmaxLastAxis()[0]
        let predicted = model.predict(images).argmaxLastAxis()
        // Every label is k: the attack's output is "correct" for all; the clean images predicted
        // otherwise are wrong when clean.
        let data = LabeledImages(images: images, labels: Array(repeating: k, count: 6), classNames: IDX.fashionMNISTClasses)
        let r = RobustAccuracy.evaluate(model, attack: Replace(image: fixed), description: "replace", settings: [:], data: data,
                                        batchSize: 6, seed: 0)
        try #require(predicted.contains { $0 != k }, "every clean image is predicted k: pick another seed")
        for s in r.samples { #expect(s.robust == (predicted[s.index] == k), "image \(s.index)") }
    }
}
