import FeintCore
import FeintEval
import FeintModels
import Foundation
import Testing

/// Runs the built `feint` binary (beside the test bundle) and returns exit code, stdout, stderr.
@discardableResult
func feint(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (code: Int32, out: String, err: String) {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("feint")
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    if !extra.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 } }
    let (out, err) = (Pipe(), Pipe())
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("FeintModelsTests/Fixtures")

/// A scratch folder with a model file and an input folder of images: class subfolders with
/// 8-bit gray PNGs, a 16-bit RGBA PNG, a JPEG, and the broken files.
struct Workspace {
    let root: URL
    var input: URL { root.appendingPathComponent("in") }
    var model: URL { root.appendingPathComponent("tiny.safetensors") }

    init(broken: Bool) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("feint-cli-\(UInt32.random(in: 0...UInt32.max))")
        let fm = FileManager.default
        for c in ["coat", "shirt"] { try fm.createDirectory(at: input.appendingPathComponent(c), withIntermediateDirectories: true) }
        var g = RandomGenerator(seed: 1)
        for i in 0..<3 {
            try ImageCodec.writePNG(g.uniform(shape: [1, 28, 28]), to: input.appendingPathComponent("coat/\(i).png"))
            try ImageCodec.writePNG(g.uniform(shape: [1, 28, 28]), to: input.appendingPathComponent("shirt/\(i).png"))
        }
        try fm.copyItem(at: fixtures.appendingPathComponent("rgba16.png"), to: input.appendingPathComponent("shirt/rgba16.png"))
        try fm.copyItem(at: fixtures.appendingPathComponent("rgb.jpg"), to: input.appendingPathComponent("coat/photo.jpg"))
        if broken {
            try fm.copyItem(at: fixtures.appendingPathComponent("truncated.png"), to: input.appendingPathComponent("coat/corrupt.png"))
            let jpeg = try Data(contentsOf: fixtures.appendingPathComponent("rgb.jpg"))
            try jpeg.prefix(jpeg.count / 2).write(to: input.appendingPathComponent("shirt/truncated.jpg"))
            try Data("this is text".utf8).write(to: input.appendingPathComponent("shirt/notes.png"))
        }
        try Model(name: "tiny", spec: try Catalog.entry("fmnist-lenet5").spec, seed: 3).save(to: model)
    }

    func clean() { try? FileManager.default.removeItem(at: root) }

    func report(_ output: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: output.appendingPathComponent("report.json"))) as! [String: Any]
    }
}

