import FeintAttacks
import FeintCore
import FeintEval
import FeintModels
import Foundation

/// `feint blackbox`: score- and decision-based attacks through a query oracle.
enum BlackBoxCommand {
    static let help = """
    Usage: feint blackbox --target NAME --attack simba|simba-dct|simba-ods|boundary|boundary-ods
                          [--surrogates A,B,...] [--budget Q] [--n N] [--seed S] [--targeted]
                          [--only-correct] [--batch B] [--data DIR] [--json] [--output FILE]

    Attacks the first N test images of the target's data set (with --only-correct: the first N
    the target classifies correctly) through a query oracle of the target: scores for SimBA, top-1 labels for
    Boundary. Every query counts, the first clean one included. Prints the success rate at the
    budget, mean and median queries over successes, the median L2 of successful perturbations,
    and for Boundary the median L2 after 1 000 / 5 000 / 10 000 queries.
    ODS variants need --surrogates (white-box models other than the target).

    Defaults: --budget 10000 --n 100 --seed 0 --batch 100

    Examples:
      feint blackbox --target fmnist-smallcnn --attack simba-ods --surrogates fmnist-resnet8,fmnist-vit-p7
      feint blackbox --target fmnist-vit-p4 --attack boundary --budget 5000 --n 50 --json
    """

    static func run(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["target", "attack", "surrogates", "budget", "n", "seed", "batch", "data", "output", "models"],
                                 flagOptions: ["targeted", "json", "only-correct"])
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        guard let targetName = args.string("target") else { throw UsageError("--target is required") }
        guard let kind = BlackBoxRun.Kind(rawValue: args.string("attack") ?? "") else {
            throw UsageError("--attack must be one of \(BlackBoxRun.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let surrogateNames = args.list("surrogates", default: [])
        if (kind == .simbaODS || kind == .boundaryODS) && surrogateNames.isEmpty {
            throw UsageError("\(kind.rawValue) needs --surrogates")
        }
        if surrogateNames.contains(targetName) { throw UsageError("the target cannot be one of its own surrogates") }
        let budget = try args.int("budget", default: 10_000), n = try args.int("n", default: 100)
        let batch = try args.int("batch", default: 100), seed = UInt64(try args.int("seed", default: 0))
        guard budget >= 1, n >= 1, batch >= 1 else { throw UsageError("--budget, --n and --batch must be ≥ 1") }
        let store = ModelStore(args)
        let target = try store.load(targetName)
        let surrogates = try surrogateNames.map(store.load)
        var test = try DataSplits.test(args, models: store.directory, dataset: try DataSplits.dataset(of: [target] + surrogates))
        if args.flag("only-correct") {
            let predictions = target.predict(test.images).argmaxLastAxis()
            test = test.subset(Array((0..<test.count).filter { predictions[$0] == test.labels[$0] }.prefix(n)))
        } else {
            test = test.prefix(n)
        }
        let result = BlackBoxRun.evaluate(target: target, surrogates: surrogates, kind: kind, data: test, budget: budget,
                                          targeted: args.flag("targeted"), batchSize: batch, seed: seed) { done, total in
            printError("\(done)/\(total) images")
        }
        try emitJSON(result, args)
        if !args.flag("json") {
            func f(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "–" }
            print("target \(target.name), attack \(kind.rawValue)\(surrogates.isEmpty ? "" : " (surrogates \(surrogateNames.joined(separator: ",")))"), \(result.targeted ? "targeted" : "untargeted"), budget \(budget), \(test.count) images, seed \(seed)")
            print(String(format: "success rate %.1f %%; queries over successes: mean %@, median %@; median L2 %@",
                         100 * result.successRate, f(result.meanQueries), f(result.medianQueries), result.medianL2.map { String(format: "%.3f", $0) } ?? "–"))
            for q in ["1000", "5000", "10000"] { if let v = result.medianL2AtQueries[q] { print("median L2 after \(q) queries: \(v.map { String(format: "%.3f", $0) } ?? "∞")") } }
        }
        return 0
    }
}
