/// Fully connected layer: y = x·Wᵀ + b over the last axis.
public final class Linear: Layer {
    public let weight: Variable   // [out, in]
    public let bias: Variable?    // [out]

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, generator: inout RandomGenerator) {
        weight = Initializer.uniform([outFeatures, inFeatures], fanIn: inFeatures, generator: &generator)
        self.bias = bias ? Initializer.uniform([outFeatures], fanIn: inFeatures, generator: &generator) : nil
    }

    public var ownParameters: [(String, Variable)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    public func callAsFunction(_ x: Variable) -> Variable { linear(x, weight: weight, bias: bias) }
}
