/// Inverted dropout with its own seeded generator.
public final class Dropout: Layer {
    public let probability: Float
    public private(set) var isTraining = false
    private var generator: RandomGenerator

    public init(_ probability: Float, seed: UInt64 = 0) {
        self.probability = probability
        generator = RandomGenerator(seed: seed)
    }

    public func setTraining(_ training: Bool) { isTraining = training }

    public func callAsFunction(_ x: Variable) -> Variable {
        dropout(x, probability: probability, training: isTraining, generator: &generator)
    }
}
