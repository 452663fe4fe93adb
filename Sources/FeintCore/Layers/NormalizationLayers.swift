/// BatchNorm over the channels of NCHW input (PyTorch `BatchNorm2d`, momentum 0.1, ε 1e-5).
public final class BatchNorm2d: Layer {
    public let weight: Variable        // [C], γ, starts at 1
    public let bias: Variable          // [C], β, starts at 0
    public let runningMean: Variable   // [C] buffer
    public let runningVar: Variable    // [C] buffer
    public let momentum, epsilon: Float
    public private(set) var isTraining = false

    public init(_ channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        weight = Initializer.constant(1, [channels])
        bias = Initializer.constant(0, [channels])
        runningMean = Variable(Tensor(zeros: [channels]))
        runningVar = Variable(Tensor(repeating: 1, shape: [channels]))
        self.momentum = momentum; self.epsilon = epsilon
    }

    public var ownParameters: [(String, Variable)] { [("weight", weight), ("bias", bias)] }
    public var ownBuffers: [(String, Variable)] { [("running_mean", runningMean), ("running_var", runningVar)] }
    public func setTraining(_ training: Bool) { isTraining = training }

    public func callAsFunction(_ x: Variable) -> Variable {
        batchNorm(x, weight: weight, bias: bias, runningMean: &runningMean.value, runningVar: &runningVar.value,
                  training: isTraining, momentum: momentum, epsilon: epsilon)
    }
}

/// LayerNorm over the last axis (ε defaults to 1e-6, timm's ViT setting).
public final class LayerNorm: Layer {
    public let weight: Variable   // [D]
    public let bias: Variable     // [D]
    public let epsilon: Float

    public init(_ features: Int, epsilon: Float = 1e-6) {
        weight = Initializer.constant(1, [features])
        bias = Initializer.constant(0, [features])
        self.epsilon = epsilon
    }

    public var ownParameters: [(String, Variable)] { [("weight", weight), ("bias", bias)] }

    public func callAsFunction(_ x: Variable) -> Variable { layerNorm(x, weight: weight, bias: bias, epsilon: epsilon) }
}
