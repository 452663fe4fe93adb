import FeintCore
import FeintModels

/// The Boundary attack (Brendel, Rauber & Bethge, ICLR 2018), decision-based, as Foolbox 3
/// implements it; with ODS proposals (Boundary-ODS, Tashiro et al. 2020) or Gaussian ones.
///
/// Start: the blended-uniform-noise line search (Foolbox's LinearSearchBlendedUniformNoise, with
/// the 50 steps Foolbox's BoundaryAttack gives it): uniform noise images until one is adversarial
/// (≤ `initDirections` tries), then the first adversarial blend (1 − t)·x + t·noise over
/// t = 1/`initSteps`, 2/`initSteps`, …, 1; targeted: the given candidate start images, tried in
/// order until one meets the goal (Foolbox's `starting_points`, without a line search). Every
/// query counts toward the budget; the distance curve is ∞ at the marks before an image's start.
/// Then each step:
///   η = proposal (Gaussian or ODS at the current adversarial x_a), made orthogonal to the
///   source direction d = x − x_a, rescaled to spherical_step·‖d‖;
///   spherical candidate x_s = x + (η − d)/√(1 + spherical_step²), clipped;
///   candidate = x_s moved toward x by source_step·‖d‖ (corrected for clipping), clipped;
///   one query; accept when adversarial and closer than x_a.
/// Every 10 steps the spherical candidate is also queried, and the step sizes adapt by 1.5:
/// both steps up when > 50 % of the last 100 spherical candidates were adversarial, both down
/// when < 20 % (as Foolbox); source_step alone up when > 25 % of the last 30 candidates were,
/// down when < 10 %.
/// Defaults spherical_step = source_step = 0.01; a run stops at the budget or when
/// source_step < 1e-7. Batched: every image has its own state, step sizes and counter.
/// Shapes: images [N, C, H, W] in [0, 1], `goal` with N labels, starts (targeted) N tensors
/// [C, H, W] each → `BlackBoxResult`: adversarial [N, C, H, W], success / queries / l2 / linf [N],
/// curve[i] the L2 distance every 100 queries.
public struct BoundaryAttack: Sendable {
    public var sphericalStep: Float = 0.01
    public var sourceStep: Float = 0.01
    public var stepAdaptation: Float = 1.5
    public var initDirections = 1000
    public var initSteps = 50

    public init() {}

