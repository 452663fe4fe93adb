// Max, average and global average pooling over NCHW batches.

private func poolGeometry(_ x: Variable, _ kernel: Int, _ stride: Int?, _ padding: Int, _ op: String) -> ConvGeometry {
    precondition(x.value.rank == 4, "\(op): input must be [N, C, H, W], got \(x.shape)")
    precondition(padding * 2 <= kernel, "\(op): padding \(padding) exceeds half the kernel \(kernel)")
    let c = x.shape[1]
    return ConvGeometry(batch: x.shape[0], inChannels: c, height: x.shape[2], width: x.shape[3], outChannels: c,
                        kernelHeight: kernel, kernelWidth: kernel, stride: stride ?? kernel, padding: padding)
}

/// Maximum over k×k windows (stride defaults to k; padding is −∞).
public func maxPool2d(_ x: Variable, kernel: Int, stride: Int? = nil, padding: Int = 0) -> Variable {
    let g = poolGeometry(x, kernel, stride, padding, "maxPool2d")
    let shape = [g.batch, g.inChannels, g.outHeight, g.outWidth]
    var argmax = [Int32](repeating: 0, count: shape.reduce(1, *))
    let y = Tensor(shape: shape) { out in
        x.value.withUnsafeBufferPointer { xp in argmax.withUnsafeMutableBufferPointer { a in
            PoolKernels.maxForward(xp.baseAddress!, out.baseAddress!, a.baseAddress!, g)
        } }
    }
    let indices = argmax
    return Variable.record(y, parents: [x]) { dy in
        var dx = Tensor(zeros: x.shape)
        dx.withUnsafeMutableBufferPointer { d in dy.withUnsafeBufferPointer { gp in indices.withUnsafeBufferPointer { a in
            PoolKernels.maxBackward(gp.baseAddress!, a.baseAddress!, d.baseAddress!, g)
        } } }
        x.accumulate(dx)
    }
}

/// Mean over k×k windows (stride defaults to k; zero padding counted, as PyTorch's default).
public func avgPool2d(_ x: Variable, kernel: Int, stride: Int? = nil, padding: Int = 0) -> Variable {
    let g = poolGeometry(x, kernel, stride, padding, "avgPool2d")
    let y = Tensor(shape: [g.batch, g.inChannels, g.outHeight, g.outWidth]) { out in
        x.value.withUnsafeBufferPointer { xp in PoolKernels.avgForward(xp.baseAddress!, out.baseAddress!, g) }
    }
    return Variable.record(y, parents: [x]) { dy in
        var dx = Tensor(zeros: x.shape)
        dx.withUnsafeMutableBufferPointer { d in dy.withUnsafeBufferPointer { gp in
            PoolKernels.avgBackward(gp.baseAddress!, d.baseAddress!, g)
        } }
        x.accumulate(dx)
    }
}

/// Mean over each channel plane: [N, C, H, W] → [N, C].
public func globalAvgPool2d(_ x: Variable) -> Variable {
    precondition(x.value.rank == 4, "globalAvgPool2d: input must be [N, C, H, W], got \(x.shape)")
    return mean(x, axes: [2, 3])
}
