import FeintCore
import FeintModels

/// Per-sample objectives that attacks maximise, built from differentiable ops.
public enum AttackLoss: String, Codable, Sendable, CaseIterable {
    /// Cross-entropy of the true label (untargeted) or minus that of the target (targeted).
    case crossEntropy = "ce"
    /// max_{j≠y} z_j − z_y (untargeted); z_t − max_{j≠t} z_j (targeted). The ODI paper's default.
    case margin
    /// Difference of logits ratio (Croce & Hein 2020): (max_{j≠y} z_j − z_y) / (z_π1 − z_π3);
    /// targeted: (z_t − z_y) / (z_π1 − (z_π3 + z_π4)/2); π sorts the logits in decreasing order.
    case dlr

    /// The objective per sample, [N].
    public func perSample(_ logits: Variable, goal: Goal) -> Variable {
        switch (self, goal) {
        case let (.crossEntropy, .untargeted(labels)):
            return FeintCore.crossEntropy(logits, labels: labels, reduction: .none)
        case let (.crossEntropy, .targeted(_, targets)):
            return -FeintCore.crossEntropy(logits, labels: targets, reduction: .none)
        case let (.margin, .untargeted(labels)):
            return marginLoss(logits, labels: labels, reduction: .none)
        case let (.margin, .targeted(_, targets)):
            return -marginLoss(logits, labels: targets, reduction: .none)
        case let (.dlr, .untargeted(labels)):
            precondition(logits.shape[1] >= 3, "DLR needs at least 3 classes")
            let order = Self.ranks(logits.value)
            let scale = pick(logits, order.map { $0[0] }) - pick(logits, order.map { $0[2] }) + 1e-12
            return marginLoss(logits, labels: labels, reduction: .none) / scale
        case let (.dlr, .targeted(labels, targets)):
            precondition(logits.shape[1] >= 4, "targeted DLR needs at least 4 classes")
            let order = Self.ranks(logits.value)
            let scale = pick(logits, order.map { $0[0] })
                - (pick(logits, order.map { $0[2] }) + pick(logits, order.map { $0[3] })) * 0.5 + 1e-12
            return (pick(logits, targets) - pick(logits, labels)) / scale
        }
    }

    /// Class indices of each row sorted by decreasing logit.
    static func ranks(_ z: Tensor) -> [[Int]] {
        let c = z.shape[1]
        return (0..<z.shape[0]).map { i in (0..<c).sorted { z.scalars[i * c + $0] > z.scalars[i * c + $1] } }
    }
}

/// z[i, classes[i]] for each row i, differentiable: Σ_j z ⊙ onehot.
func pick(_ logits: Variable, _ classes: [Int]) -> Variable {
    let (n, c) = (logits.shape[0], logits.shape[1])
    var onehot = Tensor(zeros: [n, c])
    for (i, k) in classes.enumerated() { onehot.scalars[i * c + k] = 1 }
    return sum(logits * Variable(onehot), axes: [1])
}

/// Objective values and their input gradient in one forward+backward, weights frozen
/// (the model's parameters get no gradient work even if trainable).
func objectiveAndGradient(_ model: any Classifying, _ x: Tensor, goal: Goal, loss: AttackLoss,
                          cost: inout Cost) -> (values: [Float], gradient: Tensor, predictions: [Int]) {
    let input = Variable(x, requiresGrad: true)
    let logits = model.logits(input)
    let values = loss.perSample(logits, goal: goal)
    let g = sum(values).gradients(wrt: [input])[0]
    cost.forwardPasses += x.shape[0]
    cost.gradientEvaluations += x.shape[0]
    return (values.value.scalars, g, logits.value.argmaxLastAxis())
}

/// Objective values and predictions without a gradient.
func objective(_ model: any Classifying, _ x: Tensor, goal: Goal, loss: AttackLoss, cost: inout Cost) -> (values: [Float], predictions: [Int]) {
    let logits = model.logits(Variable(x))
    cost.forwardPasses += x.shape[0]
    return (loss.perSample(logits, goal: goal).value.scalars, logits.value.argmaxLastAxis())
}
