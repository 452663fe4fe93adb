import Foundation

/// Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as PyTorch's `AdamW`.
public final class AdamW {
    public let parameters: [Variable]
    public var learningRate: Float
    public let beta1, beta2, epsilon, weightDecay: Float
    private var m: [Tensor?], v: [Tensor?]
    private var t = 0

    public init(_ parameters: [Variable], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 1e-2) {
        self.parameters = parameters
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2
        self.epsilon = epsilon; self.weightDecay = weightDecay
        m = Array(repeating: nil, count: parameters.count)
        v = Array(repeating: nil, count: parameters.count)
    }

    public func step() {
        t += 1
        let (c1, c2) = (1 - Foundation.pow(beta1, Float(t)), 1 - Foundation.pow(beta2, Float(t)))
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            var mi = m[i] ?? Tensor(zeros: p.shape), vi = v[i] ?? Tensor(zeros: p.shape)
            let (lr, b1, b2, eps, wd) = (learningRate, beta1, beta2, epsilon, weightDecay)
            p.value.withUnsafeMutableBufferPointer { w in
                g.withUnsafeBufferPointer { gp in mi.withUnsafeMutableBufferPointer { mp in vi.withUnsafeMutableBufferPointer { vp in
                    for j in 0..<w.count {
                        mp[j] = b1 * mp[j] + (1 - b1) * gp[j]
                        vp[j] = b2 * vp[j] + (1 - b2) * gp[j] * gp[j]
                        w[j] -= lr * (wd * w[j] + (mp[j] / c1) / ((vp[j] / c2).squareRoot() + eps))
                    }
                } } }
            }
            m[i] = mi; v[i] = vi
        }
    }

    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// First- then second-moment buffers (2 per parameter): for checkpoints.
    public var state: [Tensor?] {
        get { m + v }
        set {
            precondition(newValue.count == 2 * parameters.count, "AdamW.state: \(newValue.count) buffers for \(parameters.count) parameters")
            for (i, b) in newValue.enumerated() where b != nil {
                let p = parameters[i % parameters.count]
                precondition(b!.shape == p.shape, "AdamW.state: a buffer of shape \(b!.shape) for a parameter of shape \(p.shape)")
            }
            m = Array(newValue.prefix(parameters.count)); v = Array(newValue.suffix(parameters.count))
        }
    }

    /// Steps taken (for bias correction): for checkpoints.
    public var stepCount: Int {
        get { t }
        set { t = newValue }
    }
}

