import FeintCore

/// A small VGG-style net (Simonyan & Zisserman, 2015) with BatchNorm: stages of conv3×3-BN-ReLU
/// pairs with widths (32, 64, 128), max pooling between stages, global average pooling and one
/// linear classifier. Names as torchvision's `vgg*_bn`: `features.<index>` counts every conv, BN,
/// ReLU and pool in order; `classifier`.
public final class VGG: Network {
    enum Stage { case conv(Conv2d, BatchNorm2d, Int, Int), pool }   // conv, bn, their indices
    let stages: [Stage]
    let classifier: Linear

    public init(inputChannels: Int = 1, classes: Int = 10, widths: [Int] = [32, 64, 128], seed: UInt64 = 0) {
        var g = RandomGenerator(seed: seed)
        var stages: [Stage] = []
        var index = 0, channels = inputChannels
        for (s, w) in widths.enumerated() {
            for _ in 0..<2 {
                stages.append(.conv(Conv2d(channels, w, kernel: 3, padding: 1, generator: &g), BatchNorm2d(w), index, index + 1))
                index += 3                     // conv, bn, relu
                channels = w
            }
            if s < widths.count - 1 { stages.append(.pool); index += 1 }
        }
        self.stages = stages
        classifier = Linear(channels, classes, generator: &g)
    }

    public var children: [(String, any Layer)] {
        stages.flatMap { stage -> [(String, any Layer)] in
            if case let .conv(c, b, i, j) = stage { return [("features.\(i)", c), ("features.\(j)", b)] }
            return []
        } + [("classifier", classifier)]
    }

    public func forward(_ x: Variable) -> NetworkOutput {
        var h = x
        for stage in stages {
            switch stage {
            case let .conv(c, b, _, _): h = relu(b(c(h)))
            case .pool: h = maxPool2d(h, kernel: 2)
            }
        }
        return NetworkOutput(logits: classifier(globalAvgPool2d(h)), features: h, attention: [])
    }
}
