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
            throw UsageError("no model '\(name)' at \(file.path) (see `feint zoo list`)")
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

/// Pretty, sorted JSON (∞ and NaN as strings).
func jsonData<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try encoder.encode(value)
}

/// Reads what `jsonData` wrote.
func decodeJSON<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return try decoder.decode(type, from: Data(contentsOf: url))
}

/// Refuses, before any work is done, to replace an existing --output file unless --force is given.
func requireFreeOutput(_ args: Arguments) throws {
    guard let out = args.string("output"), !args.flag("force"), FileManager.default.fileExists(atPath: out) else { return }
    throw UsageError("\(out) exists; pass --force to replace it")
}

/// Pretty, sorted JSON: printed with --json, written to --output FILE when given.
func emitJSON<T: Encodable>(_ value: T, _ args: Arguments) throws {
    guard args.flag("json") || args.string("output") != nil else { return }
    let data = try jsonData(value)
    if let out = args.string("output") { try data.write(to: URL(fileURLWithPath: out), options: .atomic) }
    if args.flag("json") { print(String(decoding: data, as: UTF8.self)) }
}
