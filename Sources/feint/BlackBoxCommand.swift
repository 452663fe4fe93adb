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
                          [--only-correct] [--batch B] [--data DIR] [--json]
                          [--output FILE [--resume | --force]] [--models DIR]

    Attacks the first N test images of the target's data set (with --only-correct: the first N
    the target classifies correctly) through a query oracle of the target: scores for SimBA, top-1 labels for
    Boundary. Every query counts, the first clean one included. Prints the success rate at the
    budget, mean and median queries over successes, the median L2 of successful perturbations,
    and for Boundary the median L2 after 1 000 / 5 000 / 10 000 queries.
    ODS variants need --surrogates (white-box models other than the target). --targeted gives each
    image a random class other than its label (from the seed) to reach; Boundary then starts from
    the first test image of that class the target classifies as such (up to 10 tried, each a
    counted query). The JSON records each image's row in the test split.

    With --output FILE the run writes FILE.partial after every batch (a black-box run can take
    hours); --resume continues an interrupted run from it, with the same result as an
    uninterrupted one (each batch has its own random stream), and leaves a complete FILE of the
    same settings alone; a FILE or checkpoint of other settings, of a Feint version with other
    results, or of other weights of the target is a usage error.
    An existing FILE is only replaced with --force.

    Defaults: --budget 10000 --n 100 --seed 0 --batch 100
    \(modelsAndDataHelp)

    Examples:
      feint blackbox --target fmnist-smallcnn --attack simba-ods --surrogates fmnist-resnet8,fmnist-vit-p7
      feint blackbox --target fmnist-vit-p4 --attack boundary --budget 5000 --n 50 --json
      feint blackbox --target fmnist-vgg --attack boundary --n 500 --batch 50 --output b.json --resume
    """

    static func run(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["target", "attack", "surrogates", "budget", "n", "seed", "batch", "data", "output", "models"],
                                 flagOptions: ["targeted", "json", "only-correct", "resume", "force"])
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        let output = args.string("output")
        guard !args.flag("resume") || output != nil else { throw UsageError("--resume needs --output FILE (its checkpoint is FILE.partial)") }
        guard !(args.flag("resume") && args.flag("force")) else { throw UsageError("give --resume or --force, not both") }
        let complete = output.map { args.flag("resume") && FileManager.default.fileExists(atPath: $0) } ?? false
        if !complete { try requireFreeOutput(args) }
        guard let targetName = args.string("target") else { throw UsageError("--target is required") }
        guard let kind = BlackBoxRun.Kind(rawValue: args.string("attack") ?? "") else {
            throw UsageError("--attack must be one of \(BlackBoxRun.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let surrogateNames = args.list("surrogates", default: [])
        let ods = kind == .simbaODS || kind == .boundaryODS
        if ods && surrogateNames.isEmpty { throw UsageError("\(kind.rawValue) needs --surrogates") }
        if !ods && !surrogateNames.isEmpty { throw UsageError("\(kind.rawValue) uses no surrogates; drop --surrogates") }
        if surrogateNames.contains(targetName) { throw UsageError("the target cannot be one of its own surrogates") }
        let budget = try args.int("budget", default: 10_000), n = try args.int("n", default: 100)
        let batch = try args.int("batch", default: 100), seed = try args.seed()
        guard budget >= 1, n >= 1, batch >= 1 else { throw UsageError("--budget, --n and --batch must be ≥ 1") }
        let store = ModelStore(args)
        let target = try store.load(targetName)
        let surrogates = try surrogateNames.map(store.load)
        try checkSurrogates(surrogates, attacked: target)
        let split = try DataSplits.test(args, models: store.directory, for: [target] + surrogates)
        if args.flag("targeted"), let missing = (0..<target.spec.classNames.count).first(where: { !split.labels.contains($0) }) {
            throw UsageError("--targeted starts each image from a test image of its target class; the data hold none of class \(missing)")
        }
        // The attacked images' rows in the test split.
        let indices: [Int]
        if args.flag("only-correct") {
            // Batch by batch, until N are found (not the whole split for a few images).
            var found: [Int] = []
            var start = 0
            while found.count < n && start < split.count {
                let rows = Array(start..<min(split.count, start + 256))
                let predictions = target.predict(split.subset(rows).images).argmaxLastAxis()
                found += zip(rows, predictions).filter { split.labels[$0.0] == $0.1 }.map(\.0)
                start += rows.count
            }
            indices = Array(found.prefix(n))
            guard !indices.isEmpty else { throw UsageError("--only-correct: \(target.name) classifies no test image correctly") }
            if indices.count < n { printError("note: \(target.name) classifies \(indices.count) test images correctly, fewer than --n \(n): attacking those") }
        } else {
            guard n <= split.count else { throw UsageError("--n \(n) is more than the \(split.count) test images") }
            indices = Array(0..<n)
        }
        let test = split.subset(indices)
        /// Whether a saved run (finished or a checkpoint) was made with these settings on these
        /// images (same rows of the test split with the same labels, so --only-correct and --data count).
        func sameSettings(_ saved: BlackBoxEvaluation) -> Bool {
            saved.target == target.name && saved.surrogates == surrogates.map(\.name) && saved.attack == kind.rawValue
                && saved.targeted == args.flag("targeted") && saved.budget == budget && saved.seed == seed && saved.images == test.count
                && saved.batch == batch && saved.samples.count <= test.count
                && saved.samples.enumerated().allSatisfy { $0.element.index == indices[$0.offset] && $0.element.label == test.labels[$0.offset] }
        }
        /// A saved run of a Feint version with other results, or of other weights of the target, is
        /// never kept or continued: its samples would be reported as this run's.
        func sameVersion(_ saved: BlackBoxEvaluation, _ path: String) throws {
            guard FeintVersion.sameResults(saved.version, FeintVersion.string) else {
                throw UsageError("\(path) was written by Feint \(saved.version ?? "an unrecorded version"), this is \(FeintVersion.string); "
                                 + "choose another --output (or delete it) to rerun with this version")
            }
            if let a = saved.targetSHA256, let b = target.weightsSHA256, a != b {
                throw UsageError("\(path) attacked other weights of \(target.name) (SHA-256 \(a.prefix(12))…, now \(b.prefix(12))…); choose another --output")
            }
        }
        if let output, complete {
            // A finished run is kept if it is this run; anything else is a mistake worth a word.
            let saved: BlackBoxEvaluation
            do { saved = try decodeJSON(BlackBoxEvaluation.self, from: URL(fileURLWithPath: output)) } catch {
                throw UsageError("\(output) is not a black-box result (\(error.localizedDescription))")
            }
            try sameVersion(saved, output)
            guard sameSettings(saved) else { throw UsageError("\(output) holds a run with other settings; choose another --output") }
            printError("kept \(output): the run is complete")
            return 0
        }
        let partial = output.map { URL(fileURLWithPath: $0 + ".partial") }
        var resume: BlackBoxEvaluation?
        if let partial, FileManager.default.fileExists(atPath: partial.path) {
            guard args.flag("resume") else {
                throw UsageError("\(partial.path) holds an interrupted run: pass --resume to continue it, or delete it")
            }
            let saved: BlackBoxEvaluation
            do { saved = try decodeJSON(BlackBoxEvaluation.self, from: partial) } catch {
                throw UsageError("\(partial.path) is not a readable checkpoint (\(error.localizedDescription)); delete it to start over")
            }
            try sameVersion(saved, partial.path)
            let same = sameSettings(saved) && saved.samples.count % batch == 0 && saved.samples.count < test.count
            guard same else { throw UsageError("\(partial.path) is a checkpoint of another run (other settings or images); delete it to start over") }
            // Targeted checkpoints from before the start images came from the whole split and the
            // target classes were recorded would resume with other start images: refuse them.
            guard !args.flag("targeted") || saved.samples.allSatisfy({ $0.targetClass != nil }) else {
                throw UsageError("\(partial.path) is a targeted checkpoint written by an older Feint (no target classes); delete it to start over")
            }
            printError("resuming after \(saved.samples.count) of \(test.count) images")
            resume = saved
        }
        var checkpointError: (any Error)?
        let result = BlackBoxRun.evaluate(target: target, surrogates: surrogates, kind: kind, data: test, indices: indices, startPool: split, budget: budget,
                                          targeted: args.flag("targeted"), batchSize: batch, seed: seed, resume: resume,
                                          checkpoint: { soFar in
                                              guard let partial, checkpointError == nil else { return }
                                              do { try jsonData(soFar).write(to: partial, options: .atomic) } catch {
                                                  checkpointError = error
                                                  printError("warning: cannot write the checkpoint \(partial.path): \(error)")
                                              }
                                          }) { done, total in
            printError("\(done)/\(total) images")
        }
        try emitJSON(result, args)
        if let partial { try? FileManager.default.removeItem(at: partial) }
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
