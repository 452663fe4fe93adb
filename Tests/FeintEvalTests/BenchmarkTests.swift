import FeintAttacks
import FeintCore
import FeintEval
import FeintModels
import Foundation
import Testing

@Suite("Benchmark runner")
struct BenchmarkTests {
    static func models() throws -> [String: Model] {
        var out: [String: Model] = [:]
        for (name, entry, seed) in [("s-cnn", "fmnist-lenet5", 1), ("s-vit", "fmnist-vit-p7", 2), ("t-cnn", "fmnist-lenet5", 3)] {
            out[name] = try Model(name: name, spec: try Catalog.entry(entry).spec, seed: UInt64(seed))
        }
        return out
    }

    static let spec = BenchSpec(name: "t", images: 10, batch: 2, seed: 5, surrogates: ["s-cnn", "s-vit"], targets: ["t-cnn"],
                                attacks: [TransferAttackSpec(name: "mi", eps: 0.1, steps: 2),
                                          TransferAttackSpec(name: "namea", eps: 0.1, steps: 1, threshold: "code")])

    static func data() -> LabeledImages {
        var g = RandomGenerator(seed: 1)
        return LabeledImages(images: g.uniform(shape: [10, 1, 28, 28]), labels: (0..<10).map { $0 % 10 }, classNames: IDX.fashionMNISTClasses)
    }

