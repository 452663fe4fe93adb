import FeintCore

/// LeNet-5 (LeCun et al., 1998) in its modern form: ReLU and max pooling.
///   conv1 C→6 5×5 (padding 2 at 28×28, 0 at 32×32), ReLU, maxpool 2,
///   conv2 6→16 5×5, ReLU, maxpool 2, flatten 16·5·5,
///   fc1 →120, ReLU, fc2 120→84, ReLU, fc3 84→classes.
public final class LeNet5: Network {
    public let conv1, conv2: Conv2d
    public let fc1, fc2, fc3: Linear

    public init(inputChannels: Int = 1, inputSize: Int = 28, classes: Int = 10, seed: UInt64 = 0) {
        precondition(inputSize == 28 || inputSize == 32, "LeNet5: input size must be 28 or 32, got \(inputSize)")
        var g = RandomGenerator(seed: seed)
        conv1 = Conv2d(inputChannels, 6, kernel: 5, padding: (32 - inputSize) / 2, generator: &g)
        conv2 = Conv2d(6, 16, kernel: 5, generator: &g)
        fc1 = Linear(16 * 5 * 5, 120, generator: &g)
        fc2 = Linear(120, 84, generator: &g)
        fc3 = Linear(84, classes, generator: &g)
    }

    public var children: [(String, any Layer)] {
        [("conv1", conv1), ("conv2", conv2), ("fc1", fc1), ("fc2", fc2), ("fc3", fc3)]
    }

    public func forward(_ x: Variable) -> NetworkOutput {
        let features = relu(conv2(maxPool2d(relu(conv1(x)), kernel: 2)))
        let logits = fc3(relu(fc2(relu(fc1(flatten(maxPool2d(features, kernel: 2)))))))
        return NetworkOutput(logits: logits, features: features, attention: [])
    }
}
