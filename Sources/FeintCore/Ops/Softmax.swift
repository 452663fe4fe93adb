// Softmax and log-softmax over the last axis, computed row by row with the max subtracted.

/// Applies `body(row, out, n)` to every row of the last axis, split across threads.
@inline(__always)
func forEachRow(_ x: Tensor, _ out: UnsafeMutableBufferPointer<Float>,
                _ body: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) {
    let n = x.shape.last ?? 1, rows = x.count / Swift.max(n, 1)
    x.withUnsafeBufferPointer { xp in
        let (src, dst) = (UncheckedBox(xp.baseAddress!), UncheckedBox(out.baseAddress!))
        Parallel.forRanges(rows, grain: Swift.max(1, 4096 / Swift.max(n, 1))) { range in
            for r in range { body(src.value + r * n, dst.value + r * n, n) }
        }
    }
}

/// softmax_j = e^{x_j − max} / Σ_k e^{x_k − max}, in place from `x` into `y` (one row).
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let m = FastMath.max(x, n)
    for j in 0..<n { y[j] = FastMath.exp(x[j] - m) }
    let inv = 1 / FastMath.sum(y, n)
    for j in 0..<n { y[j] *= inv }
}

/// Softmax over the last axis. Pullback: dx = y ⊙ (g − Σ_j g_j y_j).
public func softmax(_ x: Variable) -> Variable {
    precondition(x.value.rank >= 1, "softmax: needs at least one axis")
    let y = Tensor(shape: x.shape) { out in forEachRow(x.value, out, softmaxRow) }
    return Variable.record(y, parents: [x]) { g in
        x.accumulate(softmaxBackward(y: y, g: g))
    }
}

func softmaxBackward(y: Tensor, g: Tensor) -> Tensor {
    Tensor(shape: y.shape) { out in
        g.withUnsafeBufferPointer { gp in
            let gb = UncheckedBox(gp.baseAddress!)
            y.withUnsafeBufferPointer { yp in
                let base = yp.baseAddress!
                forEachRow(y, out) { yr, dr, n in
                    let gr = gb.value + (yr - base)
                    let dot = FastMath.dot(gr, yr, n)
                    for j in 0..<n { dr[j] = yr[j] * (gr[j] - dot) }
                }
            }
        }
    }
}

/// log softmax over the last axis: x_j − max − log Σ e^{x_k − max}.
/// Pullback: dx = g − softmax(x)·Σ_j g_j.
public func logSoftmax(_ x: Variable) -> Variable {
    precondition(x.value.rank >= 1, "logSoftmax: needs at least one axis")
    let y = Tensor(shape: x.shape) { out in
        forEachRow(x.value, out) { xr, yr, n in
            let m = FastMath.max(xr, n)
            for j in 0..<n { yr[j] = FastMath.exp(xr[j] - m) }
            let lse = m + Foundation.log(FastMath.sum(yr, n))
            for j in 0..<n { yr[j] = xr[j] - lse }
        }
    }
    return Variable.record(y, parents: [x]) { g in
        x.accumulate(Tensor(shape: x.shape) { out in
            g.withUnsafeBufferPointer { gp in
                let gb = UncheckedBox(gp.baseAddress!)
                y.withUnsafeBufferPointer { yp in
                    let base = yp.baseAddress!
                    forEachRow(y, out) { yr, dr, n in
                        let gr = gb.value + (yr - base)
                        let total = FastMath.sum(gr, n)
                        for j in 0..<n { dr[j] = gr[j] - FastMath.exp(yr[j]) * total }
                    }
                }
            }
        })
    }
}

import Foundation