@Suite("Command line")
struct CLITests {
    @Test func attackFolderSucceeds() throws {
        let w = try Workspace(broken: false)
        defer { w.clean() }
        let out = w.root.appendingPathComponent("out")
        let r = try feint(["attack", "--model", w.model.path, "--attack", "pgd", "--eps", "0.2", "--input", w.input.path,
                           "--output", out.path, "--gallery", "--quiet"])
        #expect(r.code == 0, "\(r.err)")
        let report = try w.report(out)
        #expect(report["attacked"] as? Int == 8 && report["failedFiles"] as? Int == 0)
        #expect(report["labels"] as? String == "folders")
        for f in ["coat/0.png", "coat/photo.png", "shirt/rgba16.png", "report.md", "gallery.png"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), "\(f) missing")
        }
        // The saved files stay inside the threat model.
        for record in report["records"] as! [[String: Any]] { #expect((record["linf"] as! Double) <= 0.2 + 1e-6) }
        // No partial files left behind.
        let all = FileManager.default.enumerator(atPath: out.path)!.compactMap { $0 as? String }
        #expect(!all.contains { $0.contains(".partial-") })
    }

    @Test func brokenFilesAreReportedAndTheRestProcessed() throws {
        let w = try Workspace(broken: true)
        defer { w.clean() }
        let out = w.root.appendingPathComponent("out")
        let r = try feint(["attack", "--model", w.model.path, "--attack", "fgsm", "--input", w.input.path, "--output", out.path, "--quiet"])
        #expect(r.code == 3)
        for name in ["corrupt.png", "truncated.jpg", "notes.png"] { #expect(r.err.contains(name), "\(name) not reported") }
        let report = try w.report(out)
        #expect(report["attacked"] as? Int == 8 && report["failedFiles"] as? Int == 3)
    }

    @Test func outputInsideInputIsRefused() throws {
        let w = try Workspace(broken: false)
        defer { w.clean() }
        let r = try feint(["attack", "--model", w.model.path, "--attack", "fgsm", "--input", w.input.path,
                           "--output", w.input.appendingPathComponent("adv").path])
        #expect(r.code == 2 && r.err.contains("inside the input folder"))
        #expect(!FileManager.default.fileExists(atPath: w.input.appendingPathComponent("adv").path))
    }

    @Test func interruptedRunResumes() throws {
        let w = try Workspace(broken: false)
        defer { w.clean() }
        let out = w.root.appendingPathComponent("out")
        let args = ["attack", "--model", w.model.path, "--attack", "pgd", "--steps", "3", "--input", w.input.path, "--output", out.path, "--quiet"]
        #expect(try feint(args).code == 0)
        let whole = try ["coat/1.png", "shirt/2.png"].map { try Data(contentsOf: out.appendingPathComponent($0)) }
        // As if interrupted: two outputs never written, one half-written temporary left.
        try FileManager.default.removeItem(at: out.appendingPathComponent("coat/1.png"))
        try FileManager.default.removeItem(at: out.appendingPathComponent("shirt/2.png"))
        try Data([1, 2, 3]).write(to: out.appendingPathComponent("coat/.1.png.partial-999"))
        let again = try feint(args + ["--resume"])
        #expect(again.code == 0, "\(again.err)")
        let records = try w.report(out)["records"] as! [[String: Any]]
        #expect(records.filter { $0["resumed"] as? Bool == true }.count == 6)
        // The resumed images are the uninterrupted run's, byte for byte (same batches, same draws).
        #expect(try ["coat/1.png", "shirt/2.png"].map { try Data(contentsOf: out.appendingPathComponent($0)) } == whole)
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("coat/.1.png.partial-999").path))   // cleaned up
    }

    /// A resumed black-box run reports the query counts of the images it keeps (from the run's
    /// query journal), the same as the uninterrupted run's.
    @Test func resumedBlackBoxRunKeepsQueryCounts() throws {
        let w = try Workspace(broken: false)
        defer { w.clean() }
        let out = w.root.appendingPathComponent("out")
        let args = ["attack", "--model", w.model.path, "--attack", "simba", "--budget", "60", "--input", w.input.path,
                    "--output", out.path, "--quiet"]
        #expect(try feint(args).code == 0)
        func queries() throws -> [String: Int] {
            let records = try w.report(out)["records"] as! [[String: Any]]
            return Dictionary(uniqueKeysWithValues: records.map { ($0["file"] as! String, $0["queries"] as? Int ?? -1) })
        }
        let whole = try queries()
        #expect(whole.count == 8 && whole.values.allSatisfy { $0 > 0 }, "\(whole)")
        try FileManager.default.removeItem(at: out.appendingPathComponent("shirt/2.png"))
        try FileManager.default.removeItem(at: out.appendingPathComponent("report.json"))
        // An interruption can leave the journal's last line cut short.
        let journal = out.appendingPathComponent(".queries.jsonl")
        let handle = try FileHandle(forWritingTo: journal)
        _ = try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"file\":\"coat/0.p".utf8))
        try handle.close()
        #expect(try feint(args + ["--resume"]).code == 0)
        #expect(try queries() == whole)
        // A fresh run (--force) starts the journal afresh.
        #expect(try feint(args + ["--force"]).code == 0)
        let lines = try String(contentsOf: journal, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 8)
    }

    @Test func noImagesIsATotalFailure() throws {
        let w = try Workspace(broken: false)
        defer { w.clean() }
        let only = w.root.appendingPathComponent("only-broken")
        try FileManager.default.createDirectory(at: only, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: only.appendingPathComponent("a.png"))
        let r = try feint(["attack", "--model", w.model.path, "--attack", "fgsm", "--labels", "predicted", "--input", only.path,
                           "--output", w.root.appendingPathComponent("o").path, "--quiet"])
        #expect(r.code == 4)
    }

    @Test func anUnusableThreadCountIsRefused() throws {
        for value in ["abc", "0", "-2"] {
            let r = try feint(["zoo", "list"], environment: ["FEINT_THREADS": value])
            #expect(r.code == 2 && r.err.contains("FEINT_THREADS=\(value)"), "\(value): \(r.err)")
        }
        #expect(try feint(["zoo", "list"], environment: ["FEINT_THREADS": "1"]).code == 0)
        #expect(try feint(["zoo", "--help"], environment: ["FEINT_THREADS": "abc"]).code == 0)   // help still works
    }

    /// --help after a flag is help; -h as an option's value is that value (a model named "-h").
    @Test func helpWhereAnOptionMayStand() throws {
        let afterFlag = try feint(["attack", "--resume", "--help"])
        #expect(afterFlag.code == 0 && afterFlag.out.contains("Usage: feint attack"))
        let sub = try feint(["bench", "run", "--help"])
        #expect(sub.code == 0 && sub.out.contains("feint bench"))
        let asValue = try feint(["robust", "--model", "-h"])
        #expect(asValue.code == 2 && asValue.err.contains("no model '-h'"), "\(asValue.err)")
    }

    /// ε = 0 with PGD measures clean accuracy: robust equals clean.
    @Test func robustAtZeroEpsilonIsCleanAccuracy() throws {
        let r = try feint(["robust", "--model", "fmnist-lenet5", "--eps", "0", "--n", "20", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        #expect(r.code == 0 && json["robustAccuracy"] as? Double == json["cleanAccuracy"] as? Double, "\(r.err)")
    }

    @Test func versionIsPrinted() throws {
        let r = try feint(["--version"])
        #expect(r.code == 0 && r.out.trimmingCharacters(in: .whitespacesAndNewlines) == "feint \(FeintVersion.string)")
    }

    @Test(arguments: ["demo", "attack", "zoo", "robust", "blackbox", "transfer", "attention", "bench", "perf"])
    func helpForEveryCommand(command: String) throws {
        let r = try feint([command, "--help"])
        #expect(r.code == 0 && r.out.contains("Usage") && r.out.contains("feint \(command)"))
        #expect(r.out.contains("Example") || r.out.contains("example") || command == "perf")
    }

    @Test func robustResultsNameTheWeightsAndData() throws {
        let r = try feint(["robust", "--model", "fmnist-lenet5", "--attack", "fgsm", "--n", "4", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        let run = (json["runs"] as? [[String: Any]])?.first ?? json
        #expect((run["modelSHA256"] as? String)?.count == 64 && run["dataset"] as? String == "fashion-mnist", "\(r.out.prefix(400))")
    }

    @Test func robustSeedsAreSummarised() throws {
        let r = try feint(["robust", "--model", "fmnist-lenet5", "--attack", "fgsm", "--n", "20", "--seeds", "0,1"])
        #expect(r.code == 0)
        #expect(r.out.contains("over seeds 0,1 (mean ± std): robust accuracy"))
    }

    @Test func shardedBenchResumesAndMerges() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feint-bench-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let spec = dir.appendingPathComponent("spec.json")
        try Data(#"{"name": "t", "images": 4, "batch": 2, "surrogates": ["fmnist-lenet5"], "targets": ["fmnist-vit-p7"], "attacks": [{"name": "ens", "eps": 0.05, "steps": 1}]}"#.utf8).write(to: spec)
        let out = dir.appendingPathComponent("run").path
        for k in 0..<2 { #expect(try feint(["bench", "run", spec.path, "--shard", "\(k)/2", "--out", out]).code == 0) }
        let again = try feint(["bench", "run", spec.path, "--shard", "1/2", "--out", out, "--resume"])
        #expect(again.code == 0 && again.out.contains("kept"))
        #expect(try feint(["bench", "run", spec.path, "--shard", "1/2", "--out", out]).code == 2)   // no silent overwrite
        let merged = try feint(["bench", "merge", out])
        #expect(merged.code == 0 && merged.out.contains("fmnist-vit-p7"))
        // The results name each model's weights by their SHA-256 (a zoo name may be retrained).
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out).appendingPathComponent("results.json"))) as! [String: Any]
        #expect((results["columns"] as! [[String: Any]]).allSatisfy { ($0["sha256"] as? String)?.count == 64 })
        // A shard of another Feint version is neither kept by a resumed run nor merged.
        let shard = URL(fileURLWithPath: out).appendingPathComponent("shard-1-of-2.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: shard)) as! [String: Any]
        json["version"] = "0.1.0"
        try JSONSerialization.data(withJSONObject: json).write(to: shard)
        let old = try feint(["bench", "run", spec.path, "--shard", "1/2", "--out", out, "--resume"])
        #expect(old.code == 2 && old.err.contains("written by Feint 0.1.0"), "\(old.err)")
        #expect(try feint(["bench", "merge", out, "--force"]).code == 2)
    }

    @Test func blackBoxResumesFromItsCheckpointAndNeverOverwrites() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feint-bb-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let run = ["blackbox", "--target", "fmnist-lenet5", "--attack", "simba", "--budget", "200", "--n", "4", "--batch", "2"]
        let full = dir.appendingPathComponent("full.json").path, cut = dir.appendingPathComponent("cut.json").path
        #expect(try feint(run + ["--output", full]).code == 0)
        #expect(!FileManager.default.fileExists(atPath: full + ".partial"))
        #expect(try feint(run + ["--output", full]).code == 2)   // no silent overwrite
        let kept = try feint(run + ["--output", full, "--resume"])
        #expect(kept.code == 0 && kept.err.contains("kept"))
        // A result of another Feint version is not kept as this version's.
        let older = dir.appendingPathComponent("older.json").path
        var stamped = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: full))) as! [String: Any]
        stamped["version"] = "0.1.0"
        try JSONSerialization.data(withJSONObject: stamped).write(to: URL(fileURLWithPath: older))
        let notKept = try feint(run + ["--output", older, "--resume"])
        #expect(notKept.code == 2 && notKept.err.contains("written by Feint 0.1.0"), "\(notKept.err)")
        // An interrupted run: the first batch of the complete one as its checkpoint.
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: full))) as! [String: Any]
        let samples = json["samples"] as! [Any]
        json["samples"] = Array(samples.prefix(2))
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: cut + ".partial"))
        #expect(try feint(run + ["--output", cut]).code == 2)     // a checkpoint is never dropped silently
        #expect(try feint(run + ["--seed", "1", "--output", cut, "--resume"]).code == 2)   // another run's checkpoint
        let resumed = try feint(run + ["--output", cut, "--resume"])
        #expect(resumed.code == 0 && resumed.err.contains("resuming after 2 of 4 images"))
        func records(_ path: String) throws -> [NSDictionary] {
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
            return (object["samples"] as! [[String: Any]]).map { NSDictionary(dictionary: $0) }
        }
        #expect(try records(cut) == records(full))
        #expect(!FileManager.default.fileExists(atPath: cut + ".partial"))
    }

    /// The demo on a zoo that also holds a CIFAR-10 model: the bundled Fashion-MNIST images go to
    /// the Fashion-MNIST models only.
    @Test func demoRunsOnTheFashionMNISTModelsOfAMixedZoo() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("feint-demo-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? fm.removeItem(at: root) }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let models = root.appendingPathComponent("Models")
        try fm.createDirectory(at: models, withIntermediateDirectories: true)
        try fm.createSymbolicLink(at: root.appendingPathComponent("datasets"), withDestinationURL: repo.appendingPathComponent("datasets"))
        var zoo = try JSONSerialization.jsonObject(with: Data(contentsOf: repo.appendingPathComponent("Models/zoo.json"))) as! [String: Any]
        let keep = ["fmnist-smallcnn", "fmnist-lenet5", "cifar10-resnet8"]
        zoo["models"] = (zoo["models"] as! [[String: Any]]).filter { keep.contains($0["name"] as! String) }
        try JSONSerialization.data(withJSONObject: zoo).write(to: models.appendingPathComponent("zoo.json"))
        for name in keep {
            try fm.copyItem(at: repo.appendingPathComponent("Models/\(name).safetensors"), to: models.appendingPathComponent("\(name).safetensors"))
        }
        let out = root.appendingPathComponent("out")
        let r = try feint(["demo", "--n", "2", "--models", models.path, "--out", out.path])
        #expect(r.code == 0, "\(r.err)")
        #expect(r.out.contains("held-out targets: fmnist-lenet5\n"))
        for f in ["results.json", "results.md", "heatmap.svg", "gallery.png"] {
            #expect(fm.fileExists(atPath: out.appendingPathComponent(f).path))
        }
    }

    @Test func usageErrorsExitWithTwo() throws {
        #expect(try feint(["nonsense"]).code == 2)
        #expect(try feint(["robust", "--bogus"]).code == 2)
        #expect(try feint(["attack", "--model", "x"]).code == 2)
        #expect(try feint(["robust", "--model", "fmnist-lenet5", "--seeds", "0,x"]).code == 2)
        #expect(try feint(["robust", "--model", "fmnist-lenet5", "--seeds", "1,1"]).code == 2)
        #expect(try feint(["robust", "--model", "fmnist-lenet5", "--seed", "1", "--seeds", "1,2"]).code == 2)
        let missing = try feint(["bench", "summarize", "/nonexistent-run", "--out", "/tmp/feint-never"])
        #expect(missing.code == 2 && missing.err.contains("results.json"))
        let top = try feint(["--help"])
        #expect(top.code == 0 && top.out.contains("Commands:"))
    }
}
