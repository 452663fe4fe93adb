import FeintCore

/// A small MobileNet-v1-style net (Howard et al., 2017): conv3×3 C→32 BN ReLU, then
/// depthwise-separable blocks (depthwise 3×3 BN ReLU, pointwise 1×1 BN ReLU) with
/// (out, stride) = (64, 1), (128, 2), (128, 1), (256, 2), (256, 1); global average pool; fc.
/// Names: `stem.0/1`, `blocks.N.dw.0/1`, `blocks.N.pw.0/1`, `fc`.
public final class MobileNet: Network {
    public static let plan: [(Int, Int)] = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1)]
    let stem: ConvBN
    let blocks: [(dw: ConvBN, pw: ConvBN)]
    let fc: Linear

    public init(inputChannels: Int = 1, classes: Int = 10, seed: UInt64 = 0) {
        var g = RandomGenerator(seed: seed)
        stem = ConvBN(inputChannels, 32, kernel: 3, padding: 1, names: ("0", "1"), generator: &g)
        var channels = 32
        blocks = Self.plan.map { out, stride in
            let dw = ConvBN(channels, channels, kernel: 3, stride: stride, padding: 1, groups: channels, names: ("0", "1"), generator: &g)
            let pw = ConvBN(channels, out, kernel: 1, names: ("0", "1"), generator: &g)
            channels = out
            return (dw, pw)
        }
        fc = Linear(channels, classes, generator: &g)
    }

    public var children: [(String, any Layer)] {
        [("stem", stem)] + blocks.enumerated().flatMap { i, b in [("blocks.\(i).dw", b.dw as any Layer), ("blocks.\(i).pw", b.pw)] }
            + [("fc", fc)]
    }

    public func forward(_ x: Variable) -> NetworkOutput {
        var h = relu(stem(x))
        for b in blocks { h = relu(b.pw(relu(b.dw(h)))) }
        return NetworkOutput(logits: fc(globalAvgPool2d(h)), features: h, attention: [])
    }
}
