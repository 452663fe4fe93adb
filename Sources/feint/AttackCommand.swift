import FeintAttacks
import FeintCore
import FeintEval
import FeintModels
import Foundation

/// `feint attack`: adversarial images for a folder of images.
enum AttackCommand {
    static let whiteBox = ["fgsm", "pgd", "apgd"]
    static let blackBox = ["simba", "simba-dct", "simba-ods", "boundary", "boundary-ods"]

    static let help = """
    Usage: feint attack --model NAME|FILE.safetensors --attack ATTACK --input DIR --output DIR
                        [--labels folders|predicted|FILE.csv] [--eps E] [--steps K] [--restarts R]
                        [--surrogates A,B,...] [--budget Q] [--seed S] [--batch B] [--resize fit|error]
                        [--resume | --force] [--gallery] [--json] [--quiet] [--models DIR]

    Attacks every PNG/JPEG under DIR (gray, RGB or RGBA, 8 or 16 bit, nested folders) and writes
    lossless PNGs with the same relative paths under the output folder, plus report.json (settings,
    seed, version, per image: prediction before/after on the saved 8-bit file, success,
    perturbation norms, queries), report.md and settings.json (written first: --resume refuses
    other settings, another Feint version or changed input images, naming what differs);
    --gallery also writes gallery.png. An output folder that already holds files
    is refused unless --resume (skip images whose output exists, re-measure them, attack the
    rest; a black-box run's query counts are kept in .queries.jsonl) or --force (write over
    them) is given.

    ATTACK: white-box \(whiteBox.joined(separator: ", ")) (on --model);
            black-box \(blackBox.joined(separator: ", ")) (queries --model; ODS variants need --surrogates;
              these search for a small L2 perturbation within --budget queries: no --eps; the report's
              queries are those to the first adversarial image: SimBA stops there, Boundary goes on
              shrinking the perturbation for the whole budget; an output whose nearest 8-bit levels
              undo its success is saved on the levels away from the clean image if those keep it,
              as the report notes);
            transfer \(TransferAttackSpec.names.joined(separator: ", ")) (crafted on --surrogates, measured on --model).
    Labels: `folders` (class subfolders named after the model's classes, e.g. airplane/, or their
    indices 0/ 1/ …; with --labels folders, other names count in sorted order if there are as many
    as classes),
    a CSV (`filename,label[,target]`, label/target as class index or name; a target makes that
    image's attack targeted (white-box and black-box; the transfer attacks are untargeted and
    refuse a target); every image needs a row; rows naming no image are warnings), or
    `predicted` (the model's clean prediction). Default: DIR/labels.csv if present, else folders if images sit in subfolders, else
    predicted. A label that names no class of the model is reported with the model's class names.
    Sizes: channels are converted to the model's (RGB → gray by luminance, gray → RGB, alpha
    dropped); images of another size are resized bilinearly (PyTorch's align_corners=False) with
    --resize fit (the default), or reported as errors with --resize error. The output folder may
    not be inside the input folder. Refused before any work, besides: options the attack does not
    use (--steps/--restarts for fgsm and black-box, --restarts for transfer, --budget except
    black-box), the attacked model (or its weights) among --surrogates, a surrogate twice, an
    input gallery.png under --gallery.

    Defaults: --eps 0.1 (pixels in [0, 1]) --steps 20 (PGD; APGD 100; transfer 10) --restarts 1
              --budget 10000 --seed 0 --batch 64
      --models DIR   the zoo folder (default: $FEINT_MODELS, ./Models, or the package's Models/)
    Exit codes: 0 every image processed; 1 other error (unreadable model, failed write); 2 usage
                error; 3 some files failed (see the report); 4 no image could be processed.

    PGD runs from the output-diversified start (2 ODI steps of ε) on the margin loss with step ε/4;
    APGD on cross-entropy; both are recorded in the report's settings. --json prints report.json;
    --quiet drops the progress line. ε may be given as a fraction: --eps 8/255.

    Examples:
      feint attack --model fmnist-smallcnn --attack pgd --eps 0.1 --input photos --output adv --gallery
      feint attack --model cifar10-resnet8 --attack apgd --eps 8/255 --input shots --labels predicted --output adv
      feint attack --model fmnist-vgg --attack simba-ods --surrogates fmnist-smallcnn,fmnist-vit-p4 --budget 2000 \\
                   --input photos --output adv-bb
      feint attack --model fmnist-vit-p7 --attack namea --surrogates fmnist-smallcnn,fmnist-vit-p4 --eps 16/255 \\
                   --input photos --output adv-tr --resume
    """

