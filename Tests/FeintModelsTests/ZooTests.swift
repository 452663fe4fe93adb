import FeintCore
import FeintModels
import Foundation
import Testing

/// The committed zoo: every model listed in Models/zoo.json loads and matches its checksum, and
/// reproduces its recorded test accuracy on its test split: Fashion-MNIST is bundled; CIFAR-10
/// models are checked where the CIFAR-10 JPEG folders are (beside the project, as on the
/// development machine and its CI, or at $FEINT_CIFAR10; neither Debian nor PyPI ships them).
@Suite("Committed zoo")
struct ZooTests {
    static let models = repositoryRoot.appendingPathComponent("Models")
    static let manifest = (try? ZooManifest.load(from: models)) ?? ZooManifest()
    /// The CIFAR-10 copy (a folder holding test/), if this machine has one.
    static let cifar10: URL? = {
        let dir = ProcessInfo.processInfo.environment["FEINT_CIFAR10"].map { URL(fileURLWithPath: $0) }
            ?? repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets/cifar10")
        return FileManager.default.fileExists(atPath: dir.appendingPathComponent("test").path) ? dir : nil
    }()

    @Test func manifestIsNotEmpty() {
        #expect(!Self.manifest.models.isEmpty)
    }

    @Test(arguments: manifest.models.map(\.name))
    func modelMatchesItsRecord(name: String) throws {
        let record = try #require(Self.manifest.models.first { $0.name == name })
        let url = Self.models.appendingPathComponent(record.file)
        #expect(SHA256.hex([UInt8](try Data(contentsOf: url))) == record.sha256)
        let model = try Model.load(url, name: name)
        #expect(model.spec == record.spec && model.parameterCount == record.parameters)
        #expect(model.dataset == record.dataset)
        let family = ["vit", "mixer"].contains(record.architecture) ? "transformer" : "cnn"
        #expect(record.family == family)
    }

    @Test(arguments: manifest.models.filter { $0.dataset != "cifar10" || cifar10 != nil }.map(\.name))
    func modelReproducesRecordedAccuracy(name: String) throws {
        let record = try #require(Self.manifest.models.first { $0.name == name })
        let model = try Model.load(Self.models.appendingPathComponent(record.file), name: name)
        let test: LabeledImages
        switch record.dataset {
        case "cifar10":
            test = try CIFAR10.load(split: "test", directory: try #require(Self.cifar10))
        default:
            test = try IDX.fashionMNIST(split: .test, directory: repositoryRoot.appendingPathComponent("datasets/fashion-mnist"))
        }
        let accuracy = model.accuracy(on: test)
        // Different BLAS kernels or thread counts may flip a handful of borderline predictions.
        #expect(abs(accuracy - record.testAccuracy) <= 0.001, "\(name): measured \(accuracy), recorded \(record.testAccuracy)")
    }

    /// Adversarially trained models carry their robust accuracy (issue: record clean and robust).
    @Test func robustModelsRecordRobustAccuracy() {
        for record in Self.manifest.models where record.recipe.adversarial != nil {
            #expect(record.robust != nil, "\(record.name) has no robust accuracy (feint robust --model \(record.name) --record)")
            if let r = record.robust { #expect(r.robustAccuracy <= r.cleanAccuracy && r.images > 0) }
        }
    }

    @Test func robustAccuracyIsRecordedInPlace() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feint-zoo-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let record = try #require(Self.manifest.models.first)
        try ZooManifest.update(record, in: dir)
        let robust = ZooManifest.RobustRecord(attack: "pgd", images: 10, seed: 0, cleanAccuracy: 0.9, robustAccuracy: 0.5, command: "feint robust")
        try ZooManifest.recordRobust(robust, for: record.name, in: dir)
        let reloaded = try ZooManifest.load(from: dir)
        #expect(reloaded.models.count == 1 && reloaded.models[0].robust == robust)
        #expect(throws: ModelError.self) { try ZooManifest.recordRobust(robust, for: "no-such-model", in: dir) }
    }

    /// Trainings that finish together (one per core, as the docs suggest) each keep their record.
    @Test func concurrentUpdatesKeepEveryRecord() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feint-zoo-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let record = try #require(Self.manifest.models.first)
        let writers = 8, rounds = 10
        DispatchQueue.concurrentPerform(iterations: writers) { w in
            var mine = record
            mine.name = "model-\(w)"
            for r in 0..<rounds {
                mine.seed = UInt64(r)
                try? ZooManifest.update(mine, in: dir)
            }
        }
        let names = try ZooManifest.load(from: dir).models.map(\.name)
        #expect(names == (0..<writers).map { "model-\($0)" })
    }

    /// The library example of the README, run as written (on the zoo's SmallCNN): in
    /// FeintAttacksTests, since it needs PGD.
}