    /// `starts`: candidate start images, each [N, …] like `images` (targeted runs); empty: the
    /// blended-noise search.
    public func run(oracle: QueryOracle, images: Tensor, goal: Goal, directions: DirectionSource,
                    starts: [Tensor] = [], generator: inout RandomGenerator) -> BlackBoxResult {
        let n = images.shape[0]
        let all = Array(0..<n)
        var adversarial = images
        var found = [Bool](repeating: false, count: n)
        var curve = all.map { _ in [Float]() }
        func distance(_ i: Int) -> Float { found[i] ? (adversarial.rows([i]) - images.rows([i])).rowNorms()[0] : .infinity }
        func record(_ i: Int) { while curve[i].count < oracle.queries[i] / 100 { curve[i].append(distance(i)) } }
        // The clean query: already adversarial images need no attack.
        let clean = goal.isMet(predictions: oracle.labels(images, samples: all))
        for i in all where clean[i] { found[i] = true }
        let done = clean
        if starts.isEmpty {
            initialise(oracle, images, goal, &adversarial, &found, &generator)
        } else {
            for candidate in starts {
                let pending = all.filter { !found[$0] && oracle.remaining($0) >= 1 }
                if pending.isEmpty { break }
                let met = goal.subset(pending).isMet(predictions: oracle.labels(candidate.rows(pending), samples: pending))
                let ok = pending.indices.filter { met[$0] }.map { pending[$0] }
                adversarial.setRows(ok, from: candidate.rows(ok))
                for i in ok { found[i] = true }
            }
        }
        // First success = the starting adversarial is ready (noise search and line search counted);
        // an image without one reports every query it spent. Marks before the start are ∞.
        let firstSuccess = oracle.queries
        for i in all {
            while curve[i].count < oracle.queries[i] / 100 {
                curve[i].append((curve[i].count + 1) * 100 >= firstSuccess[i] ? distance(i) : .infinity)
            }
        }
        var spherical = [Float](repeating: sphericalStep, count: n), source = [Float](repeating: sourceStep, count: n)
        var sphericalStats = all.map { _ in [Bool]() }, sourceStats = all.map { _ in [Bool]() }
        var step = 0
        while true {
            step += 1
            let check = step % 10 == 0
            let active = all.filter { found[$0] && !done[$0] && source[$0] >= 1e-7 && oracle.remaining($0) >= (check ? 2 : 1) }
            if active.isEmpty { break }
            let x = images.rows(active), xa = adversarial.rows(active)
            let d = x - xa                                              // unnormalised source direction
            let dNorm = d.rowNorms()
            let dUnit = d.scaledRows(by: dNorm.map { $0 > 0 ? 1 / $0 : 0 })
            var eta = sampledDirections(directions, at: xa, generator: &generator)
            let along = rowDots(eta, dUnit)
            eta = eta - dUnit.scaledRows(by: along)
            let etaNorm = eta.rowNorms()
            let sph = active.map { spherical[$0] }, src = active.map { source[$0] }
            eta = eta.scaledRows(by: zip(zip(sph, dNorm), etaNorm).map { $0.0 * $0.1 / max($1, 1e-12) })
            let sphericalCandidate = (x + (eta - d).scaledRows(by: sph.map { 1 / (1 + $0 * $0).squareRoot() })).clamped(0, 1)
            let toward = x - sphericalCandidate
            let towardNorm = toward.rowNorms()
            let lengths = (0..<active.count).map { k in
                max(src[k] * dNorm[k] + towardNorm[k] - dNorm[k], 0) / max(towardNorm[k], 1e-12)
            }
            let candidate = (sphericalCandidate + toward.scaledRows(by: lengths)).clamped(0, 1)
            let subgoal = goal.subset(active)
            let isAdv = subgoal.isMet(predictions: oracle.labels(candidate, samples: active))
            var sphericalAdv: [Bool] = []
            if check { sphericalAdv = subgoal.isMet(predictions: oracle.labels(sphericalCandidate, samples: active)) }
            let newDistance = (candidate - x).rowNorms()
            var accept: [Int] = [], from: [Int] = []
            for (k, i) in active.enumerated() {
                if isAdv[k] && newDistance[k] < dNorm[k] { accept.append(i); from.append(k) }
                if check {
                    sphericalStats[i].append(sphericalAdv[k]); if sphericalStats[i].count > 100 { sphericalStats[i].removeFirst() }
                    sourceStats[i].append(isAdv[k]); if sourceStats[i].count > 30 { sourceStats[i].removeFirst() }
                    if sphericalStats[i].count == 100 {
                        let p = Float(sphericalStats[i].filter { $0 }.count) / 100
                        // As Foolbox: the spherical success rate scales both steps.
                        if p > 0.5 { spherical[i] *= stepAdaptation; source[i] *= stepAdaptation; sphericalStats[i] = [] }
                        else if p < 0.2 { spherical[i] /= stepAdaptation; source[i] /= stepAdaptation; sphericalStats[i] = [] }
                    }
                    if sourceStats[i].count == 30 {
                        let p = Float(sourceStats[i].filter { $0 }.count) / 30
                        if p > 0.25 { source[i] *= stepAdaptation; sourceStats[i] = [] }
                        else if p < 0.1 { source[i] /= stepAdaptation; sourceStats[i] = [] }
                    }
                }
            }
            if !accept.isEmpty { adversarial.setRows(accept, from: candidate.rows(from)) }
            for i in active { record(i) }
        }
        let delta = adversarial - images
        let l2 = all.map { found[$0] ? delta.rowNorms()[$0] : .infinity }
        let queries = all.map { found[$0] ? firstSuccess[$0] : oracle.queries[$0] }
        return BlackBoxResult(adversarial: adversarial, success: found, queries: queries, l2: l2,
                              linf: all.map { found[$0] ? delta.rowMaxAbs()[$0] : .infinity }, curve: curve)
    }

    /// Blended uniform noise: random images until adversarial, then the smallest adversarial blend.
    func initialise(_ oracle: QueryOracle, _ images: Tensor, _ goal: Goal, _ adversarial: inout Tensor, _ found: inout [Bool],
                    _ generator: inout RandomGenerator) {
        let n = images.shape[0]
        var noise = images
        var haveNoise = found
        for _ in 0..<initDirections {
            let pending = (0..<n).filter { !haveNoise[$0] && oracle.remaining($0) >= 1 }
            if pending.isEmpty { break }
            let random = generator.uniform(shape: [pending.count] + Array(images.shape.dropFirst()))
            let met = goal.subset(pending).isMet(predictions: oracle.labels(random, samples: pending))
            let ok = pending.indices.filter { met[$0] }
            noise.setRows(ok.map { pending[$0] }, from: random.rows(ok))
            for k in ok { haveNoise[pending[k]] = true }
        }
        var searching = (0..<n).filter { haveNoise[$0] && !found[$0] }
        for s in 1...initSteps {
            searching = searching.filter { oracle.remaining($0) >= 1 }
            if searching.isEmpty { break }
            let t = Float(s) / Float(initSteps)
            let blend = images.rows(searching) * (1 - t) + noise.rows(searching) * t
            let met = goal.subset(searching).isMet(predictions: oracle.labels(blend, samples: searching))
            let ok = searching.indices.filter { met[$0] }
            adversarial.setRows(ok.map { searching[$0] }, from: blend.rows(ok))
            for k in ok { found[searching[k]] = true }
            searching = searching.filter { !found[$0] }
        }
    }
}

/// Per-row dot products of two [N, …] tensors.
func rowDots(_ a: Tensor, _ b: Tensor) -> [Float] {
    let n = a.shape[0], d = a.count / max(n, 1)
    return (0..<n).map { r in
        var s: Float = 0
        for j in 0..<d { s += a.scalars[r * d + j] * b.scalars[r * d + j] }
        return s
    }
}
