import FeintCore
import FeintEval
import FeintModels
import Foundation

/// `feint bench run|merge|summarize`: transferability benchmarks from a JSON spec, shardable,
/// repeatable over seeds.
enum BenchCommand {
    static let help = """
    Usage:
      feint bench run SPEC.json [--seed S] [--shard K/N] [--out DIR] [--resume] [--data DIR] [--models DIR]
      feint bench merge DIR... [--out DIR [--force]]
      feint bench summarize DIR... --out DIR [--reference ATTACK] [--force]

    run    attacks the spec's images with each of its attacks on its surrogates and evaluates every
           target and surrogate. Without --shard it runs everything and writes the reports to DIR
           (default: ./bench-<name>): results.json (settings, per-image predictions, aggregates),
           results.md, results.csv, heatmap.svg and gallery.png (the last attack on 8 images). With --shard K/N (0 ≤ K < N) it runs only the
           K-th of N contiguous slices of batches and writes DIR/shard-K-of-N.json; batch b always
           draws from a generator seeded with (seed, b), so merged shards equal an unsharded run.
           --resume keeps shard files that exist instead of refusing to overwrite them (not one
           written by a Feint version with other results). A folder holds one run: another spec
           or seed, or shards of another N, are refused.
           --seed S replaces the spec's seed (run the same spec with several seeds).
           --data and --models: see Models and data below.
    merge  combines the shard files of one or more folders (each holds spec.json of the same run)
           into the reports, written to --out (default: the first DIR; another folder must be empty
           or hold this run, unless --force; one holding shards is always refused); no gallery.png
           (run it unsharded for one). Shards of Feint versions with other results, or of other
           weights of a model, are refused.
    summarize  reads results.json of runs of one spec that differ in their seed only (of Feint
           versions with the same results), and writes
           summary.json and summary.md to --out: `fooled` per target and per family average as
           mean ± sample standard deviation over the seeds. --reference ATTACK adds every attack's
           difference to that one, paired seed by seed, per held-out target and average, and per
           target McNemar's z over the images the two attacks disagree on. An existing summary in
           --out is replaced only with --force.

    Spec (JSON):
      {"name": "fmnist-transfer", "images": 1000, "batch": 50, "seed": 0,
       "surrogates": ["fmnist-smallcnn", "fmnist-vit-p4"], "targets": ["fmnist-resnet8", "fmnist-vit-p7"],
       "attacks": [{"name": "ens", "eps": 0.0314}, {"name": "namea", "eps": 0.0314, "threshold": "code",
                    "label": "namea-code"}]}
    Attack fields: name (\(TransferAttackSpec.names.joined(separator: ", "))), eps, steps (10), stepSize (eps/steps),
    momentum (1), di (0), ti (0), label; NAMEA only: threshold ("0.6" or "code"), fill (noise, zeros,
    ones), merge (momentum, ifgsm), metaTrain and metaTest (true), gso (absent = off; the code's 0.5).
    \(modelsAndDataHelp)

    Examples:
      feint bench run spec.json --out bench-run && open bench-run/results.md
      for s in 0 1 2; do feint bench run spec.json --seed $s --out runs/seed-$s; done
      feint bench summarize runs/seed-0 runs/seed-1 runs/seed-2 --out runs --reference namea

    On a cluster, one shard per task: a Slurm array (`#SBATCH --array=0-15`, then
    `feint bench run spec.json --shard $SLURM_ARRAY_TASK_ID/16 --out $SHARED/run`) or a Kubernetes
    Indexed Job (completionMode: Indexed, `--shard $JOB_COMPLETION_INDEX/16`), then one
    `feint bench merge $SHARED/run`.
    """

