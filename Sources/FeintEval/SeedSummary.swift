import FeintAttacks
import Foundation

/// One transfer benchmark repeated with several seeds (same spec otherwise), summarised per
/// attack as mean ± sample standard deviation over the seeds (`Spread`).
public struct TransferSeedSummary: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public var attack: String
        /// Target name → `fooled` over the seeds.
        public var fooled: [String: Spread]
        /// Target name → `fooledOfCorrect` and `changed` (the NAMEA paper's ASR) over the seeds.
        public var fooledOfCorrect: [String: Spread]
        public var changed: [String: Spread]
        /// "cnn", "transformer", "all", "robust" → the matrix averages over the seeds.
        public var averages: [String: Spread]
        public var gradientEvaluationsPerImage: Double
        public var seconds: Spread
        /// With a reference attack: this attack's `fooled` minus the reference's, paired seed by
        /// seed, per held-out target and per average key.
        public var difference: [String: Spread]?
        /// With a reference attack, per held-out target: McNemar's z = (b − c)/√(b + c), where b
        /// (c) is the number of images this attack fools and the reference does not (and the other
        /// way round), each averaged over the seeds: the evidence from the images themselves, not
        /// only from the attacks' randomness. |z| ≥ 1.96: significant at 5 %.
        public var mcnemarZ: [String: Double]?
        /// The attack's settings (nil in results written before they were recorded).
        public var settings: TransferSettings?
    }

    public var seeds: [UInt64]
    public var images: Int
    public var epsilon: Float
    public var steps: Int
    public var columns: [TransferMatrix.Column]
    public var rows: [Row]
    /// The attack the rows' `difference` is taken to, if any.
    public var reference: String?

    /// Summarises matrices of the same benchmark; they must agree on images, attacks and models.
    /// With `reference` (an attack title), every row also gets its paired difference to it.
    public static func summarize(_ matrices: [TransferMatrix], reference: String? = nil) throws -> TransferSeedSummary {
        guard let first = matrices.first else { throw SpecError("no results to summarise") }
        for m in matrices.dropFirst() {
            guard m.images == first.images, m.labels == first.labels, m.rows.map(\.attack) == first.rows.map(\.attack),
                  m.columns.map(\.name) == first.columns.map(\.name), m.epsilon == first.epsilon, m.steps == first.steps else {
                throw SpecError("results differ in images, ε, steps, attacks or models (seeds \(first.seed) and \(m.seed)); summarise runs of one spec")
            }
        }
        guard Set(matrices.map(\.seed)).count == matrices.count else { throw SpecError("two results have the same seed") }
        let versions = Set(matrices.map { $0.version ?? "unrecorded" })
        guard matrices.allSatisfy({ FeintVersion.sameResults($0.version, first.version) }) else {
            throw SpecError("the results come from Feint versions with different results (\(versions.sorted().joined(separator: ", "))); rerun the old ones")
        }
        let referenceRow = try reference.map { name in
            guard let r = first.rows.firstIndex(where: { $0.attack == name }) else {
                throw SpecError("no attack '\(name)' to compare with (attacks: \(first.rows.map(\.attack).joined(separator: ", ")))")
            }
            return r
        }
        let heldOut = first.columns.filter { !$0.surrogate }.map(\.name)
        let rows = first.rows.indices.map { r in
            let runs = matrices.map { $0.rows[r] }
            var fooled: [String: Spread] = [:], ofCorrect: [String: Spread] = [:], changed: [String: Spread] = [:]
            var averages: [String: Spread] = [:]
            for c in first.columns {
                fooled[c.name] = Spread(runs.map { $0.cells[c.name]!.fooled })
                ofCorrect[c.name] = Spread(runs.map { $0.cells[c.name]!.fooledOfCorrect })
                changed[c.name] = Spread(runs.map { $0.cells[c.name]!.changed })
            }
            for key in first.rows[r].averages.keys { averages[key] = Spread(runs.map { $0.averages[key] ?? 0 }) }
            let evals = runs.map { Double($0.cost.gradientEvaluations) }.reduce(0, +) / Double(runs.count)
            let difference = referenceRow.map { ref in
                let pairs = matrices.map { ($0.rows[r], $0.rows[ref]) }
                var d: [String: Spread] = [:]
                for name in heldOut { d[name] = Spread(pairs.map { $0.0.cells[name]!.fooled - $0.1.cells[name]!.fooled }) }
                for key in first.rows[r].averages.keys {
                    d[key] = Spread(pairs.map { ($0.0.averages[key] ?? 0) - ($0.1.averages[key] ?? 0) })
                }
                return d
            }
            let z = referenceRow.map { ref in
                Dictionary(uniqueKeysWithValues: heldOut.map { name in
                    (name, mcnemar(matrices.map { ($0.rows[r].predictions[name]!, $0.rows[ref].predictions[name]!, $0.labels) }))
                })
            }
            return Row(attack: first.rows[r].attack, fooled: fooled, fooledOfCorrect: ofCorrect, changed: changed, averages: averages,
                       gradientEvaluationsPerImage: evals / Double(max(first.images, 1)), seconds: Spread(runs.map(\.seconds)),
                       difference: difference, mcnemarZ: z, settings: first.rows[r].settings)
        }
        return TransferSeedSummary(seeds: matrices.map(\.seed), images: first.images, epsilon: first.epsilon, steps: first.steps,
                                   columns: first.columns, rows: rows, reference: reference)
    }

    /// McNemar's z from (attack predictions, reference predictions, labels) per seed, with the
    /// discordant counts averaged over the seeds; 0 when the two never disagree.
    static func mcnemar(_ seeds: [([Int], [Int], [Int])]) -> Double {
        var (b, c) = (0.0, 0.0)
        for (a, ref, labels) in seeds {
            for i in labels.indices {
                let (fa, fr) = (a[i] != labels[i], ref[i] != labels[i])
                if fa && !fr { b += 1 } else if fr && !fa { c += 1 }
            }
        }
        (b, c) = (b / Double(seeds.count), c / Double(seeds.count))
        return b + c > 0 ? (b - c) / (b + c).squareRoot() : 0
    }

    /// summary.json and summary.md in `directory`.
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Benchmark.encoder().encode(self).write(to: directory.appendingPathComponent("summary.json"), options: .atomic)
        try Data(report.utf8).write(to: directory.appendingPathComponent("summary.md"), options: .atomic)
    }

    /// The Markdown report: what was summarised, the table, and the differences to the reference.
    public var report: String {
        // One ε and T for the table when every attack shares them (as far as recorded).
        let budgets = Set(rows.compactMap { $0.settings.map { "\($0.epsilon) \($0.steps)" } })
        let budget = budgets.count <= 1 ? "ε = \(epsilon), T = \(steps)" : "ε and T per attack (`settings` in summary.json)"
        var text = "`fooled` (%) on \(images) test images, \(budget), mean ± std over seeds "
            + "\(seeds.map(String.init).joined(separator: ", ")); * = surrogate, † = adversarially trained; `fooledOfCorrect` and "
            + "`changed` (the NAMEA paper's ASR) per target in summary.json.\n\n" + markdown() + "\n"
        if let reference {
            text += "\nDifference to \(reference) in percentage points (each seed's difference, then mean ± std over the seeds; "
                + "positive: fools more than \(reference)); per target also McNemar's z over the images (discordant counts "
                + "averaged over the seeds; |z| ≥ 1.96 is significant at 5 %):\n\n" + differenceMarkdown() + "\n"
        }
        return text
    }

    /// The rows' differences to the reference attack, per held-out target and average.
    public func differenceMarkdown() -> String {
        let targets = columns.filter { !$0.surrogate }
        let keys = TransferMatrix.averageKeys(columns)
        var lines = [TransferMatrix.tableHeader(targets) + " |"]
        lines.append("|---|" + String(repeating: "---:|", count: targets.count + keys.count))
        for row in rows where row.attack != reference {
            guard let d = row.difference else { continue }
            let cells = targets.map { t in
                (d[t.name]?.signedPercent ?? "–") + (row.mcnemarZ?[t.name].map { " (z " + String(format: "%.1f", $0).replacingOccurrences(of: "-", with: "−") + ")" } ?? "")
            }
            lines.append("| \(row.attack) | " + (cells + keys.map { d[$0]?.signedPercent ?? "–" }).joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    /// `fooled` (%) as mean ± std per target and per family average.
    public func markdown() -> String {
        let keys = TransferMatrix.averageKeys(columns)
        var lines = [TransferMatrix.tableHeader(columns) + " | grad evals / image |"]
        lines.append("|---|" + String(repeating: "---:|", count: columns.count + keys.count + 1))
        // The images are the same for every seed, so is each target's clean accuracy.
        lines.append("| clean accuracy | " + columns.map { String(format: "%.1f", 100 * $0.cleanAccuracy) }.joined(separator: " | ")
                     + String(repeating: " |", count: keys.count + 1) + " |")
        for row in rows {
            lines.append("| \(row.attack) | " + columns.map { row.fooled[$0.name]?.percent ?? "–" }.joined(separator: " | ") + " | "
                         + keys.map { row.averages[$0]?.percent ?? "–" }.joined(separator: " | ")
                         + " | \(Int(row.gradientEvaluationsPerImage.rounded())) |")
        }
        return lines.joined(separator: "\n")
    }
}

/// One white-box evaluation repeated with several seeds: robust accuracy and the curve after
/// each restart as mean ± std over the seeds, with every run kept.
public struct RobustSeedSummary: Codable, Sendable {
    public var model: String
    public var attack: String
    public var seeds: [UInt64]
    public var images: Int
    public var cleanAccuracy: Double
    public var robustAccuracy: Spread
    public var robustAfterRestart: [Spread]
    public var gradientEvaluationsPerImage: Spread
    public var seconds: Spread
    public var runs: [RobustEvaluation]

    public init(_ runs: [RobustEvaluation]) {
        precondition(!runs.isEmpty, "RobustSeedSummary of no runs")
        let first = runs[0]
        model = first.model; attack = first.attack; seeds = runs.map(\.seed); images = first.images
        cleanAccuracy = first.cleanAccuracy
        robustAccuracy = Spread(runs.map(\.robustAccuracy))
        robustAfterRestart = first.robustAfterRestart.indices.map { r in Spread(runs.map { $0.robustAfterRestart[r] }) }
        gradientEvaluationsPerImage = Spread(runs.map { Double($0.gradientEvaluations) / Double(max($0.images, 1)) })
        seconds = Spread(runs.map(\.seconds))
        self.runs = runs
    }
}
