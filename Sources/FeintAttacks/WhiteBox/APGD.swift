import FeintCore
import FeintModels
import Foundation

/// Auto-PGD (Croce & Hein, ICML 2020: "Reliable evaluation of adversarial robustness with an
/// ensemble of diverse parameter-free attacks"), the strongest white-box baseline here, as the
/// official code (fra31/auto-attack, `autopgd_base.py`) runs it.
///
/// Step size η starts at 2ε; momentum α = 0.75; each of the N iterations steps from x⁽ᵏ⁾ with the
/// gradient taken there, then evaluates the new point (N + 1 gradient evaluations per restart):
///   z = P(x⁽ᵏ⁾ + η · d(∇f(x⁽ᵏ⁾))),  x⁽ᵏ⁺¹⁾ = P(x⁽ᵏ⁾ + α(z − x⁽ᵏ⁾) + (1 − α)(x⁽ᵏ⁾ − x⁽ᵏ⁻¹⁾))
/// (the first step without momentum). Checkpoints end intervals of ⌊0.22 N⌋ iterations, each
/// next one ⌊0.03 N⌋ shorter, never below ⌊0.06 N⌋ (whole steps, as the official code). At a
/// checkpoint η is halved and the iterate (with its gradient) reset to the sample's best point
/// when (1) at most ρ = 0.75 of the interval's steps increased f (the official `≤`; the paper
/// writes `<`), or (2) η was not halved at the previous checkpoint and the best f did not improve
/// since; rule (2) is off at the first checkpoint, as in the official code (the paper applies it
/// there too). The start is x + ε·t/‖t‖ (t uniform in [−1, 1] for L∞, normal for L2). Loss CE or
/// DLR (untargeted; CE also targeted). The result is the first point that met the goal, else the
/// best point. Restarts keep the per-sample worst case.
/// Shapes: as `WhiteBoxAttack` (images [N, C, H, W] → adversarial [N, C, H, W], success and loss [N]).
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
        var previous = current
        var eta = [Float](repeating: 2 * threat.epsilon, count: n)
        var point = objectiveAndGradient(model, current, goal: goal, loss: loss, cost: &cost)
        var gradient = point.gradient
        var best = current, bestGradient = gradient
        var fooled = goal.isMet(predictions: point.predictions)
        var found = current
        var control = APGDStepControl(steps: steps, initialValues: point.values, rho: rho)
        for k in 0..<steps {
            let a = k == 0 ? 1 : momentum
            let z = threat.project(current + threat.ascentDirection(gradient).scaledRows(by: eta), around: x)
            let next = threat.project(current + (z - current) * a + (current - previous) * (1 - a), around: x)
            previous = current
            current = next
            point = objectiveAndGradient(model, current, goal: goal, loss: loss, cost: &cost)
            gradient = point.gradient
            let met = goal.isMet(predictions: point.predictions)
            let newlyFooled = (0..<n).filter { met[$0] && !fooled[$0] }
            for i in newlyFooled { fooled[i] = true }
            if !newlyFooled.isEmpty { found.setRows(newlyFooled, from: current.rows(newlyFooled)) }
            let (improved, reduce) = control.record(point.values)
            if !improved.isEmpty {
                best.setRows(improved, from: current.rows(improved))
                bestGradient.setRows(improved, from: gradient.rows(improved))
            }
            if let reduce, !reduce.isEmpty {
                for i in reduce { eta[i] /= 2 }
                current.setRows(reduce, from: best.rows(reduce))
                gradient.setRows(reduce, from: bestGradient.rows(reduce))
            }
        }
        var out = best
        let wasFooled = (0..<n).filter { fooled[$0] }
        if !wasFooled.isEmpty { out.setRows(wasFooled, from: found.rows(wasFooled)) }
        return out
    }
}

/// APGD's step-size control over one batch: counts, per sample, the steps that increased the
/// objective, tracks its best value, and at the end of each checkpoint interval says which
/// samples halve η (rules (1) and (2) of `APGD`).
public struct APGDStepControl: Sendable {
    public let rho: Float
    public private(set) var interval: Int
    let shrink: Int, shortest: Int
    private var counter = 0
    private var increases: [Int]
    private var previousValue: [Float]
    public private(set) var bestValue: [Float]
    private var bestAtMark: [Float]
    /// η was halved at the previous checkpoint (true before the first: rule (2) starts off).
    private var reducedLast: [Bool]

    public init(steps: Int, initialValues: [Float], rho: Float = 0.75) {
        self.rho = rho
        interval = max(Int(0.22 * Double(steps)), 1)
        shrink = max(Int(0.03 * Double(steps)), 1)
        shortest = max(Int(0.06 * Double(steps)), 1)
        increases = Array(repeating: 0, count: initialValues.count)
        previousValue = initialValues
        bestValue = initialValues
        bestAtMark = initialValues
        reducedLast = Array(repeating: true, count: initialValues.count)
    }

    /// Records the objective at the new iterate. Returns the samples whose best value improved
    /// and, when this step ends an interval, the samples to halve η for and reset (else nil).
    public mutating func record(_ values: [Float]) -> (improved: [Int], reduce: [Int]?) {
        var improved: [Int] = []
        for i in values.indices {
            if values[i] > previousValue[i] { increases[i] += 1 }
            if values[i] > bestValue[i] { bestValue[i] = values[i]; improved.append(i) }
        }
        previousValue = values
        counter += 1
        guard counter == interval else { return (improved, nil) }
        var reduce: [Int] = []
        for i in values.indices {
            let slow = Float(increases[i]) <= rho * Float(interval)
            let stalled = !reducedLast[i] && bestValue[i] <= bestAtMark[i]
            reducedLast[i] = slow || stalled
            if reducedLast[i] { reduce.append(i) }
        }
        bestAtMark = bestValue
        increases = Array(repeating: 0, count: values.count)
        counter = 0
        interval = max(interval - shrink, shortest)
        return (improved, reduce)
    }
}
