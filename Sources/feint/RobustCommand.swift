import FeintAttacks
import FeintCore
import FeintEval
import FeintModels
import Foundation

/// `feint robust`: robust accuracy of a zoo model under a white-box attack.
enum RobustCommand {
    static let help = """
    Usage: feint robust --model NAME|FILE [--attack pgd|apgd|fgsm] [--init zero|uniform|odi]
                        [--odi-steps N] [--loss ce|margin|dlr] [--norm linf|l2] [--eps E]
                        [--steps K] [--step-size A] [--schedule constant|cosine] [--restarts R]
                        [--n N] [--batch B] [--seed S | --seeds S1,S2,...] [--data DIR] [--json]
                        [--output FILE] [--record] [--force] [--no-early-exit] [--models DIR]

    Attacks the first N test images of the model's data set (Fashion-MNIST or CIFAR-10) and reports clean accuracy, robust accuracy, robust accuracy after each restart,
    gradient evaluations spent and wall time. --json prints
    the whole result (settings, seed, per-image records); --output also writes it to FILE.
    With --seeds the evaluation runs once per seed and reports mean ± standard deviation over
    the seeds (the JSON keeps every run). --record writes clean and robust accuracy, the attack
    and this command into the model's record in zoo.json of the zoo folder (one seed), measured
    with the zoo's protocol: ODI-PGD (2 ODI steps), margin loss, L∞ at the model's training ε
    (0.1 on Fashion-MNIST, 8/255 on CIFAR-10: pass --eps 8/255), 20 constant steps of ε/4,
    --restarts 5, early exit, --n 1000 or more; the model must be in zoo.json with these weights.
    --force replaces an existing --output file or an earlier --record, and records another
    protocol. PGD skips images
    already misclassified or broken by an earlier restart; --no-early-exit (PGD only) attacks every
    image in every restart: full batches for throughput measurements, more work, and other random
    draws for the images that remain (restarts draw only for the images still attacked), so the
    robust accuracy is a sample of the same attack, not the same number.

    Defaults: --attack pgd --init odi --odi-steps 2 --loss margin --norm linf --eps 0.1 --steps 20
              --step-size eps/4 --restarts 1 --n 1000 --batch 128 --seed 0 (APGD: --loss ce,
              --steps 100; FGSM: --loss ce).
    \(modelsAndDataHelp)

    Examples:
      feint robust --model fmnist-smallcnn --eps 0.1 --restarts 5
      feint robust --model fmnist-smallcnn --attack pgd --init uniform --restarts 5 --json
      feint robust --model fmnist-vit-p4 --attack apgd --loss dlr --steps 100
      feint robust --model fmnist-smallcnn-at --init odi --restarts 20 --seeds 0,1,2 --output odi.json
      feint robust --model fmnist-smallcnn-at --init odi --restarts 5 --n 1000 --record --force
    """

