import FeintAttacks
import FeintCore
import FeintModels
import Foundation

/// A black-box run over a data set: success rate at the budget, queries over successes, the
/// final perturbation sizes, and for the Boundary attack the median L2 at query checkpoints.
public struct BlackBoxEvaluation: Codable, Sendable {
    public struct Sample: Codable, Sendable {
        /// The image's row in the test split (results written before session 8's fix: its row
        /// among the attacked images, which differs under `--only-correct`).
        public var index: Int
        public var label: Int
        public var success: Bool
        public var queries: Int
        public var l2: Float?
        public var linf: Float?
        /// Every 100 queries: the SimBA objective or the Boundary L2 distance (nil: none yet).
        public var curve: [Float?]
        /// The class a targeted run aimed for (nil: untargeted).
        public var targetClass: Int? = nil

        public init(index: Int, label: Int, success: Bool, queries: Int, l2: Float?, linf: Float?, curve: [Float?], targetClass: Int? = nil) {
            self.index = index; self.label = label; self.success = success; self.queries = queries
            self.l2 = l2; self.linf = linf; self.curve = curve; self.targetClass = targetClass
        }
    }

    public var target: String
    /// The target's weights SHA-256 and data set (nil: not recorded).
    public var targetSHA256: String? = nil
    public var dataset: String? = nil
    public var surrogates: [String]
    public var attack: String
    public var targeted: Bool
    public var budget: Int
    public var seed: UInt64
    /// Images attacked at once; each batch draws from its own stream of `seed`, so the batch size
    /// is part of what makes a run reproducible (nil in results written before it was recorded).
    public var batch: Int?
    public var images: Int
    public var successRate: Double
    public var meanQueries: Double?
    public var medianQueries: Double?
    public var medianL2: Double?
    /// Boundary: median L2 distance after 1 000, 5 000 and 10 000 queries (∞ counted for images
    /// without an adversarial yet; nil when the budget is smaller).
    public var medianL2AtQueries: [String: Double?]
    public var seconds: Double
    /// The Feint version that produced this (nil in results written before it was recorded).
    public var version: String?
    public var samples: [Sample]
}

public enum BlackBoxRun {
    public enum Kind: String, CaseIterable, Sendable {
        case simba, simbaDCT = "simba-dct", simbaODS = "simba-ods", boundary, boundaryODS = "boundary-ods"
    }

    /// Runs `kind` on `data` against `target` (through a query oracle only), in batches.
    ///
    /// `resume` continues an interrupted run from its last checkpoint: its samples are kept and
    /// only the batches after them are attacked; each batch draws from its own stream of `seed`,
    /// so the result equals an uninterrupted run. `checkpoint` receives the evaluation so far
    /// after every batch (write it to disk to make a long run resumable).
    ///
    /// Targeted Boundary runs try as start each image's first `startCandidates` images of
    /// `startPool` (default: `data`) labelled with its target class, in order, until the target
    /// classifies one as that class (every try a counted query); pass the whole test split when
    /// `data` is a prefix. `indices` are the rows of `data` in the test split (recorded per
    /// sample; default 0, 1, …).
    ///
    /// - Precondition: `resume` came from a run of the same data, seed and `batchSize`, so its
    ///   samples end on a whole batch (the CLI checks this before it calls); for targeted runs,
    ///   `startPool` holds an image of every class.
    public static func evaluate(target: Model, surrogates: [Model], kind: Kind, data: LabeledImages, indices: [Int]? = nil,
                                startPool: LabeledImages? = nil, startCandidates: Int = 10,
                                budget: Int, targeted: Bool, batchSize: Int = 100, seed: UInt64, resume: BlackBoxEvaluation? = nil,
                                checkpoint: (BlackBoxEvaluation) -> Void = { _ in },
                                progress: (Int, Int) -> Void = { _, _ in }) -> BlackBoxEvaluation {
        for m in [target] + surrogates { m.setRequiresGrad(false); m.setTraining(false) }
        let indices = indices ?? Array(0..<data.count)
        precondition(indices.count == data.count, "evaluate: \(indices.count) indices for \(data.count) images")
        let classes = target.spec.classNames.count
        var samples = resume?.samples ?? []
        precondition(samples.count == data.count || samples.count % batchSize == 0,
                     "resume: \(samples.count) samples do not end on a batch of \(batchSize)")
        let start = Date(), secondsBefore = resume?.seconds ?? 0
        func summary() -> BlackBoxEvaluation {
            var e = summarize(samples, target: target.name, surrogates: surrogates.map(\.name), kind: kind, targeted: targeted,
                              budget: budget, seed: seed, batch: batchSize, images: data.count,
                              seconds: secondsBefore + Date().timeIntervalSince(start))
            e.targetSHA256 = target.weightsSHA256
            e.dataset = target.dataset
            return e
        }
        var batchStart = samples.count
        while batchStart < data.count {
            let end = min(data.count, batchStart + batchSize)
            let (x, labels) = data.batch(batchStart..<end)
            var generator = RandomGenerator.forBatch(batchStart / batchSize, seed: seed)
            let goal: Goal
            var starts: [Tensor] = [], targetClasses: [Int]?
            if targeted {
                let targets = labels.map { ($0 + 1 + generator.int(below: classes - 1)) % classes }
                targetClasses = targets
                goal = .targeted(labels: labels, targets: targets)
                starts = targetStarts(targets, data: startPool ?? data, candidates: startCandidates)
            } else {
                goal = .untargeted(labels: labels)
            }
            let access: QueryOracle.Access = kind == .boundary || kind == .boundaryODS ? .decisions : .scores
            let oracle = QueryOracle(target, samples: labels.count, budget: budget, access: access)
            let result: BlackBoxResult
            switch kind {
            case .simba: result = SimBA().run(oracle: oracle, images: x, goal: goal, directions: .pixel, generator: &generator)
            case .simbaDCT: result = SimBA().run(oracle: oracle, images: x, goal: goal, directions: .dct(frequencies: x.shape[2] / 2), generator: &generator)
            case .simbaODS: result = SimBA().run(oracle: oracle, images: x, goal: goal, directions: .ods(surrogates: surrogates), generator: &generator)
            case .boundary: result = BoundaryAttack().run(oracle: oracle, images: x, goal: goal, directions: .gaussian, starts: starts, generator: &generator)
            case .boundaryODS:
                result = BoundaryAttack().run(oracle: oracle, images: x, goal: goal, directions: .ods(surrogates: surrogates), starts: starts, generator: &generator)
            }
            for i in 0..<labels.count {
                samples.append(.init(index: indices[batchStart + i], label: labels[i], success: result.success[i], queries: result.queries[i],
                                     l2: result.l2[i].isFinite ? result.l2[i] : nil, linf: result.linf[i].isFinite ? result.linf[i] : nil,
                                     curve: result.curve[i].map { $0.isFinite ? $0 : nil }, targetClass: targetClasses?[i]))
            }
            batchStart = end
            if end < data.count { checkpoint(summary()) }
            progress(end, data.count)
        }
        return summary()
    }

