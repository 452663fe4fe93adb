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

/// Refuses a surrogate list that names one model twice (by name, path or identical weights: it
/// would count double) or holds the attacked model (a black-box or transfer result would be a
/// white-box one); `hint` is added to the second message.
func checkSurrogates(_ surrogates: [Model], attacked: Model, hint: String = "") throws {
    func same(_ a: Model, _ b: Model) -> Bool { a.name == b.name || (a.weightsSHA256 != nil && a.weightsSHA256 == b.weightsSHA256) }
    if let twice = surrogates.enumerated().first(where: { i, s in surrogates[..<i].contains { same($0, s) } })?.element {
        throw UsageError("--surrogates names \(twice.name) twice")
    }
    if let own = surrogates.first(where: { same($0, attacked) }) {
        throw UsageError("\(own.name) is the attacked model: it cannot be one of its own surrogates" + hint)
    }
}
