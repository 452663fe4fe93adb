/// Sizes of a 2-D convolution or pooling window over an NCHW batch.
public struct ConvGeometry: Sendable, Equatable {
    public var batch, inChannels, height, width: Int
    public var outChannels, kernelHeight, kernelWidth: Int
    public var stride, padding, groups: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
                kernelHeight: Int, kernelWidth: Int, stride: Int = 1, padding: Int = 0, groups: Int = 1) {
        precondition(stride >= 1 && padding >= 0 && groups >= 1,
                     "conv2d: stride \(stride) must be ≥ 1, padding \(padding) ≥ 0, groups \(groups) ≥ 1")
        self.batch = batch; self.inChannels = inChannels; self.height = height; self.width = width
        self.outChannels = outChannels; self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.stride = stride; self.padding = padding; self.groups = groups
        precondition(height + 2 * padding >= kernelHeight && width + 2 * padding >= kernelWidth,
                     "conv2d: kernel \(kernelHeight)×\(kernelWidth) with padding \(padding) does not fit a \(height)×\(width) input")
    }

    public var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Output pixels per channel plane.
    public var outPlane: Int { outHeight * outWidth }
    /// Input pixels per channel plane.
    public var inPlane: Int { height * width }
    /// Rows of the im2col matrix for one group: (C/groups)·kh·kw.
    public var patchSize: Int { inChannels / groups * kernelHeight * kernelWidth }
    /// Depthwise: one filter per input channel.
    public var isDepthwise: Bool { groups == inChannels && outChannels == inChannels && groups > 1 }
}

/// im2col and its adjoint col2im for one image.
enum Im2Col {
    /// cols[(c·kh + i)·kw + j, oy·OW + ox] = x[c, oy·s − p + i, ox·s − p + j] (0 outside).
    /// x: [C, H, W]; cols: [C·kh·kw, OH·OW] with rows `ld` apart (≥ OH·OW), so that several
    /// images can sit side by side in one matrix.
    static func unfold(_ x: UnsafePointer<Float>, _ cols: UnsafeMutablePointer<Float>, _ g: ConvGeometry, ld: Int) {
        let (h, w, oh, ow, s, p) = (g.height, g.width, g.outHeight, g.outWidth, g.stride, g.padding)
        var row = 0
        for c in 0..<g.inChannels {
            let plane = x + c * h * w
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let dst = cols + row * ld
                    // Valid output columns: 0 ≤ ox·s − p + j < w.
                    let lo = Swift.max(0, (p - j + s - 1) / s)
                    let hi = Swift.min(ow, Swift.max(lo, (w + p - j + s - 1) / s))
                    for oy in 0..<oh {
                        let iy = oy * s - p + i
                        let d = dst + oy * ow
                        if iy < 0 || iy >= h {
                            for ox in 0..<ow { d[ox] = 0 }
                            continue
                        }
                        let src = plane + iy * w
                        for ox in 0..<lo { d[ox] = 0 }
                        if s == 1 {
                            let from = src + (j - p)
                            for ox in lo..<hi { d[ox] = from[ox] }
                        } else {
                            for ox in lo..<hi { d[ox] = src[ox * s - p + j] }
                        }
                        for ox in hi..<ow { d[ox] = 0 }
                    }
                    row += 1
                }
            }
        }
    }

    /// The adjoint of `unfold`: dx[c, iy, ix] += cols[...] for every window position reading it.
    static func fold(_ cols: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry, ld: Int) {
        let (h, w, oh, ow, s, p) = (g.height, g.width, g.outHeight, g.outWidth, g.stride, g.padding)
        var row = 0
        for c in 0..<g.inChannels {
            let plane = dx + c * h * w
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let src = cols + row * ld
                    let lo = Swift.max(0, (p - j + s - 1) / s)
                    let hi = Swift.min(ow, Swift.max(lo, (w + p - j + s - 1) / s))
                    for oy in 0..<oh {
                        let iy = oy * s - p + i
                        if iy < 0 || iy >= h { continue }
                        let d = plane + iy * w, srow = src + oy * ow
                        if s == 1 {
                            let off = -p + j
                            for ox in lo..<hi { d[ox + off] += srow[ox] }
                        } else {
                            for ox in lo..<hi { d[ox * s - p + j] += srow[ox] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}
