import FeintAttacks
import FeintCore
import FeintModels
import Foundation

/// A transfer matrix: rows are attacks crafted on the surrogates, columns are target models
/// (the surrogates themselves included as white-box columns). Success metrics, named as in the
/// literature (REFERENCES §0): `fooled` = 1 − accuracy on the adversarial images, over all
/// images; `fooledOfCorrect` = among images the target classifies correctly when clean, the share
/// misclassified when adversarial; `changed` = share whose prediction differs from the clean one.
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
        /// "cnn", "transformer", "all" → mean `fooled` over the held-out targets of that family.
        public var averages: [String: Double]
        public var cost: Cost
        public var seconds: Double
        /// Per target, the adversarial prediction of every image.
        public var predictions: [String: [Int]]
    }
    public struct Column: Codable, Sendable {
        public var name: String
        public var family: String
        public var surrogate: Bool
        public var cleanAccuracy: Double
    }

    public var images: Int
    public var epsilon: Float
    public var steps: Int
    public var seed: UInt64
    public var columns: [Column]
    public var rows: [Row]
    public var labels: [Int]

    /// Runs every attack on `data` (in batches; batch b draws from a generator seeded with
    /// (seed, b)) and evaluates the results on every target and surrogate.
    public static func evaluate(attacks: [(String, any TransferAttack)], surrogates: [Model], targets: [Model],
                                data: LabeledImages, batchSize: Int = 100, seed: UInt64,
                                progress: (String, Int, Int) -> Void = { _, _, _ in }) -> TransferMatrix {
        let models = surrogates + targets.filter { t in !surrogates.contains { $0 === t } }
        for m in models { m.setRequiresGrad(false); m.setTraining(false) }
        let clean = Dictionary(uniqueKeysWithValues: models.map { ($0.name, $0.predict(data.images).argmaxLastAxis()) })
        let columns = models.map { m in
            Column(name: m.name, family: m.spec.family, surrogate: surrogates.contains { $0 === m },
                   cleanAccuracy: Double(zip(clean[m.name]!, data.labels).filter { $0 == $1 }.count) / Double(max(data.count, 1)))
        }
        var rows: [Row] = []
        for (name, attack) in attacks {
            var adversarial: [Float] = []
            var cost = Cost()
            let start = Date()
            var b = 0, index: UInt64 = 0
            while b < data.count {
                let end = min(data.count, b + batchSize)
                let (x, y) = data.batch(b..<end)
                var generator = RandomGenerator(seed: seed &* 0x9E37_79B9 &+ index)
                let result = attack.run(surrogates: surrogates, images: x, labels: y, generator: &generator)
                adversarial += result.adversarial.scalars.map { Float(ImageQuantization.level($0)) / 255 }
                cost = cost + result.cost
                b = end; index += 1
                progress(name, end, data.count)
            }
            let seconds = Date().timeIntervalSince(start)
            let adv = Tensor(shape: data.images.shape, scalars: adversarial)
            var cells: [String: Cell] = [:], predictions: [String: [Int]] = [:]
            for m in models {
                let p = m.predict(adv).argmaxLastAxis(), c = clean[m.name]!
                predictions[m.name] = p
                let correct = (0..<data.count).filter { c[$0] == data.labels[$0] }
                cells[m.name] = Cell(
                    fooled: Double((0..<data.count).filter { p[$0] != data.labels[$0] }.count) / Double(max(data.count, 1)),
                    fooledOfCorrect: Double(correct.filter { p[$0] != data.labels[$0] }.count) / Double(max(correct.count, 1)),
                    changed: Double((0..<data.count).filter { p[$0] != c[$0] }.count) / Double(max(data.count, 1)))
            }
            var averages: [String: Double] = [:]
            let heldOut = columns.filter { !$0.surrogate }
            for family in ["cnn", "transformer", "all"] {
                let members = heldOut.filter { family == "all" || $0.family == family }
                if !members.isEmpty { averages[family] = members.map { cells[$0.name]!.fooled }.reduce(0, +) / Double(members.count) }
            }
            rows.append(Row(attack: name, cells: cells, averages: averages, cost: cost, seconds: seconds, predictions: predictions))
        }
        let first = attacks.first?.1.settings
        return TransferMatrix(images: data.count, epsilon: first?.epsilon ?? 0, steps: first?.steps ?? 0, seed: seed,
                              columns: columns, rows: rows, labels: data.labels)
    }

    /// The `fooled` matrix as a Markdown table (percent), white-box columns marked with *.
    public func markdown() -> String {
        var lines = ["| attack | " + columns.map { "\($0.name)\($0.surrogate ? "*" : "")" }.joined(separator: " | ")
                     + " | CNN avg | transformer avg | overall | grad evals / image | seconds |"]
        lines.append("|---|" + String(repeating: "---:|", count: columns.count + 5))
        lines.append("| clean accuracy | " + columns.map { String(format: "%.1f", 100 * $0.cleanAccuracy) }.joined(separator: " | ")
                     + " | | | | | |")
        for row in rows {
            func pct(_ v: Double?) -> String { v.map { String(format: "%.1f", 100 * $0) } ?? "–" }
            lines.append("| \(row.attack) | " + columns.map { pct(row.cells[$0.name]?.fooled) }.joined(separator: " | ")
                         + " | \(pct(row.averages["cnn"])) | \(pct(row.averages["transformer"])) | \(pct(row.averages["all"])) | "
                         + "\(row.cost.gradientEvaluations / max(images, 1)) | \(String(format: "%.0f", row.seconds)) |")
        }
        return lines.joined(separator: "\n")
    }
}

/// 8-bit storage of pixels in [0, 1] (round to nearest), as PNG files hold them.
public enum ImageQuantization {
    public static func level(_ v: Float) -> UInt8 { UInt8(Swift.min(Swift.max(v, 0), 1) * 255 + 0.5) }
}
