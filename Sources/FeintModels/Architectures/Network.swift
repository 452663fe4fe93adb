import FeintCore

/// What one forward pass of a network returns: the logits, and what attention maps need, taken
/// from the same pass (no second forward).
public struct NetworkOutput {
    /// [N, classes].
    public var logits: Variable
    /// CNNs: the feature map of the last convolutional stage, [N, C, h, w]. Transformers: the
    /// tokens entering the last block, [N, T, D] on a √T×√T grid (ViT: [N, 1 + T, D], class
    /// token first). A node of the forward graph, so Grad-CAM can differentiate to it.
    public var features: Variable
    /// Transformers: each block's attention weights [N, heads, T(+1), T(+1)], first block first.
    /// Empty for CNNs and token-mixing MLPs.
    public var attention: [Tensor]
}

/// An architecture: normalised pixels in, logits and attention hooks out.
public protocol Network: Layer {
    func forward(_ x: Variable) -> NetworkOutput
}

/// Conv → BatchNorm (→ ReLU) with PyTorch-style names: the conv and the norm are children
/// named by the caller.
final class ConvBN: Layer {
    let conv: Conv2d
    let bn: BatchNorm2d
    let names: (String, String)
    init(_ i: Int, _ o: Int, kernel: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1,
         names: (String, String) = ("conv", "bn"), generator: inout RandomGenerator) {
        conv = Conv2d(i, o, kernel: kernel, stride: stride, padding: padding, groups: groups, bias: false, generator: &generator)
        bn = BatchNorm2d(o)
        self.names = names
    }
    var children: [(String, any Layer)] { [(names.0, conv), (names.1, bn)] }
    func callAsFunction(_ x: Variable) -> Variable { bn(conv(x)) }
}
