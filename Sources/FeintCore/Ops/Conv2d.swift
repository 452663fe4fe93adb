// 2-D convolution and fixed-kernel smoothing.

/// Cross-correlation of an NCHW batch with `weight` [O, C/groups, kh, kw] (PyTorch's conv2d),
/// plus `bias` [O]. Groups split channels into independent convolutions; groups = C = O is
/// depthwise and runs a direct kernel. Output: [N, O, (H+2p−kh)/s+1, (W+2p−kw)/s+1].
public func conv2d(_ x: Variable, weight: Variable, bias: Variable? = nil,
                   stride: Int = 1, padding: Int = 0, groups: Int = 1) -> Variable {
    precondition(x.value.rank == 4, "conv2d: input must be [N, C, H, W], got \(x.shape)")
    precondition(weight.value.rank == 4, "conv2d: weight must be [O, C/groups, kh, kw], got \(weight.shape)")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let o = weight.shape[0]
    precondition(c % groups == 0 && o % groups == 0,
                 "conv2d: \(c) input and \(o) output channels are not divisible by \(groups) groups")
    precondition(weight.shape[1] * groups == c,
                 "conv2d: input has \(c) channels, weight \(weight.shape) expects \(weight.shape[1] * groups)")
    if let bias { precondition(bias.shape == [o], "conv2d: bias \(bias.shape) should be [\(o)]") }
    let geo = ConvGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: o,
                           kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                           stride: stride, padding: padding, groups: groups)
    let y = Tensor(shape: [n, o, geo.outHeight, geo.outWidth]) { out in
        x.value.withUnsafeBufferPointer { xp in weight.value.withUnsafeBufferPointer { wp in
            if let bias {
                bias.value.withUnsafeBufferPointer { bp in
                    ConvKernels.forward(xp.baseAddress!, wp.baseAddress!, bp.baseAddress!, out.baseAddress!, geo)
                }
            } else {
                ConvKernels.forward(xp.baseAddress!, wp.baseAddress!, nil, out.baseAddress!, geo)
            }
        } }
    }
    return Variable.record(y, parents: [x, weight] + (bias.map { [$0] } ?? [])) { g in
        g.withUnsafeBufferPointer { gp in
            if x.needsGrad {
                x.accumulate(Tensor(shape: x.shape) { dx in
                    weight.value.withUnsafeBufferPointer { wp in
                        ConvKernels.backwardData(gp.baseAddress!, wp.baseAddress!, dx.baseAddress!, geo)
                    }
                })
            }
            let biasWanted = bias?.needsGrad ?? false
            if weight.needsGrad || biasWanted {
                var dw = Tensor(zeros: weight.shape), db = Tensor(zeros: [o])
                dw.withUnsafeMutableBufferPointer { dwp in db.withUnsafeMutableBufferPointer { dbp in
                    x.value.withUnsafeBufferPointer { xp in
                        ConvKernels.backwardWeight(gp.baseAddress!, xp.baseAddress!, dwp.baseAddress!,
                                                   biasWanted ? dbp.baseAddress! : nil, geo)
                    }
                } }
                if weight.needsGrad { weight.accumulate(dw) }
                if let bias, biasWanted { bias.accumulate(db) }
            }
        }
    }
}

extension Tensor {
    /// Convolves every channel plane of an NCHW tensor with the same fixed 2-D `kernel` [k, k]
    /// (zero padding, same size out for odd k): TI's Gaussian smoothing of gradients.
    public func smoothed(by kernel: Tensor) -> Tensor {
        precondition(rank == 4, "smoothed: input must be [N, C, H, W], got \(shape)")
        precondition(kernel.rank == 2 && kernel.shape[0] == kernel.shape[1] && kernel.shape[0] % 2 == 1,
                     "smoothed: kernel must be square with odd size, got \(kernel.shape)")
        let (n, c, h, w, k) = (shape[0], shape[1], shape[2], shape[3], kernel.shape[0])
        let geo = ConvGeometry(batch: n, inChannels: c, height: h, width: w, outChannels: c,
                               kernelHeight: k, kernelWidth: k, stride: 1, padding: k / 2, groups: c)
        let filters = Tensor(shape: [c, 1, k, k], scalars: Array((0..<c).map { _ in kernel.scalars }.joined()))
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { xp in filters.withUnsafeBufferPointer { fp in
                Depthwise.forward(xp.baseAddress!, fp.baseAddress!, nil, out.baseAddress!, geo)
            } }
        }
    }
}
