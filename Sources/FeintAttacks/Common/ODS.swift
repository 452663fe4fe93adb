import FeintCore
import FeintModels

/// Output Diversified Sampling (Tashiro, Song & Ermon, NeurIPS 2020, arXiv 2003.06878).
///
/// For a model f with C outputs and w ~ U(−1, 1)^C drawn per sample,
///   v_ODS(x) = ∇ₓ(wᵀ f(x)) / ‖∇ₓ(wᵀ f(x))‖₂   (f = logits; normalised per sample),
/// a direction that moves the output along a random direction w: white-box attacks use it to
/// diversify starting points (ODI), black-box attacks as a sampling distribution.
public enum ODS {
    /// One w ~ U(−1, 1)^C per sample: [N, C].
    public static func weights(samples: Int, classes: Int, generator: inout RandomGenerator) -> Tensor {
        generator.uniform(shape: [samples, classes], low: -1, high: 1)
    }

    /// ∇ₓ(wᵀ f(x)) (unnormalised), and the value wᵀ f(x) per sample.
    public static func gradient(_ model: any Classifying, at x: Tensor, weights w: Tensor) -> (gradient: Tensor, value: [Float]) {
        let input = Variable(x, requiresGrad: true)
        return projectedGradient(model.logits(input), of: input, weights: w)
    }

    /// The ODS direction: the gradient above with unit L2 norm per sample.
    public static func direction(_ model: any Classifying, at x: Tensor, weights w: Tensor) -> Tensor {
        unitRows(gradient(model, at: x, weights: w).gradient)
    }

    /// The ODS direction for a fresh w ~ U(−1, 1)^C per sample, C read off the model's output:
    /// one forward and one backward pass.
    public static func randomDirection(_ model: any Classifying, at x: Tensor, generator: inout RandomGenerator) -> Tensor {
        let input = Variable(x, requiresGrad: true)
        let logits = model.logits(input)
        let w = weights(samples: x.shape[0], classes: logits.shape[1], generator: &generator)
        return unitRows(projectedGradient(logits, of: input, weights: w).gradient)
    }

    private static func projectedGradient(_ logits: Variable, of input: Variable, weights w: Tensor) -> (gradient: Tensor, value: [Float]) {
        let projected = sum(logits * Variable(w), axes: [1])
        return (sum(projected).gradients(wrt: [input])[0], projected.value.scalars)
    }

    private static func unitRows(_ g: Tensor) -> Tensor { g.scaledRows(by: g.rowNorms().map { $0 > 1e-12 ? 1 / $0 : 0 }) }
}
