/// Stochastic gradient descent with momentum and (coupled) weight decay, as PyTorch's `SGD`:
///   g ← ∇ + λ·θ;  v ← μ·v + g;  θ ← θ − lr·(nesterov ? g + μ·v : v).
public final class SGD {
    public let parameters: [Variable]
    public var learningRate: Float
    public let momentum, weightDecay: Float
    public let nesterov: Bool
    private var velocity: [Tensor?]

    public init(_ parameters: [Variable], learningRate: Float, momentum: Float = 0.9,
                weightDecay: Float = 0, nesterov: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate; self.momentum = momentum
        self.weightDecay = weightDecay; self.nesterov = nesterov
        velocity = Array(repeating: nil, count: parameters.count)
    }

    /// Applies one update from the accumulated gradients (parameters without one are skipped).
    public func step() {
        for (i, p) in parameters.enumerated() {
            guard var g = p.grad else { continue }
            if weightDecay != 0 { g.addScaled(p.value, by: weightDecay) }
            if momentum != 0 {
                var v = velocity[i] ?? Tensor(zeros: p.shape)
                v.withUnsafeMutableBufferPointer { vp in
                    g.withUnsafeBufferPointer { gp in for j in 0..<vp.count { vp[j] = momentum * vp[j] + gp[j] } }
                }
                if nesterov { g.addScaled(v, by: momentum) } else { g = v }
                velocity[i] = v
            }
            p.value.addScaled(g, by: -learningRate)
        }
    }

    /// Clears every parameter's gradient.
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }

    /// The momentum buffers, one per parameter (nil before its first step): for checkpoints.
    public var state: [Tensor?] {
        get { velocity }
        set {
            precondition(newValue.count == parameters.count, "SGD.state: \(newValue.count) buffers for \(parameters.count) parameters")
            for (b, p) in zip(newValue, parameters) {
                precondition(b == nil || b!.shape == p.shape, "SGD.state: a buffer of shape \(b!.shape) for a parameter of shape \(p.shape)")
            }
            velocity = newValue
        }
    }
}
