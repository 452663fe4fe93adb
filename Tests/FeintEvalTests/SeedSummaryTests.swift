import FeintAttacks
import FeintEval
import Testing

@Suite("Seed summaries")
struct SeedSummaryTests {
    @Test func spreadIsMeanAndSampleStandardDeviation() {
        let s = Spread([0.2, 0.4, 0.6])
        #expect(abs(s.mean - 0.4) < 1e-12)
        #expect(abs(s.std - 0.2) < 1e-12)
        #expect(s.min == 0.2 && s.max == 0.6 && s.runs == 3)
        #expect(s.percent == "40.0 ± 20.0")
        #expect(Spread([0.5]).std == 0 && Spread([0.5]).percent == "50.0")
    }

    /// One run: labels [0, 0, 0, 0]; a normal CNN target, a robust CNN target and a surrogate.
    static func run(seed: UInt64, normal: [Int], robust: [Int], clean: [Int] = [0, 0, 0, 0]) -> TransferMatrix {
        let run = TransferRun(firstImage: 0, labels: [0, 0, 0, 0],
                              models: [.init(name: "cnn", family: "cnn", surrogate: false),
                                       .init(name: "cnn-at", family: "cnn", surrogate: false, robust: true),
                                       .init(name: "s", family: "transformer", surrogate: true)],
                              clean: ["cnn": clean, "cnn-at": [0, 0, 0, 0], "s": [0, 0, 0, 0]],
                              attacks: [.init(title: "a", predictions: ["cnn": normal, "cnn-at": robust, "s": [1, 1, 1, 1]],
                                              cost: Cost(), seconds: 1)])
        return TransferMatrix.summarize([run], epsilon: 0.1, steps: 1, seed: seed)
    }

    @Test func robustTargetsAreAveragedApartFromTheirFamily() {
        let m = Self.run(seed: 0, normal: [1, 1, 0, 0], robust: [1, 0, 0, 0])
        #expect(m.rows[0].averages["cnn"] == 0.5)      // the robust CNN is not in the CNN average
        #expect(m.rows[0].averages["robust"] == 0.25)
        #expect(m.rows[0].averages["all"] == 0.5)
        #expect(m.rows[0].averages["transformer"] == nil)   // the only transformer is a surrogate
        #expect(m.markdown().contains("robust avg"))
    }

    @Test func seedsAreSummarisedPerTargetAndAverage() throws {
        let summary = try TransferSeedSummary.summarize([Self.run(seed: 0, normal: [1, 1, 0, 0], robust: [0, 0, 0, 0]),
                                                        Self.run(seed: 1, normal: [1, 1, 1, 1], robust: [1, 0, 0, 0])])
        let row = summary.rows[0]
        #expect(row.fooled["cnn"]!.mean == 0.75 && row.fooled["cnn"]!.min == 0.5 && row.fooled["cnn"]!.max == 1)
        #expect(row.averages["robust"]!.mean == 0.125)
        #expect(summary.seeds == [0, 1])
        #expect(summary.markdown().contains("75.0 ± 35.4"))
        // The other two metrics over the seeds, and the targets' clean accuracy.
        let wrong = try TransferSeedSummary.summarize([Self.run(seed: 0, normal: [1, 1, 1, 1], robust: [0, 0, 0, 0], clean: [0, 0, 1, 1]),
                                                      Self.run(seed: 1, normal: [1, 1, 1, 1], robust: [0, 0, 0, 0], clean: [0, 0, 1, 1])])
        let w = wrong.rows[0]
        #expect(w.fooled["cnn"]!.mean == 1 && w.fooledOfCorrect["cnn"]!.mean == 1 && w.changed["cnn"]!.mean == 0.5)
        #expect(wrong.markdown().contains("| clean accuracy | 50.0 | 100.0 | 100.0 |"))
    }