    /// The aggregate figures of `samples` (those attacked so far): success rate; mean and median
    /// queries and median final L2 over the successes; for Boundary, the median L2 after 1 000,
    /// 5 000 and 10 000 queries over every image (a curve shorter than that: its final L2; no
    /// adversarial start yet: ∞).
    public static func summarize(_ samples: [BlackBoxEvaluation.Sample], target: String, surrogates: [String], kind: Kind,
                          targeted: Bool, budget: Int, seed: UInt64, batch: Int, images: Int,
                          seconds: Double) -> BlackBoxEvaluation {
        let successes = samples.filter(\.success)
        let queries = successes.map { Double($0.queries) }
        var atQueries: [String: Double?] = [:]
        if kind == .boundary || kind == .boundaryODS {
            for q in [1000, 5000, 10000] where q <= budget {
                let values = samples.map { s -> Double in
                    let k = q / 100 - 1
                    guard k < s.curve.count else { return s.l2.map(Double.init) ?? .infinity }
                    return s.curve[k].map(Double.init) ?? .infinity
                }
                let m = median(values)
                atQueries["\(q)"] = m.isFinite ? m : nil
            }
        }
        let l2s = successes.compactMap { $0.l2 }.map(Double.init)
        return BlackBoxEvaluation(target: target, surrogates: surrogates, attack: kind.rawValue, targeted: targeted,
                                  budget: budget, seed: seed, batch: batch, images: images,
                                  successRate: Double(successes.count) / Double(max(samples.count, 1)),
                                  meanQueries: queries.isEmpty ? nil : queries.reduce(0, +) / Double(queries.count),
                                  medianQueries: queries.isEmpty ? nil : median(queries),
                                  medianL2: l2s.isEmpty ? nil : median(l2s), medianL2AtQueries: atQueries,
                                  seconds: seconds, version: FeintVersion.string, samples: samples)
    }

    /// Candidate starts for targeted runs: candidate j holds, for each image, the j-th image of
    /// `data` labelled with its target class (the last one again when the class has fewer).
    public static func targetStarts(_ targets: [Int], data: LabeledImages, candidates: Int) -> [Tensor] {
        var rowsOfClass: [Int: [Int]] = [:]
        for (row, label) in data.labels.enumerated() where (rowsOfClass[label]?.count ?? 0) < candidates {
            rowsOfClass[label, default: []].append(row)
        }
        return (0..<candidates).map { j in
            data.images.rows(targets.map { t in
                guard let rows = rowsOfClass[t] else { preconditionFailure("targeted start: no image of class \(t) in the start pool") }
                return rows[min(j, rows.count - 1)]
            })
        }
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