    func temporary() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("feint-bench-\(UInt32.random(in: 0...UInt32.max))")
    }

    @Test func shardsMergeToTheUnshardedResult() throws {
        let models = try Self.models()
        let (whole, parts) = (temporary(), temporary())
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: parts) }
        try Benchmark.runShard(Self.spec, shard: 0, of: 1, models: { models[$0]! }, data: Self.data(), directory: whole,
                               resume: false, progress: { _, _, _ in })
        for k in 0..<3 {
            try Benchmark.runShard(Self.spec, shard: k, of: 3, models: { models[$0]! }, data: Self.data(), directory: parts,
                                   resume: false, progress: { _, _, _ in })
        }
        let a = try Benchmark.merge(Self.spec, directories: [whole]), b = try Benchmark.merge(Self.spec, directories: [parts])
        #expect(a.rows.map(\.predictions) == b.rows.map(\.predictions))
        #expect(a.rows.map { $0.cells.mapValues(\.fooled) } == b.rows.map { $0.cells.mapValues(\.fooled) })
        #expect(a.rows.map(\.cost) == b.rows.map(\.cost))
        #expect(a.columns.map(\.cleanAccuracy) == b.columns.map(\.cleanAccuracy))
        try Benchmark.writeReports(b, spec: Self.spec, to: parts)
        for f in ["results.json", "results.md", "results.csv", "heatmap.svg"] {
            #expect(FileManager.default.fileExists(atPath: parts.appendingPathComponent(f).path))
        }
    }

    @Test func missingShardsAndOverwritesAreRefused() throws {
        let models = try Self.models()
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Benchmark.runShard(Self.spec, shard: 0, of: 2, models: { models[$0]! }, data: Self.data(), directory: dir,
                               resume: false, progress: { _, _, _ in })
        #expect(throws: SpecError.self) { try Benchmark.merge(Self.spec, directories: [dir]) }
        #expect(throws: SpecError.self) {
            try Benchmark.runShard(Self.spec, shard: 0, of: 2, models: { models[$0]! }, data: Self.data(), directory: dir,
                                   resume: false, progress: { _, _, _ in })
        }
        // --resume keeps the existing file.
        try Benchmark.runShard(Self.spec, shard: 0, of: 2, models: { models[$0]! }, data: Self.data(), directory: dir,
                               resume: true, progress: { _, _, _ in })
    }

    @Test func aModelOfAnotherDataSetIsRefusedBeforeAnyWork() throws {
        var models = try Self.models()
        models["t-cnn"] = try Model(name: "t-cnn", spec: try Catalog.entry("cifar10-resnet8").spec, seed: 3)   // 3×32×32
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: SpecError.self) {
            try Benchmark.runShard(Self.spec, shard: 0, of: 1, models: { models[$0]! }, data: Self.data(), directory: dir,
                                   resume: false, progress: { _, _, _ in })
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path))
    }

    @Test func specDefaultsApplyToAbsentFields() throws {
        let json = #"{"name": "x", "images": 4, "surrogates": ["a"], "targets": ["b"], "attacks": [{"name": "namea", "eps": 0.1, "fill": "zeros"}]}"#
        let spec = try JSONDecoder().decode(BenchSpec.self, from: Data(json.utf8))
        #expect(spec.batch == 50 && spec.seed == 0)
        #expect(spec.attacks[0].steps == 10 && spec.attacks[0].threshold == "0.6" && spec.attacks[0].metaTest)
        #expect(throws: SpecError.self) { try TransferAttackSpec(name: "namea", eps: 0.1, threshold: "2").make() }
        // GSO: off when absent (and not written back), on with γ in (0, 1].
        let written = String(decoding: try JSONEncoder().encode(spec.attacks[0]), as: UTF8.self)
        #expect(spec.attacks[0].gso == nil && !written.contains("gso"))
        let gso = try #require(try TransferAttackSpec(name: "namea", eps: 0.1, gso: 0.5).make() as? NAMEA)
        #expect(gso.gradientScaling == 0.5)
        #expect(throws: SpecError.self) { try TransferAttackSpec(name: "namea", eps: 0.1, gso: 2).make() }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(BenchSpec.self, from: Data(#"{"name": "x"}"#.utf8)) }
        // Options the named attack would ignore are refused.
        #expect(throws: SpecError.self) { try TransferAttackSpec(name: "smer", eps: 0.1, gso: 0.5).make() }
        #expect(throws: SpecError.self) { try TransferAttackSpec(name: "ens", eps: 0.1, threshold: "code").make() }
        #expect(throws: SpecError.self) { try TransferAttackSpec(name: "di-mi", eps: 0.1, di: 0.7).make() }
        #expect(throws: Never.self) { try TransferAttackSpec(name: "ens", eps: 0.1, di: 0.5).make() }
    }

    /// Shards carry the version that wrote them: a resumed run keeps only its own version's shards
    /// and a merge refuses a mix (a fix between them would change some of the images' results).
    @Test func shardsOfAnotherVersionAreNeitherKeptNorMerged() throws {
        let models = try Self.models()
        let dir = temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        for k in 0..<2 {
            try Benchmark.runShard(Self.spec, shard: k, of: 2, models: { models[$0]! }, data: Self.data(), directory: dir,
                                   resume: false, progress: { _, _, _ in })
        }
        #expect(try Benchmark.merge(Self.spec, directories: [dir]).version == FeintVersion.string)
        let old = dir.appendingPathComponent(Benchmark.shardFile(1, 2))
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: old)) as! [String: Any]
        json["version"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: old)
        #expect(throws: SpecError.self) { try Benchmark.merge(Self.spec, directories: [dir]) }
        #expect(throws: SpecError.self) {
            try Benchmark.runShard(Self.spec, shard: 1, of: 2, models: { models[$0]! }, data: Self.data(), directory: dir,
                                   resume: true, progress: { _, _, _ in })
        }
        // Shards all of another version agree with each other, but are not this version's.
        let first = dir.appendingPathComponent(Benchmark.shardFile(0, 2))
        var other = try JSONSerialization.jsonObject(with: Data(contentsOf: first)) as! [String: Any]
        other["version"] = nil
        try JSONSerialization.data(withJSONObject: other).write(to: first)
        #expect(throws: SpecError.self) { try Benchmark.merge(Self.spec, directories: [dir]) }
    }

    @Test func aSpecWrittenAndReadBackIsTheSameRun() throws {
        let url = temporary()
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.spec.canonicalJSON().write(to: url)
        for _ in 0..<5 { #expect(try BenchSpec.load(url).sameRun(as: Self.spec)) }
        var other = Self.spec
        other.seed += 1
        #expect(try !other.sameRun(as: Self.spec))
    }

    @Test func metricsFollowTheirDefinitions() throws {
        // Two images, one model: clean predictions [0, 1] for labels [0, 0]; adversarial [1, 1].
        let run = TransferRun(firstImage: 0, labels: [0, 0],
                              models: [.init(name: "m", family: "cnn", surrogate: false)], clean: ["m": [0, 1]],
                              attacks: [.init(title: "a", predictions: ["m": [1, 1]], cost: Cost(), seconds: 0)])
        let m = TransferMatrix.summarize([run], epsilon: 0.1, steps: 1, seed: 0)
        let cell = m.rows[0].cells["m"]!
        #expect(cell.fooled == 1)              // both wrong after the attack
        #expect(cell.fooledOfCorrect == 1)     // the one correct clean image is now wrong
        #expect(cell.changed == 0.5)           // one prediction changed
        #expect(m.columns[0].cleanAccuracy == 0.5)
    }

    /// 8-bit rounding stays in the ε-ball for 8-bit clean images, and for off-grid clean pixels
    /// (16-bit or resized inputs) lands on the level nearest the clean pixel when no level is closer.
    @Test func roundingToTheGridKeepsTheBall() {
        func grid(_ a: Float, _ c: Float, _ e: Float) -> Float {
            ImageQuantization.onGrid(Tensor(shape: [1], scalars: [a / 255]), clean: Tensor(shape: [1], scalars: [c / 255]),
                                     epsilon: e / 255).scalars[0] * 255
        }
        #expect(grid(12.6, 10, 3) == 13)      // nearest level, inside
        #expect(grid(12.6, 10, 2.6) == 12)    // nearest is outside: the level on the clean side
        #expect(grid(7.4, 10, 2.6) == 8)
        // Off the grid: c = 10.7, ε = 0.1 (no level within ε): 11, 0.3 away, not 10, 0.7 away.
        #expect(abs(grid(10.75, 10.7, 0.1) - 11) < 1e-4)
        #expect(grid(200, 10, 0) == 10)       // ε = 0 keeps the clean level
        // Off the grid, no tolerance beyond Float noise: 152 is 51.0005 levels from 100.9995.
        #expect(grid(151.9995, 100.9995, 51) == 151)
    }

    /// Rounding away from the clean image lands on 8-bit levels, never shrinks a pixel's
    /// perturbation (in level units) and keeps it within one level of the unrounded one.
    @Test func roundingAwayFromTheCleanImage() {
        var g = RandomGenerator(seed: 4)
        let clean = g.uniform(shape: [1, 6, 6]), adversarial = (clean + g.uniform(shape: [1, 6, 6], low: -0.05, high: 0.05))
        let away = ImageQuantization.awayFromClean(adversarial, clean: clean)
        for i in 0..<away.count {
            let (q, a, c) = (away.scalars[i] * 255, min(max(adversarial.scalars[i], 0), 1) * 255, clean.scalars[i] * 255)
            #expect(abs(q - q.rounded()) < 1e-3)
            #expect(abs(q - c) >= abs(a - c) - 1e-3 && abs(q - a) < 1 + 1e-3)
        }
    }

    /// A pixel pushed to the edge of the ball keeps ⌊ε·255⌋ levels of perturbation from every clean
    /// level, for the budgets the experiments use. (Comparing in Float without a tolerance, levels
    /// 48–63 pushed up by 16/255 fell back to the clean pixel, and ε = 0.0313725 gave 7 levels.)
    @Test func roundingKeepsTheWholePerturbationAtTheEdgeOfTheBall() {
        for epsilon: Float in [0.0313725, 8.0 / 255, 0.0627451, 16.0 / 255, 0.1, 0.2] {
            let steps = Int(epsilon * 255 + ImageQuantization.levelTolerance)
            for level in 0...255 {
                let clean = Float(level) / 255
                for sign: Float in [1, -1] {
                    let pushed = Swift.min(Swift.max(clean + sign * epsilon, 0), 1)
                    let q = ImageQuantization.onGrid(Tensor(shape: [1], scalars: [pushed]), clean: Tensor(shape: [1], scalars: [clean]),
                                                     epsilon: epsilon).scalars[0]
                    let expected = Swift.min(Swift.max(level + Int(sign) * steps, 0), 255)
                    #expect(abs(q * 255 - Float(expected)) < 1e-3, "ε \(epsilon), level \(level), sign \(sign): \(q * 255)")
                }
            }
        }
    }
}
