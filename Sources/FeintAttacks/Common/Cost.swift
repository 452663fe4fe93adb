/// Counts model evaluations spent by an attack: forward passes and gradient evaluations, each
/// counted per image (a batch of 128 costs 128).
public struct Cost: Sendable, Equatable, Codable {
    public var forwardPasses = 0
    /// Input gradients: a backward pass from the loss through the whole model to the image.
    public var gradientEvaluations = 0
    /// Grad-CAM maps (NAMEA): a backward pass from the logits to the last feature map only.
    public var attentionMaps = 0
    public init() {}
    public static func + (a: Cost, b: Cost) -> Cost {
        var c = a
        c.forwardPasses += b.forwardPasses; c.gradientEvaluations += b.gradientEvaluations; c.attentionMaps += b.attentionMaps
        return c
    }

    enum CodingKeys: String, CodingKey { case forwardPasses, gradientEvaluations, attentionMaps }

    /// Results written before `attentionMaps` existed read it as 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        forwardPasses = try c.decode(Int.self, forKey: .forwardPasses)
        gradientEvaluations = try c.decode(Int.self, forKey: .gradientEvaluations)
        attentionMaps = try c.decodeIfPresent(Int.self, forKey: .attentionMaps) ?? 0
    }
}
