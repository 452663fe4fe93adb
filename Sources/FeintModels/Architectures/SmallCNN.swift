import FeintCore

/// The TRADES-style SmallCNN (Zhang et al., ICML 2019), for 28×28 (or 32×32) inputs:
///   conv1 C→32 3×3, ReLU, conv2 32→32 3×3, ReLU, maxpool 2,
///   conv3 32→64 3×3, ReLU, conv4 64→64 3×3, ReLU, maxpool 2,
///   flatten (64·4·4 at 28×28), fc1 →200, ReLU, fc2 200→200, ReLU, fc3 200→classes.
/// The same layers as `SmallCNN` in the PyTorch speed reference (`./run.sh compare-torch`) and in
/// `Models/pytorch_reference.py`.
public final class SmallCNN: Network {
    public let conv1, conv2, conv3, conv4: Conv2d
    public let fc1, fc2, fc3: Linear

    public init(inputChannels: Int = 1, inputSize: Int = 28, classes: Int = 10, seed: UInt64 = 0) {
        var g = RandomGenerator(seed: seed)
        conv1 = Conv2d(inputChannels, 32, kernel: 3, generator: &g)
        conv2 = Conv2d(32, 32, kernel: 3, generator: &g)
        conv3 = Conv2d(32, 64, kernel: 3, generator: &g)
        conv4 = Conv2d(64, 64, kernel: 3, generator: &g)
        let side = ((inputSize - 4) / 2 - 4) / 2
        fc1 = Linear(64 * side * side, 200, generator: &g)
        fc2 = Linear(200, 200, generator: &g)
        fc3 = Linear(200, classes, generator: &g)
    }

    public var children: [(String, any Layer)] {
        [("conv1", conv1), ("conv2", conv2), ("conv3", conv3), ("conv4", conv4), ("fc1", fc1), ("fc2", fc2), ("fc3", fc3)]
    }

    /// Logits [N, classes] for x [N, C, H, W]; features: the conv4 activations.
    public func forward(_ x: Variable) -> NetworkOutput {
        let h = maxPool2d(relu(conv2(relu(conv1(x)))), kernel: 2)
        let features = relu(conv4(relu(conv3(h))))
        let logits = fc3(relu(fc2(relu(fc1(flatten(maxPool2d(features, kernel: 2)))))))
        return NetworkOutput(logits: logits, features: features, attention: [])
    }

    public func callAsFunction(_ x: Variable) -> Variable { forward(x).logits }
}
