import FeintAttacks
import FeintCore
import FeintModels
import Foundation

/// A transferability benchmark: data, surrogates, targets, attacks, seed. JSON, e.g.
/// {"name": "fmnist-transfer", "images": 1000, "batch": 50, "seed": 0,
///  "surrogates": ["fmnist-smallcnn", "fmnist-vit-p4"], "targets": ["fmnist-resnet8"],
///  "attacks": [{"name": "namea", "eps": 0.0314, "steps": 10}]}
public struct BenchSpec: Codable, Sendable {
    public var name: String
    /// Images from the start of the models' test split.
    public var images: Int
    public var batch: Int = 50
    public var seed: UInt64 = 0
    public var surrogates: [String]
    public var targets: [String]
    public var attacks: [TransferAttackSpec]

    enum CodingKeys: String, CodingKey { case name, images, batch, seed, surrogates, targets, attacks }

    /// Absent `batch` and `seed` take their defaults.
    public init(from decoder: any Decoder) throws {
        try rejectUnknownFields(decoder, known: CodingKeys.self, in: "spec")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        images = try c.decode(Int.self, forKey: .images)
        batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? 50
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        surrogates = try c.decode([String].self, forKey: .surrogates)
        targets = try c.decode([String].self, forKey: .targets)
        attacks = try c.decode([TransferAttackSpec].self, forKey: .attacks)
        guard (1...100_000_000).contains(images), (1...100_000).contains(batch), !surrogates.isEmpty, !attacks.isEmpty else {
            throw SpecError("a spec needs images in 1...100000000, batch in 1...100000, at least one surrogate and one attack")
        }
        let models = modelNames, titles = attacks.map(\.title)
        if let twice = models.first(where: { m in models.filter { $0 == m }.count > 1 }) {
            throw SpecError("model \(twice) is named twice (by name or by a file of that name)")
        }
        if let twice = titles.first(where: { t in titles.filter { $0 == t }.count > 1 }) {
            throw SpecError("two attacks are titled \(twice); give one a \"label\"")
        }
    }

    public init(name: String, images: Int, batch: Int = 50, seed: UInt64 = 0, surrogates: [String], targets: [String],
                attacks: [TransferAttackSpec]) {
        self.name = name; self.images = images; self.batch = batch; self.seed = seed
        self.surrogates = surrogates; self.targets = targets; self.attacks = attacks
    }

    public static func load(_ url: URL) throws -> BenchSpec {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw SpecError("\(url.path): cannot be read (\(error.localizedDescription))") }
        do { return try JSONDecoder().decode(BenchSpec.self, from: data) } catch let error as DecodingError {
            throw SpecError("\(url.path): not a valid benchmark spec (\(Self.readable(error)))")
        } catch {
            throw SpecError("\(url.path): not a valid benchmark spec (\(error))")
        }
    }

    /// A decoding error as a user reads it: where in the spec (`attacks[0].eps`) and what.
    static func readable(_ error: DecodingError) -> String {
        func kind(_ type: Any.Type) -> String {
            if type == Int.self || type == UInt64.self { return "a whole number" }
            if type == Double.self || type == Float.self { return "a number" }
            if type == String.self { return "a string" }
            if type == Bool.self { return "true or false" }
            return "\(type)".hasPrefix("Array") ? "a list" : "\(type)".hasPrefix("Dictionary") ? "an object" : "a \(type)"
        }
        func place(_ path: [any CodingKey]) -> String {
            let p = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return p.isEmpty ? "the top level" : String(p.drop { $0 == "." })
        }
        switch error {
        case .dataCorrupted(let c):
            return c.codingPath.isEmpty ? "not valid JSON" : "\(place(c.codingPath)): \(c.debugDescription)"
        case .keyNotFound(let key, let c): return "\(place(c.codingPath + [key])) is missing"
        case .typeMismatch(let type, let c): return "\(place(c.codingPath)) should be \(kind(type))"
        case .valueNotFound(let type, let c): return "\(place(c.codingPath)) should be \(kind(type)), not null"
        @unknown default: return "\(error)"
        }
    }

    /// The spec as pretty JSON with sorted keys: the same spec always gives the same bytes
    /// (an unsorted encoder may order keys differently from one run to the next).
    public func canonicalJSON() throws -> Data { try Benchmark.encoder().encode(self) }

    /// Whether `other` describes the same run (same data, models, attacks and seed).
    public func sameRun(as other: BenchSpec) throws -> Bool { try canonicalJSON() == other.canonicalJSON() }

    /// The surrogates' and targets' names as the loaded models carry them (a `.safetensors`
    /// path gives its file name without the extension).
    public var modelNames: [String] {
        (surrogates + targets).map { $0.hasSuffix(".safetensors") ? URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent : $0 }
    }

    /// Number of batches, the unit of sharding.
    public var batches: Int { (images + batch - 1) / batch }

    /// Batches of shard k of n (contiguous, as even as possible).
    public func batches(shard k: Int, of n: Int) -> Range<Int> { (batches * k / n)..<(batches * (k + 1) / n) }
}

