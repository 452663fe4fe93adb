/// NumPy-style broadcasting: shapes align on the right; an axis of extent 1 (or a missing axis)
/// stretches to the other operand's extent.
public enum Broadcast {
    /// The broadcast shape of `a` and `b`, or nil when they are incompatible.
    public static func shape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard x == y || x == 1 || y == 1 else { return nil }
            out[i] = x == 1 ? y : x
        }
        return out
    }

    /// Element strides of a tensor of `shape` read as `outShape` (0 along stretched axes).
    static func strides(of shape: [Int], in outShape: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: outShape.count)
        var step = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            let o = i + outShape.count - shape.count
            strides[o] = shape[i] == 1 ? 0 : step
            step *= shape[i]
        }
        return strides
    }

    /// Merges neighbouring axes that every operand walks contiguously (or not at all).
    static func collapse(_ shape: [Int], _ strideSets: [[Int]]) -> ([Int], [[Int]]) {
        var outShape: [Int] = [], outStrides = strideSets.map { _ in [Int]() }
        for axis in shape.indices where shape[axis] != 1 {
            if let last = outShape.last,
               strideSets.indices.allSatisfy({ outStrides[$0].last! == strideSets[$0][axis] * shape[axis] }) {
                outShape[outShape.count - 1] = last * shape[axis]
                for s in strideSets.indices { outStrides[s][outStrides[s].count - 1] = strideSets[s][axis] }
            } else {
                outShape.append(shape[axis])
                for s in strideSets.indices { outStrides[s].append(strideSets[s][axis]) }
            }
        }
        if outShape.isEmpty { return ([1], strideSets.map { _ in [0] }) }
        return (outShape, outStrides)
    }

    /// Calls `inner(outOffset, aOffset, bOffset, count, aStride, bStride)` for every innermost row
    /// of the (collapsed) output, row-major.
    @inline(__always)
    static func walk(_ shape: [Int], _ sa: [Int], _ sb: [Int],
                     _ inner: (Int, Int, Int, Int, Int, Int) -> Void) {
        let (dims, strides) = collapse(shape, [sa, sb])
        let (a, b) = (strides[0], strides[1])
        let last = dims.count - 1, n = dims[last]
        var index = [Int](repeating: 0, count: last)
        var (offA, offB, out) = (0, 0, 0)
        let rows = dims.dropLast().reduce(1, *)
        for _ in 0..<rows {
            inner(out, offA, offB, n, a[last], b[last])
            out += n
            var axis = last - 1
            while axis >= 0 {
                index[axis] += 1; offA += a[axis]; offB += b[axis]
                if index[axis] < dims[axis] { break }
                offA -= a[axis] * dims[axis]; offB -= b[axis] * dims[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// out = op(a, b) with broadcasting.
    @inline(__always)
    static func binary(_ a: Tensor, _ b: Tensor, _ name: String, _ op: (Float, Float) -> Float) -> Tensor {
        if a.shape == b.shape {
            return Tensor(shape: a.shape) { out in
                a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in
                    for i in 0..<out.count { out[i] = op(x[i], y[i]) }
                } }
            }
        }
        guard let shape = shape(a.shape, b.shape) else {
            preconditionFailure("\(name): shapes \(a.shape) and \(b.shape) do not broadcast")
        }
        let (sa, sb) = (strides(of: a.shape, in: shape), strides(of: b.shape, in: shape))
        return Tensor(shape: shape) { out in
            a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in
                let (o, x, y) = (out.baseAddress!, x.baseAddress!, y.baseAddress!)
                walk(shape, sa, sb) { oo, ao, bo, n, ia, ib in
                    if ia == 1 && ib == 1 {
                        for i in 0..<n { o[oo + i] = op(x[ao + i], y[bo + i]) }
                    } else if ia == 1 {
                        let v = y[bo]
                        for i in 0..<n { o[oo + i] = op(x[ao + i], v) }
                    } else if ib == 1 {
                        let v = x[ao]
                        for i in 0..<n { o[oo + i] = op(v, y[bo + i]) }
                    } else {
                        for i in 0..<n { o[oo + i] = op(x[ao + i * ia], y[bo + i * ib]) }
                    }
                }
            } }
        }
    }

    /// Sums `g` (of a broadcast shape) down to `shape`: the adjoint of broadcasting.
    public static func sum(_ g: Tensor, toShape shape: [Int]) -> Tensor {
        if g.shape == shape { return g }
        precondition(Broadcast.shape(shape, g.shape) == g.shape,
                     "sum(toShape:): \(shape) does not broadcast to \(g.shape)")
        let so = strides(of: shape, in: g.shape), sg = strides(of: g.shape, in: g.shape)
        var result = Tensor(zeros: shape)
        result.withUnsafeMutableBufferPointer { out in
            g.withUnsafeBufferPointer { src in
                let (o, s) = (out.baseAddress!, src.baseAddress!)
                walk(g.shape, so, sg) { _, oo, go, n, io, ig in
                    if io == 0 {
                        var acc: Float = 0
                        for i in 0..<n { acc += s[go + i * ig] }
                        o[oo] += acc
                    } else {
                        for i in 0..<n { o[oo + i * io] += s[go + i * ig] }
                    }
                }
            }
        }
        return result
    }
}
