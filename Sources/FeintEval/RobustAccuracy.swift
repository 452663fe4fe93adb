import FeintAttacks
import FeintCore
import FeintModels
import Foundation

/// Robust accuracy of a model under a white-box attack: the share of images the model still
/// classifies correctly after the attack (an image misclassified when clean counts as broken).
public struct RobustEvaluation: Codable, Sendable {
    public struct Sample: Codable, Sendable {
        public var index: Int
        public var label: Int
        public var cleanPrediction: Int
        public var adversarialPrediction: Int
        public var robust: Bool
        public var linf: Float
        public var l2: Float
        public var loss: Float
    }

    public var model: String
    /// The weights file's SHA-256 and the model's data set (nil: not recorded).
    public var modelSHA256: String? = nil
    public var dataset: String? = nil
    public var attack: String
    public var settings: [String: String]
    public var seed: UInt64
    public var images: Int
    public var cleanAccuracy: Double
    public var robustAccuracy: Double
    /// Robust accuracy after restart 1, 2, … (cumulative worst case).
    public var robustAfterRestart: [Double]
    public var gradientEvaluations: Int
    public var forwardPasses: Int
    /// Wall time of the whole evaluation (data, attack, re-measured predictions).
    public var seconds: Double
    public var gradientEvaluationsPerSecond: Double
    /// Wall time inside the attack's `run` alone, and the gradient evaluations per second of
    /// that time: the attack loop's own throughput, comparable with `feint perf`'s attack step.
    public var attackSeconds: Double
    public var attackGradientEvaluationsPerSecond: Double
    /// The Feint version that produced this (nil in results written before it was recorded).
    public var version: String?
    public var samples: [Sample]
}

public enum RobustAccuracy {
    /// Attacks `data` in batches (batch b draws from a generator seeded with (seed, b)), with the
    /// model frozen and in evaluation mode, and re-measures predictions on the returned images.
    /// `progress(done, total)` is called after each batch.
    public static func evaluate(_ model: Model, attack: any WhiteBoxAttack, description: String, settings: [String: String],
                                data: LabeledImages, batchSize: Int = 128, seed: UInt64,
                                progress: (Int, Int) -> Void = { _, _ in }) -> RobustEvaluation {
        let trainable = model.parameters.map(\.requiresGrad)
        model.setRequiresGrad(false)
        model.setTraining(false)
        defer { for (p, t) in zip(model.parameters, trainable) { p.requiresGrad = t } }
        let n = data.count
        var samples: [RobustEvaluation.Sample] = []
        var remaining: [Double] = []
        var cost = Cost()
        let start = Date()
        var attackSeconds = 0.0
        var batchStart = 0, batchIndex: UInt64 = 0
        while batchStart < n {
            let end = min(n, batchStart + batchSize)
            let (x, labels) = data.batch(batchStart..<end)
            var generator = RandomGenerator.forBatch(Int(batchIndex), seed: seed)
            let attackStart = Date()
            let result = attack.run(on: model, images: x, goal: .untargeted(labels: labels), generator: &generator)
            attackSeconds += Date().timeIntervalSince(attackStart)
            cost = cost + result.cost
            let clean = model.logits(Variable(x)).value.argmaxLastAxis()
            let adversarial = model.logits(Variable(result.adversarial)).value.argmaxLastAxis()
            let (linf, l2) = ((result.adversarial - x).rowMaxAbs(), (result.adversarial - x).rowNorms())
            for i in 0..<labels.count {
                samples.append(.init(index: batchStart + i, label: labels[i], cleanPrediction: clean[i],
                                     adversarialPrediction: adversarial[i],
                                     robust: clean[i] == labels[i] && adversarial[i] == labels[i],
                                     linf: linf[i], l2: l2[i], loss: result.loss[i]))
            }
            let count = Double(labels.count)
            if remaining.isEmpty { remaining = Array(repeating: 0, count: result.remainingAfterRestart.count) }
            // Each share is k/count of the batch: accumulate the whole number k, not k/count·count.
            for (r, v) in result.remainingAfterRestart.enumerated() { remaining[r] += (v * count).rounded() }
            batchStart = end
            batchIndex += 1
            progress(end, n)
        }
        let seconds = Date().timeIntervalSince(start)
        let cleanCorrect = samples.filter { $0.cleanPrediction == $0.label }.count
        var evaluation = RobustEvaluation(model: model.name, attack: description, settings: settings, seed: seed, images: n,
                                cleanAccuracy: Double(cleanCorrect) / Double(max(n, 1)),
                                robustAccuracy: Double(samples.filter(\.robust).count) / Double(max(n, 1)),
                                robustAfterRestart: remaining.map { $0 / Double(max(n, 1)) },
                                gradientEvaluations: cost.gradientEvaluations, forwardPasses: cost.forwardPasses,
                                seconds: seconds, gradientEvaluationsPerSecond: Double(cost.gradientEvaluations) / max(seconds, 1e-9),
                                attackSeconds: attackSeconds,
                                attackGradientEvaluationsPerSecond: Double(cost.gradientEvaluations) / max(attackSeconds, 1e-9),
                                version: FeintVersion.string, samples: samples)
        evaluation.modelSHA256 = model.weightsSHA256
        evaluation.dataset = model.dataset
        return evaluation
    }
}
