import FeintAttacks
import FeintCore
import FeintModels
import Foundation

/// `feint zoo list|eval|train`: the model zoo.
enum ZooCommand {
    static let help = """
    Usage:
      feint zoo list [--json] [--models DIR]
      feint zoo eval NAME... [--json] [--models DIR] [--data DIR]
      feint zoo describe NAME [--spec]
      feint zoo train NAME [--epochs N] [--lr X] [--batch B] [--seed S] [--data DIR]
                           [--checkpoint FILE] [--resume] [--output FILE] [--force] [--models DIR]

    list   the zoo: every catalogued model, with its recorded test accuracy when trained.
    describe  the tensors of a catalogued architecture (PyTorch state_dict names and shapes) as
           a Markdown table; --spec prints its description as JSON instead (what a weights file
           carries as `feint.spec`, and what Models/pytorch_reference.py builds a module from).
    eval   clean accuracy of trained models on their test split (10 000 images), beside the
           accuracy recorded in Models/zoo.json.
    train  trains a catalogued model on its training split (Fashion-MNIST: 55 000 images,
           CIFAR-10: 45 000; 5 000 held out for validation), reports progress on stderr, writes a checkpoint after every
           epoch (default ~/.cache/feint/checkpoints/NAME.safetensors, or FILE.checkpoint with
           --output FILE; --resume continues from it, and refuses a checkpoint of another recipe:
           only --epochs may change, and warm restarts may be added after the epochs done), then measures test accuracy, writes Models/NAME.safetensors
           and updates Models/zoo.json. An existing weights file is only replaced with --force.

    Options:
      --models DIR   the zoo folder (default: $FEINT_MODELS, ./Models, or the package's Models/)
      --data DIR     Fashion-MNIST IDX folder (default: /usr/share/datasets/fashion-mnist for
                     training, the bundled datasets/fashion-mnist for evaluation); for CIFAR-10
                     models the folder holding train/ and test/ class folders (default:
                     $FEINT_CIFAR10, else shared/datasets/cifar10 beside the package; decoded
                     once into ~/.cache/feint/datasets)
      --json         print JSON instead of a table
      train only (defaults: the catalogue's recipe, `feint zoo describe NAME`; zoo list --json
                     shows the recipe each trained model was trained with):
      --epochs N, --lr X, --batch B, --seed S   override the recipe
      --checkpoint FILE  where to checkpoint after every epoch (default
                     ~/.cache/feint/checkpoints/NAME.safetensors; with --output FILE, FILE.checkpoint)
      --resume       continue from the checkpoint (same recipe, see train above) instead of starting afresh
      --output FILE  the trained weights (default Models/NAME.safetensors; Models/zoo.json is
                     updated only when FILE is in the zoo folder)
      --force        replace an existing weights file

    Examples:
      feint zoo list
      feint zoo eval fmnist-smallcnn fmnist-vit-p4
      feint zoo train fmnist-smallcnn --epochs 12 --seed 0 --force   # replaces the zoo's weights
      feint zoo train cifar10-resnet8 --resume      # after an interruption
    """

    static func run(_ argv: [String]) throws -> Int32 {
        guard let sub = argv.first else { throw UsageError("missing subcommand (list, eval, describe or train)") }
        let rest = Array(argv.dropFirst())
        switch sub {
        case "list": return try list(rest)
        case "eval": return try eval(rest)
        case "train": return try train(rest)
        case "describe": return try describe(rest)
        default: throw UsageError("unknown zoo subcommand '\(sub)' (list, eval, describe or train)")
        }
    }

    static func modelsDirectory(_ args: Arguments) -> URL {
        args.string("models").map { URL(fileURLWithPath: $0) } ?? ZooManifest.defaultDirectory()
    }

