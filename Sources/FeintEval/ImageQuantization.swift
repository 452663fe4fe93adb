import FeintCore

/// 8-bit storage of pixels in [0, 1], as PNG files hold them.
public enum ImageQuantization {
    /// The nearest 8-bit level.
    public static func level(_ v: Float) -> UInt8 { UInt8(Swift.min(Swift.max(v, 0), 1) * 255 + 0.5) }

    /// Adversarial pixels on the 8-bit grid without leaving the threat model: each pixel goes to
    /// its nearest level; when that lies farther than ε from the clean pixel, to the level on the
    /// clean side of it (inside the ball when the clean image is 8-bit and ε ≥ 1/255); when that
    /// is still outside (a 16-bit or resized clean image, tiny ε), to the level nearest the clean
    /// pixel, inside the ball whenever ε ≥ 0.5/255 (below that, no level may be). Without ε: nearest.
    ///
    /// Distances are compared in level units (×255): in Float, a level k/255 away can come out a
    /// few ulps above ε = k/255 (the pixel then lost its whole perturbation), and ε given in
    /// decimals, 0.0313725 for 8/255, is 5·10⁻⁸ short of it (every pixel at ±ε got 7/255). So an
    /// ε·255 within `levelTolerance` of a whole number counts as that number (ε = 0.0313725 allows
    /// 8 levels), and distances may exceed the bound by Float noise (10⁻⁴ levels, 4·10⁻⁷ in pixel
    /// units) only.
    public static func onGrid(_ adversarial: Tensor, clean: Tensor, epsilon: Float?) -> Tensor {
        let bound = epsilon.map { e -> Float in
            let levels = e * 255, whole = levels.rounded()
            return (abs(levels - whole) <= levelTolerance ? whole : levels) + 1e-4
        }
        return adversarial.zipMap(clean) { a, c in
            let (a, c) = (Swift.min(Swift.max(a, 0), 1) * 255, c * 255)
            var q = a.rounded()
            if let bound, abs(q - c) > bound {
                q = a >= c ? a.rounded(.down) : a.rounded(.up)
                if abs(q - c) > bound { q = Swift.min(Swift.max(c, 0), 255).rounded() }
            }
            return q / 255
        }
    }

    /// Each pixel on the 8-bit level at or beyond it as seen from the clean pixel (its perturbation
    /// never shrinks; no ε): for a black-box output on the decision boundary, which the nearest
    /// levels can pull back across it.
    public static func awayFromClean(_ adversarial: Tensor, clean: Tensor) -> Tensor {
        adversarial.zipMap(clean) { a, c in
            let a = Swift.min(Swift.max(a, 0), 1) * 255
            return (a >= c * 255 ? a.rounded(.up) : a.rounded(.down)) / 255
        }
    }

    /// How far (in 8-bit levels) ε·255 may lie from a whole number of levels and count as it.
    public static let levelTolerance: Float = 1e-3
}
