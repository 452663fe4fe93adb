import FeintCore
import FeintModels
import Foundation

/// The shared settings of transfer attacks, with the building blocks that compose with every one:
/// momentum (MI-FGSM), input diversity (DI) and translation invariance (TI).
public struct TransferSettings: Sendable, Equatable, Codable {
    /// L∞ budget ε, step α, T outer steps, momentum μ.
    public var epsilon: Float = 8.0 / 255
    public var stepSize: Float = 0.8 / 255
    public var steps = 10
    public var momentum: Float = 1
    /// DI (Xie et al., CVPR 2019): with this probability, resize to a random size in [s, 1.1·s),
    /// pad randomly to 1.1·s and resize back to s; the gradient flows through. 0: off.
    public var diversityProbability: Float = 0
    /// TI (Dong et al., CVPR 2019): smooth the gradient with a Gaussian of this odd size (3σ span)
    /// before the momentum step. nil: off. 15 at 224 pixels; scale with the image (5 at 28).
    public var translationKernel: Int?

    public init(epsilon: Float = 8.0 / 255, stepSize: Float? = nil, steps: Int = 10, momentum: Float = 1,
                diversityProbability: Float = 0, translationKernel: Int? = nil) {
        self.epsilon = epsilon
        self.stepSize = stepSize ?? epsilon / Float(steps)
        self.steps = steps; self.momentum = momentum
        self.diversityProbability = diversityProbability; self.translationKernel = translationKernel
    }

    var threat: ThreatModel { ThreatModel(norm: .linf, epsilon: epsilon) }

    /// DI's transform of a batch (one random draw per call), differentiable.
    func diversify(_ x: Variable, _ generator: inout RandomGenerator) -> Variable {
        guard diversityProbability > 0, generator.nextUnitFloat() < diversityProbability else { return x }
        let s = x.shape[2], big = Int(Float(s) * 1.1)
        guard big > s else { return x }
        let r = s + generator.int(below: big - s)
        let top = generator.int(below: big - r + 1), left = generator.int(below: big - r + 1)
        let padded = pad(resizeBilinear(x, height: r, width: r), top: top, bottom: big - r - top, left: left, right: big - r - left)
        return resizeBilinear(padded, height: s, width: x.shape[3])
    }

    /// TI's smoothing of a gradient (identity when off).
    func smooth(_ g: Tensor) -> Tensor {
        guard let k = translationKernel, k > 1 else { return g }
        let sigma = Double(k - 1) / 6
        let r = k / 2
        var kernel = Tensor(zeros: [k, k])
        var total: Float = 0
        for i in 0..<k { for j in 0..<k {
            let v = Float(exp(-Double((i - r) * (i - r) + (j - r) * (j - r)) / (2 * sigma * sigma)))
            kernel[i, j] = v; total += v
        } }
        return g.smoothed(by: kernel / total)
    }
}

/// norm1(g) = g / mean(|g|) per sample (the normalisation of MI-style momentum).
public func norm1(_ g: Tensor) -> Tensor {
    let n = g.shape[0], d = g.count / max(n, 1)
    let scales = (0..<n).map { i -> Float in
        var s: Float = 0
        for j in 0..<d { s += abs(g.scalars[i * d + j]) }
        return s > 0 ? Float(d) / s : 0
    }
    return g.scaledRows(by: scales)
}

/// ∇ₓ CE(f(DI(x)), y) for one model (or weighted logits), one forward + backward.
func crossEntropyGradient(_ logits: (Variable) -> Variable, at x: Tensor, labels: [Int], settings: TransferSettings,
                          generator: inout RandomGenerator, cost: inout Cost) -> Tensor {
    let input = Variable(x, requiresGrad: true)
    let loss = crossEntropy(logits(settings.diversify(input, &generator)), labels: labels, reduction: .sum)
    cost.forwardPasses += x.shape[0]; cost.gradientEvaluations += x.shape[0]
    return loss.gradients(wrt: [input])[0]
}

/// ∇ₓ CE(mean_k f_k(DI(x)), y), the logit ensemble's gradient: one forward and one backward pass
/// through each of the N surrogates, counted as N of each.
func ensembleGradient(_ surrogates: [Model], at x: Tensor, labels: [Int], settings: TransferSettings,
                      generator: inout RandomGenerator, cost: inout Cost) -> Tensor {
    let g = crossEntropyGradient({ meanLogits(surrogates, $0) }, at: x, labels: labels, settings: settings,
                                 generator: &generator, cost: &cost)
    cost.forwardPasses += x.shape[0] * (surrogates.count - 1)
    cost.gradientEvaluations += x.shape[0] * (surrogates.count - 1)
    return g
}

/// The logit ensemble mean_k f_k(x) (Ens in its logit form).
func meanLogits(_ surrogates: [Model], _ x: Variable) -> Variable {
    surrogates.dropFirst().reduce(surrogates[0].logits(x)) { $0 + $1.logits(x) } / Float(surrogates.count)
}

/// The inner-loop model order of SMER and NAMEA: 4 concatenated random permutations.
func innerOrder(models: Int, _ generator: inout RandomGenerator) -> [Int] {
    (0..<4).flatMap { _ in generator.permutation(models) }
}
