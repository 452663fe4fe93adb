import FeintAttacks
import FeintCore
import FeintModels
import Foundation

/// A transfer matrix: rows are attacks crafted on the surrogates, columns are target models
/// (the surrogates themselves included as white-box columns). Success metrics, named as in the
/// literature: `fooled` = 1 − accuracy on the adversarial images, over all
/// images; `fooledOfCorrect` = among images the target classifies correctly when clean, the share
/// misclassified when adversarial; `changed` = share whose prediction differs from the clean one
/// (the attack success rate of NAMEA's released evaluation code).
/// Adversarial images are rounded to 8 bits before evaluation, as a saved PNG would be.
public struct TransferMatrix: Codable, Sendable {
    public struct Cell: Codable, Sendable {
        public var fooled: Double
        public var fooledOfCorrect: Double
        public var changed: Double
    }
    public struct Row: Codable, Sendable {
        public var attack: String
        /// Target name → metrics.
        public var cells: [String: Cell]
        /// "cnn", "transformer", "all" → mean `fooled` over the held-out, normally trained targets
        /// of that family; "robust" → over the held-out adversarially trained targets.
        public var averages: [String: Double]
        public var cost: Cost
        public var seconds: Double
        /// Per target, the adversarial prediction of every image.
        public var predictions: [String: [Int]]
        /// The attack's ε, step, steps, momentum, DI and TI (nil in results written before they
        /// were recorded).
        public var settings: TransferSettings? = nil
    }
    public struct Column: Codable, Sendable {
        public var name: String
        public var family: String
        public var surrogate: Bool
        /// Adversarially trained.
        public var robust: Bool
        public var cleanAccuracy: Double
        /// The weights file's SHA-256 (nil: not recorded).
        public var sha256: String? = nil
    }

    public var images: Int
    public var epsilon: Float
    public var steps: Int
    public var seed: UInt64
    public var columns: [Column]
    public var rows: [Row]
    public var labels: [Int]
    /// The Feint version that produced this (nil in results written before it was recorded).
    public var version: String?

    /// Runs every attack on `data` and evaluates the results on every target and surrogate.
    public static func evaluate(attacks: [(String, any TransferAttack)], surrogates: [Model], targets: [Model],
                                data: LabeledImages, batchSize: Int = 100, seed: UInt64,
                                progress: (String, Int, Int) -> Void = { _, _, _ in }) -> TransferMatrix {
        let run = TransferRun.make(attacks: attacks, surrogates: surrogates, targets: targets, data: data, batchSize: batchSize,
                                   batches: nil, seed: seed, progress: progress)
        let first = attacks.first?.1.settings
        return summarize([run], epsilon: first?.epsilon ?? 0, steps: first?.steps ?? 0, seed: seed)
    }

