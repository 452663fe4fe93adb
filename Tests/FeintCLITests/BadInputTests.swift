import FeintCore
import FeintModels
import Foundation
import Testing

/// What a careless or unlucky user meets: every bad input is a clear usage error (exit 2) before
/// any work, never a crash, and nothing of theirs is overwritten or deleted.
@Suite("Command line: bad input")
struct BadInputTests {
    /// A scratch folder holding a folder of two images and the tiny LeNet-5 model file.
    struct Scratch {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("feint-bad-\(UInt32.random(in: 0...UInt32.max))")
        var model: URL { root.appendingPathComponent("tiny.safetensors") }

        init() throws {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try Model(name: "tiny", spec: try Catalog.entry("fmnist-lenet5").spec, seed: 3).save(to: model)
        }

        /// `root/name/` with a 28×28 gray PNG at each relative path.
        func images(_ name: String, _ paths: [String]) throws -> URL {
            let dir = root.appendingPathComponent(name)
            var g = RandomGenerator(seed: 2)
            for p in paths {
                let file = dir.appendingPathComponent(p)
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                try ImageCodec.writePNG(g.uniform(shape: [1, 28, 28]), to: file)
            }
            return dir
        }

        func attack(_ input: URL, _ extra: [String] = []) throws -> (code: Int32, out: String, err: String) {
            try feint(["attack", "--model", model.path, "--attack", "fgsm", "--input", input.path,
                       "--output", root.appendingPathComponent("out-\(input.lastPathComponent)").path, "--quiet"] + extra)
        }

        func report(_ input: URL) throws -> [String: Any] {
            let url = root.appendingPathComponent("out-\(input.lastPathComponent)/report.json")
            return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        }

        func clean() { try? FileManager.default.removeItem(at: root) }
    }

    @Test(arguments: [
        ["attack", "--model", "fmnist-lenet5", "--attack", "pgd", "--input", ".", "--output", "/tmp/x", "--seed", "-1"],
        ["robust", "--model", "fmnist-lenet5", "--seed", "-1"],
        ["blackbox", "--target", "fmnist-lenet5", "--attack", "simba", "--seed", "-1"],
        ["transfer", "--attack", "ens", "--surrogates", "fmnist-lenet5", "--targets", "fmnist-vgg", "--seed", "-5"],
        ["zoo", "train", "fmnist-lenet5", "--seed", "-1", "--output", "/nonexistent/x.safetensors"],
        ["robust", "--model", "fmnist-lenet5", "--step-size", "nan"],
        ["robust", "--model", "fmnist-lenet5", "--eps", "inf"],
        ["robust", "--model", "fmnist-lenet5", "--odi-steps", "-1"],
        ["transfer", "--attack", "ens", "--surrogates", "fmnist-lenet5", "--targets", "fmnist-vgg", "--step-size", "nan"],
        ["transfer", "--attack", "ens", "--surrogates", "fmnist-lenet5", "--targets", "fmnist-vgg", "--eps", "1e40"],
        ["transfer", "--attack", "ens", "--surrogates", "fmnist-lenet5", "--targets", "fmnist-vgg", "--ti", "4"],
        ["attention", "--model", "fmnist-lenet5", "--output", "/tmp/feint-never-written", "--n", "-3"],
        ["zoo", "train", "fmnist-lenet5", "--epochs", "-2", "--output", "/tmp/feint-never.safetensors"],
        ["zoo", "train", "fmnist-lenet5", "--batch", "0", "--output", "/tmp/feint-never.safetensors"],
        ["zoo", "train", "fmnist-lenet5", "--lr", "nan", "--output", "/tmp/feint-never.safetensors"],
        ["zoo", "list", "--models", "/nonexistent-zoo"],
        ["zoo", "list", "extra"],
        ["robust", "--model", "fmnist-lenet5", "--attack", "fgsm", "--steps", "5"],
        ["robust", "--model", "fmnist-lenet5", "--eps", "2"],
        ["transfer", "--attack", "ens", "--surrogates", "fmnist-lenet5", "--targets", "fmnist-vgg", "--namea-threshold", "code"],
        ["attention", "--model", "fmnist-lenet5", "--input", ".", "--n", "2", "--output", "/tmp/feint-never-written"],
        ["blackbox", "--target", "nope", "--attack", "bogus", "--budget", "-5", "--output", "/etc/hostname", "--resume"],
        ["bench", "merge", "/nonexistent-run"],
        ["bench", "summarize", "/nonexistent-run", "--out", "/etc/hostname"],
        ["zoo", "eval", "fmnist-lenet5", "cifar10-resnet8", "--data", "/tmp"],
        ["robust", "--model", "fmnist-lenet5", "--n", "2", "--output", "/nonexistent-folder/r.json"],
        ["blackbox", "--target", "fmnist-lenet5", "--attack", "simba", "--output", "/nonexistent-folder/bb.json"],
        ["robust", "--model", "fmnist-lenet5", "--eps", "0.1", "--eps", "0.2"],
        ["robust", "--model", "fmnist-lenet5", "--init", "uniform", "--odi-steps", "3"],
        ["attention", "--model", "fmnist-lenet5", "--output", "/tmp/feint-never-written", "stray"],
        ["blackbox", "--target", "fmnist-vgg", "--attack", "simba-ods", "--surrogates", "fmnist-lenet5,fmnist-lenet5"],
        ["robust", "--model", "fmnist-lenet5", "--n", "99999999"],
        ["blackbox", "--target", "fmnist-lenet5", "--attack", "simba", "--n", "99999999"],
    ])
    func badNumbersAndPathsAreUsageErrors(arguments: [String]) throws {
        let r = try feint(arguments)
        #expect(r.code == 2, "\(arguments.joined(separator: " ")): exit \(r.code)\n\(r.err)")
        // Refused for the bad value itself, not for a missing model or data.
        #expect(!r.err.contains("Fatal error") && r.err.contains("feint") && !r.err.contains("no model"), "\(r.err)")
    }

