import FeintCore
import FeintModels
import Foundation

/// Auto-PGD (Croce & Hein, ICML 2020: "Reliable evaluation of adversarial robustness with an
/// ensemble of diverse parameter-free attacks"), the strongest white-box baseline here.
///
/// Step size η starts at 2ε; momentum α = 0.75:
///   z = P(x⁽ᵏ⁾ + η · d(∇f(x⁽ᵏ⁾))),  x⁽ᵏ⁺¹⁾ = P(x⁽ᵏ⁾ + α(z − x⁽ᵏ⁾) + (1 − α)(x⁽ᵏ⁾ − x⁽ᵏ⁻¹⁾))
/// (the first step without momentum). At checkpoints w_j ≈ p_j N with p₀ = 0, p₁ = 0.22,
/// p_{j+1} = p_j + max(p_j − p_{j−1} − 0.03, 0.06) (in whole steps, as the official code), η is halved and the iterate reset to the best
/// point so far, per sample, when (1) fewer than ρ = 0.75 of the steps since the last
/// checkpoint increased f, or (2) η did not change at the last checkpoint and the best f did not
/// improve since. The start is x + ε·t/‖t‖ (t uniform in [−1, 1] for L∞, normal for L2). Loss CE or
/// DLR (untargeted; CE also targeted). Restarts keep the per-sample worst case.
public struct APGD: WhiteBoxAttack {
    public var threat: ThreatModel
    public var steps: Int
    public var restarts: Int
    public var loss: AttackLoss
    public var rho: Float = 0.75
    public var momentum: Float = 0.75

    public init(epsilon: Float = 8.0 / 255, norm: Norm = .linf, steps: Int = 100, restarts: Int = 1, loss: AttackLoss = .crossEntropy) {
        precondition(steps >= 1 && restarts >= 1, "APGD: steps \(steps) and restarts \(restarts) must be ≥ 1")
        threat = ThreatModel(norm: norm, epsilon: epsilon)
        self.steps = steps; self.restarts = restarts; self.loss = loss
    }

    /// The checkpoint iterations w_j (< steps), in whole steps as the official code computes
    /// them: a first interval of ⌊0.22 N⌋, each next one ⌊0.03 N⌋ shorter, never below ⌊0.06 N⌋.
    public var checkpoints: [Int] {
        var interval = max(Int(0.22 * Double(steps)), 1)
        let shrink = max(Int(0.03 * Double(steps)), 1), shortest = max(Int(0.06 * Double(steps)), 1)
        var marks: [Int] = [], mark = interval
        while mark < steps {
            marks.append(mark)
            interval = max(interval - shrink, shortest)
            mark += interval
        }
        return marks
    }

    public func run(on model: any Classifying, images: Tensor, goal: Goal, generator: inout RandomGenerator) -> AttackResult {
        RestartLoop(restarts: restarts, earlyExit: true).run(model, images: images, goal: goal, loss: loss,
                                                             generator: &generator) { x, goal, gen, cost in
            attempt(model, x, goal, &gen, &cost)
        }
    }

    func attempt(_ model: any Classifying, _ x: Tensor, _ goal: Goal, _ generator: inout RandomGenerator, _ cost: inout Cost) -> Tensor {
        let n = x.shape[0]
        let t: Tensor = threat.norm == .linf ? generator.uniform(shape: x.shape, low: -1, high: 1) : generator.normal(shape: x.shape)
        let tSize = threat.norm == .linf ? t.rowMaxAbs() : t.rowNorms()
        var current = threat.project(x + t.scaledRows(by: tSize.map { $0 > 0 ? threat.epsilon / $0 : 0 }), around: x)
        var eta = [Float](repeating: 2 * threat.epsilon, count: n)
        var first = objectiveAndGradient(model, current, goal: goal, loss: loss, cost: &cost)
        var best = current, bestValue = first.values
        var fooled = goal.isMet(predictions: first.predictions)
        var found = current
        var previousValue = first.values
        var previous = current
        current = threat.project(current + threat.ascentDirection(first.gradient).scaledRows(by: eta), around: x)
        var increases = [Int](repeating: 0, count: n)
        let marks = checkpoints
        var lastMark = 0
        var etaAtMark = eta, bestAtMark = bestValue
        for k in 1..<steps {
            first = objectiveAndGradient(model, current, goal: goal, loss: loss, cost: &cost)
            let met = goal.isMet(predictions: first.predictions)
            var improved: [Int] = [], newlyFooled: [Int] = []
            for i in 0..<n {
                if first.values[i] > previousValue[i] { increases[i] += 1 }
                if first.values[i] > bestValue[i] { bestValue[i] = first.values[i]; improved.append(i) }
                if met[i] && !fooled[i] { fooled[i] = true; newlyFooled.append(i) }
            }
            if !improved.isEmpty { best.setRows(improved, from: current.rows(improved)) }
            if !newlyFooled.isEmpty { found.setRows(newlyFooled, from: current.rows(newlyFooled)) }
            previousValue = first.values
            let z = threat.project(current + threat.ascentDirection(first.gradient).scaledRows(by: eta), around: x)
            var next = threat.project(current + (z - current) * momentum + (current - previous) * (1 - momentum), around: x)
            if marks.contains(k) {
                var reset: [Int] = []
                for i in 0..<n {
                    let slow = Float(increases[i]) < rho * Float(k - lastMark)
                    let stalled = etaAtMark[i] == eta[i] && bestAtMark[i] == bestValue[i]
                    if slow || stalled { eta[i] /= 2; reset.append(i) }
                }
                if !reset.isEmpty { next.setRows(reset, from: best.rows(reset)) }
                increases = [Int](repeating: 0, count: n)
                lastMark = k; etaAtMark = eta; bestAtMark = bestValue
            }
            previous = current
            current = next
        }
        let last = objective(model, current, goal: goal, loss: loss, cost: &cost)
        let met = goal.isMet(predictions: last.predictions)
        var out = best
        for i in 0..<n {
            if fooled[i] { out.setRows([i], from: found.rows([i])) } else if met[i] || last.values[i] > bestValue[i] {
                out.setRows([i], from: current.rows([i]))
            }
        }
        return out
    }
}