    static func run(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["model", "attack", "init", "odi-steps", "loss", "norm", "eps", "steps", "step-size",
                                                      "schedule", "restarts", "n", "batch", "seed", "seeds", "data", "output", "models"],
                                 flagOptions: ["json", "record", "no-early-exit", "force"])
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        try requireFreeOutput(args)
        guard let modelName = args.string("model") else { throw UsageError("--model is required (see `feint zoo list`)") }
        let kind = args.string("attack") ?? "pgd"
        guard let norm = Norm(rawValue: args.string("norm") ?? "linf") else { throw UsageError("--norm must be linf or l2") }
        let eps = Float(try args.double("eps", default: 0.1))
        guard eps >= 0 else { throw UsageError("--eps must be ≥ 0") }
        let defaultLoss = kind == "pgd" ? "margin" : "ce"
        guard let loss = AttackLoss(rawValue: args.string("loss") ?? defaultLoss) else { throw UsageError("--loss must be ce, margin or dlr") }
        let steps = try args.int("steps", default: kind == "apgd" ? 100 : 20)
        let restarts = try args.int("restarts", default: 1)
        let n = try args.int("n", default: 1000), batch = try args.int("batch", default: 128)
        let seeds: [UInt64]
        if let list = args.string("seeds") {
            guard args.string("seed") == nil else { throw UsageError("give --seed or --seeds, not both") }
            let parsed = list.split(separator: ",").map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
            guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }), Set(parsed).count == parsed.count else {
                throw UsageError("--seeds takes distinct non-negative integers separated by commas, got '\(list)'")
            }
            seeds = parsed.map { $0! }
        } else {
            seeds = [try args.seed()]
        }
        guard steps >= 1, restarts >= 1, n >= 1, batch >= 1 else { throw UsageError("--steps, --restarts, --n and --batch must be ≥ 1") }
        if kind != "pgd", let pgdOnly = ["init", "odi-steps", "step-size", "schedule"].first(where: { args.string($0) != nil }) {
            throw UsageError("--\(pgdOnly) is an option of --attack pgd, not \(kind)")
        }
        if kind != "pgd" && args.flag("no-early-exit") { throw UsageError("--no-early-exit is an option of --attack pgd, not \(kind)") }
        if kind == "fgsm", let iterative = ["steps", "restarts"].first(where: { args.string($0) != nil }) {
            throw UsageError("--\(iterative) does not apply to fgsm (one step)")
        }
        if norm == .linf && eps > 1 { throw UsageError("--eps \(eps) exceeds the pixel range [0, 1] (L∞)") }
        var settings = ["attack": kind, "norm": norm.rawValue, "eps": "\(eps)", "loss": loss.rawValue]
        let attack: any WhiteBoxAttack
        switch kind {
        case "fgsm":
            attack = FGSM(epsilon: eps, norm: norm, loss: loss)
        case "apgd":
            attack = APGD(epsilon: eps, norm: norm, steps: steps, restarts: restarts, loss: loss)
            settings["steps"] = "\(steps)"; settings["restarts"] = "\(restarts)"
        case "pgd":
            let stepSize = Float(try args.double("step-size", default: Double(eps / 4)))
            let odiSteps = try args.int("odi-steps", default: 2)
            guard stepSize > 0 || args.string("step-size") == nil && eps == 0 else { throw UsageError("--step-size must be > 0") }
            guard odiSteps >= 0 else { throw UsageError("--odi-steps must be ≥ 0") }
            if args.string("odi-steps") != nil && (args.string("init") ?? "odi") != "odi" {
                throw UsageError("--odi-steps applies to --init odi only")
            }
            let initialization: PGD.Initialization
            switch args.string("init") ?? "odi" {
            case "zero": initialization = .zero
            case "uniform": initialization = .uniform
            case "odi": initialization = .odi(steps: odiSteps)
            case let other: throw UsageError("--init must be zero, uniform or odi, got '\(other)'")
            }
            guard let schedule = PGD.Schedule(rawValue: args.string("schedule") ?? "constant") else {
                throw UsageError("--schedule must be constant or cosine")
            }
            attack = PGD(epsilon: eps, norm: norm, stepSize: stepSize, steps: steps, restarts: restarts,
                         initialization: initialization, loss: loss, schedule: schedule, earlyExit: !args.flag("no-early-exit"))
            settings.merge(["steps": "\(steps)", "restarts": "\(restarts)", "stepSize": "\(stepSize)",
                            "init": args.string("init") ?? "odi", "schedule": schedule.rawValue]) { $1 }
            if case .odi = initialization { settings["odiSteps"] = "\(odiSteps)" }
            if args.flag("no-early-exit") { settings["earlyExit"] = "false" }
        default:
            throw UsageError("--attack must be pgd, apgd or fgsm, got '\(kind)'")
        }
        if args.flag("record") && args.string("seeds") != nil { throw UsageError("--record takes one --seed, not --seeds") }
        let store = ModelStore(args)
        let model = try store.load(modelName)
        if loss == .dlr && model.spec.classNames.count < 3 {
            throw UsageError("--loss dlr needs at least 3 classes (it divides by z_π1 − z_π3); \(model.name) has \(model.spec.classNames.count)")
        }
        if args.flag("record") {
            // The record is the zoo's: the model must be in zoo.json, with these very weights.
            let manifest: ZooManifest
            do { manifest = try ZooManifest.load(from: store.directory) } catch { throw UsageError("--record: \(error)") }
            guard let entry = manifest.models.first(where: { $0.name == model.name }) else {
                throw UsageError("--record: \(model.name) is not in \(store.directory.appendingPathComponent("zoo.json").path)")
            }
            if let digest = model.weightsSHA256, digest != entry.sha256 {
                throw UsageError("--record: these weights of \(model.name) are not the zoo's (SHA-256 \(digest.prefix(12))…, zoo.json \(entry.sha256.prefix(12))…)")
            }
            if !args.flag("force"), let old = entry.robust {
                throw UsageError("\(model.name) already has a recorded robust accuracy (\(old.attack), \(old.images) images); pass --force to replace it")
            }
        }
        // The zoo's robust accuracy: ODI-PGD (2 ODI steps), margin loss, L∞ at the model's training ε
        // (else its data set's budget), 20 constant steps of ε/4, 5 restarts, early exit, 1 000
        // images or more. Another protocol is recorded only on purpose (--force).
        if args.flag("record") && !args.flag("force") {
            let budget = model.recipe?.adversarial?.epsilon ?? (model.dataset == "cifar10" ? 8.0 / 255 : 0.1)
            var differs: [String] = []
            if kind != "pgd" { differs.append("--attack \(kind)") }
            for (key, expected) in [("init", "odi"), ("odiSteps", "2"), ("loss", "margin"), ("norm", "linf"), ("schedule", "constant"),
                                    ("stepSize", "\(eps / 4)")] where kind == "pgd" && settings[key] != expected {
                differs.append("\(key) \(settings[key] ?? "unset") (not \(expected))")
            }
            if settings["earlyExit"] == "false" { differs.append("--no-early-exit") }
            if abs(eps - budget) * 255 > 1e-3 { differs.append("eps \(eps) (not \(budget))") }
            if steps != 20 { differs.append("steps \(steps) (not 20)") }
            if restarts != 5 { differs.append("restarts \(restarts) (not 5)") }
            if n < 1000 { differs.append("n \(n) (not 1000 or more)") }
            if !differs.isEmpty {
                throw UsageError("--record writes the zoo's robust accuracy, measured with the zoo's protocol; this run differs: "
                                 + differs.joined(separator: ", ") + "; pass --force to record it anyway")
            }
        }
        let test = try DataSplits.first(n, of: try DataSplits.test(args, models: store.directory, for: [model]))
        let description = settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        var runs: [RobustEvaluation] = []
        for seed in seeds {
            let result = RobustAccuracy.evaluate(model, attack: attack, description: description, settings: settings, data: test,
                                                 batchSize: batch, seed: seed) { done, total in
                printError("seed \(seed): \(done)/\(total) images")
            }
            runs.append(result)
            if !args.flag("json") { report(result, model: model.name, description: description, count: test.count) }
        }
        if args.flag("record") {
            // The command that reproduces the record, without where this run wrote its output.
            var words = Array(CommandLine.arguments.drop { $0 != "robust" })
            if let i = words.firstIndex(of: "--output"), i + 1 < words.count { words.removeSubrange(i...(i + 1)) }
            words.removeAll { $0 == "--json" }
            let command = (["feint"] + words).joined(separator: " ")
            try ZooManifest.recordRobust(.init(attack: description, images: test.count, seed: runs[0].seed,
                                               cleanAccuracy: runs[0].cleanAccuracy, robustAccuracy: runs[0].robustAccuracy,
                                               command: command), for: model.name, in: store.directory)
            if !args.flag("json") { print("recorded in \(store.directory.appendingPathComponent("zoo.json").path)") }
        }
        if args.string("seeds") == nil {
            try emitJSON(runs[0], args)
        } else {
            let summary = RobustSeedSummary(runs)
            try emitJSON(summary, args)
            if !args.flag("json") {
                print("over seeds \(seeds.map(String.init).joined(separator: ",")) (mean ± std): robust accuracy \(summary.robustAccuracy.percent) %")
                print("after each restart: " + summary.robustAfterRestart.map(\.percent).joined(separator: ", "))
            }
        }
        return 0
    }

    static func report(_ result: RobustEvaluation, model: String, description: String, count: Int) {
        print("model \(model), \(description), seed \(result.seed), \(count) images")
        print(String(format: "clean accuracy %.2f %%, robust accuracy %.2f %%", 100 * result.cleanAccuracy, 100 * result.robustAccuracy))
        print("robust accuracy after each restart: " + result.robustAfterRestart.map { String(format: "%.2f %%", 100 * $0) }.joined(separator: ", "))
        print(String(format: "%d gradient evaluations, %.1f s (%.0f per second; %.0f per second inside the attack loop)",
                     result.gradientEvaluations, result.seconds, result.gradientEvaluationsPerSecond,
                     result.attackGradientEvaluationsPerSecond))
    }
}
