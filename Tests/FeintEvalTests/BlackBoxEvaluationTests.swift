import FeintCore
import FeintEval
import FeintModels
import Testing

@Suite("Black-box evaluation")
struct BlackBoxEvaluationTests {
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
