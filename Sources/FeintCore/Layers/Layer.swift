/// A building block of a model: owns named parameters (and buffers such as BatchNorm's running
/// statistics) and child layers, and composes ops in its forward pass. Names follow PyTorch's
/// `state_dict` convention, joined with dots (`blocks.0.attn.qkv.weight`).
///
/// Layers never write a backward pass: gradients come from the ops they call.
public protocol Layer: AnyObject {
    /// Trainable tensors owned directly by this layer, with their local names.
    var ownParameters: [(String, Variable)] { get }
    /// Non-trainable state owned directly by this layer (running statistics).
    var ownBuffers: [(String, Variable)] { get }
    /// Direct sub-layers, with their local names.
    var children: [(String, any Layer)] { get }
    /// Switches training behaviour (batch statistics, dropout) on or off, here and below.
    func setTraining(_ training: Bool)
}

extension Layer {
    public var ownParameters: [(String, Variable)] { [] }
    public var ownBuffers: [(String, Variable)] { [] }
    public var children: [(String, any Layer)] { [] }
    public func setTraining(_ training: Bool) {
        for (_, child) in children { child.setTraining(training) }
    }

    /// Every trainable parameter, depth first, with its dotted name.
    public var namedParameters: [(String, Variable)] {
        ownParameters + children.flatMap { prefix, child in child.namedParameters.map { ("\(prefix).\($0.0)", $0.1) } }
    }

    /// Every trainable parameter.
    public var parameters: [Variable] { namedParameters.map(\.1) }

    /// This layer and every layer below it, depth first.
    public var descendants: [any Layer] { [self] + children.flatMap { $0.1.descendants } }

    /// Parameters and buffers with dotted names: what a weights file holds.
    public var stateDict: [(String, Variable)] {
        ownParameters + ownBuffers
            + children.flatMap { prefix, child in child.stateDict.map { ("\(prefix).\($0.0)", $0.1) } }
    }

    /// Total number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Marks every parameter trainable or frozen. Frozen parameters record no graph: an attack on
    /// a frozen model builds a graph only along the input.
    public func setRequiresGrad(_ on: Bool) {
        for p in parameters { p.requiresGrad = on }
    }
}

/// Initial values drawn like PyTorch's defaults (Kaiming-uniform with a = √5, which gives
/// U(−1/√fanIn, 1/√fanIn) for weights and biases), from an explicit generator.
public enum Initializer {
    public static func uniform(_ shape: [Int], fanIn: Int, generator: inout RandomGenerator) -> Variable {
        let bound = 1 / Float(max(fanIn, 1)).squareRoot()
        return Variable(generator.uniform(shape: shape, low: -bound, high: bound), requiresGrad: true)
    }

    /// Truncated-free normal with the given standard deviation (ViT tokens and embeddings).
    public static func normal(_ shape: [Int], std: Float, generator: inout RandomGenerator) -> Variable {
        Variable(generator.normal(shape: shape, std: std), requiresGrad: true)
    }

    public static func constant(_ value: Float, _ shape: [Int]) -> Variable {
        Variable(Tensor(repeating: value, shape: shape), requiresGrad: true)
    }
}
