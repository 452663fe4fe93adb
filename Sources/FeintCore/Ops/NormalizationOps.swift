// Batch normalisation (per channel of NCHW) and layer normalisation (over the last axis).

/// BatchNorm2d. In training, normalises with the batch's mean and biased variance over (N, H, W)
/// and updates the running statistics in place (running = (1−m)·running + m·batch, variance
/// unbiased, as PyTorch); in evaluation, uses the running statistics.
/// y = γ·(x − μ)/√(σ² + ε) + β. x: [N, C, H, W]; weight, bias, running stats: [C].
public func batchNorm(_ x: Variable, weight: Variable, bias: Variable,
                      runningMean: inout Tensor, runningVar: inout Tensor,
                      training: Bool, momentum: Float = 0.1, epsilon: Float = 1e-5) -> Variable {
    precondition(x.value.rank == 4, "batchNorm: input must be [N, C, H, W], got \(x.shape)")
    let (n, c, plane) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
    for (name, t) in [("weight", weight.value), ("bias", bias.value), ("running mean", runningMean), ("running var", runningVar)] {
        precondition(t.shape == [c], "batchNorm: \(name) has shape \(t.shape), input has \(c) channels")
    }
    let m = n * plane
    var mean = runningMean.scalars, invStd = [Float](repeating: 0, count: c)
    if training {
        precondition(m > 1, "batchNorm: training needs more than one value per channel, input \(x.shape)")
        var variance = [Double](repeating: 0, count: c)
        x.value.withUnsafeBufferPointer { xp in
            mean.withUnsafeMutableBufferPointer { mp in variance.withUnsafeMutableBufferPointer { vp in
                let (src, mb, vb) = (UncheckedBox(xp.baseAddress!), UncheckedBox(mp.baseAddress!), UncheckedBox(vp.baseAddress!))
                // Channels split across threads; each plane summed in Float (SIMD), planes in Double.
                Parallel.forRanges(c) { channels in
                    for ch in channels {
                        var s: Double = 0
                        for i in 0..<n { s += Double(FastMath.sum(src.value + (i * c + ch) * plane, plane)) }
                        let mu = Float(s / Double(m))
                        var ss: Double = 0
                        for i in 0..<n { ss += Double(FastMath.sumOfSquaredDeviations(src.value + (i * c + ch) * plane, plane, from: mu)) }
                        mb.value[ch] = mu
                        vb.value[ch] = ss / Double(m)
                    }
                }
            } }
        }
        for ch in 0..<c {
            invStd[ch] = Float(1 / (variance[ch] + Double(epsilon)).squareRoot())
            runningMean.scalars[ch] = (1 - momentum) * runningMean.scalars[ch] + momentum * mean[ch]
            runningVar.scalars[ch] = (1 - momentum) * runningVar.scalars[ch] + momentum * Float(variance[ch] * Double(m) / Double(m - 1))
        }
    } else {
        for ch in 0..<c { invStd[ch] = 1 / (runningVar.scalars[ch] + epsilon).squareRoot() }
    }
    let (gamma, beta) = (weight.value.scalars, bias.value.scalars)
    let scale = (0..<c).map { gamma[$0] * invStd[$0] }
    let shift = (0..<c).map { beta[$0] - mean[$0] * scale[$0] }
    let y = Tensor(shape: x.shape) { out in
        x.value.withUnsafeBufferPointer { xp in
            let (src, dst) = (UncheckedBox(xp.baseAddress!), UncheckedBox(out.baseAddress!))
            Parallel.forRanges(n * c, grain: 4) { planes in
                for pl in planes {
                    let (a, b) = (scale[pl % c], shift[pl % c])
                    let (xr, yr) = (src.value + pl * plane, dst.value + pl * plane)
                    for p in 0..<plane { yr[p] = xr[p] * a + b }
                }
            }
        }
    }
    let (mu, istd) = (mean, invStd)
    return Variable.record(y, parents: [x, weight, bias]) { g in
        var dGamma = [Float](repeating: 0, count: c), dBeta = [Float](repeating: 0, count: c)
        var dx = x.needsGrad ? Tensor(zeros: x.shape) : Tensor(zeros: [0])
        let wantX = x.needsGrad
        g.withUnsafeBufferPointer { gp in x.value.withUnsafeBufferPointer { xp in dx.withUnsafeMutableBufferPointer { d in
            dGamma.withUnsafeMutableBufferPointer { dgp in dBeta.withUnsafeMutableBufferPointer { dbp in
                let (gb, xb, db) = (UncheckedBox(gp.baseAddress!), UncheckedBox(xp.baseAddress!), UncheckedBox(d.baseAddress))
                let (dg, dbeta) = (UncheckedBox(dgp.baseAddress!), UncheckedBox(dbp.baseAddress!))
                Parallel.forRanges(c) { channels in
                    for ch in channels {
                        // Σ g and Σ g·x̂ over the channel, with x̂ = (x − μ)·istd.
                        var sg: Double = 0, sgx: Double = 0
                        for i in 0..<n {
                            let (gr, xr) = (gb.value + (i * c + ch) * plane, xb.value + (i * c + ch) * plane)
                            let s = FastMath.sum(gr, plane), sx = FastMath.dot(gr, xr, plane)
                            sg += Double(s)
                            sgx += (Double(sx) - Double(mu[ch]) * Double(s)) * Double(istd[ch])
                        }
                        dg.value[ch] = Float(sgx); dbeta.value[ch] = Float(sg)
                        guard wantX, let dxp = db.value else { continue }
                        // Training: dx = k·(g − mean g − x̂·mean(g·x̂)) = k·g + b·x + c0, k = γ·istd;
                        // evaluation: dx = k·g.
                        let k = gamma[ch] * istd[ch]
                        let (meanG, meanGX) = (Float(sg / Double(m)), Float(sgx / Double(m)))
                        let b = training ? -k * istd[ch] * meanGX : 0
                        let c0 = training ? -k * meanG - b * mu[ch] : 0
                        for i in 0..<n {
                            let off = (i * c + ch) * plane
                            let (gr, xr, dr) = (gb.value + off, xb.value + off, dxp + off)
                            for p in 0..<plane { dr[p] = k * gr[p] + b * xr[p] + c0 }
                        }
                    }
                }
            } }
        } } }
        if x.needsGrad { x.accumulate(dx) }
        if weight.needsGrad { weight.accumulate(Tensor(shape: [c], scalars: dGamma)) }
        if bias.needsGrad { bias.accumulate(Tensor(shape: [c], scalars: dBeta)) }
    }
}

