import FeintCore
import FeintModels
import Foundation
import Testing

/// The committed zoo: every model listed in Models/zoo.json loads, matches its checksum and
/// reproduces its recorded test accuracy on the bundled Fashion-MNIST test split.
@Suite("Committed zoo")
struct ZooTests {
    static let models = repositoryRoot.appendingPathComponent("Models")
    static let manifest = (try? ZooManifest.load(from: models)) ?? ZooManifest()

    @Test func manifestIsNotEmpty() {
        #expect(!Self.manifest.models.isEmpty)
    }

    @Test(arguments: manifest.models.map(\.name))
    func modelReproducesRecordedAccuracy(name: String) throws {
        let record = try #require(Self.manifest.models.first { $0.name == name })
        let url = Self.models.appendingPathComponent(record.file)
        #expect(SHA256.hex([UInt8](try Data(contentsOf: url))) == record.sha256)
        let model = try Model.load(url, name: name)
        #expect(model.spec == record.spec && model.parameterCount == record.parameters)
        let test = try IDX.fashionMNIST(split: .test, directory: repositoryRoot.appendingPathComponent("datasets/fashion-mnist"))
        let accuracy = model.accuracy(on: test)
        // Different BLAS kernels or thread counts may flip a handful of borderline predictions.
        #expect(abs(accuracy - record.testAccuracy) <= 0.001, "\(name): measured \(accuracy), recorded \(record.testAccuracy)")
        let family = ["vit", "mixer"].contains(record.architecture) ? "transformer" : "cnn"
        #expect(record.family == family)
    }

    /// The library example of the README, run as written (on the zoo's SmallCNN): in
    /// FeintAttacksTests, since it needs PGD.
}
