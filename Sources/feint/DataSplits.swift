import FeintModels
import Foundation

/// Where the commands find a model's data: Fashion-MNIST from IDX files, CIFAR-10 from image
/// class folders (decoded once into a cache, see `CIFAR10`).
enum DataSplits {
    static let datasets = ["fashion-mnist", "cifar10"]

    /// The one data set of `models`, or a usage error when they disagree.
    static func dataset(of models: [Model]) throws -> String {
        let found = Set(models.map(\.dataset))
        guard found.count <= 1 else {
            throw UsageError("the models classify different data sets (\(found.sorted().joined(separator: ", "))): "
                             + models.map { "\($0.name): \($0.dataset)" }.joined(separator: ", "))
        }
        return found.first ?? "fashion-mnist"
    }

    /// The test split of the models' data set, checked against every model's input shape.
    static func test(_ args: Arguments, models directory: URL, for models: [Model]) throws -> LabeledImages {
        let data = try test(args, models: directory, dataset: try dataset(of: models))
        try requireShape(of: models, data)
        return data
    }

    /// The first `n` images, or a usage error when the data hold fewer.
    static func first(_ n: Int, of data: LabeledImages) throws -> LabeledImages {
        guard n <= data.count else { throw UsageError("--n \(n) is more than the \(data.count) test images") }
        return data.prefix(n)
    }

    /// A usage error, before any work, when a model takes other images than `data` holds.
    static func requireShape(of models: [Model], _ data: LabeledImages) throws {
        for m in models where m.spec.inputShape != data.imageShape {
            throw UsageError("\(m.name) takes \(m.spec.inputShape.map(String.init).joined(separator: "×")) images; the data hold "
                             + "\(data.imageShape.map(String.init).joined(separator: "×")) (another data set in --data?)")
        }
    }

    /// The test split: Fashion-MNIST from --data or the bundled `datasets/fashion-mnist` (beside the
    /// zoo folder, else beside the package's Models/); CIFAR-10 from --data DIR, $FEINT_CIFAR10,
    /// or `shared/datasets/cifar10` beside the package (a folder holding train/ and test/).
    static func test(_ args: Arguments, models: URL, dataset: String) throws -> LabeledImages {
        let data: LabeledImages
        switch dataset {
        case "fashion-mnist":
            if let dir = args.string("data") { data = try IDX.fashionMNIST(split: .test, directory: URL(fileURLWithPath: dir)); break }
            do { data = try IDX.fashionMNIST(split: .test, directory: bundledFashionMNIST(models: models)) } catch {
                throw UsageError("\(error); pass --data DIR (a folder holding the Fashion-MNIST IDX files)")
            }
        case "cifar10":
            data = try cifar10(args, split: "test", models: models)
        default:
            throw UsageError("unknown data set '\(dataset)' (\(datasets.joined(separator: ", ")))")
        }
        guard data.count > 0 else { throw UsageError("the test data hold no images (--data)") }
        return data
    }

    /// The training split: Fashion-MNIST from --data or Debian's dataset-fashion-mnist; CIFAR-10
    /// as for `test`.
    static func train(_ args: Arguments, models: URL, dataset: String) throws -> LabeledImages {
        switch dataset {
        case "fashion-mnist":
            let dir = URL(fileURLWithPath: args.string("data") ?? "/usr/share/datasets/fashion-mnist")
            do { return try IDX.fashionMNIST(split: .train, directory: dir) } catch {
                throw ModelError("\(error)\nThe training split comes from Debian's dataset-fashion-mnist package (apt-get install dataset-fashion-mnist) or --data DIR.")
            }
        case "cifar10":
            return try cifar10(args, split: "train", models: models)
        default:
            throw UsageError("unknown data set '\(dataset)' (\(datasets.joined(separator: ", ")))")
        }
    }

    /// `datasets/fashion-mnist` beside the zoo folder if there, else beside the default zoo folder.
    static func bundledFashionMNIST(models: URL) -> URL {
        let candidates = [models, ZooManifest.defaultDirectory()].map {
            $0.deletingLastPathComponent().appendingPathComponent("datasets/fashion-mnist")
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) } ?? candidates[0]
    }

    static func cifar10(_ args: Arguments, split: String, models: URL) throws -> LabeledImages {
        let beside = models.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/datasets/cifar10")
        let fallback = FileManager.default.fileExists(atPath: beside.appendingPathComponent(split).path) ? beside.path : nil
        guard let path = args.string("data") ?? ProcessInfo.processInfo.environment["FEINT_CIFAR10"] ?? fallback else {
            throw UsageError("CIFAR-10 models need --data DIR or FEINT_CIFAR10=DIR: a folder holding train/ and test/ with one "
                             + "subfolder per class (\(CIFAR10.classes.joined(separator: ", ")))")
        }
        return try CIFAR10.load(split: split, directory: URL(fileURLWithPath: path)) { done, total in
            printError("decoding CIFAR-10 \(split): \(done)/\(total) images (cached for later runs)")
        }
    }
}