    /// Metrics from per-image predictions (shards in any order; images must not overlap).
    public static func summarize(_ runs: [TransferRun], epsilon: Float, steps: Int, seed: UInt64) -> TransferMatrix {
        let runs = runs.sorted { $0.firstImage < $1.firstImage }
        let labels = runs.flatMap(\.labels)
        let n = labels.count
        let models = runs.first?.models ?? []
        var clean: [String: [Int]] = [:]
        for m in models { clean[m.name] = runs.flatMap { $0.clean[m.name] ?? [] } }
        let columns = models.map { m in
            Column(name: m.name, family: m.family, surrogate: m.surrogate, robust: m.robust,
                   cleanAccuracy: Double(zip(clean[m.name]!, labels).filter { $0 == $1 }.count) / Double(max(n, 1)), sha256: m.sha256)
        }
        let titles = runs.first?.attacks.map(\.title) ?? []
        var rows: [Row] = []
        for (a, title) in titles.enumerated() {
            var cells: [String: Cell] = [:], predictions: [String: [Int]] = [:]
            let cost = runs.map { $0.attacks[a].cost }.reduce(Cost(), +)
            let seconds = runs.map { $0.attacks[a].seconds }.reduce(0, +)
            for m in models {
                let p = runs.flatMap { $0.attacks[a].predictions[m.name] ?? [] }, c = clean[m.name]!
                predictions[m.name] = p
                let correct = (0..<n).filter { c[$0] == labels[$0] }
                cells[m.name] = Cell(
                    fooled: Double((0..<n).filter { p[$0] != labels[$0] }.count) / Double(max(n, 1)),
                    fooledOfCorrect: Double(correct.filter { p[$0] != labels[$0] }.count) / Double(max(correct.count, 1)),
                    changed: Double((0..<n).filter { p[$0] != c[$0] }.count) / Double(max(n, 1)))
            }
            var averages: [String: Double] = [:]
            let heldOut = columns.filter { !$0.surrogate }
            for family in ["cnn", "transformer", "all", "robust"] {
                let members = heldOut.filter { family == "robust" ? $0.robust : !$0.robust && (family == "all" || $0.family == family) }
                if !members.isEmpty { averages[family] = members.map { cells[$0.name]!.fooled }.reduce(0, +) / Double(members.count) }
            }
            rows.append(Row(attack: title, cells: cells, averages: averages, cost: cost, seconds: seconds, predictions: predictions,
                            settings: runs.first?.attacks[a].settings))
        }
        return TransferMatrix(images: n, epsilon: epsilon, steps: steps, seed: seed, columns: columns, rows: rows, labels: labels,
                              version: runs.first?.version ?? nil)
    }

    /// The `fooled` matrix as a Markdown table (percent), white-box columns marked with *, robust
    /// (adversarially trained) targets with †; a "robust avg" column when there are any.
    public func markdown() -> String {
        let averageKeys = Self.averageKeys(columns)
        var lines = [Self.tableHeader(columns) + " | grad evals / image | seconds |"]
        lines.append("|---|" + String(repeating: "---:|", count: columns.count + averageKeys.count + 2))
        lines.append("| clean accuracy | " + columns.map { String(format: "%.1f", 100 * $0.cleanAccuracy) }.joined(separator: " | ")
                     + String(repeating: " |", count: averageKeys.count + 2) + " |")
        for row in rows {
            func pct(_ v: Double?) -> String { v.map { String(format: "%.1f", 100 * $0) } ?? "–" }
            lines.append("| \(row.attack) | " + columns.map { pct(row.cells[$0.name]?.fooled) }.joined(separator: " | ")
                         + " | " + averageKeys.map { pct(row.averages[$0]) }.joined(separator: " | ") + " | "
                         + "\(row.cost.gradientEvaluations / max(images, 1)) | \(String(format: "%.0f", row.seconds)) |")
        }
        return lines.joined(separator: "\n")
    }
}

extension TransferMatrix {
    /// The averages a table shows: per family and overall, plus "robust" when a held-out target is
    /// adversarially trained.
    static func averageKeys(_ columns: [Column]) -> [String] {
        ["cnn", "transformer", "all"] + (columns.contains { $0.robust && !$0.surrogate } ? ["robust"] : [])
    }

    /// "| attack | model* | … | CNN avg | transformer avg | overall [| robust avg]" (* surrogate,
    /// † adversarially trained), without the closing cost columns.
    static func tableHeader(_ columns: [Column]) -> String {
        "| attack | " + columns.map { "\($0.name)\($0.surrogate ? "*" : "")\($0.robust ? "†" : "")" }.joined(separator: " | ")
            + " | CNN avg | transformer avg | overall" + (averageKeys(columns).contains("robust") ? " | robust avg" : "")
    }
}

