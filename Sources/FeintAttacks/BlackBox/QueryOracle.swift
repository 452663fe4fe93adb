import FeintCore
import FeintModels

/// The only view a black-box attack has of its target: outputs for images, per-sample query
/// counting and a per-sample budget. The model is private, and the oracle hands out plain
/// tensors of logits or labels (never Variables), so an attack has no path to the target's
/// gradients by construction.
public final class QueryOracle {
    /// What a query returns.
    public enum Access: String, Sendable { case scores, decisions }

    private let model: any Classifying
    public let access: Access
    /// Queries allowed per sample.
    public let budget: Int
    /// Queries spent per sample so far (every image sent counts, the first clean one included).
    public private(set) var queries: [Int]

    public init(_ model: any Classifying, samples: Int, budget: Int, access: Access = .scores) {
        precondition(budget >= 1, "QueryOracle: budget must be ≥ 1, got \(budget)")
        self.model = model
        self.access = access
        self.budget = budget
        queries = Array(repeating: 0, count: samples)
    }

    /// Queries left for sample i.
    public func remaining(_ i: Int) -> Int { budget - queries[i] }

    /// Logits [k, C] for images [k, C, H, W] belonging to `samples` (one query each).
    /// Precondition: scores access and budget left for every sample asked about.
    public func scores(_ images: Tensor, samples: [Int]) -> Tensor {
        precondition(access == .scores, "QueryOracle: this oracle answers decisions only")
        return evaluate(images, samples)
    }

    /// Top-1 labels for images belonging to `samples` (one query each).
    public func labels(_ images: Tensor, samples: [Int]) -> [Int] {
        evaluate(images, samples).argmaxLastAxis()
    }

    private func evaluate(_ images: Tensor, _ samples: [Int]) -> Tensor {
        precondition(images.shape[0] == samples.count, "QueryOracle: \(images.shape[0]) images for \(samples.count) samples")
        for i in samples {
            precondition(queries[i] < budget, "QueryOracle: sample \(i) has spent its budget of \(budget) queries")
            queries[i] += 1
        }
        return model.logits(Variable(images)).value
    }
}