    static func run(_ argv: [String]) throws -> Int32 {
        guard let sub = argv.first else { throw UsageError("missing subcommand (run, merge or summarize)") }
        let rest = Array(argv.dropFirst())
        // A spec, shard or results folder that does not fit is the user's to fix: exit 2.
        do {
            switch sub {
            case "run": return try runSpec(rest)
            case "merge": return try merge(rest)
            case "summarize": return try summarize(rest)
            default: throw UsageError("unknown bench subcommand '\(sub)' (run, merge or summarize)")
            }
        } catch let error as SpecError { throw UsageError("\(error)") }
    }

    static func runSpec(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["shard", "out", "data", "models", "seed"], flagOptions: ["resume"])
        guard args.positional.count == 1 else { throw UsageError("name one spec file") }
        let specURL = URL(fileURLWithPath: args.positional[0])
        var spec = try BenchSpec.load(specURL)
        for a in spec.attacks { _ = try a.make() }
        if args.string("seed") != nil { spec.seed = try args.seed() }
        var (k, n) = (0, 1)
        if let s = args.string("shard") {
            let parts = s.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) ?? -1 }
            guard parts.count == 2, parts[1] >= 1, parts[0] >= 0, parts[0] < parts[1] else { throw UsageError("--shard takes K/N with 0 ≤ K < N, got '\(s)'") }
            (k, n) = (parts[0], parts[1])
            guard n <= spec.batches else { throw UsageError("\(n) shards for \(spec.batches) batches: use at most \(spec.batches)") }
        }
        let out = URL(fileURLWithPath: args.string("out") ?? "bench-\(spec.name)")
        try requireFolder(out, option: "--out")
        // What the folder holds is checked first (no models needed): another spec, another split,
        // or a finished shard kept under --resume.
        let specCopy = out.appendingPathComponent("spec.json")
        if FileManager.default.fileExists(atPath: specCopy.path) {
            let existing: BenchSpec
            do { existing = try BenchSpec.load(specCopy) } catch { throw UsageError("\(error); choose another --out") }
            guard try existing.sameRun(as: spec) else {
                var other = existing
                other.seed = spec.seed
                let what = try other.sameRun(as: spec) ? " (seed \(existing.seed), this run's is \(spec.seed))" : ""
                throw UsageError("\(out.path) holds a different spec\(what); choose another --out")
            }
        } else if case let files = visibleFiles(in: out), !files.isEmpty {
            throw UsageError("\(out.path) holds files but no spec.json (\(files.sorted().prefix(3).joined(separator: ", "))): "
                             + "not a benchmark folder; choose another --out")
        }
        let others = Benchmark.otherSplits(in: out, than: n)
        guard others.isEmpty else {
            throw UsageError("\(out.path) holds shards of another split (\(others.prefix(2).joined(separator: ", "))…); "
                             + "run with the same --shard K/N as they were, or choose another --out")
        }
        let done = out.appendingPathComponent(Benchmark.shardFile(k, n))
        if args.string("shard") != nil && args.flag("resume") && FileManager.default.fileExists(atPath: done.path) {
            try Benchmark.checkKept(done)
            print("kept \(done.path) (done before)")   // no models or data to load
            return 0
        }
        // Then models and data, before anything is written: a spec naming a missing model leaves
        // no folder behind.
        let store = ModelStore(args)
        let load = store.load
        let data = try DataSplits.test(args, models: store.directory, for: try (spec.surrogates + spec.targets).map(load))
        try Benchmark.checkData(spec, data)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: specCopy.path) { try spec.canonicalJSON().write(to: specCopy, options: .atomic) }
        let file = try Benchmark.runShard(spec, shard: k, of: n, models: load, data: data, directory: out, resume: args.flag("resume")) { a, done, total in
            printError("shard \(k)/\(n) \(a): \(done)/\(total) images")
        }
        if args.string("shard") == nil {
            let matrix = try Benchmark.merge(spec, directories: [out])
            try Benchmark.writeReports(matrix, spec: spec, to: out)
            // Gallery: the spec's last attack on its first 8 images, judged by its first target.
            if let attack = spec.attacks.last, let target = (spec.targets.first ?? spec.surrogates.first) {
                let (x, y) = data.batch(0..<min(8, spec.images))
                try Gallery.forTransfer(try attack.make(), surrogates: try spec.surrogates.map(load), target: try load(target),
                                        images: x, labels: y, to: out.appendingPathComponent("gallery.png"), seed: spec.seed)
            }
            print(matrix.markdown())
            print("\nreports in \(out.path): results.json, results.md, results.csv, heatmap.svg, gallery.png")
        } else {
            print("wrote \(file.path)")
        }
        return 0
    }

    static func merge(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["out"], flagOptions: ["force"])
        guard !args.positional.isEmpty else { throw UsageError("name the folders holding the shards") }
        let dirs = args.positional.map { URL(fileURLWithPath: $0) }
        for d in dirs {
            guard PathKind(d.path) == .folder else { throw UsageError("\(d.path) is not a folder of shards") }
        }
        let spec = try BenchSpec.load(dirs[0].appendingPathComponent("spec.json"))
        let out = args.string("out").map { URL(fileURLWithPath: $0) } ?? dirs[0]
        try requireFolder(out, option: "--out")
        // Another folder than the runs' own: its spec.json must be this run's, or it must be free.
        if !dirs.contains(where: { $0.standardizedFileURL == out.standardizedFileURL }) {
            let existing = out.appendingPathComponent("spec.json")
            if !Benchmark.shardFiles(in: out).isEmpty {
                throw UsageError("\(out.path) holds shards of a run; merge them there, or choose another --out")
            }
            if FileManager.default.fileExists(atPath: existing.path) && !args.flag("force") {
                guard try BenchSpec.load(existing).sameRun(as: spec) else {
                    throw UsageError("\(out.path) holds the results of another spec; choose another --out (or --force)")
                }
            } else {
                try requireFreeFolder(out, args)
            }
        }
        let matrix: TransferMatrix
        do { matrix = try Benchmark.merge(spec, directories: dirs) } catch let error as SpecError { throw UsageError("\(error)") }
        try Benchmark.writeReports(matrix, spec: spec, to: out)
        try spec.canonicalJSON().write(to: out.appendingPathComponent("spec.json"), options: .atomic)
        print(matrix.markdown())
        print("\nreports in \(out.path): results.json, results.md, results.csv, heatmap.svg")
        return 0
    }

    static func summarize(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["out", "reference"], flagOptions: ["force"])
        guard args.positional.count >= 1 else { throw UsageError("name the folders of the runs (each holds results.json)") }
        guard let outPath = args.string("out") else { throw UsageError("--out DIR is required") }
        var matrices: [TransferMatrix] = [], specs: [(String, BenchSpec)] = []
        for dir in args.positional {
            // The runs' specs, where present, must differ in their seed only.
            let specFile = URL(fileURLWithPath: dir).appendingPathComponent("spec.json")
            if var spec = try? BenchSpec.load(specFile) {
                spec.seed = 0
                if let (firstDir, first) = specs.first, try !first.sameRun(as: spec) {
                    throw UsageError("\(dir) and \(firstDir) are runs of different specs (not only the seed differs)")
                }
                specs.append((dir, spec))
            }
            let url = URL(fileURLWithPath: dir).appendingPathComponent("results.json")
            do { matrices.append(try decodeJSON(TransferMatrix.self, from: url)) } catch {
                throw UsageError("\(url.path): not a finished benchmark result (\(error.localizedDescription)); run or merge it first")
            }
        }
        let summary: TransferSeedSummary
        do { summary = try TransferSeedSummary.summarize(matrices, reference: args.string("reference")) } catch let error as SpecError {
            throw UsageError("\(error)")
        }
        let out = URL(fileURLWithPath: outPath)
        try requireFolder(out, option: "--out")
        if FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.json").path) && !args.flag("force") {
            throw UsageError("\(out.path) already holds a summary.json; pass --force to replace it, or choose another --out")
        }
        try summary.write(to: out)
        print(summary.report)
        print("summary in \(out.path): summary.json, summary.md")
        return 0
    }
}
