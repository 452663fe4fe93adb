/// Copies that rearrange elements: permutation of axes, and blocks along one axis.
enum LayoutKernels {
    /// out = x with axes reordered: out axis i is input axis perm[i].
    static func permute(_ x: Tensor, _ perm: [Int]) -> Tensor {
        let inStrides = Broadcast.strides(of: x.shape, in: x.shape)
        let outShape = perm.map { x.shape[$0] }
        let read = perm.map { x.shape[$0] == 1 ? 0 : inStrides[$0] }
        return Tensor(shape: outShape) { out in
            x.withUnsafeBufferPointer { src in
                let (o, s) = (out.baseAddress!, src.baseAddress!)
                if out.count == 0 { return }
                Broadcast.walk(outShape, read, read) { oo, so, _, n, stride, _ in
                    if stride == 1 {
                        (o + oo).update(from: s + so, count: n)
                    } else {
                        for i in 0..<n { o[oo + i] = s[so + i * stride] }
                    }
                }
            }
        }
    }

    /// Views a shape as [outer, extent along axis, inner].
    static func split(_ shape: [Int], axis: Int) -> (outer: Int, extent: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Copies `src` (viewed as [outer, srcExtent, inner]) rows `srcStart..<srcStart+n` along the
    /// middle axis into `dst` (viewed as [outer, dstExtent, inner]) at `dstStart`, adding if `add`.
    static func copyBlock(_ src: UnsafePointer<Float>, srcExtent: Int, srcStart: Int,
                          _ dst: UnsafeMutablePointer<Float>, dstExtent: Int, dstStart: Int,
                          n: Int, outer: Int, inner: Int, add: Bool = false) {
        let len = n * inner
        for o in 0..<outer {
            let s = src + (o * srcExtent + srcStart) * inner, d = dst + (o * dstExtent + dstStart) * inner
            if add { for i in 0..<len { d[i] += s[i] } } else { d.update(from: s, count: len) }
        }
    }
}
