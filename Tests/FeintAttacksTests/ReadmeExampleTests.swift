import Feint   // the README's one import
import Foundation
import Testing

/// The README's library example, as written, on the committed zoo's SmallCNN.
@Test func readmeLibraryExample() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    _ = FileManager.default.changeCurrentDirectoryPath(root.path)
    // --- README ---
    let model = try Model.load(URL(fileURLWithPath: "Models/fmnist-smallcnn.safetensors"))
    let test = try IDX.fashionMNIST(split: .test, directory: URL(fileURLWithPath: "datasets/fashion-mnist"))
    let batch = test.prefix(64)
    model.setRequiresGrad(false)                       // attacks never compute weight gradients
    let pgd = PGD(epsilon: 0.1, steps: 20, restarts: 2, initialization: .odi(steps: 2), loss: .margin)
    var rng = RandomGenerator(seed: 0)
    let result = pgd.run(on: model, images: batch.images, goal: .untargeted(labels: batch.labels), generator: &rng)
    print("fooled \(result.success.filter { $0 }.count) of \(batch.count);",
          "robust accuracy after each restart: \(result.remainingAfterRestart)")
    // --- end ---
    #expect(result.adversarial.shape == batch.images.shape)
    #expect((result.adversarial - batch.images).maxAbs() <= 0.1 + 1e-6)
    #expect(result.success.filter { $0 }.count > batch.count / 2)   // a standard model breaks at ε = 0.1
}
