import FeintCore
import Testing

@Suite("Autodiff")
struct AutodiffTests {
    @Test func gradientsAccumulateAcrossUsesAndCalls() {
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        sum(x * x + x).backward()                   // d/dx = 2x + 1
        #expect(x.grad?.scalars == [3, 5])
        sum(x * 2).backward()                       // accumulates (+=)
        #expect(x.grad?.scalars == [5, 7])
        x.zeroGrad()
        #expect(x.grad == nil)
    }

    @Test func onlyRequestedLeavesGetWork() {
        // A probe op that reports which of its inputs the backward pass asked for.
        final class Seen { var x = false, w = false }
        let seen = Seen()
        let x = Variable(random([2, 3]), requiresGrad: true)
        let w = Variable(random([3, 3], seed: 2), requiresGrad: true)
        let y = linear(x, weight: w, bias: nil)
        let probe = Variable.record(y.value, parents: [y]) { g in
            seen.x = x.wantsGradient; seen.w = w.wantsGradient
            y.accumulate(g)
        }
        let gx = sum(probe).gradients(wrt: [x])
        #expect(seen.x && !seen.w)
        #expect(gx[0].shape == [2, 3])
        #expect(w.grad == nil && x.grad == nil)
    }

    @Test func frozenParametersRecordNoGraph() {
        let w = Variable(random([3, 3]), requiresGrad: false)
        let y = linear(Variable(random([2, 3])), weight: w, bias: nil)
        #expect(!y.requiresGrad && y.isLeaf)
    }

    @Test func valueWithGradientOfQuadratic() {
        let x = Tensor(shape: [3], scalars: [1, -2, 3])
        let (value, grad) = valueWithGradient(at: x) { sum($0 * $0) }
        #expect(value.scalar == 14)
        #expect(grad.scalars == [2, -4, 6])
    }

    @Test func unreachableLeafGetsZeros() {
        let a = Variable(random([2]), requiresGrad: true), b = Variable(random([2]), requiresGrad: true)
        let g = sum(a * 3).gradients(wrt: [a, b])
        #expect(g[0].scalars == [3, 3] && g[1].scalars == [0, 0])
    }

    @Test func deepChainDoesNotOverflowTheStack() {
        var x = Variable(Tensor(shape: [1], scalars: [1]), requiresGrad: true)
        let leaf = x
        for _ in 0..<20_000 { x = x * 1.0 }
        #expect(sum(x).gradients(wrt: [leaf])[0].scalars == [1])
    }

    /// Three steps on L = Σ w² + Σ w from w = (1.5, −2), against PyTorch 2's torch.optim
    /// (values printed by the same loop in PyTorch: SGD lr 0.1 momentum 0.9 weight_decay 0.01,
    /// with and without nesterov; AdamW lr 0.1 weight_decay 0.1).
    @Test func optimizersMatchPyTorch() {
        func run(_ make: ([Variable]) -> () -> Void) -> [Float] {
            let w = Variable(Tensor(shape: [2], scalars: [1.5, -2]), requiresGrad: true)
            let step = make([w])
            for _ in 0..<3 { w.zeroGrad(); (sum(w * w) + sum(w)).backward(); step() }
            return w.value.scalars
        }
        let cases: [([Float], ([Variable]) -> () -> Void)] = [
            ([-0.38126874, -0.58494854], { p in let o = SGD(p, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01); return { o.step() } }),
            ([-0.72053677, -0.32975814], { p in
                let o = SGD(p, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true); return { o.step() } }),
            ([1.1591774, -1.6447349], { p in let o = AdamW(p, learningRate: 0.1, weightDecay: 0.1); return { o.step() } }),
        ]
        for (expected, make) in cases {
            let got = run(make)
            #expect(zip(got, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(got) vs PyTorch \(expected)")
        }
    }

    /// Requesting the gradient of an intermediate result runs no pullback below it: a trainable
    /// leaf under it keeps its `grad` as it was.
    @Test func intermediateTargetLeavesLeavesAlone() {
        let w = Variable(random([2, 3]), requiresGrad: true)
        let h = relu(w)
        let g = sum(h * 2).gradients(wrt: [h])
        #expect(g[0].scalars.allSatisfy { $0 == 2 })
        #expect(w.grad == nil)
    }

    @Test func optimizersDescend() {
        for makeStep in [{ (p: [Variable]) -> () -> Void in let o = SGD(p, learningRate: 0.1); return { o.step() } },
                         { (p: [Variable]) -> () -> Void in let o = AdamW(p, learningRate: 0.1, weightDecay: 0); return { o.step() } }] {
            let w = Variable(Tensor(shape: [2], scalars: [3, -4]), requiresGrad: true)
            let step = makeStep([w])
            for _ in 0..<200 { w.zeroGrad(); sum(w * w).backward(); step() }
            #expect(w.value.maxAbs() < 0.05)
        }
    }
}

@Test func gradientWithRespectToAnIntermediateResult() {
    // y = 3·h, h = x²: ∂y/∂h = 3 and ∂y/∂x = 6x from the same graph.
    let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
    let h = x * x
    let y = sum(h * 3)
    let g = y.gradients(wrt: [h, x])
    #expect(g[0].scalars == [3, 3] && g[1].scalars == [6, 12])
    #expect(y.gradients(wrt: [h])[0].scalars == [3, 3])   // the graph can be differentiated again
}
