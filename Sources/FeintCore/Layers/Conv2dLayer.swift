/// 2-D convolution layer (PyTorch `Conv2d`): square kernel, stride, zero padding, groups.
public final class Conv2d: Layer {
    public let weight: Variable   // [out, in/groups, k, k]
    public let bias: Variable?    // [out]
    public let stride, padding, groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                groups: Int = 1, bias: Bool = true, generator: inout RandomGenerator) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0,
                     "Conv2d: channels \(inChannels)→\(outChannels) not divisible by \(groups) groups")
        let fanIn = inChannels / groups * kernel * kernel
        weight = Initializer.uniform([outChannels, inChannels / groups, kernel, kernel], fanIn: fanIn, generator: &generator)
        self.bias = bias ? Initializer.uniform([outChannels], fanIn: fanIn, generator: &generator) : nil
        self.stride = stride; self.padding = padding; self.groups = groups
    }

    public var ownParameters: [(String, Variable)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    public func callAsFunction(_ x: Variable) -> Variable {
        conv2d(x, weight: weight, bias: bias, stride: stride, padding: padding, groups: groups)
    }
}
