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

/// Pretty, sorted JSON: printed with --json, written to --output FILE when given.
func emitJSON<T: Encodable>(_ value: T, _ args: Arguments) throws {
    guard args.flag("json") || args.string("output") != nil else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let data = try encoder.encode(value)
    if let out = args.string("output") { try data.write(to: URL(fileURLWithPath: out), options: .atomic) }
    if args.flag("json") { print(String(decoding: data, as: UTF8.self)) }
}
