import FeintCore

/// A basic residual block (He et al., CVPR 2016): conv3×3-BN-ReLU-conv3×3-BN, plus the input
/// (through a 1×1 conv + BN `downsample` when the shape changes), then ReLU.
public final class BasicBlock: Layer {
    let conv1: ConvBN, conv2: ConvBN
    let downsample: ConvBN?

    init(_ i: Int, _ o: Int, stride: Int, generator: inout RandomGenerator) {
        conv1 = ConvBN(i, o, kernel: 3, stride: stride, padding: 1, names: ("conv1", "bn1"), generator: &generator)
        conv2 = ConvBN(o, o, kernel: 3, padding: 1, names: ("conv2", "bn2"), generator: &generator)
        downsample = stride != 1 || i != o
            ? ConvBN(i, o, kernel: 1, stride: stride, names: ("0", "1"), generator: &generator) : nil
    }

    // conv1/bn1/conv2/bn2 sit directly in the block (torchvision names); downsample.0/.1.
    public var children: [(String, any Layer)] {
        conv1.children + conv2.children + (downsample.map { [("downsample", $0)] } ?? [])
    }

    public func callAsFunction(_ x: Variable) -> Variable {
        let h = conv2(relu(conv1(x)))
        return relu(h + (downsample?(x) ?? x))
    }
}

/// CIFAR-style ResNet (He et al., §4.2): conv3×3 C→w, BN, ReLU; three stages of `blocksPerStage`
/// basic blocks with widths w, 2w, 4w (stride 2 entering stages 2 and 3); global average pool;
/// fc. Depth 6n+2: n = 1 is ResNet-8, n = 3 ResNet-20. Names as torchvision
/// (`conv1`, `bn1`, `layer1.0.conv1`, …, `layer2.0.downsample.0`, `fc`).
public final class ResNet: Network {
    let stem: ConvBN
    let layers: [[BasicBlock]]
    let fc: Linear

    public init(inputChannels: Int = 1, classes: Int = 10, blocksPerStage: Int = 1, width: Int = 16, seed: UInt64 = 0) {
        var g = RandomGenerator(seed: seed)
        stem = ConvBN(inputChannels, width, kernel: 3, padding: 1, names: ("conv1", "bn1"), generator: &g)
        var layers: [[BasicBlock]] = []
        var channels = width
        for stage in 0..<3 {
            let out = width << stage
            layers.append((0..<blocksPerStage).map { b in
                let block = BasicBlock(channels, out, stride: stage > 0 && b == 0 ? 2 : 1, generator: &g)
                channels = out
                return block
            })
        }
        self.layers = layers
        fc = Linear(channels, classes, generator: &g)
    }

    public var children: [(String, any Layer)] {
        stem.children
            + layers.enumerated().flatMap { s, blocks in blocks.enumerated().map { ("layer\(s + 1).\($0.offset)", $0.element as any Layer) } }
            + [("fc", fc)]
    }

    public func forward(_ x: Variable) -> NetworkOutput {
        var h = relu(stem(x))
        for stage in layers { for block in stage { h = block(h) } }
        return NetworkOutput(logits: fc(globalAvgPool2d(h)), features: h, attention: [])
    }
}
