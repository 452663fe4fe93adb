import FeintCore

/// A differentiable image classifier: [0, 1] pixels [N, C, H, W] in, logits [N, classes] out.
public protocol Classifying: AnyObject {
    func logits(_ x: Variable) -> Variable
}

extension SmallCNN: Classifying {
    public func logits(_ x: Variable) -> Variable { forward(x).logits }
}

extension ViT: Classifying {
    public func logits(_ x: Variable) -> Variable { forward(x).logits }
}