    static func run(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["model", "attack", "input", "output", "labels", "eps", "steps", "restarts", "surrogates",
                                                      "budget", "seed", "batch", "resize", "models"],
                                 flagOptions: ["resume", "force", "gallery", "json", "quiet"])
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        guard let modelName = args.string("model") else { throw UsageError("--model is required") }
        guard let attackName = args.string("attack") else { throw UsageError("--attack is required") }
        guard let input = args.string("input"), let outputPath = args.string("output") else { throw UsageError("--input and --output are required") }
        // An empty path usually is an unset shell variable; "" would mean the current folder.
        guard !input.isEmpty, !outputPath.isEmpty else { throw UsageError("--input and --output must not be empty") }
        let isWhite = whiteBox.contains(attackName), isBlack = blackBox.contains(attackName)
        let isTransfer = TransferAttackSpec.names.contains(attackName)
        guard isWhite || isBlack || isTransfer else {
            throw UsageError("unknown attack '\(attackName)'; the attacks are \((whiteBox + blackBox + TransferAttackSpec.names).joined(separator: ", "))")
        }
        if isBlack && args.string("eps") != nil {
            throw UsageError("\(attackName) takes no --eps: it searches for a small L2 perturbation within --budget queries")
        }
        // Options the attack does not use are refused, so that no report omits what was asked for.
        var unused: [String] = []
        if attackName == "fgsm" || isBlack { unused += ["steps", "restarts"] }
        if isTransfer { unused += ["restarts"] }
        if !isBlack { unused += ["budget"] }
        if let option = unused.first(where: { args.string($0) != nil }) { throw UsageError("\(attackName) takes no --\(option)") }
        let eps = Float(try args.double("eps", default: 0.1))
        guard eps > 0, eps <= 1 else { throw UsageError("--eps must be in (0, 1] (pixels are in [0, 1])") }
        let steps = try args.int("steps", default: attackName == "apgd" ? 100 : (isTransfer ? 10 : 20))
        let restarts = try args.int("restarts", default: 1), budget = try args.int("budget", default: 10_000)
        let seed = try args.seed(), batch = try args.int("batch", default: 64)
        guard steps >= 1, restarts >= 1, budget >= 1, batch >= 1 else { throw UsageError("--steps, --restarts, --budget, --batch must be ≥ 1") }
        let resize: Bool
        switch args.string("resize") ?? "fit" {
        case "fit": resize = true
        case "error": resize = false
        case let other: throw UsageError("--resize must be fit or error, got '\(other)'")
        }
        let inputURL = URL(fileURLWithPath: input), output = URL(fileURLWithPath: outputPath)
        do { try FolderAttack.checkFolders(input: inputURL, output: output) } catch { throw UsageError("\(error)") }
        guard !(args.flag("resume") && args.flag("force")) else { throw UsageError("give --resume or --force, not both") }
        try requireFolder(output, option: "--output")
        try requireFreeFolder(output, args, canResume: true)

        let store = ModelStore(args)
        let model = try store.load(modelName)
        let surrogates = try args.list("surrogates", default: []).map(store.load)
        try checkSurrogates(surrogates, attacked: model, hint: isTransfer ? " (for a white-box attack use --attack pgd or apgd)" : "")
        for s in surrogates where s.spec.inputShape != model.spec.inputShape {
            throw UsageError("surrogate \(s.name) (\(s.dataset)) takes other images than \(model.name) (\(model.dataset))")
        }
        for s in surrogates { s.setRequiresGrad(false); s.setTraining(false) }
        let usesSurrogates = isTransfer || attackName.hasSuffix("-ods")
        if usesSurrogates && surrogates.isEmpty { throw UsageError("\(attackName) needs --surrogates") }
        if !usesSurrogates && !surrogates.isEmpty { throw UsageError("\(attackName) uses no surrogates; drop --surrogates") }

        // Labels, matched to the model's class names.
        let labels: ImageFolder.Labels
        switch args.string("labels") {
        case "folders": labels = .folders
        case "predicted": labels = .none
        case let file?:
            guard PathKind(file) == .file else {
                throw UsageError("--labels expects folders, predicted or a CSV file; \(file) " + (PathKind(file) == .folder ? "is a folder" : "does not exist"))
            }
            labels = .csv(URL(fileURLWithPath: file))
        case nil: labels = .automatic
        }
        let folder: ImageFolder
        do {
            folder = try ImageFolder(root: inputURL, labels: labels, classNames: model.spec.classNames)
            // The gallery's name is the output folder's own: an input gallery.png would be overwritten.
            if args.flag("gallery"), let i = try folder.pngOutputPaths().firstIndex(where: { $0.lowercased() == "gallery.png" }) {
                throw UsageError("\(folder.entries[i].path) would be written as gallery.png, where --gallery writes its montage; "
                                 + "rename it or drop --gallery")
            }
        } catch let error as UsageError { throw error } catch { throw UsageError("\(error)") }
        if folder.entries.isEmpty && folder.problems.isEmpty {
            for w in folder.warnings { printError("warning: \(w)") }
            throw UsageError("no PNG or JPEG images under \(input)")
        }
        if isTransfer, let t = folder.entries.first(where: { $0.target != nil }) {
            throw UsageError("\(t.path) has a target, but the transfer attacks are untargeted; drop the target column or use a white-box attack")
        }
        // Targeted Boundary starts each image from the folder's images labelled with its target.
        if attackName.hasPrefix("boundary"),
           let t = folder.entries.first(where: { e in e.target.map { t in !folder.entries.contains { $0.label == t } } ?? false }) {
            throw UsageError("\(t.path) targets class \(t.target!), but no image of the folder is labelled with it: "
                             + "targeted Boundary starts from such an image (add one, or drop the target)")
        }
        let labelSource: FolderAttack.LabelSource
        switch folder.labels {
        case .folders: labelSource = .folders
        case .csv: labelSource = .csv
        case .none, .automatic: labelSource = .predicted
        }