    /// Two attacks "a" and "b" on one normal CNN target (labels all 0) and a surrogate.
    static func pair(seed: UInt64, a: [Int], b: [Int]) -> TransferMatrix {
        let run = TransferRun(firstImage: 0, labels: [0, 0, 0, 0],
                              models: [.init(name: "cnn", family: "cnn", surrogate: false),
                                       .init(name: "s", family: "transformer", surrogate: true)],
                              clean: ["cnn": [0, 0, 0, 0], "s": [0, 0, 0, 0]],
                              attacks: [.init(title: "a", predictions: ["cnn": a, "s": [1, 1, 1, 1]], cost: Cost(), seconds: 1),
                                        .init(title: "b", predictions: ["cnn": b, "s": [1, 1, 1, 1]], cost: Cost(), seconds: 1)])
        return TransferMatrix.summarize([run], epsilon: 0.1, steps: 1, seed: seed)
    }

    @Test func differencesToAReferenceArePairedBySeed() throws {
        // Seed 0: a fools 3/4, b 1/4 (+0.5); seed 1: a 2/4, b 2/4 (0). Unpaired means differ by 0.25 too,
        // but the paired spread is that of [0.5, 0].
        let summary = try TransferSeedSummary.summarize([Self.pair(seed: 0, a: [1, 1, 1, 0], b: [1, 0, 0, 0]),
                                                        Self.pair(seed: 1, a: [1, 1, 0, 0], b: [0, 0, 1, 1])], reference: "b")
        let d = try #require(summary.rows[0].difference)
        #expect(d["cnn"]!.mean == 0.25 && abs(d["cnn"]!.std - 0.5.squareRoot() / 2) < 1e-12)
        #expect(d["all"]!.mean == 0.25 && d["s"] == nil)     // surrogates are not compared
        #expect(summary.rows[1].difference!["cnn"]!.mean == 0)
        #expect(summary.report.contains("| a | +25.0 ± 35.4 (z 0.6) |"))
        // Discordant images: seed 0 b = 2, c = 0; seed 1 b = 2, c = 2 → means 2 and 1, z = 1/√3.
        #expect(abs(summary.rows[0].mcnemarZ!["cnn"]! - 1 / 3.0.squareRoot()) < 1e-12)
        #expect(!summary.differenceMarkdown().contains("| b |"))
        #expect(Spread([-0.012]).signedPercent == "−1.2" && Spread([0.0004]).signedPercent == "0.0")
        #expect(throws: SpecError.self) { try TransferSeedSummary.summarize([Self.pair(seed: 0, a: [0, 0, 0, 0], b: [0, 0, 0, 0])],
                                                                            reference: "namea") }
    }

    @Test func summariesRefuseMismatchedRunsAndRepeatedSeeds() {
        let a = Self.run(seed: 0, normal: [1, 1, 0, 0], robust: [0, 0, 0, 0])
        #expect(throws: SpecError.self) { try TransferSeedSummary.summarize([a, a]) }
        var b = Self.run(seed: 1, normal: [1, 1, 0, 0], robust: [0, 0, 0, 0])
        b.rows[0].attack = "other"
        #expect(throws: SpecError.self) { try TransferSeedSummary.summarize([a, b]) }
        var c = Self.run(seed: 2, normal: [1, 1, 0, 0], robust: [0, 0, 0, 0])
        #expect(throws: Never.self) { try TransferSeedSummary.summarize([a, c]) }
        c.version = "0.1.0"   // seeds of two Feint versions with different results
        #expect(throws: SpecError.self) { try TransferSeedSummary.summarize([a, c]) }
        c.version = "0.2.0"   // 0.2.1 changed only `feint attack`'s images: the same results
        #expect(throws: Never.self) { try TransferSeedSummary.summarize([a, c]) }
        #expect(FeintVersion.sameResults("0.2.0", "0.2.1") && !FeintVersion.sameResults(nil, "0.2.1") && !FeintVersion.sameResults("0.1.0", "0.2.0"))
    }
}