/// LayerNorm over the last axis: y = γ·(x − μ)/√(σ² + ε) + β with the row's mean and biased
/// variance. x: [..., D]; weight, bias: [D].
public func layerNorm(_ x: Variable, weight: Variable, bias: Variable, epsilon: Float = 1e-5) -> Variable {
    let d = x.shape.last ?? 0
    precondition(weight.shape == [d] && bias.shape == [d],
                 "layerNorm: weight \(weight.shape) and bias \(bias.shape) should be [\(d)] for input \(x.shape)")
    let rows = x.value.count / Swift.max(d, 1)
    var invStd = [Float](repeating: 0, count: rows)
    let (gamma, beta) = (weight.value.scalars, bias.value.scalars)
    var xhat = Tensor(zeros: [0])
    let y = Tensor(shape: x.shape) { out in
        xhat = Tensor(shape: x.shape) { xh in
            x.value.withUnsafeBufferPointer { xp in invStd.withUnsafeMutableBufferPointer { isd in
                let (src, dst, nrm, inv) = (UncheckedBox(xp.baseAddress!), UncheckedBox(out.baseAddress!),
                                            UncheckedBox(xh.baseAddress!), UncheckedBox(isd.baseAddress!))
                Parallel.forRanges(rows, grain: 64) { range in
                    for r in range {
                        let (xr, yr, hr) = (src.value + r * d, dst.value + r * d, nrm.value + r * d)
                        let mu = FastMath.sum(xr, d) / Float(d)
                        for j in 0..<d { hr[j] = xr[j] - mu }
                        let is_ = 1 / (FastMath.dot(hr, hr, d) / Float(d) + epsilon).squareRoot()
                        inv.value[r] = is_
                        for j in 0..<d {
                            let h = hr[j] * is_
                            hr[j] = h
                            yr[j] = h * gamma[j] + beta[j]
                        }
                    }
                }
            } }
        }
    }
    let (normalized, istd) = (xhat, invStd)
    return Variable.record(y, parents: [x, weight, bias]) { g in
        if x.needsGrad {
            x.accumulate(Tensor(shape: x.shape) { out in
                g.withUnsafeBufferPointer { gp in normalized.withUnsafeBufferPointer { hp in
                    let (gb, hb, ob) = (UncheckedBox(gp.baseAddress!), UncheckedBox(hp.baseAddress!), UncheckedBox(out.baseAddress!))
                    Parallel.forRanges(rows, grain: 64) { range in
                        for r in range {
                            let (gr, hr, dr) = (gb.value + r * d, hb.value + r * d, ob.value + r * d)
                            for j in 0..<d { dr[j] = gr[j] * gamma[j] }
                            let (a, b) = (FastMath.sum(dr, d) / Float(d), FastMath.dot(dr, hr, d) / Float(d))
                            for j in 0..<d { dr[j] = istd[r] * (dr[j] - a - hr[j] * b) }
                        }
                    }
                } }
            })
        }
        if weight.needsGrad || bias.needsGrad {
            // dγ = Σ_rows g ⊙ x̂, dβ = Σ_rows g.
            if weight.needsGrad { weight.accumulate(Reduce.columnSums(g * normalized, rows: rows, columns: d)) }
            if bias.needsGrad { bias.accumulate(Reduce.columnSums(g, rows: rows, columns: d)) }
        }
    }
}
