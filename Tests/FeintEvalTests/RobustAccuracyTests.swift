import FeintAttacks
import FeintCore
import FeintEval
import FeintModels
import Testing

/// `RobustAccuracy.evaluate` on a model with images it gets wrong when clean: those count as
/// broken from the first restart, are never attacked (no gradient spent on them) and come back
/// unchanged; the per-restart curve never rises and ends at the robust accuracy.
@Suite("Robust accuracy")
struct RobustAccuracyTests {
    @Test func imagesMisclassifiedWhenCleanAreBrokenAndNotAttacked() throws {
        let model = try Model(name: "m", spec: try Catalog.entry("fmnist-lenet5").spec, seed: 4)
        var g = RandomGenerator(seed: 2)
        let images = g.uniform(shape: [20, 1, 28, 28])
        let predicted = model.predict(images).argmaxLastAxis()
        // Labels: the model's own prediction for the first 10 images, another class for the rest.
        let labels = (0..<20).map { $0 < 10 ? predicted[$0] : (predicted[$0] + 1) % 10 }
        let data = LabeledImages(images: images, labels: labels, classNames: IDX.fashionMNISTClasses)
        let steps = 3, restarts = 2
        let pgd = PGD(epsilon: 0.05, stepSize: 0.02, steps: steps, restarts: restarts, initialization: .uniform, loss: .margin)
        let r = RobustAccuracy.evaluate(model, attack: pgd, description: "pgd", settings: [:], data: data, batchSize: 8, seed: 0)
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
}
