/// A tensor in a differentiable computation.
///
/// Every op on Variables returns a new Variable that remembers its inputs and a *pullback*: a
/// closure that, given ∂L/∂output, adds ∂L/∂input to each input that needs it. An op records its
/// pullback only when some input `requiresGrad`; otherwise the result is a plain constant and
/// nothing is kept alive (inference builds no graph).
///
/// Which gradients are *computed* is decided at backward time by the leaves asked for: a pullback
/// skips every input from which no requested leaf can be reached. So an attack asking for ∂L/∂x
/// never runs a weight-gradient kernel, even when the weights are trainable.
public final class Variable {
    /// The forward value. Optimizers update parameters in place through this, after the backward
    /// pass: pullbacks read their inputs' values when they run, so changing one between a forward
    /// pass and its backward would differentiate at the new value (build a new graph instead).
    public var value: Tensor
    /// For leaves (inputs, parameters): whether ops on it record a graph. For op results: true
    /// when any input requires a gradient.
    public var requiresGrad: Bool
    /// The accumulated gradient of a leaf after `backward()`; gradients add up (+=) until reset.
    public internal(set) var grad: Tensor?

    let parents: [Variable]
    let pullback: ((Tensor) -> Void)?
    /// Set during one backward pass: a requested leaf can be reached from here.
    var needsGrad = false

    /// A leaf.
    public init(_ value: Tensor, requiresGrad: Bool = false) {
        self.value = value
        self.requiresGrad = requiresGrad
        self.parents = []
        self.pullback = nil
    }

    private init(result value: Tensor, parents: [Variable], pullback: @escaping (Tensor) -> Void) {
        self.value = value
        self.requiresGrad = true
        self.parents = parents
        self.pullback = pullback
    }

    /// The result of an op: records `pullback` only if some parent requires a gradient.
    public static func record(_ value: Tensor, parents: [Variable],
                              pullback: @escaping (Tensor) -> Void) -> Variable {
        parents.contains(where: \.requiresGrad)
            ? Variable(result: value, parents: parents, pullback: pullback)
            : Variable(value)
    }

    public var shape: [Int] { value.shape }
    public var isLeaf: Bool { pullback == nil }

    /// Whether a gradient for this variable is wanted in the backward pass now running.
    /// Pullbacks test it before computing an input's gradient.
    public var wantsGradient: Bool { needsGrad }

    /// Adds `g` to this variable's gradient.
    public func accumulate(_ g: Tensor) {
        precondition(g.shape == value.shape, "gradient of shape \(g.shape) for a variable of shape \(value.shape)")
        if grad == nil { grad = g } else { grad! += g }
    }

    /// Forgets the accumulated gradient.
    public func zeroGrad() { grad = nil }
}
