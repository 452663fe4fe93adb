import FeintCore
import FeintModels

/// Runs `attempt` (one restart on the samples still unbroken) `restarts` times and keeps the
/// per-sample worst case: a sample counts as broken once any restart meets the goal, and keeps
/// that restart's adversarial; otherwise it keeps the restart with the highest objective.
/// The clean batch is evaluated first: samples that already meet the goal are done.
struct RestartLoop {
    let restarts: Int
    let earlyExit: Bool

    func run(_ model: any Classifying, images: Tensor, goal: Goal, loss: AttackLoss, generator: inout RandomGenerator,
             attempt: (Tensor, Goal, inout RandomGenerator, inout Cost) -> Tensor) -> AttackResult {
        let n = images.shape[0]
        var cost = Cost()
        let clean = objective(model, images, goal: goal, loss: loss, cost: &cost)
        var success = goal.isMet(predictions: clean.predictions)
        var best = images, bestLoss = clean.values
        var curve: [Double] = []
        for _ in 0..<restarts {
            let active = earlyExit ? (0..<n).filter { !success[$0] } : Array(0..<n)
            if !active.isEmpty {
                let subgoal = goal.subset(active)
                let adv = attempt(images.rows(active), subgoal, &generator, &cost)
                let after = objective(model, adv, goal: subgoal, loss: loss, cost: &cost)
                let met = subgoal.isMet(predictions: after.predictions)
                var take: [Int] = [], from: [Int] = []
                for (k, i) in active.enumerated() where !success[i] && (met[k] || after.values[k] > bestLoss[i]) {
                    take.append(i); from.append(k)
                    bestLoss[i] = after.values[k]
                    if met[k] { success[i] = true }
                }
                if !take.isEmpty { best.setRows(take, from: adv.rows(from)) }
            }
            curve.append(Double(success.filter { !$0 }.count) / Double(max(n, 1)))
        }
        return AttackResult(adversarial: best, success: success, loss: bestLoss, cost: cost, remainingAfterRestart: curve)
    }
}