/// Runs shards of a benchmark and merges them into reports.
public enum Benchmark {
    /// File name of a shard's raw result.
    public static func shardFile(_ k: Int, _ n: Int) -> String { "shard-\(k)-of-\(n).json" }

    /// The shard files in `directory`, sorted.
    public static func shardFiles(in directory: URL) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasPrefix("shard-") && $0.hasSuffix(".json") }.sorted()
    }

    /// The shard files of another split into N already in `directory` (a run is split one way).
    public static func otherSplits(in directory: URL, than n: Int) -> [String] {
        shardFiles(in: directory).filter { !$0.hasSuffix("-of-\(n).json") }
    }

    /// Runs shard k of n and writes it to `directory` atomically; with `resume`, an existing shard
    /// file is kept and the run skipped. Returns the shard file.
    @discardableResult
    public static func runShard(_ spec: BenchSpec, shard k: Int, of n: Int, models: (String) throws -> Model, data: LabeledImages,
                                directory: URL, resume: Bool, progress: (String, Int, Int) -> Void) throws -> URL {
        let url = directory.appendingPathComponent(shardFile(k, n))
        if FileManager.default.fileExists(atPath: url.path) {
            guard resume else { throw SpecError("\(url.path) exists (pass --resume to keep it, or choose another --out)") }
            try checkKept(url)
            return url
        }
        try checkData(spec, data)
        let attacks = try spec.attacks.map { ($0.title, try $0.make()) }
        let surrogates = try spec.surrogates.map(models), targets = try spec.targets.map(models)
        for m in surrogates + targets where m.spec.inputShape != data.imageShape {
            throw SpecError("model \(m.name) takes \(m.spec.inputShape) images, the data has \(data.imageShape) (another data set?)")
        }
        let run = TransferRun.make(attacks: attacks, surrogates: surrogates, targets: targets, data: data.prefix(spec.images),
                                   batchSize: spec.batch, batches: spec.batches(shard: k, of: n), seed: spec.seed, progress: progress)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try encoder().encode(run).write(to: url, options: .atomic)
        return url
    }

    /// Refuses data holding fewer images than the spec asks for.
    public static func checkData(_ spec: BenchSpec, _ data: LabeledImages) throws {
        guard data.count >= spec.images else { throw SpecError("the spec asks for \(spec.images) images, the data hold \(data.count)") }
    }

    /// Refuses a finished shard that cannot be read, or was written by a Feint version whose
    /// results differ from this one's (`FeintVersion.sameResults`): kept, they would mix.
    public static func checkKept(_ url: URL) throws {
        let kept: TransferRun
        do { kept = try JSONDecoder().decode(TransferRun.self, from: Data(contentsOf: url)) } catch {
            throw SpecError("\(url.path) is not a readable shard (\(error.localizedDescription)); delete it to run it again")
        }
        guard FeintVersion.sameResults(kept.version, FeintVersion.string) else {
            throw SpecError("\(url.path) was written by Feint \(kept.version ?? "before 0.2.0"), this is \(FeintVersion.string): "
                            + "its results would mix with this version's; choose another --out")
        }
    }

    /// Merges shard files (from one or more folders) into one matrix; checks that every folder
    /// holds a run of `spec` (its spec.json, when present, describes the same run), that the
    /// shards come from one split into N and hold the spec's attacks and models, and that they
    /// cover every image exactly once.
    public static func merge(_ spec: BenchSpec, directories: [URL]) throws -> TransferMatrix {
        var runs: [TransferRun] = [], splits: Set<String> = []
        for dir in directories {
            let files: [String]
            do { files = try FileManager.default.contentsOfDirectory(atPath: dir.path) } catch {
                throw SpecError("\(dir.path): cannot be read (\(error.localizedDescription))")
            }
            let specFile = dir.appendingPathComponent("spec.json")
            if FileManager.default.fileExists(atPath: specFile.path), try !BenchSpec.load(specFile).sameRun(as: spec) {
                throw SpecError("\(dir.path) holds a run of another spec or seed than \(directories[0].path)")
            }
            for f in files.sorted() where f.hasPrefix("shard-") && f.hasSuffix(".json") {
                splits.insert(String(f.dropFirst("shard-".count).drop { $0 != "-" }))
                do { runs.append(try JSONDecoder().decode(TransferRun.self, from: Data(contentsOf: dir.appendingPathComponent(f)))) } catch {
                    throw SpecError("\(dir.appendingPathComponent(f).path): not a shard result (\(error))")
                }
            }
        }
        guard !runs.isEmpty else { throw SpecError("no shard-*.json files in \(directories.map(\.path).joined(separator: ", "))") }
        guard splits.count == 1 else {
            throw SpecError("the shards come from different splits (\(splits.sorted().map { "shard-K\($0)" }.joined(separator: ", "))); merge the shards of one")
        }
        let versions = Set(runs.map { $0.version ?? "before 0.2.0" })
        guard runs.allSatisfy({ FeintVersion.sameResults($0.version, runs[0].version) }) else {
            throw SpecError("the shards come from Feint versions with different results (\(versions.sorted().joined(separator: ", "))); rerun the old ones")
        }
        guard FeintVersion.sameResults(runs[0].version, FeintVersion.string) else {
            throw SpecError("the shards were written by Feint \(versions.sorted().joined(separator: ", ")), this is \(FeintVersion.string); "
                            + "rerun them with this version (or merge them with that one)")
        }
        // One set of weights per model name across the shards (a zoo model may be retrained).
        for m in runs[0].models {
            let digests = Set(runs.compactMap { r in r.models.first { $0.name == m.name }?.sha256 })
            guard digests.count <= 1 else {
                throw SpecError("the shards used different weights for \(m.name) (SHA-256 \(digests.sorted().map { String($0.prefix(12)) }.joined(separator: ", "))); rerun the old ones")
            }
        }
        for r in runs {
            guard r.attacks.map(\.title) == spec.attacks.map(\.title) else {
                throw SpecError("the shard from image \(r.firstImage) holds the attacks \(r.attacks.map(\.title).joined(separator: ", ")), "
                                + "the spec \(spec.attacks.map(\.title).joined(separator: ", "))")
            }
            guard r.models.map(\.name) == spec.modelNames else {
                throw SpecError("the shard from image \(r.firstImage) holds the models \(r.models.map(\.name).joined(separator: ", ")), "
                                + "the spec \(spec.modelNames.joined(separator: ", "))")
            }
        }
        var covered = [Bool](repeating: false, count: spec.images)
        for r in runs {
            for i in r.firstImage..<(r.firstImage + r.labels.count) {
                guard i < spec.images, !covered[i] else { throw SpecError("shards overlap or exceed the spec at image \(i)") }
                covered[i] = true
            }
        }
        if let missing = covered.firstIndex(of: false) { throw SpecError("image \(missing) is in no shard (run the missing shards)") }
        let first = spec.attacks.first
        return TransferMatrix.summarize(runs, epsilon: first?.eps ?? 0, steps: first?.steps ?? 0, seed: spec.seed)
    }

    /// results.json, results.md, results.csv and heatmap.svg in `directory`.
    public static func writeReports(_ matrix: TransferMatrix, spec: BenchSpec, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try encoder().encode(matrix).write(to: directory.appendingPathComponent("results.json"), options: .atomic)
        let md = "# \(spec.name)\n\n`fooled` (%) on \(matrix.images) test images, seed \(spec.seed); * = surrogate (white-box), † = adversarially trained.\n\n"
            + matrix.markdown() + "\n"
        try Data(md.utf8).write(to: directory.appendingPathComponent("results.md"), options: .atomic)
        // One line per attack and model; gradient evaluations and seconds are the attack's totals
        // over all images (the Markdown table shows evaluations per image).
        var csv = "attack,model,surrogate,robust,family,clean_accuracy,fooled,fooled_of_correct,changed,"
            + "gradient_evaluations_total,gradient_evaluations_per_image,seconds_total\n"
        for row in matrix.rows {
            let perImage = Double(row.cost.gradientEvaluations) / Double(max(matrix.images, 1))
            for c in matrix.columns {
                let cell = row.cells[c.name]!
                csv += "\(row.attack),\(c.name),\(c.surrogate),\(c.robust),\(c.family),\(c.cleanAccuracy),\(cell.fooled),"
                    + "\(cell.fooledOfCorrect),\(cell.changed),\(row.cost.gradientEvaluations),\(perImage),\(row.seconds)\n"
            }
        }
        try Data(csv.utf8).write(to: directory.appendingPathComponent("results.csv"), options: .atomic)
        try Data(heatmap(matrix).utf8).write(to: directory.appendingPathComponent("heatmap.svg"), options: .atomic)
    }

    /// The `fooled` matrix as an SVG heatmap (white 0 % → dark red 100 %); * marks surrogates,
    /// † adversarially trained models. The column labels slant up to the right, so the picture
    /// keeps a right margin for the last one.
    public static func heatmap(_ m: TransferMatrix) -> String {
        let cellW = 90, cellH = 28, left = 150, top = 110, right = 130
        let width = left + cellW * m.columns.count + right, height = top + cellH * m.rows.count + 10
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" font-family=\"sans-serif\" font-size=\"12\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for (j, c) in m.columns.enumerated() {
            let x = left + j * cellW + cellW / 2
            svg += "<text transform=\"translate(\(x),\(top - 8)) rotate(-35)\">\(escape(c.name))\(c.surrogate ? "*" : "")\(c.robust ? "†" : "")</text>\n"
        }
        for (i, row) in m.rows.enumerated() {
            let y = top + i * cellH
            svg += "<text x=\"\(left - 8)\" y=\"\(y + cellH / 2 + 4)\" text-anchor=\"end\">\(escape(row.attack))</text>\n"
            for (j, c) in m.columns.enumerated() {
                let v = row.cells[c.name]?.fooled ?? 0
                let shade = Int(255 * (1 - v))
                svg += "<rect x=\"\(left + j * cellW)\" y=\"\(y)\" width=\"\(cellW)\" height=\"\(cellH)\" fill=\"rgb(\(160 + Int(95 * (1 - v))),\(shade),\(shade))\" stroke=\"white\"/>\n"
                svg += "<text x=\"\(left + j * cellW + cellW / 2)\" y=\"\(y + cellH / 2 + 4)\" text-anchor=\"middle\" fill=\"\(v > 0.6 ? "white" : "black")\">\(String(format: "%.1f", 100 * v))</text>\n"
            }
        }
        return svg + "</svg>\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }
}
