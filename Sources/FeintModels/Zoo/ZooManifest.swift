import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Models/zoo.json: what was trained, how, and what it measured.
public struct ZooManifest: Codable, Sendable {
    public struct Record: Codable, Equatable, Sendable {
        public var name: String
        public var dataset: String
        public var family: String
        public var architecture: String
        public var spec: ModelSpec
        public var parameters: Int
        public var file: String
        public var sha256: String
        public var testAccuracy: Double
        public var validationAccuracy: Double
        public var command: String
        public var seed: UInt64
        public var trainingSeconds: Double
        public var recipe: TrainingRecipe
        public var summary: String
        /// Robust accuracy under a white-box attack, written by `feint robust --record`.
        public var robust: RobustRecord?

        public init(name: String, dataset: String, family: String, architecture: String, spec: ModelSpec, parameters: Int,
                    file: String, sha256: String, testAccuracy: Double, validationAccuracy: Double, command: String,
                    seed: UInt64, trainingSeconds: Double, recipe: TrainingRecipe, summary: String) {
            self.name = name; self.dataset = dataset; self.family = family; self.architecture = architecture
            self.spec = spec; self.parameters = parameters; self.file = file; self.sha256 = sha256
            self.testAccuracy = testAccuracy; self.validationAccuracy = validationAccuracy; self.command = command
            self.seed = seed; self.trainingSeconds = trainingSeconds; self.recipe = recipe; self.summary = summary
        }
    }

    /// A robust accuracy measurement: the attack, its budget and the data it ran on.
    public struct RobustRecord: Codable, Equatable, Sendable {
        /// The attack's settings, as `feint robust` describes them.
        public var attack: String
        public var images: Int
        public var seed: UInt64
        public var cleanAccuracy: Double
        public var robustAccuracy: Double
        public var command: String
        public init(attack: String, images: Int, seed: UInt64, cleanAccuracy: Double, robustAccuracy: Double, command: String) {
            self.attack = attack; self.images = images; self.seed = seed; self.cleanAccuracy = cleanAccuracy
            self.robustAccuracy = robustAccuracy; self.command = command
        }
    }

    public var models: [Record] = []

    public init() {}

    /// Reads the manifest in `directory`, or an empty one when there is none.
    public static func load(from directory: URL) throws -> ZooManifest {
        let url = directory.appendingPathComponent("zoo.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return ZooManifest() }
        do { return try JSONDecoder().decode(ZooManifest.self, from: Data(contentsOf: url)) } catch {
            throw ModelError("\(url.path): not a valid zoo manifest (\(error))")
        }
    }

    /// Adds or replaces a record (by name) and writes the manifest atomically, sorted by name.
    public static func update(_ record: Record, in directory: URL) throws {
        try modify(in: directory) { manifest in
            manifest.models.removeAll { $0.name == record.name }
            manifest.models.append(record)
        }
    }

    /// Sets the robust accuracy of the model `name`, which must have a record already.
    public static func recordRobust(_ robust: RobustRecord, for name: String, in directory: URL) throws {
        try modify(in: directory) { manifest in
            guard let i = manifest.models.firstIndex(where: { $0.name == name }) else {
                throw ModelError("\(name) has no record in \(directory.appendingPathComponent("zoo.json").path); train it with `feint zoo train` first")
            }
            manifest.models[i].robust = robust
        }
    }

    /// Read, change and write zoo.json under an exclusive lock on its folder, so that trainings
    /// finishing at the same time in several processes (the documented way to use two cores) each
    /// add their record instead of the last writer dropping the others'.
    private static func modify(in directory: URL, _ change: (inout ZooManifest) throws -> Void) throws {
        let fd = open(directory.path, O_RDONLY)
        guard fd >= 0 else { throw ModelError("cannot open \(directory.path) to lock zoo.json (errno \(errno))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw ModelError("cannot lock \(directory.path) (errno \(errno))") }
        defer { flock(fd, LOCK_UN) }
        var manifest = try load(from: directory)
        try change(&manifest)
        manifest.models.sort { $0.name < $1.name }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: directory.appendingPathComponent("zoo.json"), options: .atomic)
    }

    /// Where the zoo lives: $FEINT_MODELS, else `Models/` in the current folder, else the
    /// `Models/` beside the package that built this executable.
    public static func defaultDirectory() -> URL {
        if let env = ProcessInfo.processInfo.environment["FEINT_MODELS"] { return URL(fileURLWithPath: env) }
        let local = URL(fileURLWithPath: "Models")
        if FileManager.default.fileExists(atPath: local.appendingPathComponent("zoo.json").path) { return local }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = dir.appendingPathComponent("Models")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("zoo.json").path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return local
    }
}
