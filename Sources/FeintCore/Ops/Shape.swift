// Ops that move elements without arithmetic: reshape, permute, concat, slice, gather, expand.

/// The same elements with another shape (one extent may be −1).
public func reshape(_ x: Variable, _ shape: [Int]) -> Variable {
    let oldShape = x.shape
    return Variable.record(x.value.reshaped(shape), parents: [x]) { g in x.accumulate(g.reshaped(oldShape)) }
}

/// Flattens axes `fromAxis...` into one: [N, C, H, W] → [N, C·H·W] for fromAxis 1.
public func flatten(_ x: Variable, fromAxis: Int = 1) -> Variable {
    let a = normalizedAxis(fromAxis, rank: x.value.rank, op: "flatten")
    return reshape(x, Array(x.shape[..<a]) + [x.shape[a...].reduce(1, *)])
}

/// Reorders axes: output axis i is input axis `order[i]`.
public func permute(_ x: Variable, _ order: [Int]) -> Variable {
    precondition(order.sorted() == Array(0..<x.value.rank),
                 "permute: \(order) is not a permutation of the \(x.value.rank) axes of \(x.shape)")
    var inverse = order
    for (i, a) in order.enumerated() { inverse[a] = i }
    return Variable.record(LayoutKernels.permute(x.value, order), parents: [x]) { g in
        x.accumulate(LayoutKernels.permute(g, inverse))
    }
}

/// Swaps two axes.
public func transpose(_ x: Variable, _ a: Int, _ b: Int) -> Variable {
    var order = Array(0..<x.value.rank)
    order.swapAt(normalizedAxis(a, rank: order.count, op: "transpose"), normalizedAxis(b, rank: order.count, op: "transpose"))
    return permute(x, order)
}

/// Joins tensors along `axis`; all other extents must agree.
public func concat(_ xs: [Variable], axis: Int) -> Variable {
    precondition(!xs.isEmpty, "concat: no inputs")
    let rank = xs[0].value.rank
    let axis = normalizedAxis(axis, rank: rank, op: "concat")
    for x in xs {
        precondition(x.value.rank == rank && (0..<rank).allSatisfy { $0 == axis || x.shape[$0] == xs[0].shape[$0] },
                     "concat: shape \(x.shape) does not match \(xs[0].shape) off axis \(axis)")
    }
    var shape = xs[0].shape
    shape[axis] = xs.reduce(0) { $0 + $1.shape[axis] }
    let (outer, total, inner) = LayoutKernels.split(shape, axis: axis)
    let y = Tensor(shape: shape) { out in
        var start = 0
        for x in xs {
            x.value.withUnsafeBufferPointer { src in
                LayoutKernels.copyBlock(src.baseAddress!, srcExtent: x.shape[axis], srcStart: 0, out.baseAddress!,
                                        dstExtent: total, dstStart: start, n: x.shape[axis], outer: outer, inner: inner)
            }
            start += x.shape[axis]
        }
    }
    return Variable.record(y, parents: xs) { g in
        var start = 0
        for x in xs {
            if x.needsGrad {
                let part = Tensor(shape: x.shape) { out in
                    g.withUnsafeBufferPointer { src in
                        LayoutKernels.copyBlock(src.baseAddress!, srcExtent: total, srcStart: start, out.baseAddress!,
                                                dstExtent: x.shape[axis], dstStart: 0, n: x.shape[axis], outer: outer, inner: inner)
                    }
                }
                x.accumulate(part)
            }
            start += x.shape[axis]
        }
    }
}

/// Elements `range` along `axis`.
public func slice(_ x: Variable, axis: Int, _ range: Range<Int>) -> Variable {
    let axis = normalizedAxis(axis, rank: x.value.rank, op: "slice")
    precondition(range.lowerBound >= 0 && range.upperBound <= x.shape[axis],
                 "slice: range \(range) out of bounds for axis \(axis) of \(x.shape)")
    var shape = x.shape
    shape[axis] = range.count
    let (outer, extent, inner) = LayoutKernels.split(x.shape, axis: axis)
    let y = Tensor(shape: shape) { out in
        x.value.withUnsafeBufferPointer { src in
            LayoutKernels.copyBlock(src.baseAddress!, srcExtent: extent, srcStart: range.lowerBound, out.baseAddress!,
                                    dstExtent: range.count, dstStart: 0, n: range.count, outer: outer, inner: inner)
        }
    }
    return Variable.record(y, parents: [x]) { g in
        var dx = Tensor(zeros: x.shape)
        dx.withUnsafeMutableBufferPointer { d in
            g.withUnsafeBufferPointer { src in
                LayoutKernels.copyBlock(src.baseAddress!, srcExtent: range.count, srcStart: 0, d.baseAddress!,
                                        dstExtent: extent, dstStart: range.lowerBound, n: range.count, outer: outer, inner: inner)
            }
        }
        x.accumulate(dx)
    }
}

/// Entries `indices` along `axis` (PyTorch's `index_select`); indices may repeat.
public func gather(_ x: Variable, indices: [Int], axis: Int) -> Variable {
    let axis = normalizedAxis(axis, rank: x.value.rank, op: "gather")
    let (outer, extent, inner) = LayoutKernels.split(x.shape, axis: axis)
    for i in indices { precondition(i >= 0 && i < extent, "gather: index \(i) out of range 0..<\(extent) on axis \(axis) of \(x.shape)") }
    var shape = x.shape
    shape[axis] = indices.count
    let y = Tensor(shape: shape) { out in
        x.value.withUnsafeBufferPointer { src in
            for (k, i) in indices.enumerated() {
                LayoutKernels.copyBlock(src.baseAddress!, srcExtent: extent, srcStart: i, out.baseAddress!,
                                        dstExtent: indices.count, dstStart: k, n: 1, outer: outer, inner: inner)
            }
        }
    }
    return Variable.record(y, parents: [x]) { g in
        var dx = Tensor(zeros: x.shape)
        dx.withUnsafeMutableBufferPointer { d in
            g.withUnsafeBufferPointer { src in
                for (k, i) in indices.enumerated() {
                    LayoutKernels.copyBlock(src.baseAddress!, srcExtent: indices.count, srcStart: k, d.baseAddress!,
                                            dstExtent: extent, dstStart: i, n: 1, outer: outer, inner: inner, add: true)
                }
            }
        }
        x.accumulate(dx)
    }
}

/// Broadcasts `x` to `shape` (stretching extent-1 axes, adding leading axes).
public func expand(_ x: Variable, to shape: [Int]) -> Variable {
    precondition(Broadcast.shape(x.shape, shape) == shape, "expand: \(x.shape) does not broadcast to \(shape)")
    return Variable.record(Tensor(zeros: shape) + x.value, parents: [x]) { g in
        x.accumulate(Broadcast.sum(g, toShape: x.shape))
    }
}
