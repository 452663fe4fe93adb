import FeintAttacks
import FeintCore
import FeintEval
import FeintModels
import Foundation

/// `feint transfer`: transfer attacks from surrogates to held-out targets, as a matrix.
enum TransferCommand {
    static let attackNames = TransferAttackSpec.names

    static let help = """
    Usage: feint transfer --attack LIST --surrogates A,B,... --targets C,D,... [--eps E] [--step-size A]
                          [--steps T] [--momentum MU] [--di P] [--ti K] [--n N] [--batch B] [--seed S]
                          [--namea-threshold 0.6|code] [--namea-gso G] [--data DIR] [--json] [--output FILE [--force]]
                          [--models DIR]

    Crafts adversarial images on the surrogates with each attack of LIST (\(attackNames.joined(separator: ", ")))
    and measures on every target and surrogate: fooled, fooled-of-correct and changed (after 8-bit
    rounding), clean accuracy per model, averages per family over the held-out targets, and the
    cost of each attack. i-fgsm, mi and ens attack the surrogates' logit ensemble (mi and ens are
    the same attack, MI-FGSM on it); --di P and --ti K add input diversity and gradient smoothing
    to every attack of LIST (di-mi and ti-di-mi set DI p = 0.5 and TI kernel 5 themselves, so a
    LIST naming them takes no --di or --ti). The
    JSON records each row's settings (ε, step, steps, momentum, DI, TI). --namea-gso G
    turns on NAMEA's gradient scaling: transformer surrogates' attention-weight gradients times G
    in meta-test (the released code uses 0.5; off by default).

    Defaults (the NAMEA protocol): --eps 8/255 --step-size eps/steps --steps 10 --momentum 1
              --di 0 --ti 0 (off) --n 100 --batch 50 --seed 0 --namea-threshold 0.6
    \(modelsAndDataHelp)

    Example:
      feint transfer --attack ens,smer,namea --surrogates fmnist-smallcnn,fmnist-vit-p4 \\
                     --targets fmnist-resnet8,fmnist-vit-p7 --eps 0.0627 --n 200
    """

    static func run(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["attack", "surrogates", "targets", "eps", "step-size", "steps", "momentum", "di", "ti",
                                                      "n", "batch", "seed", "namea-threshold", "namea-gso", "data", "output", "models"],
                                 flagOptions: ["json", "force"])
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        try requireFreeOutput(args)
        let names = args.list("attack", default: [])
        guard !names.isEmpty else { throw UsageError("--attack is required (\(attackNames.joined(separator: ", ")))") }
        for a in names where !attackNames.contains(a) { throw UsageError("unknown attack '\(a)' (\(attackNames.joined(separator: ", ")))") }
        guard Set(names).count == names.count else { throw UsageError("--attack names an attack twice") }
        if !names.contains("namea"), let option = ["namea-threshold", "namea-gso"].first(where: { args.string($0) != nil }) {
            throw UsageError("--\(option) applies to namea, which --attack does not name")
        }
        let surrogateNames = args.list("surrogates", default: []), targetNames = args.list("targets", default: [])
        guard !surrogateNames.isEmpty, !targetNames.isEmpty else { throw UsageError("--surrogates and --targets are required") }
        let eps = Float(try args.double("eps", default: 8.0 / 255))
        let steps = try args.int("steps", default: 10)
        let stepSize = Float(try args.double("step-size", default: Double(eps) / Double(max(steps, 1))))
        let momentum = Float(try args.double("momentum", default: 1))
        let di = Float(try args.double("di", default: 0)), ti = try args.int("ti", default: 0)
        let n = try args.int("n", default: 100), batch = try args.int("batch", default: 50), seed = try args.seed()
        guard eps > 0, steps >= 1, n >= 1, batch >= 1 else { throw UsageError("--eps must be > 0; --steps, --n, --batch ≥ 1") }
        let attacks: [(String, any TransferAttack)] = try names.map { name in
            let spec = TransferAttackSpec(name: name, eps: eps, steps: steps, stepSize: stepSize, momentum: momentum, di: di, ti: ti,
                                          threshold: args.string("namea-threshold") ?? "0.6",
                                          gso: args.string("namea-gso") == nil ? nil : Float(try args.double("namea-gso", default: 1)))
            do { return (name, try spec.make()) } catch { throw UsageError("\(error)") }
        }
        let store = ModelStore(args)
        let surrogates = try surrogateNames.map(store.load), targets = try targetNames.map(store.load)
        let all = (surrogates + targets).map(\.name)
        if let twice = all.first(where: { n in all.filter { $0 == n }.count > 1 }) {
            throw UsageError("\(twice) is named twice in --surrogates/--targets (surrogates get their white-box columns anyway)")
        }
        let data = try DataSplits.first(n, of: try DataSplits.test(args, models: store.directory, for: surrogates + targets))
        let matrix = TransferMatrix.evaluate(attacks: attacks, surrogates: surrogates, targets: targets, data: data,
                                             batchSize: batch, seed: seed) { attack, done, total in
            printError("\(attack): \(done)/\(total) images")
        }
        try emitJSON(matrix, args)
        if !args.flag("json") {
            print("fooled (%) on \(data.count) images, ε = \(eps), \(steps) steps, seed \(seed); * = surrogate (white-box)\n")
            print(matrix.markdown())
        }
        return 0
    }
}