    /// A mistyped option names the one meant; an option given twice says so.
    @Test func optionTyposAreNamed() throws {
        let typo = try feint(["robust", "--model", "fmnist-lenet5", "--epsilon", "0.1"])
        #expect(typo.code == 2 && typo.err.contains("did you mean --eps?"), "\(typo.err)")
        let twice = try feint(["robust", "--model", "fmnist-lenet5", "--n", "2", "--n", "3"])
        #expect(twice.code == 2 && twice.err.contains("--n is given twice"), "\(twice.err)")
        let beyond = try feint(["robust", "--model", "fmnist-lenet5", "--n", "99999999"])
        #expect(beyond.code == 2 && beyond.err.contains("more than the"), "\(beyond.err)")
    }

    @Test func helpOfHelp() throws {
        let r = try feint(["help", "--help"])
        #expect(r.code == 0 && r.out.contains("Commands:"))
    }

    @Test func twoImagesWithOneOutputNameAreRefused() throws {
        let s = try Scratch()
        defer { s.clean() }
        let input = try s.images("clash", ["a.png", "b.png"])
        try FileManager.default.copyItem(at: input.appendingPathComponent("b.png"), to: input.appendingPathComponent("a.jpg"))
        let r = try s.attack(input, ["--labels", "predicted"])
        #expect(r.code == 2 && r.err.contains("would both be written as a.png"), "\(r.err)")
        let maps = try feint(["attention", "--model", s.model.path, "--input", input.path, "--output", s.root.appendingPathComponent("maps").path])
        #expect(maps.code == 2 && maps.err.contains("would both be written as a.png"), "\(maps.err)")
    }

    @Test func anOutputFolderWithFilesIsKept() throws {
        let s = try Scratch()
        defer { s.clean() }
        let input = try s.images("photos", ["a.png"])
        let out = s.root.appendingPathComponent("out-photos")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("my notes".utf8).write(to: out.appendingPathComponent("report.md"))
        let r = try s.attack(input, ["--labels", "predicted"])
        #expect(r.code == 2 && r.err.contains("already holds files"), "\(r.err)")
        #expect(try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8) == "my notes")
        let maps = try feint(["attention", "--model", s.model.path, "--input", input.path, "--output", out.path])
        #expect(maps.code == 2)
        #expect(try s.attack(input, ["--labels", "predicted", "--force"]).code == 0)
        // The demo leaves a folder alone that no earlier demo wrote.
        let demo = try feint(["demo", "--n", "1", "--out", out.path])
        #expect(demo.code == 2 && demo.err.contains("no earlier demo"), "\(demo.err)")
        let after = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(!after.contains("spec.json") && !after.contains { $0.hasPrefix("shard-") }, "\(after)")
    }