/// The raw outcome of transfer attacks on a range of images: per-image predictions of every model,
/// clean and after each attack. Shards of a benchmark are TransferRuns; merging concatenates them.
public struct TransferRun: Codable, Sendable {
    public struct ModelInfo: Codable, Sendable {
        public var name: String; public var family: String; public var surrogate: Bool; public var robust: Bool
        /// The weights file's SHA-256 (nil: a model built in code, or a shard written before 0.2.0 recorded it).
        public var sha256: String?
        public init(name: String, family: String, surrogate: Bool, robust: Bool = false, sha256: String? = nil) {
            self.name = name; self.family = family; self.surrogate = surrogate; self.robust = robust; self.sha256 = sha256
        }
    }
    public struct AttackRun: Codable, Sendable {
        public var title: String
        public var predictions: [String: [Int]]
        public var cost: Cost
        public var seconds: Double
        public var settings: TransferSettings?
        public init(title: String, predictions: [String: [Int]], cost: Cost, seconds: Double, settings: TransferSettings? = nil) {
            self.title = title; self.predictions = predictions; self.cost = cost; self.seconds = seconds; self.settings = settings
        }
    }
    public var firstImage: Int
    public var labels: [Int]
    public var models: [ModelInfo]
    public var clean: [String: [Int]]
    public var attacks: [AttackRun]
    /// The Feint version that attacked these images (nil in shards written before 0.2.0): a
    /// resumed or merged run never mixes versions.
    public var version: String? = FeintVersion.string

    public init(firstImage: Int, labels: [Int], models: [ModelInfo], clean: [String: [Int]], attacks: [AttackRun]) {
        self.firstImage = firstImage; self.labels = labels; self.models = models; self.clean = clean; self.attacks = attacks
    }

    /// Attacks the images of `batches` (all when nil); batch b draws from a generator seeded with
    /// (seed, b), so a shard gives the same images as the same batches of an unsharded run.
    public static func make(attacks: [(String, any TransferAttack)], surrogates: [Model], targets: [Model], data: LabeledImages,
                            batchSize: Int, batches: Range<Int>?, seed: UInt64,
                            progress: (String, Int, Int) -> Void = { _, _, _ in }) -> TransferRun {
        var seen: Set<String> = []   // each model once, by name: a target that is also a surrogate is a white-box column
        let models = (surrogates + targets).filter { seen.insert($0.name).inserted }
        for m in models { m.setRequiresGrad(false); m.setTraining(false) }
        let total = (data.count + batchSize - 1) / batchSize
        let range = batches ?? 0..<total
        let first = min(range.lowerBound * batchSize, data.count), last = min(range.upperBound * batchSize, data.count)
        let part = data.subset(Array(first..<last))
        let clean = Dictionary(uniqueKeysWithValues: models.map { ($0.name, $0.predict(part.images).argmaxLastAxis()) })
        var runs: [AttackRun] = []
        for (title, attack) in attacks {
            var adversarial: [Float] = []
            var cost = Cost()
            let start = Date()
            for b in range {
                let lo = b * batchSize, hi = min(data.count, lo + batchSize)
                guard lo < hi else { continue }
                let (x, y) = data.batch(lo..<hi)
                var generator = RandomGenerator.forBatch(b, seed: seed)
                let result = attack.run(surrogates: surrogates, images: x, labels: y, generator: &generator)
                adversarial += ImageQuantization.onGrid(result.adversarial, clean: x, epsilon: attack.settings.epsilon).scalars
                cost = cost + result.cost
                progress(title, hi - first, last - first)
            }
            let adv = Tensor(shape: part.images.shape, scalars: adversarial)
            runs.append(AttackRun(title: title, predictions: Dictionary(uniqueKeysWithValues: models.map { ($0.name, $0.predict(adv).argmaxLastAxis()) }),
                                  cost: cost, seconds: Date().timeIntervalSince(start), settings: attack.settings))
        }
        return TransferRun(firstImage: first, labels: part.labels,
                           models: models.map { m in ModelInfo(name: m.name, family: m.spec.family, surrogate: surrogates.contains { $0 === m },
                                                             robust: m.isAdversariallyTrained, sha256: m.weightsSHA256) },
                           clean: clean, attacks: runs)
    }
}