        var settings = ["eps": "\(eps)", "steps": "\(steps)", "restarts": "\(restarts)"]
        // The library defaults these attacks run with, recorded so the report says what ran.
        if attackName == "pgd" { settings.merge(["init": "odi (2 steps of ε)", "loss": "margin", "step-size": "\(eps / 4)"]) { $1 } }
        if attackName == "apgd" { settings["loss"] = "cross-entropy" }
        if attackName == "fgsm" { settings = ["eps": "\(eps)"] }
        if isTransfer { settings["restarts"] = nil }
        if isBlack { settings = ["budget": "\(budget)"] }
        if !surrogates.isEmpty { settings["surrogates"] = surrogates.map(\.name).joined(separator: ",") }
        let attack: FolderAttack.Attack
        if isWhite {
            let w: any WhiteBoxAttack
            switch attackName {
            case "fgsm": w = FGSM(epsilon: eps)
            case "apgd": w = APGD(epsilon: eps, steps: steps, restarts: restarts)
            default: w = PGD(epsilon: eps, steps: steps, restarts: restarts)
            }
            attack = { x, goal, _, g in (w.run(on: model, images: x, goal: goal, generator: &g).adversarial, nil, nil, nil) }
        } else if isBlack {
            attack = { x, goal, pool, g in
                var starts: [Tensor] = []
                if case let .targeted(_, targets) = goal { starts = BlackBoxRun.targetStarts(targets, data: pool, candidates: 10) }
                let access: QueryOracle.Access = attackName.hasPrefix("boundary") ? .decisions : .scores
                let oracle = QueryOracle(model, samples: x.shape[0], budget: budget, access: access)
                let r: BlackBoxResult
                switch attackName {
                case "simba": r = SimBA().run(oracle: oracle, images: x, goal: goal, directions: .pixel, generator: &g)
                case "simba-dct": r = SimBA().run(oracle: oracle, images: x, goal: goal, directions: .dct(frequencies: x.shape[2] / 2), generator: &g)
                case "simba-ods": r = SimBA().run(oracle: oracle, images: x, goal: goal, directions: .ods(surrogates: surrogates), generator: &g)
                case "boundary": r = BoundaryAttack().run(oracle: oracle, images: x, goal: goal, directions: .gaussian, starts: starts, generator: &g)
                default:
                    r = BoundaryAttack().run(oracle: oracle, images: x, goal: goal, directions: .ods(surrogates: surrogates), starts: starts,
                                             generator: &g)
                }
                return (r.adversarial, r.queries, r.success, nil)
            }
        } else {
            let t: any TransferAttack
            do { t = try TransferAttackSpec(name: attackName, eps: eps, steps: steps).make() } catch { throw UsageError("\(error)") }
            attack = { x, goal, _, g in
                let r = t.run(surrogates: surrogates, images: x, labels: goal.labels, generator: &g)
                return (r.adversarial, nil, nil, r.nonAttentionMask)
            }
        }
        let progress = Progress("attack", quiet: args.flag("quiet"))
        let started = Date()
        let run: (report: FolderAttack.Report, gallery: [Gallery.Item])
        do {
            run = try FolderAttack.run(folder: folder, output: output, model: model, labels: labelSource, resize: resize,
                                                     batchSize: batch, seed: seed, resume: args.flag("resume"), attackName: attackName,
                                                     settings: settings, epsilon: isBlack ? nil : eps, attack: attack,
                                                     progress: progress.update)
        } catch let error as DataError { throw UsageError("\(error)") }
        var report = run.report
        let gallery = run.gallery
        let modelFile = store.url(modelName)
        report.modelFile = modelFile.standardizedFileURL.path
        report.modelSHA256 = model.weightsSHA256
        report.seconds = Date().timeIntervalSince(started)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(report)
        try json.write(to: output.appendingPathComponent("report.json"), options: .atomic)
        try Data(FolderAttack.markdown(report).utf8).write(to: output.appendingPathComponent("report.md"), options: .atomic)
        if args.flag("gallery") && !gallery.isEmpty { try Gallery.write(gallery, to: output.appendingPathComponent("gallery.png")) }
        if args.flag("json") { print(String(decoding: json, as: UTF8.self)) } else {
            let correct = labelSource == .predicted ? "labels are its own clean predictions"
                : "\(report.succeededOfCorrect) of the \(report.correctWhenClean) it classified correctly"
            print("\(report.attacked) images attacked, \(report.succeeded) fooled \(model.name) (measured on the saved PNGs; \(correct)), "
                  + "\(report.failedFiles) files failed; report in \(output.appendingPathComponent("report.md").path)")
        }
        for r in report.records where r.error != nil { printError("\(r.file): \(r.error!)") }
        for w in report.warnings { printError("warning: \(w)") }
        if report.failedFiles == 0 { return 0 }
        return report.attacked == 0 ? 4 : 3
    }
}