    @Test func classFoldersAreMatchedToTheModelsClassNames() throws {
        let s = try Scratch()
        defer { s.clean() }
        // Fashion-MNIST: Coat is class 4, Shirt class 6, whatever other folders are present.
        let named = try s.images("named", ["coat/0.png", "Shirt/0.png"])
        #expect(try s.attack(named).code == 0)
        let records = try s.report(named)["records"] as! [[String: Any]]
        let labels = Dictionary(uniqueKeysWithValues: records.map { ($0["file"] as! String, $0["label"] as! Int) })
        #expect(labels == ["coat/0.png": 4, "Shirt/0.png": 6])
        // Two folders named after no class of a ten-class model: refused, not numbered 0 and 1.
        let strangers = try s.images("strangers", ["cats/0.png", "dogs/0.png"])
        let r = try s.attack(strangers)
        #expect(r.code == 2 && r.err.contains("not classes of the model"), "\(r.err)")
        // An empty (hidden) subfolder does not make flat images need class folders.
        let flat = try s.images("flat", ["a.png", "b.png"])
        try FileManager.default.createDirectory(at: flat.appendingPathComponent(".ipynb_checkpoints"), withIntermediateDirectories: true)
        #expect(try s.attack(flat).code == 0)
        #expect(try s.report(flat)["labels"] as? String == "predicted")
    }

    @Test func labelsCSVRowsAreCheckedAgainstTheModel() throws {
        let s = try Scratch()
        defer { s.clean() }
        let input = try s.images("listed", ["Coat/a.png", "Coat/b.png", "Coat/c.png"])
        try Data("filename,label\nCoat/a.png,Pullover\nCoat/b.png,Kitten\n".utf8).write(to: input.appendingPathComponent("labels.csv"))
        let r = try s.attack(input)
        #expect(r.code == 3, "\(r.err)")
        #expect(r.err.contains("unknown label 'Kitten'") && r.err.contains("Coat/c.png: has no row in labels.csv"), "\(r.err)")
        let records = try s.report(input)["records"] as! [[String: Any]]
        #expect(records.first { $0["file"] as? String == "Coat/a.png" }?["label"] as? Int == 2)   // Pullover
        // A target equal to the label is no attack; the transfer attacks take no targets at all.
        try Data("filename,label,target\nCoat/a.png,Coat,Coat\nCoat/b.png,Coat,Bag\nCoat/c.png,Coat\n".utf8)
            .write(to: input.appendingPathComponent("labels.csv"))
        let same = try s.attack(input, ["--force"])
        #expect(same.code == 3 && same.err.contains("target 4 is its label"), "\(same.err)")
        let transfer = try feint(["attack", "--model", s.model.path, "--attack", "mi", "--surrogates", "fmnist-lenet5", "--input", input.path,
                                  "--output", s.root.appendingPathComponent("o-t").path])
        #expect(transfer.code == 2 && transfer.err.contains("untargeted"), "\(transfer.err)")
        // --labels folders means the folders, even beside a labels.csv.
        let folders = try s.attack(input, ["--labels", "folders", "--force"])
        #expect(folders.code == 0, "\(folders.err)")
        #expect((try s.report(input)["records"] as! [[String: Any]]).allSatisfy { $0["label"] as? Int == 4 })
    }

    @Test func blackBoxAttacksTakeNoEpsAndSurrogatesMustMatch() throws {
        let s = try Scratch()
        defer { s.clean() }
        let input = try s.images("bb", ["a.png"])
        let simba = try feint(["attack", "--model", s.model.path, "--attack", "simba", "--eps", "0.01", "--input", input.path,
                               "--output", s.root.appendingPathComponent("o1").path])
        #expect(simba.code == 2 && simba.err.contains("takes no --eps"), "\(simba.err)")
        let mixed = try feint(["attack", "--model", s.model.path, "--attack", "ens", "--surrogates", "cifar10-resnet8", "--input", input.path,
                               "--output", s.root.appendingPathComponent("o2").path])
        #expect(mixed.code == 2 && mixed.err.contains("takes other images"), "\(mixed.err)")
    }

