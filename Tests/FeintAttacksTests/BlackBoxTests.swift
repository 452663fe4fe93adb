import FeintAttacks
import FeintCore
import FeintModels
import Testing

/// Wraps a classifier, counts every image it evaluates, and notes any attempt to differentiate
/// through it (an input that requires a gradient).
final class CountingTarget: Classifying {
    let inner: TinyNet
    var imagesSeen = 0
    var gradientRequested = false
    init(_ inner: TinyNet) { self.inner = inner }
    func logits(_ x: Variable) -> Variable {
        imagesSeen += x.shape[0]
        if x.requiresGrad { gradientRequested = true }
        return inner.logits(x)
    }
}

@Suite("Black-box attacks")
struct BlackBoxTests {
    static func setup() -> (Tensor, [Int]) { WhiteBoxInvariantTests.batch() }

    static let sources: [String] = ["pixel", "dct", "ods", "gaussian"]

    static func source(_ name: String) -> DirectionSource {
        switch name {
        case "pixel": return .pixel
        case "dct": return .dct(frequencies: 4)
        case "ods": return .ods(surrogates: [TinyNet(seed: 5), TinyNet(seed: 6)])
        default: return .gaussian
        }
    }

    @Test(arguments: ["pixel", "dct", "ods"])
    func simbaCountsQueriesAndRespectsBudget(source: String) {
        let (x, labels) = Self.setup()
        let target = CountingTarget(TinyNet())
        let oracle = QueryOracle(target, samples: 12, budget: 150)
        var g = RandomGenerator(seed: 4)
        let r = SimBA(stepSize: 0.2).run(oracle: oracle, images: x, goal: .untargeted(labels: labels),
                                         directions: Self.source(source), generator: &g)
        #expect(oracle.queries.allSatisfy { $0 <= 150 })
        #expect(oracle.queries.reduce(0, +) == target.imagesSeen)
        #expect(!target.gradientRequested)
        #expect(r.adversarial.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(zip(r.queries, oracle.queries).allSatisfy { $0 <= $1 })
        // Success is what the target says about the returned images.
        let predicted = TinyNet().logits(Variable(r.adversarial)).value.argmaxLastAxis()
        #expect(zip(predicted, labels).map { $0 != $1 } == r.success)
        #expect(r.success.contains(true))
    }

    @Test func simbaIsReproducible() {
        let (x, labels) = Self.setup()
        func once() -> BlackBoxResult {
            var g = RandomGenerator(seed: 9)
            return SimBA().run(oracle: QueryOracle(TinyNet(), samples: 12, budget: 100), images: x,
                               goal: .untargeted(labels: labels), directions: Self.source("ods"), generator: &g)
        }
        let (a, b) = (once(), once())
        #expect(a.adversarial == b.adversarial && a.queries == b.queries)
    }

    @Test func simbaL2BoundHolds() {
        let (x, labels) = Self.setup()
        var g = RandomGenerator(seed: 1)
        let r = SimBA(stepSize: 0.5, l2Bound: 0.6).run(oracle: QueryOracle(TinyNet(), samples: 12, budget: 200), images: x,
                                                      goal: .untargeted(labels: labels), directions: .pixel, generator: &g)
        #expect(r.l2.allSatisfy { $0 <= 0.6 + 1e-5 })
    }

    @Test(arguments: ["gaussian", "ods"])
    func boundaryCountsQueriesAndShrinks(source: String) {
        let (x, labels) = Self.setup()
        let target = CountingTarget(TinyNet())
        let oracle = QueryOracle(target, samples: 12, budget: 600, access: .decisions)
        var g = RandomGenerator(seed: 3)
        let r = BoundaryAttack().run(oracle: oracle, images: x, goal: .untargeted(labels: labels),
                                     directions: Self.source(source), generator: &g)
        #expect(oracle.queries.allSatisfy { $0 <= 600 })
        #expect(oracle.queries.reduce(0, +) == target.imagesSeen)
        #expect(!target.gradientRequested)
        #expect(r.adversarial.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        let predicted = TinyNet().logits(Variable(r.adversarial)).value.argmaxLastAxis()
        for i in 0..<12 where r.success[i] {
            #expect(predicted[i] != labels[i])
            // The distance curve never grows.
            let c = r.curve[i].filter(\.isFinite)
            #expect(zip(c, c.dropFirst()).allSatisfy { $0 >= $1 })
            #expect(r.queries[i] >= 1 && r.queries[i] <= oracle.queries[i])
        }
        // Queries to the first success count up to the start, not the walk that follows it.
        #expect((0..<12).contains { r.success[$0] && r.queries[$0] < oracle.queries[$0] })
        #expect(r.success.filter { $0 }.count >= 6)
    }

