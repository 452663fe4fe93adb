// Classification losses on logits [N, C] with integer labels.

/// How per-sample losses are combined.
public enum Reduction: Sendable {
    /// Mean over samples: a scalar.
    case mean
    /// Sum over samples: a scalar.
    case sum
    /// One loss per sample: shape [N].
    case none
}

private func checkLabels(_ logits: Variable, _ labels: [Int], _ op: String) -> (Int, Int) {
    precondition(logits.value.rank == 2, "\(op): logits must be [N, C], got \(logits.shape)")
    let (n, c) = (logits.shape[0], logits.shape[1])
    precondition(labels.count == n, "\(op): \(labels.count) labels for \(n) samples")
    for y in labels { precondition(y >= 0 && y < c, "\(op): label \(y) out of range 0..<\(c)") }
    return (n, c)
}

/// Applies a reduction to per-sample values `v` whose gradient w.r.t. the logits is
/// `perSampleGrad` (one row per sample), scaled by the incoming gradient.
private func reduce(_ v: [Float], _ reduction: Reduction, logits: Variable,
                    perSampleGrad: @escaping () -> Tensor) -> Variable {
    let n = v.count, c = logits.shape[1]
    let value: Tensor
    switch reduction {
    case .mean: value = Tensor(v.reduce(0, +) / Float(max(n, 1)))
    case .sum: value = Tensor(v.reduce(0, +))
    case .none: value = Tensor(shape: [n], scalars: v)
    }
    return Variable.record(value, parents: [logits]) { g in
        var d = perSampleGrad()
        let scales: [Float]
        switch reduction {
        case .mean: scales = Array(repeating: g.scalar / Float(max(n, 1)), count: n)
        case .sum: scales = Array(repeating: g.scalar, count: n)
        case .none: scales = g.scalars
        }
        d.withUnsafeMutableBufferPointer { dp in
            for i in 0..<n { for j in 0..<c { dp[i * c + j] *= scales[i] } }
        }
        logits.accumulate(d)
    }
}

/// Cross-entropy −Σ_j q_j log softmax(z)_j with q = (1−s)·onehot(y) + s/C (label smoothing s).
/// Gradient per sample: softmax(z) − q.
public func crossEntropy(_ logits: Variable, labels: [Int], labelSmoothing s: Float = 0,
                         reduction: Reduction = .mean) -> Variable {
    let (n, c) = checkLabels(logits, labels, "crossEntropy")
    precondition(s >= 0 && s < 1, "crossEntropy: label smoothing \(s) must be in [0, 1)")
    let probs = Tensor(shape: logits.shape) { out in forEachRow(logits.value, out, softmaxRow) }
    var losses = [Float](repeating: 0, count: n)
    logits.value.withUnsafeBufferPointer { z in
            for i in 0..<n {
                var m = -Float.infinity
                for j in 0..<c { m = max(m, z[i * c + j]) }
                var sumExp: Double = 0
                for j in 0..<c { sumExp += Foundation.exp(Double(z[i * c + j] - m)) }
                let lse = Double(m) + Foundation.log(sumExp)
                var loss = (1 - Double(s)) * (lse - Double(z[i * c + labels[i]]))
                if s > 0 {
                    var all: Double = 0
                    for j in 0..<c { all += lse - Double(z[i * c + j]) }
                    loss += Double(s) / Double(c) * all
                }
                losses[i] = Float(loss)
            }
    }
    return reduce(losses, reduction, logits: logits) {
        var d = probs
        d.withUnsafeMutableBufferPointer { dp in
            for i in 0..<n {
                for j in 0..<c { dp[i * c + j] -= s / Float(c) }
                dp[i * c + labels[i]] -= 1 - s
            }
        }
        return d
    }
}

/// Margin loss max_{j≠y} z_j − z_y (positive once the sample is misclassified). Maximised by
/// untargeted attacks (Carlini–Wagner's f₆ without the clamp; the ODI paper's default).
/// Gradient: +1 at the best other class, −1 at y.
public func marginLoss(_ logits: Variable, labels: [Int], reduction: Reduction = .mean) -> Variable {
    let (n, c) = checkLabels(logits, labels, "marginLoss")
    precondition(c >= 2, "marginLoss: needs at least 2 classes, got \(c)")
    var other = [Int](repeating: 0, count: n)
    var margins = [Float](repeating: 0, count: n)
    logits.value.withUnsafeBufferPointer { z in
        for i in 0..<n {
            var best = labels[i] == 0 ? 1 : 0
            for j in 0..<c where j != labels[i] && z[i * c + j] > z[i * c + best] { best = j }
            other[i] = best
            margins[i] = z[i * c + best] - z[i * c + labels[i]]
        }
    }
    return reduce(margins, reduction, logits: logits) {
        var d = Tensor(zeros: [n, c])
        d.withUnsafeMutableBufferPointer { dp in
            for i in 0..<n { dp[i * c + other[i]] += 1; dp[i * c + labels[i]] -= 1 }
        }
        return d
    }
}

import Foundation