    @Test func dataOfAnotherShapeIsAUsageError() throws {
        let s = try Scratch()
        defer { s.clean() }
        // An IDX test split of two 32×32 images.
        let dir = s.root.appendingPathComponent("idx32")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 32, 0, 0, 0, 32] + [UInt8](repeating: 7, count: 2 * 32 * 32))
            .write(to: dir.appendingPathComponent("t10k-images-idx3-ubyte"))
        try Data([0, 0, 8, 1, 0, 0, 0, 2, 1, 2]).write(to: dir.appendingPathComponent("t10k-labels-idx1-ubyte"))
        for command in [["zoo", "eval", "fmnist-lenet5"], ["robust", "--model", "fmnist-lenet5", "--n", "2"],
                        ["attention", "--model", "fmnist-lenet5", "--n", "1", "--output", s.root.appendingPathComponent("m").path]] {
            let r = try feint(command + ["--data", dir.path])
            #expect(r.code == 2 && r.err.contains("takes 1×28×28 images; the data hold 1×32×32"), "\(command): \(r.err)")
        }
    }

    @Test func aSpecWithAnUnknownFieldOrABadShardIsRefused() throws {
        let s = try Scratch()
        defer { s.clean() }
        let spec = s.root.appendingPathComponent("spec.json")
        try Data(#"{"name": "t", "images": 4, "surrogates": ["fmnist-lenet5"], "targets": [], "attacks": [{"name": "ens", "eps": 0.05, "step_size": 0.01}]}"#.utf8)
            .write(to: spec)
        let r = try feint(["bench", "run", spec.path, "--out", s.root.appendingPathComponent("run").path])
        #expect(r.code == 2 && r.err.contains("unknown field 'step_size'"), "\(r.err)")
        try Data(#"{"name": "t", "images": 4, "surrogates": ["fmnist-lenet5"], "targets": [], "attacks": [{"name": "ens", "eps": 0.05}]}"#.utf8)
            .write(to: spec)
        for shard in ["x/1/2", "1//2", "2/2", "0/0"] {
            let bad = try feint(["bench", "run", spec.path, "--shard", shard, "--out", s.root.appendingPathComponent("run").path])
            #expect(bad.code == 2 && bad.err.contains("--shard takes K/N"), "--shard \(shard): \(bad.err)")
        }
    }

    @Test func aRobustRecordIsReplacedOnlyWithForce() throws {
        let s = try Scratch()
        defer { s.clean() }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let zoo = s.root.appendingPathComponent("zoo")
        try FileManager.default.createDirectory(at: zoo, withIntermediateDirectories: true)
        for f in ["zoo.json", "fmnist-smallcnn-at.safetensors", "fmnist-lenet5.safetensors"] {
            try FileManager.default.copyItem(at: repo.appendingPathComponent("Models/\(f)"), to: zoo.appendingPathComponent(f))
        }
        let r = try feint(["robust", "--model", "fmnist-smallcnn-at", "--n", "2", "--record", "--models", zoo.path,
                           "--data", repo.appendingPathComponent("datasets/fashion-mnist").path])
        #expect(r.code == 2 && r.err.contains("already has a recorded robust accuracy"), "\(r.err)")
        let before = try Data(contentsOf: repo.appendingPathComponent("Models/zoo.json"))
        #expect(try Data(contentsOf: zoo.appendingPathComponent("zoo.json")) == before)
        // A model outside the zoo has no record to write: refused before the evaluation.
        let outside = try feint(["robust", "--model", s.model.path, "--n", "2", "--record", "--force", "--models", zoo.path,
                                 "--data", repo.appendingPathComponent("datasets/fashion-mnist").path])
        #expect(outside.code == 2 && outside.err.contains("is not in"), "\(outside.err)")
        // A quick run is not the zoo's protocol: recorded only on purpose.
        let quick = try feint(["robust", "--model", "fmnist-lenet5", "--attack", "fgsm", "--n", "2", "--record", "--models", zoo.path,
                               "--data", repo.appendingPathComponent("datasets/fashion-mnist").path])
        #expect(quick.code == 2 && quick.err.contains("the zoo's robust accuracy") && quick.err.contains("--attack fgsm")
                && quick.err.contains("n 2 (not 1000 or more)"), "\(quick.err)")
        let forced = try feint(["robust", "--model", "fmnist-smallcnn-at", "--attack", "fgsm", "--n", "2", "--record", "--force", "--models", zoo.path,
                                "--data", repo.appendingPathComponent("datasets/fashion-mnist").path])
        #expect(forced.code == 0, "\(forced.err)")
        let zooJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: zoo.appendingPathComponent("zoo.json"))) as! [String: Any]
        let record = (zooJSON["models"] as! [[String: Any]]).first { $0["name"] as? String == "fmnist-smallcnn-at" }!
        #expect((record["robust"] as? [String: Any])?["images"] as? Int == 2)
    }

    @Test func aModelOrAttackNamedTwiceIsRefused() throws {
        let s = try Scratch()
        defer { s.clean() }
        let twice = try feint(["transfer", "--attack", "ens", "--surrogates", "fmnist-lenet5", "--targets", "fmnist-vgg,fmnist-vgg", "--n", "2"])
        #expect(twice.code == 2 && twice.err.contains("named twice"), "\(twice.err)")
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let byPath = try feint(["blackbox", "--target", "fmnist-lenet5", "--attack", "simba-ods", "--n", "1", "--budget", "10",
                                "--surrogates", repo.appendingPathComponent("Models/fmnist-lenet5.safetensors").path])
        #expect(byPath.code == 2 && byPath.err.contains("its own surrogates"), "\(byPath.err)")
        let spec = s.root.appendingPathComponent("twice.json")
        try Data(#"{"name": "t", "images": 4, "surrogates": ["fmnist-lenet5"], "targets": ["fmnist-vgg", "fmnist-vgg"], "attacks": [{"name": "ens", "eps": 0.05}]}"#.utf8)
            .write(to: spec)
        let bench = try feint(["bench", "run", spec.path, "--out", s.root.appendingPathComponent("run").path])
        #expect(bench.code == 2 && bench.err.contains("named twice"), "\(bench.err)")
        #expect(try feint(["blackbox", "--target", "fmnist-lenet5", "--attack", "simba", "--surrogates", "fmnist-vgg"]).code == 2)
        let attackTwice = try feint(["transfer", "--attack", "ens,ens", "--surrogates", "fmnist-lenet5", "--targets", "fmnist-vgg"])
        #expect(attackTwice.code == 2 && attackTwice.err.contains("attack twice"), "\(attackTwice.err)")
        try Data(#"{"name": "t", "images": 4, "surrogates": ["fmnist-lenet5"], "targets": [], "attacks": [{"name": "ens", "eps": 0.05}, {"name": "ens", "eps": 0.1}]}"#.utf8)
            .write(to: spec)
        let titles = try feint(["bench", "run", spec.path, "--out", s.root.appendingPathComponent("run2").path])
        #expect(titles.code == 2 && titles.err.contains("titled ens"), "\(titles.err)")
    }

    @Test func benchFoldersHoldOneRunEach() throws {
        let s = try Scratch()
        defer { s.clean() }
        func spec(_ eps: Double) throws -> String {
            let url = s.root.appendingPathComponent("spec-\(eps).json")
            try Data(#"{"name": "t", "images": 4, "batch": 2, "surrogates": ["fmnist-lenet5"], "targets": [], "attacks": [{"name": "i-fgsm", "eps": \#(eps), "steps": 1}]}"#.utf8)
                .write(to: url)
            return url.path
        }
        let (a, b, c) = (s.root.appendingPathComponent("a").path, s.root.appendingPathComponent("b").path, s.root.appendingPathComponent("c").path)
        #expect(try feint(["bench", "run", try spec(0.05), "--shard", "0/2", "--out", a]).code == 0)
        #expect(try feint(["bench", "run", try spec(0.05), "--seed", "7", "--shard", "1/2", "--out", b]).code == 0)
        let mixed = try feint(["bench", "merge", a, b, "--out", c])
        #expect(mixed.code == 2 && mixed.err.contains("another spec or seed"), "\(mixed.err)")
        // A folder of other files is no benchmark folder.
        let other = s.root.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try Data("notes".utf8).write(to: other.appendingPathComponent("notes.txt"))
        let foreign = try feint(["bench", "run", try spec(0.05), "--out", other.path])
        #expect(foreign.code == 2 && foreign.err.contains("not a benchmark folder"), "\(foreign.err)")
        // An unsharded run in a folder of halves is refused before any work.
        let whole = try feint(["bench", "run", try spec(0.05), "--out", a])
        #expect(whole.code == 2 && whole.err.contains("another split"), "\(whole.err)")
        // Runs at another ε are not seeds of one spec.
        #expect(try feint(["bench", "run", try spec(0.05), "--shard", "1/2", "--out", a]).code == 0)
        #expect(try feint(["bench", "merge", a]).code == 0)
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: a).appendingPathComponent("results.json"))) as! [String: Any]
        let settings = (results["rows"] as! [[String: Any]])[0]["settings"] as? [String: Any]
        #expect(abs((settings?["epsilon"] as? Double ?? 0) - 0.05) < 1e-6 && settings?["steps"] as? Int == 1, "\(String(describing: settings))")
        #expect(try feint(["bench", "run", try spec(0.1), "--seed", "1", "--out", c]).code == 0)
        let summary = try feint(["bench", "summarize", a, c, "--out", s.root.appendingPathComponent("sum").path])
        #expect(summary.code == 2 && summary.err.contains("different specs"), "\(summary.err)")
        // Merging into another run's folder would overwrite its results.
        let over = try feint(["bench", "merge", a, "--out", c])
        #expect(over.code == 2 && over.err.contains("choose another --out"), "\(over.err)")
        #expect(try feint(["bench", "merge", a, "--out", c, "--force"]).code == 2)   // its shards would stay beside another spec
    }

    /// Runs whose report would mislead are refused before any work: the attacked model as its own
    /// surrogate, a surrogate twice, options the attack does not use, an input gallery.png under
    /// --gallery, an output reached through a link into the input, an empty path. ε may be a fraction.
    @Test func attackRefusesRunsItWouldMisreport() throws {
        let s = try Scratch()
        defer { s.clean() }
        let input = try s.images("mis", ["a.png", "gallery.png"])
        let m = s.model.path
        func attack(_ extra: [String], out: String = "o") throws -> (code: Int32, out: String, err: String) {
            try feint(["attack", "--model", m, "--input", input.path, "--output", s.root.appendingPathComponent(out).path, "--quiet",
                       "--labels", "predicted"] + extra)
        }
        let own = try attack(["--attack", "simba-ods", "--surrogates", m])
        #expect(own.code == 2 && own.err.contains("its own surrogates"), "\(own.err)")
        let ownTransfer = try attack(["--attack", "ens", "--surrogates", "fmnist-lenet5," + m])
        #expect(ownTransfer.code == 2 && ownTransfer.err.contains("white-box"), "\(ownTransfer.err)")
        let twice = try attack(["--attack", "ens", "--surrogates", "fmnist-lenet5,fmnist-lenet5"])
        #expect(twice.code == 2 && twice.err.contains("twice"), "\(twice.err)")
        for (extra, option) in [(["--attack", "fgsm", "--steps", "5"], "--steps"), (["--attack", "pgd", "--budget", "5"], "--budget"),
                                (["--attack", "simba", "--restarts", "2"], "--restarts"), (["--attack", "mi", "--surrogates", "fmnist-lenet5", "--restarts", "2"], "--restarts")] {
            let r = try attack(extra)
            #expect(r.code == 2 && r.err.contains("takes no \(option)"), "\(extra): \(r.err)")
        }
        let gallery = try attack(["--attack", "fgsm", "--gallery"])
        #expect(gallery.code == 2 && gallery.err.contains("gallery.png"), "\(gallery.err)")
        try FileManager.default.createSymbolicLink(at: s.root.appendingPathComponent("link"), withDestinationURL: input)
        let inside = try attack(["--attack", "fgsm"], out: "link/new")
        #expect(inside.code == 2 && inside.err.contains("inside the input folder"), "\(inside.err)")
        #expect(!FileManager.default.fileExists(atPath: input.appendingPathComponent("new").path))
        let empty = try feint(["attack", "--model", m, "--attack", "fgsm", "--input", input.path, "--output", ""])
        #expect(empty.code == 2 && empty.err.contains("must not be empty"), "\(empty.err)")
        let fraction = try attack(["--attack", "fgsm", "--eps", "8/255"])
        #expect(fraction.code == 0, "\(fraction.err)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: s.root.appendingPathComponent("o/report.json"))) as! [String: Any]
        #expect((report["settings"] as? [String: String])?["eps"] == "\(Float(8.0 / 255))")
        #expect((report["classNames"] as? [String])?.count == 10)
        #expect((report["modelSHA256"] as? String)?.count == 64 && (report["seconds"] as? Double ?? 0) > 0)
        #expect(try attack(["--attack", "fgsm", "--eps", "8/0"], out: "o2").code == 2)
    }

    /// A spec naming a missing model leaves no folder (and no spec.json that would block the
    /// corrected run).
    @Test func aFailedBenchRunLeavesNothingBehind() throws {
        let s = try Scratch()
        defer { s.clean() }
        let spec = s.root.appendingPathComponent("typo.json")
        try Data(#"{"name": "t", "images": 4, "surrogates": ["fmnist-lenet"], "targets": [], "attacks": [{"name": "ens", "eps": 0.05}]}"#.utf8)
            .write(to: spec)
        let out = s.root.appendingPathComponent("run")
        let r = try feint(["bench", "run", spec.path, "--out", out.path])
        #expect(r.code == 2 && r.err.contains("no model 'fmnist-lenet'"), "\(r.err)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        try Data(#"{"name": "t", "images": "four"}"#.utf8).write(to: spec)
        let bad = try feint(["bench", "run", spec.path, "--out", out.path])
        #expect(bad.code == 2 && bad.err.contains("images should be"), "\(bad.err)")
    }

    @Test func resumingWithOtherSettingsIsRefused() throws {
        let s = try Scratch()
        defer { s.clean() }
        let input = try s.images("resume", ["a.png", "b.png"])
        #expect(try s.attack(input, ["--labels", "predicted", "--eps", "0.05"]).code == 0)
        let other = try s.attack(input, ["--labels", "predicted", "--eps", "0.1", "--resume"])
        #expect(other.code == 2 && other.err.contains("other settings") && other.err.contains("eps 0.05 → 0.1"), "\(other.err)")
        #expect(try s.attack(input, ["--labels", "predicted", "--eps", "0.05", "--resume"]).code == 0)
        // A folder of another Feint version says so.
        let settings = s.root.appendingPathComponent("out-resume/settings.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: settings)) as! [String: Any]
        json["version"] = "0.2.0"
        try JSONSerialization.data(withJSONObject: json).write(to: settings)
        let old = try s.attack(input, ["--labels", "predicted", "--eps", "0.05", "--resume"])
        #expect(old.code == 2 && old.err.contains("written by Feint 0.2.0"), "\(old.err)")
    }

    /// --resume needs the folder's settings.json and unchanged inputs; a kept output that cannot
    /// be read is attacked again instead of crashing the run.
    @Test func resumingNeedsTheRunsSettingsAndInputs() throws {
        let s = try Scratch()
        defer { s.clean() }
        let input = try s.images("inputs", ["a.png", "b.png"])
        let out = s.root.appendingPathComponent("out-inputs")
        #expect(try s.attack(input, ["--labels", "predicted"]).code == 0)
        // An output file that is not a PNG: re-attacked.
        try Data([1, 2, 3]).write(to: out.appendingPathComponent("a.png"))
        let repaired = try s.attack(input, ["--labels", "predicted", "--resume"])
        #expect(repaired.code == 0, "\(repaired.err)")
        #expect((try s.report(input)["records"] as! [[String: Any]]).filter { $0["resumed"] as? Bool == true }.count == 1)
        // A changed input image.
        var g = RandomGenerator(seed: 7)
        try ImageCodec.writePNG(g.uniform(shape: [1, 28, 28]), to: input.appendingPathComponent("b.png"))
        let changed = try s.attack(input, ["--labels", "predicted", "--resume"])
        #expect(changed.code == 2 && changed.err.contains("input images or their labels changed"), "\(changed.err)")
        // A folder of files without settings.json.
        try FileManager.default.removeItem(at: out.appendingPathComponent("settings.json"))
        let foreign = try s.attack(input, ["--labels", "predicted", "--resume"])
        #expect(foreign.code == 2 && foreign.err.contains("no readable settings.json"), "\(foreign.err)")
    }

    /// Targeted Boundary in `feint attack` starts from the folder's images of the target class, and
    /// refuses a target class no image is labelled with.
    @Test func targetedBoundaryRowsStartFromTheFolder() throws {
        let s = try Scratch()
        defer { s.clean() }
        let input = try s.images("targeted", ["a.png", "b.png", "c.png"])
        try "a.png,0,1\nb.png,1\nc.png,2\n".write(to: input.appendingPathComponent("labels.csv"), atomically: true, encoding: .utf8)
        let out = s.root.appendingPathComponent("out-boundary")
        let run = try feint(["attack", "--model", s.model.path, "--attack", "boundary", "--budget", "300", "--input", input.path,
                             "--output", out.path, "--quiet", "--json"])
        #expect(run.code == 0 || run.code == 3, "\(run.err)")
        let a = try #require((try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as! [String: Any])["records"] as? [[String: Any]])
            .first { $0["file"] as? String == "a.png" }
        #expect(a?["target"] as? Int == 1 && a?["success"] != nil)
        try "a.png,0,7\nb.png,1\nc.png,2\n".write(to: input.appendingPathComponent("labels.csv"), atomically: true, encoding: .utf8)
        let missing = try feint(["attack", "--model", s.model.path, "--attack", "boundary", "--budget", "300", "--input", input.path,
                                 "--output", s.root.appendingPathComponent("out-missing").path, "--quiet"])
        #expect(missing.code == 2 && missing.err.contains("no image of the folder is labelled with it"), "\(missing.err)")
    }

    @Test func aFinishedBlackBoxRunIsKeptOnlyForTheSameSettings() throws {
        let s = try Scratch()
        defer { s.clean() }
        let out = s.root.appendingPathComponent("bb.json").path
        let run = ["blackbox", "--target", "fmnist-lenet5", "--attack", "simba", "--budget", "20", "--n", "2", "--output", out]
        #expect(try feint(run).code == 0)
        let kept = try feint(run + ["--resume"])
        #expect(kept.code == 0 && kept.err.contains("kept"), "\(kept.err)")
        let other = try feint(run.map { $0 == "20" ? "30" : $0 } + ["--resume"])
        #expect(other.code == 2 && other.err.contains("other settings"), "\(other.err)")
    }

    @Test func targetedBoundaryStartsFromTheWholeTestSplit() throws {
        // Image 0 is an ankle boot; its target class first appears after the first image.
        let r = try feint(["blackbox", "--target", "fmnist-lenet5", "--attack", "boundary", "--targeted", "--n", "1", "--budget", "20", "--json"])
        #expect(r.code == 0, "\(r.err)")
        let result = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as! [String: Any]
        #expect(result["successRate"] as? Double == 1)
        let sample = (result["samples"] as! [[String: Any]])[0]
        #expect(sample["targetClass"] as? Int != nil && sample["targetClass"] as? Int != sample["label"] as? Int)   // recorded
    }

    /// A targeted checkpoint without target classes predates the whole-split start images: resuming
    /// it would attack its remaining images from other starts than the run it began, so it is refused.
    @Test func aTargetedCheckpointWithoutTargetClassesIsRefused() throws {
        let s = try Scratch()
        defer { s.clean() }
        let full = s.root.appendingPathComponent("full.json").path, cut = s.root.appendingPathComponent("cut.json").path
        let run = ["blackbox", "--target", "fmnist-lenet5", "--attack", "boundary", "--targeted", "--budget", "20", "--n", "4", "--batch", "2"]
        #expect(try feint(run + ["--output", full]).code == 0)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: full))) as! [String: Any]
        let firstBatch = (json["samples"] as! [[String: Any]]).prefix(2)
        json["samples"] = firstBatch.map { $0.filter { $0.key != "targetClass" } }
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: cut + ".partial"))
        let old = try feint(run + ["--output", cut, "--resume"])
        #expect(old.code == 2 && old.err.contains("older Feint"), "\(old.err)")
        json["samples"] = Array(firstBatch)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: cut + ".partial"))
        let resumed = try feint(run + ["--output", cut, "--resume"])
        #expect(resumed.code == 0 && resumed.err.contains("resuming after 2 of 4 images"), "\(resumed.err)")
    }

    @Test func demoValidatesBeforeTouchingItsFolder() throws {
        let s = try Scratch()
        defer { s.clean() }
        let out = s.root.appendingPathComponent("demo")
        for bad in [["--eps", "2"], ["--n", "100000"]] {
            let r = try feint(["demo", "--out", out.path] + bad)
            #expect(r.code == 2, "\(bad): \(r.err)")
            #expect(!FileManager.default.fileExists(atPath: out.path))
        }
    }
}
