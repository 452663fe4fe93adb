import FeintCore
import FeintEval
import FeintModels
import Testing

@Suite("Black-box evaluation")
struct BlackBoxEvaluationTests {
    /// The aggregates by hand: queries and final L2 over successes only; Boundary's L2 after q
    /// queries at curve entry q/100 − 1, the final L2 for a curve that ended sooner (a success at
    /// 9 999 queries has 99 entries), ∞ with no adversarial start yet.
    @Test func aggregatesByHand() {
        let samples: [BlackBoxEvaluation.Sample] = [
            .init(index: 0, label: 0, success: true, queries: 0, l2: 0, linf: 0, curve: []),                      // misclassified clean
            .init(index: 1, label: 1, success: true, queries: 300, l2: 2, linf: 0.5, curve: Array(repeating: 3, count: 99) + []),
            .init(index: 2, label: 2, success: false, queries: 10_000, l2: nil, linf: nil, curve: Array(repeating: nil, count: 100)),
            .init(index: 3, label: 3, success: true, queries: 900, l2: 4, linf: 1, curve: [8] + Array(repeating: 5, count: 49) + Array(repeating: 1, count: 50)),
        ]
        let e = BlackBoxRun.summarize(samples, target: "t", surrogates: [], kind: .boundary, targeted: false, budget: 10_000, seed: 0,
                                      batch: 4, images: 4, seconds: 1)
        #expect(e.successRate == 0.75)
        #expect(e.meanQueries == 400 && e.medianQueries == 300)          // (0 + 300 + 900) / 3, failures left out
        #expect(e.medianL2 == 2)                                         // of 0, 2, 4
        // After 1 000 queries (entry 9): 0 (final, no curve), 3, ∞, 5 → median 4.
        #expect(e.medianL2AtQueries["1000"] == 4)
        // After 10 000 (entry 99): 0, 2 (final: 99 entries), ∞, 1 → median 1.5.
        #expect(e.medianL2AtQueries["10000"] == 1.5)
        let none = BlackBoxRun.summarize([samples[2]], target: "t", surrogates: [], kind: .simba, targeted: false, budget: 10_000,
                                         seed: 0, batch: 1, images: 1, seconds: 1)
        #expect(none.successRate == 0 && none.meanQueries == nil && none.medianL2 == nil && none.medianL2AtQueries.isEmpty)
    }

    @Test(arguments: [BlackBoxRun.Kind.simba, .boundary])
    func resumingFromACheckpointEqualsAnUninterruptedRun(kind: BlackBoxRun.Kind) throws {
        let target = try Model(name: "t", spec: try Catalog.entry("fmnist-lenet5").spec, seed: 3)
        var g = RandomGenerator(seed: 1)
        let data = LabeledImages(images: g.uniform(shape: [5, 1, 28, 28]), labels: [0, 1, 2, 3, 4], classNames: IDX.fashionMNISTClasses)
        func run(resume: BlackBoxEvaluation? = nil, checkpoint: (BlackBoxEvaluation) -> Void = { _ in }) -> BlackBoxEvaluation {
            BlackBoxRun.evaluate(target: target, surrogates: [], kind: kind, data: data, budget: 300, targeted: false,
                                 batchSize: 2, seed: 7, resume: resume, checkpoint: checkpoint)
        }
        var checkpoints: [BlackBoxEvaluation] = []
        let full = run { checkpoints.append($0) }
        // A checkpoint after every batch but the last: 2 and 4 of 5 images.
        #expect(checkpoints.map(\.samples.count) == [2, 4])
        #expect(full.samples.count == 5 && full.batch == 2)
        for saved in checkpoints {
            let resumed = run(resume: saved)
            #expect(resumed.samples.map(\.queries) == full.samples.map(\.queries))
            #expect(resumed.samples.map(\.success) == full.samples.map(\.success))
            #expect(resumed.samples.map(\.l2) == full.samples.map(\.l2))
            #expect(resumed.samples.map(\.curve) == full.samples.map(\.curve))
            #expect(resumed.successRate == full.successRate && resumed.medianQueries == full.medianQueries)
        }
    }
}