    /// Targeted starts: candidates are tried in order until the target classifies one as the
    /// target class, each try a counted query; the curve is ∞ at the marks before the start.
    @Test func boundaryTriesStartCandidatesInOrder() {
        let (all, _) = Self.setup()
        let net = TinyNet()
        let predicted = net.logits(Variable(all)).value.argmaxLastAxis()
        // Images whose successor is classified differently: the successor is the start.
        let rows = (0..<12).filter { predicted[$0] != predicted[($0 + 1) % 12] }
        #expect(rows.count >= 4)
        let x = all.rows(rows), successors = all.rows(rows.map { ($0 + 1) % 12 })
        let goal = Goal.targeted(labels: rows.map { predicted[$0] }, targets: rows.map { predicted[($0 + 1) % 12] })
        let oracle = QueryOracle(net, samples: rows.count, budget: 300, access: .decisions)
        var g = RandomGenerator(seed: 1)
        let r = BoundaryAttack().run(oracle: oracle, images: x, goal: goal, directions: .gaussian,
                                     starts: Array(repeating: x, count: 120) + [successors], generator: &g)
        #expect(r.success.allSatisfy { $0 })
        #expect(r.queries.allSatisfy { $0 == 1 + 121 })   // the clean query, 120 failed candidates, the start
        for c in r.curve {
            #expect(c.count == 3 && c[0] == .infinity && c[1].isFinite && c[2] <= c[1])
        }
    }

    @Test func oracleRefusesOverBudget() async {
        await #expect(processExitsWith: .failure) {
            let oracle = QueryOracle(TinyNet(), samples: 1, budget: 1)
            _ = oracle.scores(Tensor(zeros: [1, 1, 8, 8]), samples: [0])
            _ = oracle.scores(Tensor(zeros: [1, 1, 8, 8]), samples: [0])
        }
    }

    /// ∇ₓ(wᵀf(x)) = J(x)ᵀw is linear in w: at one point, the ODS directions of a C-class surrogate
    /// span at most C dimensions (S surrogates: C·S), whatever the input size. This is why
    /// Boundary-ODS proposals explore few directions on 10-class data (blackbox-fmnist.md).
    @Test func odsDirectionsAtOnePointSpanAtMostTheClassCount() {
        let x = Tensor(shape: [1, 1, 8, 8], scalars: (0..<64).map { Float($0 % 7) / 7 })
        let (model, classes) = (TinyNet(seed: 3), 10)
        var g = RandomGenerator(seed: 2)
        // Gram–Schmidt over 20 directions: only `classes` of them add a new dimension.
        var basis: [[Float]] = []
        for _ in 0..<20 {
            var v = ODS.randomDirection(model, at: x, generator: &g).scalars
            for b in basis {
                let dot = zip(v, b).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                v = zip(v, b).map { $0 - dot * $1 }
            }
            let norm = v.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            if norm > 1e-3 { basis.append(v.map { $0 / norm }) }
        }
        #expect(basis.count == classes)
    }

    /// SimBA-DCT walks the low block first, then bands of increasing max(i, j), `f`/4 wide, every
    /// frequency of every channel exactly once.
    @Test func dctOrderGoesFromLowToHighBands() {
        var g = RandomGenerator(seed: 1)
        let basis = OrderedBasis(source: .dct(frequencies: 8), shape: [3, 16, 16], samples: 2, generator: &g)
        for order in basis.orders {
            #expect(order.sorted() == Array(0..<(3 * 256)))
            let bands = order.map { index -> Int in
                let m = max((index / 16) % 16, index % 16)
                return m < 8 ? 0 : 1 + (m - 8) / 2
            }
            #expect(bands == bands.sorted())
            #expect(bands.prefix(3 * 64).allSatisfy { $0 == 0 } && bands.filter { $0 == 1 }.count == 3 * (100 - 64))
        }
        #expect(basis.orders[0] != basis.orders[1])   // each image its own random order within bands
    }

    @Test func dctBasisIsOrthonormal() {
        var g = RandomGenerator(seed: 1)
        var walker = OrderedBasis(source: .dct(frequencies: 4), shape: [1, 8, 8], samples: 1, generator: &g)
        let vectors = (0..<6).map { _ in walker.next([0]) }
        for a in 0..<6 {
            for b in 0..<6 {
                let dot = zip(vectors[a].scalars, vectors[b].scalars).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-5)
            }
        }
    }
}