    static func list(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["models"], flagOptions: ["json"])
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        let dir = modelsDirectory(args)
        guard PathKind(dir.path) == .folder else {
            throw UsageError("no zoo folder at \(dir.path); name it with --models DIR or $FEINT_MODELS (the package's Models/ folder)")
        }
        let manifest = try ZooManifest.load(from: dir)
        if args.flag("json") {
            try printJSON(manifest)
            return 0
        }
        print("Zoo in \(dir.path)")
        print("name                 family      arch         params   test acc  summary")
        for entry in Catalog.entries {
            let record = manifest.models.first { $0.name == entry.name }
            let model = try Model(name: entry.name, spec: entry.spec)
            let present = record.map { FileManager.default.fileExists(atPath: dir.appendingPathComponent($0.file).path) } ?? false
            let acc = record.map { present ? String(format: "%6.2f %%", 100 * $0.testAccuracy) : "no weights" } ?? "untrained"
            func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
            let robust = record?.robust.map { String(format: ", robust %.2f %% (%d images)", 100 * $0.robustAccuracy, $0.images) } ?? ""
            print(pad(entry.name, 21) + pad(entry.spec.family, 12) + pad(entry.spec.architecture, 10)
                  + String(format: "%9d  %9@  ", model.parameterCount, acc) + entry.summary + robust)
        }
        return 0
    }

    static func describe(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: [], flagOptions: ["spec"])
        guard args.positional.count == 1 else { throw UsageError("name one catalogued model") }
        let entry: CatalogEntry
        do { entry = try Catalog.entry(args.positional[0]) } catch { throw UsageError("\(error)") }
        if args.flag("spec") {
            try printJSON(entry.spec)
            return 0
        }
        let model = try Model(name: entry.name, spec: entry.spec)
        print("| tensor | shape |\n|---|---|")
        for (name, v) in model.stateDict { print("| `\(name)` | \(v.shape) |") }
        print("\n\(model.parameterCount) trainable parameters.")
        return 0
    }

    struct EvalRecord: Codable { var name: String, testAccuracy: Double, recorded: Double?, images: Int, seconds: Double }

    static func eval(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["models", "data"], flagOptions: ["json"])
        guard !args.positional.isEmpty else { throw UsageError("name at least one model (see `feint zoo list`)") }
        let store = ModelStore(args)
        let dir = store.directory
        let manifest = try ZooManifest.load(from: dir)
        // Every model and its data first, so that a bad name or --data fails before any result.
        let models = try args.positional.map(store.load)
        if args.string("data") != nil { _ = try DataSplits.dataset(of: models) }   // one --data serves one data set
        var splits: [String: LabeledImages] = [:]
        for model in models where splits[model.dataset] == nil {
            splits[model.dataset] = try DataSplits.test(args, models: dir, dataset: model.dataset)
        }
        for model in models { try DataSplits.requireShape(of: [model], splits[model.dataset]!) }
        var records: [EvalRecord] = []
        for model in models {
            let test = splits[model.dataset]!
            let start = Date()
            let acc = model.accuracy(on: test)
            let recorded = manifest.models.first { $0.name == model.name }?.testAccuracy
            records.append(EvalRecord(name: model.name, testAccuracy: acc, recorded: recorded, images: test.count,
                                      seconds: Date().timeIntervalSince(start)))
            if !args.flag("json") {
                let note = recorded.map { String(format: " (recorded %.2f %%)", 100 * $0) } ?? ""
                print(String(format: "%@: %.2f %% on %d test images%@", model.name, 100 * acc, test.count, note))
            }
        }
        if args.flag("json") { try printJSON(records) }
        return 0
    }

    static func train(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["models", "data", "epochs", "lr", "batch", "seed", "checkpoint", "output"],
                                 flagOptions: ["resume", "force"])
        guard args.positional.count == 1 else { throw UsageError("name exactly one model to train") }
        var entry: CatalogEntry
        do { entry = try Catalog.entry(args.positional[0]) } catch { throw UsageError("\(error)") }
        entry.recipe.epochs = try args.int("epochs", default: entry.recipe.epochs)
        entry.recipe.learningRate = Float(try args.double("lr", default: Double(entry.recipe.learningRate)))
        entry.recipe.batchSize = try args.int("batch", default: entry.recipe.batchSize)
        entry.recipe.seed = try args.seed(default: entry.recipe.seed)
        guard entry.recipe.epochs >= 1, entry.recipe.batchSize >= 1, entry.recipe.learningRate > 0 else {
            throw UsageError("--epochs and --batch must be ≥ 1 and --lr > 0")
        }
        let dir = modelsDirectory(args)
        let output = args.string("output").map { URL(fileURLWithPath: $0) } ?? dir.appendingPathComponent("\(entry.name).safetensors")
        // Where the weights go is checked now, not after hours of training.
        if PathKind(output.path) == .folder { throw UsageError("--output \(output.path) is a folder; name a .safetensors file") }
        // Its folder is made when the weights are written: the nearest existing one must be writable.
        var ancestor = output.deletingLastPathComponent()
        while PathKind(ancestor.path) == .none && ancestor.path != "/" { ancestor = ancestor.deletingLastPathComponent() }
        guard PathKind(ancestor.path) == .folder, access(ancestor.path, W_OK) == 0 else {
            throw UsageError("--output \(output.path): \(ancestor.path) is not a writable folder")
        }
        if FileManager.default.fileExists(atPath: output.path) && !args.flag("force") {
            throw UsageError("\(output.path) exists; pass --force to replace it")
        }
        // A run writing elsewhere than the zoo (a timing run, an experiment) keeps its checkpoint
        // beside its output, away from the zoo training's.
        let checkpoint = args.string("checkpoint").map { URL(fileURLWithPath: $0) }
            ?? args.string("output").map { URL(fileURLWithPath: $0 + ".checkpoint") }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/feint/checkpoints/\(entry.name).safetensors")
        try FileManager.default.createDirectory(at: checkpoint.deletingLastPathComponent(), withIntermediateDirectories: true)
        let data = try DataSplits.train(args, models: dir, dataset: entry.dataset)
        let model = try Model(name: entry.name, spec: entry.spec, seed: entry.recipe.seed)
        model.dataset = entry.dataset
        let test = try DataSplits.test(args, models: dir, for: [model])   // before hours of training
        let trainer = Trainer(model: model, recipe: entry.recipe, data: data)
        guard trainer.train.count >= entry.recipe.batchSize else {
            throw UsageError("--batch \(entry.recipe.batchSize) is larger than the \(trainer.train.count) training images")
        }
        if let adv = entry.recipe.adversarial {
            guard let norm = Norm(rawValue: adv.norm) else { throw ModelError("unknown norm '\(adv.norm)' in the recipe") }
            let pgd = PGD(epsilon: adv.epsilon, norm: norm, stepSize: adv.stepSize, steps: adv.steps, restarts: 1,
                          initialization: .uniform, loss: .crossEntropy, earlyExit: false)
            trainer.perturb = { model, x, labels, rng in
                var cost = Cost()
                return pgd.perturb(model, x, goal: .untargeted(labels: labels), generator: &rng, cost: &cost)
            }
        }
        var start = 0
        if args.flag("resume") {
            if FileManager.default.fileExists(atPath: checkpoint.path) {
                let point = try trainer.resume(from: checkpoint)
                start = point.epoch
                printError("resuming \(entry.name) from \(checkpoint.path) at epoch \(start + 1)"
                           + (point.recipeChecked ? "" : " (the checkpoint predates recorded recipes: not checked against this one)"))
                if let old = point.checkpointEpochs {
                    printError("note: the checkpoint was written for \(old) epochs; continuing on the schedule of \(entry.recipe.epochs)")
                }
                if let old = point.checkpointWarmRestarts {
                    printError("note: the checkpoint was written with warm restarts \(old); continuing with \(entry.recipe.warmRestarts)")
                }
                guard start <= entry.recipe.epochs else {
                    throw UsageError("\(checkpoint.path) has trained \(start) epochs, more than --epochs \(entry.recipe.epochs)")
                }
                if start == entry.recipe.epochs { printError("the checkpoint has finished its \(start) epochs: nothing left to train") }
            } else {
                printError("no checkpoint at \(checkpoint.path); starting from scratch")
            }
        }
        printError("training \(entry.name) (\(model.parameterCount) parameters) on \(trainer.train.count) images, validating on \(trainer.validation.count)")
        let validation = try trainer.run(startEpoch: start, checkpoint: checkpoint) { p in
            // Time left at this epoch's rate (validation passes not counted).
            let left = Double((p.epochs - p.epoch) * p.steps - p.step) * Double(entry.recipe.batchSize) / max(p.imagesPerSecond, 1e-9)
            let eta = left >= 3600 ? String(format: "%dh%02dm", Int(left) / 3600, Int(left) % 3600 / 60)
                : left >= 60 ? String(format: "%d min", Int(left / 60)) : String(format: "%d s", Int(left))
            if let v = p.validationAccuracy {
                printError(String(format: "epoch %d/%d  loss %.4f  validation %.2f %%  %.0f img/s  about %@ left", p.epoch + 1, p.epochs,
                                  p.loss, 100 * v, p.imagesPerSecond, eta))
            } else {
                printError(String(format: "epoch %d/%d  step %d/%d  loss %.4f  lr %.5f  %.0f img/s  about %@ left", p.epoch + 1, p.epochs,
                                  p.step, p.steps, p.loss, p.learningRate, p.imagesPerSecond, eta))
            }
        }
        let seconds = trainer.trainingSeconds   // every epoch, across resumed runs
        let accuracy = model.accuracy(on: test)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let command = (["feint", "zoo"] + CommandLine.arguments.drop { $0 != "train" }).joined(separator: " ")
        try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
        try model.save(to: output, metadata: ["feint.recipe": String(decoding: try encoder.encode(entry.recipe), as: UTF8.self),
                                              "feint.command": command, "feint.test_accuracy": String(format: "%.4f", accuracy)])
        let sha = SHA256.hex([UInt8](try Data(contentsOf: output)))
        let record = ZooManifest.Record(name: entry.name, dataset: entry.dataset, family: entry.spec.family,
                                        architecture: entry.spec.architecture, spec: entry.spec, parameters: model.parameterCount,
                                        file: output.lastPathComponent, sha256: sha, testAccuracy: accuracy,
                                        validationAccuracy: validation, command: command, seed: entry.recipe.seed,
                                        trainingSeconds: seconds, recipe: entry.recipe, summary: entry.summary)
        if output.deletingLastPathComponent().standardizedFileURL == dir.standardizedFileURL {
            try ZooManifest.update(record, in: dir)
        }
        print(String(format: "%@: test accuracy %.2f %% (validation %.2f %%), %.0f s, written to %@", entry.name, 100 * accuracy,
                     100 * validation, seconds, output.path))
        return 0
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
