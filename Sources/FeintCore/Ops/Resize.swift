// Spatial resizing and padding of NCHW batches (DI's input diversity uses both).

/// Bilinear resize to height×width (PyTorch `interpolate(mode="bilinear", align_corners=False)`,
/// no antialiasing). Pullback: the transpose of the interpolation.
public func resizeBilinear(_ x: Variable, height: Int, width: Int) -> Variable {
    precondition(x.value.rank == 4, "resizeBilinear: input must be [N, C, H, W], got \(x.shape)")
    precondition(height >= 1 && width >= 1, "resizeBilinear: target size \(height)×\(width) must be positive")
    let (planes, ih, iw) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
    let y = Tensor(shape: [x.shape[0], x.shape[1], height, width]) { out in
        x.value.withUnsafeBufferPointer { xp in
            ResizeKernels.forward(xp.baseAddress!, out.baseAddress!, planes: planes, inH: ih, inW: iw, outH: height, outW: width)
        }
    }
    return Variable.record(y, parents: [x]) { g in
        var dx = Tensor(zeros: x.shape)
        dx.withUnsafeMutableBufferPointer { d in g.withUnsafeBufferPointer { gp in
            ResizeKernels.backward(gp.baseAddress!, d.baseAddress!, planes: planes, inH: ih, inW: iw, outH: height, outW: width)
        } }
        x.accumulate(dx)
    }
}

/// Pads the two spatial axes with a constant. Pullback: the gradient cropped back.
public func pad(_ x: Variable, top: Int, bottom: Int, left: Int, right: Int, value: Float = 0) -> Variable {
    precondition(x.value.rank == 4, "pad: input must be [N, C, H, W], got \(x.shape)")
    precondition(min(top, bottom, left, right) >= 0, "pad: negative padding (\(top), \(bottom), \(left), \(right))")
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let y = Tensor(shape: [n, c, h + top + bottom, w + left + right]) { out in
        x.value.withUnsafeBufferPointer { xp in
            PadKernels.forward(xp.baseAddress!, out.baseAddress!, planes: n * c, h: h, w: w,
                               top: top, bottom: bottom, left: left, right: right, value: value)
        }
    }
    return Variable.record(y, parents: [x]) { g in
        var dx = Tensor(zeros: x.shape)
        dx.withUnsafeMutableBufferPointer { d in g.withUnsafeBufferPointer { gp in
            PadKernels.backward(gp.baseAddress!, d.baseAddress!, planes: n * c, h: h, w: w,
                                top: top, bottom: bottom, left: left, right: right)
        } }
        x.accumulate(dx)
    }
}
