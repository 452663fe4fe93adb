// Sums and means, over everything or over chosen axes.

/// Sum of all elements: a scalar (shape []).
public func sum(_ x: Variable) -> Variable {
    Variable.record(Tensor(x.value.sum()), parents: [x]) { g in
        x.accumulate(Tensor(repeating: g.scalar, shape: x.shape))
    }
}

/// Mean of all elements: a scalar (shape []).
public func mean(_ x: Variable) -> Variable { sum(x) / Float(max(x.value.count, 1)) }

/// Sum over `axes` (negative counts from the end); reduced axes are kept with extent 1 when
/// `keepingDims`, dropped otherwise.
public func sum(_ x: Variable, axes: [Int], keepingDims: Bool = false) -> Variable {
    let axes = Set(axes.map { normalizedAxis($0, rank: x.value.rank, op: "sum") })
    let kept = x.shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
    let outShape = keepingDims ? kept : x.shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
    let y = Broadcast.sum(x.value, toShape: kept).reshaped(outShape)
    return Variable.record(y, parents: [x]) { g in
        x.accumulate(Tensor(zeros: x.shape) + g.reshaped(kept))
    }
}

/// Mean over `axes`.
public func mean(_ x: Variable, axes: [Int], keepingDims: Bool = false) -> Variable {
    let n = Set(axes.map { normalizedAxis($0, rank: x.value.rank, op: "mean") }).reduce(1) { $0 * x.shape[$1] }
    return sum(x, axes: axes, keepingDims: keepingDims) / Float(max(n, 1))
}

/// Maps a possibly negative axis to 0..<rank, with a clear message when out of range.
func normalizedAxis(_ axis: Int, rank: Int, op: String) -> Int {
    let a = axis < 0 ? axis + rank : axis
    precondition(a >= 0 && a < rank, "\(op): axis \(axis) out of range for rank \(rank)")
    return a
}
