/// Reverse-mode differentiation over the graph recorded by Variables.
///
/// The graph is ordered once (depth-first, inputs before results, which is the order a tape
/// would have recorded), each node is marked if a requested leaf is reachable from it, and the
/// pullbacks run in reverse order. Gradients of intermediate results are freed as soon as their
/// pullback has run.
extension Variable {
    /// Accumulates ∂self/∂leaf into `leaf.grad` for every leaf that `requiresGrad`.
    /// `seed` is ∂L/∂self (default: ones, for a scalar loss).
    public func backward(seed: Tensor? = nil) {
        run(seed: seed, targets: nil)
    }

    /// ∂self/∂v for each variable given (leaves, or intermediate results such as a feature map
    /// for Grad-CAM), computing nothing that none of them needs; their `grad` fields are left as
    /// they were. A variable the result does not depend on gets zeros.
    public func gradients(wrt variables: [Variable], seed: Tensor? = nil) -> [Tensor] {
        let saved = variables.map(\.grad)
        for v in variables { v.grad = nil }
        let targets = Set(variables.map(ObjectIdentifier.init))
        run(seed: seed, targets: targets)
        let result = variables.map { $0.grad ?? Tensor(zeros: $0.shape) }
        for (v, g) in zip(variables, saved) { v.grad = g }
        return result
    }

    private func run(seed: Tensor?, targets: Set<ObjectIdentifier>?) {
        let seed = seed ?? Tensor(repeating: 1, shape: shape)
        precondition(seed.shape == shape, "backward: seed shape \(seed.shape) differs from result shape \(shape)")
        guard requiresGrad else { return }
        let order = topologicalOrder()
        for node in order {
            let isTarget = targets?.contains(ObjectIdentifier(node)) ?? false
            if node.isLeaf {
                node.needsGrad = node.requiresGrad && (targets == nil || isTarget)
            } else {
                node.needsGrad = isTarget || node.parents.contains { $0.needsGrad }
            }
        }
        if needsGrad { accumulate(seed) }
        for node in order.reversed() where !node.isLeaf {
            // A requested intermediate none of whose inputs needs a gradient stops here.
            if node.needsGrad, node.parents.contains(where: \.needsGrad), let g = node.grad { node.pullback!(g) }
            if !(targets?.contains(ObjectIdentifier(node)) ?? false) { node.grad = nil }
        }
        for node in order { node.needsGrad = false }
    }

    /// Nodes reachable from self through inputs that require gradients, inputs first.
    private func topologicalOrder() -> [Variable] {
        var order: [Variable] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Variable, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (node, next) = stack.popLast() {
            if next < node.parents.count {
                stack.append((node, next + 1))
                let parent = node.parents[next]
                if parent.requiresGrad && visited.insert(ObjectIdentifier(parent)).inserted {
                    stack.append((parent, 0))
                }
            } else {
                order.append(node)
            }
        }
        return order
    }
}

/// f(x) and ∂f/∂x for a scalar-valued f, with x a fresh leaf. Only the input gradient is
/// computed: parameters inside f get no gradient work even if they are trainable.
public func valueWithGradient(at x: Tensor, of f: (Variable) -> Variable) -> (value: Tensor, gradient: Tensor) {
    let input = Variable(x, requiresGrad: true)
    let y = f(input)
    return (y.value, y.gradients(wrt: [input])[0])
}
