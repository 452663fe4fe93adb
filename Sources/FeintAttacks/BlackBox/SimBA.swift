import FeintCore
import FeintModels

/// Simple Black-box Attack (Guo et al., ICML 2019), with pixel, low-frequency DCT or ODS
/// directions (SimBA-ODS: Tashiro, Song & Ermon, NeurIPS 2020). Score-based.
///
///   x* = x; L* = L(F(x)); one query
///   each iteration: δ from the direction source (unit L2);
///     for s in (+1, −1): x_new = clip(x* + s·ε·δ, 0, 1) (projected onto ‖x_new − x‖₂ ≤ bound if
///     set); one query; if L(F(x_new)) > L*: accept and stop trying
///   stop when the goal is met or the budget is spent.
/// L = margin max_{j≠y} z_j − z_y (untargeted) or −CE(z, t) (targeted). Defaults: ε = 0.2,
/// 10 000 iterations untargeted (30 000 targeted) within the query budget.
/// Batched: every image keeps its own x*, L*, basis position and query count; each iteration sends
/// the +δ candidates of all active images in one query batch, then the −δ ones. ODS picks one
/// surrogate per iteration for the whole batch (per image it is still uniform at each iteration).
/// Shapes: images [N, C, H, W] in [0, 1], `goal` with N labels → `BlackBoxResult` with adversarial
/// [N, C, H, W], success / queries / l2 / linf [N], curve[i] one value per 100 queries.
public struct SimBA: Sendable {
    public var stepSize: Float
    public var maxIterations: Int?
    /// Optional bound on ‖x′ − x‖₂.
    public var l2Bound: Float?

    public init(stepSize: Float = 0.2, maxIterations: Int? = nil, l2Bound: Float? = nil) {
        self.stepSize = stepSize; self.maxIterations = maxIterations; self.l2Bound = l2Bound
    }

    public func run(oracle: QueryOracle, images: Tensor, goal: Goal, directions: DirectionSource,
                    generator: inout RandomGenerator) -> BlackBoxResult {
        let n = images.shape[0]
        let iterations: Int
        if let maxIterations { iterations = maxIterations } else if case .targeted = goal { iterations = 30_000 } else { iterations = 10_000 }
        var walker = OrderedBasis(source: directions, shape: Array(images.shape.dropFirst()), samples: n, generator: &generator)
        var best = images
        let all = Array(0..<n)
        let z0 = oracle.scores(images, samples: all)
        var bestLoss = Self.objective(z0, goal: goal)
        var success = goal.isMet(predictions: z0.argmaxLastAxis())
        var firstSuccess = all.map { success[$0] ? oracle.queries[$0] : 0 }
        var curve = all.map { _ in [Float]() }
        func record(_ i: Int) {
            while curve[i].count < oracle.queries[i] / 100 { curve[i].append(bestLoss[i]) }
        }
        var iteration = 0
        while iteration < iterations {
            let active = all.filter { !success[$0] && oracle.remaining($0) >= 1 }
            if active.isEmpty { break }
            let current = best.rows(active)
            let delta: Tensor
            switch directions {
            case .pixel, .dct: delta = walker.next(active)
            default: delta = sampledDirections(directions, at: current, generator: &generator)
            }
            var pending = active, pendingIndex = Array(active.indices)
            for sign: Float in [1, -1] {
                if pending.isEmpty { break }
                let origin = best.rows(pending)
                let step = delta.rows(pendingIndex) * (sign * stepSize)
                var candidate = (origin + step).clamped(0, 1)
                if let bound = l2Bound { candidate = ThreatModel(norm: .l2, epsilon: bound).project(candidate, around: images.rows(pending)) }
                let z = oracle.scores(candidate, samples: pending)
                let loss = Self.objective(z, goal: goal.subset(pending))
                let met = goal.subset(pending).isMet(predictions: z.argmaxLastAxis())
                var accepted: [Int] = [], from: [Int] = [], retry: [Int] = [], retryIndex: [Int] = []
                for (k, i) in pending.enumerated() {
                    if loss[k] > bestLoss[i] {
                        accepted.append(i); from.append(k)
                        bestLoss[i] = loss[k]
                        if met[k] { success[i] = true; firstSuccess[i] = oracle.queries[i] }
                    } else if oracle.remaining(i) >= 1 {
                        retry.append(i); retryIndex.append(pendingIndex[k])
                    }
                    record(i)
                }
                if !accepted.isEmpty { best.setRows(accepted, from: candidate.rows(from)) }
                pending = retry; pendingIndex = retryIndex
            }
            iteration += 1
        }
        let delta = best - images
        return BlackBoxResult(adversarial: best, success: success,
                              queries: all.map { success[$0] ? firstSuccess[$0] : oracle.queries[$0] },
                              l2: delta.rowNorms(), linf: delta.rowMaxAbs(), curve: curve)
    }

    /// The SimBA objective from scores: margin (untargeted) or −CE toward the target.
    static func objective(_ logits: Tensor, goal: Goal) -> [Float] {
        switch goal {
        case .untargeted: return AttackLoss.margin.perSample(Variable(logits), goal: goal).value.scalars
        case .targeted: return AttackLoss.crossEntropy.perSample(Variable(logits), goal: goal).value.scalars
        }
    }
}
