import FeintModels
import Foundation

/// Zoo models by name (or a .safetensors path), each loaded once per command.
final class ModelStore {
    let directory: URL
    private var cache: [String: Model] = [:]

    init(_ args: Arguments) {
        directory = args.string("models").map { URL(fileURLWithPath: $0) } ?? ZooManifest.defaultDirectory()
    }

    func url(_ name: String) -> URL {
        name.hasSuffix(".safetensors") ? URL(fileURLWithPath: name) : directory.appendingPathComponent("\(name).safetensors")
    }

    /// The model, or a usage error naming where it was looked for.
    func load(_ name: String) throws -> Model {
        if let m = cache[name] { return m }
        let file = url(name)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw UsageError("no model '\(name)' at \(file.path) (see `feint zoo list`; the zoo folder is --models DIR, "
                             + "else $FEINT_MODELS, ./Models or the package's Models/)")
        }
        let m = try Model.load(file, name: file.deletingPathExtension().lastPathComponent)
        cache[name] = m
        return m
    }
}

/// The --models and --data options, as every command that loads zoo models and test data reads them.
let modelsAndDataHelp = """

    Models and data:
      --models DIR   the zoo folder (default: $FEINT_MODELS, ./Models, or the package's Models/)
      --data DIR     the test images: for Fashion-MNIST models an IDX folder (default: the bundled
                     datasets/fashion-mnist), for CIFAR-10 models a folder holding test/ with one
                     folder per class (default: $FEINT_CIFAR10, else shared/datasets/cifar10 beside
                     the project folder; decoded once into ~/.cache/feint/datasets)
    """
