import FeintAttacks
import FeintCore
import FeintModels
import Foundation

/// A PNG grid that shows what an attack did: per image a row of clean image, adversarial image,
/// amplified perturbation (0.5 + δ·0.5/max|δ|) and, when given, NAMEA's non-attention mask, with
/// the clean → adversarial predicted labels written beside the row in a 3×5 pixel font.
public enum Gallery {
    public struct Item {
        public var clean: Tensor          // [C, H, W]
        public var adversarial: Tensor    // [C, H, W]
        public var mask: Tensor?          // [1, H, W]
        public var cleanLabel: Int
        public var adversarialLabel: Int
        public init(clean: Tensor, adversarial: Tensor, mask: Tensor? = nil, cleanLabel: Int, adversarialLabel: Int) {
            self.clean = clean; self.adversarial = adversarial; self.mask = mask
            self.cleanLabel = cleanLabel; self.adversarialLabel = adversarialLabel
        }
    }

    /// Renders up to `items.count` rows, each tile scaled up by `zoom`, as an RGB PNG.
    public static func write(_ items: [Item], to url: URL, zoom: Int = 3) throws {
        guard let first = items.first else { return }
        let (h, w) = (first.clean.shape[1], first.clean.shape[2])
        let tiles = items.contains { $0.mask != nil } ? 4 : 3
        let (tileW, tileH, gap, textW) = (w * zoom, h * zoom, 4, 60)
        let width = tiles * (tileW + gap) + textW, height = items.count * (tileH + gap) + gap
        var canvas = Tensor(repeating: 1, shape: [3, height, width])
        func put(_ image: Tensor, row: Int, column: Int) {
            let rgb = image.shape[0] == 3 ? image : ImageCodec.convert(image, toChannels: 3)
            let (x0, y0) = (column * (tileW + gap), gap + row * (tileH + gap))
            for c in 0..<3 { for y in 0..<tileH { for x in 0..<tileW {
                canvas[c, y0 + y, x0 + x] = rgb[c, y / zoom, x / zoom]
            } } }
        }
        for (r, item) in items.enumerated() {
            let delta = item.adversarial - item.clean
            let scale = 0.5 / max(delta.maxAbs(), 1e-6)
            put(item.clean, row: r, column: 0)
            put(item.adversarial, row: r, column: 1)
            put((delta * scale + 0.5).clamped(0, 1), row: r, column: 2)
            if let m = item.mask { put(m, row: r, column: 3) }
            let text = "\(item.cleanLabel)>\(item.adversarialLabel)"
            let red: Float = item.cleanLabel != item.adversarialLabel ? 0.8 : 0
            draw(text, into: &canvas, x: tiles * (tileW + gap) + 4, y: gap + r * (tileH + gap) + tileH / 2 - 5, color: (red, 0, 0))
        }
        try ImageCodec.writePNG(canvas, to: url)
    }

    /// Runs a transfer attack on `images` (a handful) and writes its gallery: predictions of
    /// `target` before and after, NAMEA's mask when the attack has one.
    public static func forTransfer(_ attack: any TransferAttack, surrogates: [Model], target: Model, images: Tensor, labels: [Int],
                                   to url: URL, seed: UInt64 = 0) throws {
        var g = RandomGenerator(seed: seed)
        let result = attack.run(surrogates: surrogates, images: images, labels: labels, generator: &g)
        let adv = ImageQuantization.onGrid(result.adversarial, clean: images, epsilon: attack.settings.epsilon)
        let before = target.predict(images).argmaxLastAxis(), after = target.predict(adv).argmaxLastAxis()
        let shape = Array(images.shape.dropFirst())
        let items = (0..<labels.count).map { i in
            Item(clean: images.rows([i]).reshaped(shape), adversarial: adv.rows([i]).reshaped(shape),
                 mask: result.nonAttentionMask?.rows([i]).reshaped([1] + Array(shape.dropFirst())),
                 cleanLabel: before[i], adversarialLabel: after[i])
        }
        try write(items, to: url)
    }

    /// 3×5 glyphs for digits and '>' (rows top to bottom, 3 bits each, high bit left).
    static let glyphs: [Character: [UInt8]] = [
        "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7], "4": [5, 5, 7, 1, 1],
        "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1], "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7],
        ">": [4, 2, 1, 2, 4],
    ]

    static func draw(_ text: String, into canvas: inout Tensor, x: Int, y: Int, color: (Float, Float, Float), scale: Int = 2) {
        var cx = x
        for ch in text {
            guard let rows = glyphs[ch] else { cx += 4 * scale; continue }
            for (r, bits) in rows.enumerated() {
                for b in 0..<3 where bits & (4 >> UInt8(b)) != 0 {
                    for dy in 0..<scale { for dx in 0..<scale {
                        let (py, px) = (y + r * scale + dy, cx + b * scale + dx)
                        guard py >= 0, py < canvas.shape[1], px >= 0, px < canvas.shape[2] else { continue }
                        canvas[0, py, px] = color.0; canvas[1, py, px] = color.1; canvas[2, py, px] = color.2
                    } }
                }
            }
            cx += 4 * scale
        }
    }
}
