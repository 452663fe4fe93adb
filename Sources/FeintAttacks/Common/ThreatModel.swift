import Foundation
import FeintCore
import FeintModels

/// The norm that bounds a perturbation.
public enum Norm: String, Codable, Sendable, CaseIterable {
    case linf, l2
}

/// What an attack is after, passed with each call.
public enum Goal: Sendable, Equatable {
    /// Any class but the true label.
    case untargeted(labels: [Int])
    /// The given target class.
    case targeted(labels: [Int], targets: [Int])

    public var labels: [Int] {
        switch self {
        case let .untargeted(labels), let .targeted(labels, _): return labels
        }
    }

    /// Whether each sample's prediction meets the goal.
    public func isMet(predictions: [Int]) -> [Bool] {
        switch self {
        case let .untargeted(labels): return zip(predictions, labels).map { $0 != $1 }
        case let .targeted(_, targets): return zip(predictions, targets).map { $0 == $1 }
        }
    }

    /// The goal restricted to the samples at `indices`.
    public func subset(_ indices: [Int]) -> Goal {
        switch self {
        case let .untargeted(labels): return .untargeted(labels: indices.map { labels[$0] })
        case let .targeted(labels, targets): return .targeted(labels: indices.map { labels[$0] }, targets: indices.map { targets[$0] })
        }
    }
}

/// An ε-ball in a norm, around clean images, intersected with the pixel box [0, 1]
/// (Clip as in Madry et al., ICLR 2018: project onto the ball, then onto [0, 1]).
public struct ThreatModel: Sendable, Equatable {
    public var norm: Norm
    public var epsilon: Float

    public init(norm: Norm = .linf, epsilon: Float) {
        precondition(epsilon >= 0, "ThreatModel: epsilon must be ≥ 0, got \(epsilon)")
        self.norm = norm; self.epsilon = epsilon
    }

    /// Clip(x′): δ = x′ − x projected onto the ball (L∞ clamp, L2 rescale per sample), then
    /// x + δ clamped to [0, 1]. For L∞ the result is inside both sets; for L2 clamping to the box
    /// can only shrink ‖δ‖₂, so it stays inside the ball as well.
    public func project(_ adversarial: Tensor, around clean: Tensor) -> Tensor {
        precondition(adversarial.shape == clean.shape, "project: shapes \(adversarial.shape) and \(clean.shape) differ")
        switch norm {
        case .linf:
            let e = epsilon
            return Tensor(shape: clean.shape) { out in
                adversarial.withUnsafeBufferPointer { a in clean.withUnsafeBufferPointer { c in
                    for i in 0..<out.count {
                        let d = Swift.min(Swift.max(a[i] - c[i], -e), e)
                        var o = Swift.min(Swift.max(c[i] + d, 0), 1)
                        // c + d can round to a float just outside the ball: step back toward c.
                        for _ in 0..<4 where abs(o - c[i]) > e { o = o > c[i] ? o.nextDown : o.nextUp }
                        out[i] = o
                    }
                } }
            }
        case .l2:
            let delta = adversarial - clean
            let norms = delta.rowNorms()
            let scale = norms.map { $0 > epsilon ? epsilon / $0 : 1 }
            return (clean + delta.scaledRows(by: scale)).clamped(0, 1)
        }
    }

    /// Per-sample size of δ in this norm.
    public func sizes(_ adversarial: Tensor, around clean: Tensor) -> [Float] {
        let delta = adversarial - clean
        return norm == .linf ? delta.rowMaxAbs() : delta.rowNorms()
    }

    /// The steepest-ascent direction for a gradient: sign(g) for L∞, g/‖g‖₂ per sample for L2.
    public func ascentDirection(_ g: Tensor) -> Tensor {
        switch norm {
        case .linf: return g.sign()
        case .l2: return g.scaledRows(by: g.rowNorms().map { $0 > 1e-12 ? 1 / $0 : 0 })
        }
    }

    /// A uniformly random start inside the ball (L∞: U(−ε, ε) per pixel; L2: a uniform random
    /// direction at radius ε·u^(1/d), u ~ U(0, 1), d pixels per sample: uniform in the ball's
    /// volume), clamped to [0, 1].
    public func randomStart(around clean: Tensor, generator: inout RandomGenerator) -> Tensor {
        switch norm {
        case .linf:
            return project(clean + generator.uniform(shape: clean.shape, low: -epsilon, high: epsilon), around: clean)
        case .l2:
            let g = generator.normal(shape: clean.shape)
            let d = Double(clean.count / Swift.max(clean.shape[0], 1))
            let radii = (0..<clean.shape[0]).map { _ in epsilon * Float(pow(Double(generator.nextUnitFloat()), 1 / d)) }
            let unit = g.scaledRows(by: g.rowNorms().map { $0 > 0 ? 1 / $0 : 0 })
            return project(clean + unit.scaledRows(by: radii), around: clean)
        }
    }
}

extension Tensor {
    /// Multiplies every element of sample i (axis 0) by scales[i].
    public func scaledRows(by scales: [Float]) -> Tensor {
        let n = shape.first ?? 1, d = count / Swift.max(n, 1)
        precondition(scales.count == n, "scaledRows: \(scales.count) scales for \(n) rows")
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { x in
                for r in 0..<n { for j in 0..<d { out[r * d + j] = x[r * d + j] * scales[r] } }
            }
        }
    }

    /// Rows `indices` along axis 0.
    public func rows(_ indices: [Int]) -> Tensor {
        let d = count / Swift.max(shape[0], 1)
        return Tensor(shape: [indices.count] + Array(shape.dropFirst())) { out in
            withUnsafeBufferPointer { x in
                for (k, i) in indices.enumerated() { for j in 0..<d { out[k * d + j] = x[i * d + j] } }
            }
        }
    }

    /// Writes `values` (rows in order) into rows `indices` along axis 0.
    public mutating func setRows(_ indices: [Int], from values: Tensor) {
        let d = count / Swift.max(shape[0], 1)
        precondition(values.count == indices.count * d, "setRows: \(values.shape) does not fill \(indices.count) rows of \(shape)")
        withUnsafeMutableBufferPointer { x in
            values.withUnsafeBufferPointer { v in
                for (k, i) in indices.enumerated() { for j in 0..<d { x[i * d + j] = v[k * d + j] } }
            }
        }
    }
}
