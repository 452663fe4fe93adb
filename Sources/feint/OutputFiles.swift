import Foundation

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

/// What a path names: nothing, a file or a folder (symbolic links followed).
enum PathKind {
    case none, file, folder

    init(_ path: String) {
        var isFolder: ObjCBool = false
        self = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) ? (isFolder.boolValue ? .folder : .file) : .none
    }
}

/// The names in a folder, hidden ones (.DS_Store) left out; none when it does not exist.
func visibleFiles(in folder: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { !$0.hasPrefix(".") }
}

/// A usage error when an output folder option names an existing file.
func requireFolder(_ url: URL, option: String) throws {
    if PathKind(url.path) == .file { throw UsageError("\(option) \(url.path) is a file; name a folder") }
}

/// Checks --output FILE before any work is done: its folder must exist, and an existing file is
/// replaced only with --force.
func requireFreeOutput(_ args: Arguments) throws {
    guard let out = args.string("output") else { return }
    let folder = URL(fileURLWithPath: out).deletingLastPathComponent().path
    guard PathKind(folder) == .folder else { throw UsageError("--output \(out): no folder \(folder)") }
    switch PathKind(out) {
    case .folder: throw UsageError("--output \(out) is a folder; name a file")
    case .file where !args.flag("force"): throw UsageError("\(out) exists; pass --force to replace it")
    default: break
    }
}

/// Refuses, before any work is done, an output folder that already holds files, unless --force
/// allows replacing them or (for commands that can) --resume continues the run there.
func requireFreeFolder(_ folder: URL, _ args: Arguments, canResume: Bool = false) throws {
    let files = visibleFiles(in: folder)
    guard !files.isEmpty, !args.flag("force"), !(canResume && args.flag("resume")) else { return }
    let some = files.sorted().prefix(3).joined(separator: ", ") + (files.count > 3 ? ", …" : "")
    throw UsageError("\(folder.path) already holds files (\(some)); choose another folder, pass --force to write over them"
                     + (canResume ? ", or --resume to continue the run there" : ""))
}

/// Pretty, sorted JSON: printed with --json, written to --output FILE when given.
func emitJSON<T: Encodable>(_ value: T, _ args: Arguments) throws {
    guard args.flag("json") || args.string("output") != nil else { return }
    let data = try jsonData(value)
    if let out = args.string("output") { try data.write(to: URL(fileURLWithPath: out), options: .atomic) }
    if args.flag("json") { print(String(decoding: data, as: UTF8.self)) }
}
