import FeintAttacks
import FeintCore
import FeintEval
import FeintModels
import Foundation

/// `feint attention`: where a model looks, as PNG overlays.
enum AttentionCommand {
    static let help = """
    Usage: feint attention --model NAME|FILE --output DIR [--input DIR | --n N] [--method gradcam|rollout]
                           [--force] [--data DIR] [--models DIR]

    Writes, for each image, DIR/<name>.png: the image in gray with the attention map laid over it
    (red = attended, blue = ignored), at 4× size. Grad-CAM (the default) explains the model's
    predicted class from the last convolutional stage (CNNs) or the patch tokens entering the last
    block (transformers); rollout (ViTs only: a Mixer has no attention weights) multiplies the
    blocks' attention weights. Maps are min-max normalised per image. An output folder that
    already holds files is refused unless --force is given (it writes over maps of the same name;
    other files in the folder stay).

    Defaults: --n 16 (the first test images when no --input) --method gradcam
    Exit codes: 0 every map written; 1 error; 2 usage error; 3 some files failed; 4 none could be read.
    \(modelsAndDataHelp)

    Example:
      feint attention --model fmnist-vit-p4 --n 8 --method rollout --output maps
    """

    static func run(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["model", "output", "input", "n", "method", "models", "data"], flagOptions: ["force"])
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        guard let name = args.string("model"), let outPath = args.string("output") else { throw UsageError("--model and --output are required") }
        let method = args.string("method") ?? "gradcam"
        guard ["gradcam", "rollout"].contains(method) else { throw UsageError("--method must be gradcam or rollout") }
        guard !outPath.isEmpty, args.string("input") != "" else { throw UsageError("--output and --input must not be empty") }
        try requireFolder(URL(fileURLWithPath: outPath), option: "--output")
        if let input = args.string("input") {
            do { try FolderAttack.checkFolders(input: URL(fileURLWithPath: input), output: URL(fileURLWithPath: outPath)) } catch {
                throw UsageError("\(error)")
            }
        }
        try requireFreeFolder(URL(fileURLWithPath: outPath), args)
        let store = ModelStore(args)
        let model = try store.load(name)
        let dir = store.directory
        model.setRequiresGrad(false); model.setTraining(false)
        if method == "rollout" && model.spec.architecture != "vit" { throw UsageError("rollout needs a ViT; \(name) is \(model.spec.architecture)") }
        let (c, h, w) = (model.spec.inputShape[0], model.spec.inputShape[1], model.spec.inputShape[2])
        var images: [(String, Tensor)] = [], failed = 0
        if let input = args.string("input") {
            guard args.string("n") == nil else { throw UsageError("--n picks test images; with --input every image of DIR is explained") }
            let folder: ImageFolder, outputs: [String]
            do {
                folder = try ImageFolder(root: URL(fileURLWithPath: input), labels: .none)
                outputs = try folder.pngOutputPaths()
            } catch { throw UsageError("\(error)") }
            for problem in folder.problems { printError("\(problem)"); failed += 1 }
            for warning in folder.warnings { printError("warning: \(warning)") }
            for (e, out) in zip(folder.entries, outputs) {
                do { images.append(((out as NSString).deletingPathExtension, try folder.load(e, channels: c, height: h, width: w, resize: true))) } catch {
                    printError(error is DataError ? "\(error)" : "\(e.path): \(error)")
                    failed += 1
                }
            }
        } else {
            let n = try args.int("n", default: 16)
            guard n >= 1 else { throw UsageError("--n must be ≥ 1") }
            let test = try DataSplits.first(n, of: try DataSplits.test(args, models: dir, for: [model]))
            for i in 0..<test.count { images.append(("test-\(i)", test.images.rows([i]).reshaped([c, h, w]))) }
        }
        guard !images.isEmpty else {
            if failed > 0 { printError("feint attention: none of the images could be read"); return 4 }
            throw UsageError("no images to explain")
        }
        let out = URL(fileURLWithPath: outPath)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        for (file, pixels) in images {
            let output = model.forward(Variable(pixels.reshaped([1, c, h, w]), requiresGrad: true))
            let predicted = output.logits.value.argmaxLastAxis()
            let map = method == "rollout" ? AttentionMap.rollout(output, inputSize: (h, w))
                : AttentionMap.gradCAM(output, classes: predicted, inputSize: (h, w))
            let gray = ImageCodec.convert(pixels, toChannels: 1)
            let zoom = 4
            let overlay = Tensor(shape: [3, h * zoom, w * zoom]) { o in
                for y in 0..<(h * zoom) { for x in 0..<(w * zoom) {
                    let (g, m) = (gray[0, y / zoom, x / zoom], map[0, 0, y / zoom, x / zoom])
                    o[(0 * h * zoom + y) * w * zoom + x] = 0.55 * g + 0.45 * m
                    o[(1 * h * zoom + y) * w * zoom + x] = 0.55 * g
                    o[(2 * h * zoom + y) * w * zoom + x] = 0.55 * g + 0.45 * (1 - m)
                } }
            }
            let target = out.appendingPathComponent(file + ".png")
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try ImageCodec.writePNG(overlay, to: target)
        }
        print("\(images.count) attention maps (\(method)) of \(model.name) written to \(out.path)"
              + (failed > 0 ? "; \(failed) files failed (above)" : ""))
        return failed > 0 ? 3 : 0
    }
}
