import FeintAttacks
import FeintCore
import FeintEval
import FeintModels
import Foundation

/// `feint demo`: the main job, on the bundled data and zoo.
enum DemoCommand {
    static let preferredSurrogates = ["fmnist-smallcnn", "fmnist-resnet8", "fmnist-vit-p4", "fmnist-mixer"]

    static let help = """
    Usage: feint demo [--n N] [--eps E] [--out DIR] [--models DIR]

    Runs NAMEA and its baselines (Ens as DI-free MI-FGSM on the logit ensemble, SVRE, AdaEA, SMER)
    from a mixed CNN + transformer ensemble of the bundled zoo to the held-out zoo models, on the
    first N bundled Fashion-MNIST test images, prints the transfer table (fooled %, after 8-bit
    rounding) and writes results.json / .md / .csv, heatmap.svg and gallery.png (clean, adversarial,
    amplified perturbation, NAMEA's non-attention mask) to DIR.
    Surrogates: \(preferredSurrogates.joined(separator: ", ")) (those trained); targets: every other
    Fashion-MNIST model in the zoo (Models/zoo.json, or --models DIR: a folder holding zoo.json and
    the weights, with datasets/fashion-mnist beside it).

    Defaults: --n 200 --eps 16/255 (10 steps of ε/10, μ = 1) --out ./feint-demo (an earlier demo's
    folder is reused; a folder holding anything else is refused)

    Example:
      feint demo --n 100
    """

    static func run(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["n", "eps", "out", "models"], flagOptions: [])
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        let n = try args.int("n", default: 200)
        let eps = Float(try args.double("eps", default: 16.0 / 255))
        guard n >= 1, eps > 0, eps <= 1 else { throw UsageError("--n must be ≥ 1 and --eps in (0, 1]") }
        let dir = args.string("models").map { URL(fileURLWithPath: $0) } ?? ZooManifest.defaultDirectory()
        let manifest = try ZooManifest.load(from: dir)
        // The demo's data are the bundled Fashion-MNIST images: models of other data sets sit out.
        let trained = manifest.models.filter {
            $0.dataset == "fashion-mnist" && FileManager.default.fileExists(atPath: dir.appendingPathComponent($0.file).path)
        }
        let surrogates = preferredSurrogates.filter { name in trained.contains { $0.name == name } }
        let targets = trained.map(\.name).filter { !surrogates.contains($0) }
        guard !surrogates.isEmpty, !targets.isEmpty else {
            throw ModelError("the demo needs trained zoo models in \(dir.path) (found \(trained.map(\.name))); see `feint zoo list`, "
                             + "or name the zoo folder with --models DIR or $FEINT_MODELS")
        }
        let attacks = ["ens", "svre", "adaea", "smer", "namea"].map { TransferAttackSpec(name: $0, eps: eps) }
        let spec = BenchSpec(name: "demo", images: n, batch: 50, seed: 0, surrogates: surrogates, targets: targets, attacks: attacks)
        let load = ModelStore(args).load
        let data = try IDX.fashionMNIST(split: .test, directory: DataSplits.bundledFashionMNIST(models: dir))
        guard n <= data.count else { throw UsageError("--n \(n): the bundled test split has \(data.count) images") }
        let out = URL(fileURLWithPath: args.string("out") ?? "feint-demo")
        try requireFolder(out, option: "--out")
        let files = visibleFiles(in: out)
        if !files.isEmpty {
            // Only an earlier demo's folder is reused; its shard is stale if the settings changed.
            let earlier = try? BenchSpec.load(out.appendingPathComponent("spec.json"))
            guard earlier?.name == "demo" else {
                throw UsageError("\(out.path) holds files that no earlier demo wrote; choose another --out")
            }
            for f in files where f.hasPrefix("shard-") {
                try FileManager.default.removeItem(at: out.appendingPathComponent(f))
            }
        }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try spec.canonicalJSON().write(to: out.appendingPathComponent("spec.json"), options: .atomic)
        print("Feint demo: \(attacks.count) transfer attacks, ε = \(String(format: "%.4f", eps)), \(n) Fashion-MNIST test images")
        print("surrogates (white-box): \(surrogates.joined(separator: ", "))")
        print("held-out targets: \(targets.joined(separator: ", "))\n")
        let progress = Progress("demo", quiet: false)
        var doneBy: [String: Int] = [:]
        let start = Date()
        try Benchmark.runShard(spec, shard: 0, of: 1, models: load, data: data, directory: out, resume: false) { attack, done, total in
            doneBy[attack] = done
            progress.update(doneBy.values.reduce(0, +), attacks.count * total)
        }
        let matrix = try Benchmark.merge(spec, directories: [out])
        try Benchmark.writeReports(matrix, spec: spec, to: out)
        // Gallery: NAMEA on the first 8 images, with its non-attention masks.
        let target = try load(targets[0])
        let (x, y) = data.batch(0..<min(8, n))
        try Gallery.forTransfer(try attacks.last!.make(), surrogates: try surrogates.map(load), target: target, images: x, labels: y,
                                to: out.appendingPathComponent("gallery.png"))
        print("\nfooled (%) per model; * = surrogate (white-box); averages over the held-out targets\n")
        print(matrix.markdown())
        print(String(format: "\n%.0f s. Reports in %@: results.json, results.md, results.csv, heatmap.svg, gallery.png (labels: %@ before > after)",
                     Date().timeIntervalSince(start), out.path, target.name))
        return 0
    }
}
