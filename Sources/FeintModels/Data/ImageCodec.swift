import CImageCodecs
import FeintCore
import Foundation

/// PNG and JPEG through libpng and libjpeg: 8- and 16-bit, gray, gray+alpha, RGB and RGBA in;
/// lossless 8-bit PNG out.
public enum ImageCodec {
    /// A decoded image: pixels [C, H, W] in [0, 1], as stored (C = 1, 2, 3 or 4), and its bit depth.
    public struct Decoded {
        public var pixels: Tensor
        public var bitDepth: Int
    }

    /// Decodes a PNG or JPEG file (recognised by its first bytes, not its name).
    public static func decode(_ url: URL) throws -> Decoded {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DataError(path: url.path, "cannot be read (\(error.localizedDescription))")
        }
        return try decode(data, name: url.path)
    }

    public static func decode(_ data: Data, name: String) throws -> Decoded {
        let bytes = [UInt8](data)
        guard !bytes.isEmpty else { throw DataError(path: name, "empty file") }
        var image = feint_image()
        var message = [CChar](repeating: 0, count: 512)
        let isPNG = bytes.starts(with: [0x89, 0x50, 0x4E, 0x47])
        let isJPEG = bytes.starts(with: [0xFF, 0xD8, 0xFF])
        guard isPNG || isJPEG else { throw DataError(path: name, "not a PNG or JPEG image") }
        let rc = bytes.withUnsafeBufferPointer { b in
            isPNG ? feint_png_decode(b.baseAddress, b.count, &image, &message, message.count)
                  : feint_jpeg_decode(b.baseAddress, b.count, &image, &message, message.count)
        }
        guard rc == 0 else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DataError(path: name, "\(isPNG ? "PNG" : "JPEG"): \(text)")
        }
        defer { feint_image_free(&image) }
        let (h, w, c) = (Int(image.height), Int(image.width), Int(image.channels))
        // Interleaved HWC → planar CHW.
        let pixels = Tensor(shape: [c, h, w]) { out in
            for y in 0..<h { for x in 0..<w { for k in 0..<c { out[(k * h + y) * w + x] = image.pixels[(y * w + x) * c + k] } } }
        }
        return Decoded(pixels: pixels, bitDepth: Int(image.bitDepth))
    }

    /// Converts [C, H, W] pixels (C = 1, 2, 3 or 4) to `channels` (1 or 3). Alpha is dropped
    /// (colour values are taken as stored), RGB → gray uses ITU-R BT.601 luma
    /// (0.299 R + 0.587 G + 0.114 B), gray → RGB repeats the plane.
    public static func convert(_ pixels: Tensor, toChannels channels: Int) -> Tensor {
        precondition(pixels.rank == 3, "convert: pixels must be [C, H, W], got \(pixels.shape)")
        precondition(channels == 1 || channels == 3, "convert: target channels must be 1 or 3, got \(channels)")
        let (c, h, w) = (pixels.shape[0], pixels.shape[1], pixels.shape[2])
        let plane = h * w
        let color = c >= 3
        return Tensor(shape: [channels, h, w]) { out in
            pixels.withUnsafeBufferPointer { p in
                for i in 0..<plane {
                    if channels == 3 {
                        for k in 0..<3 { out[k * plane + i] = p[(color ? k : 0) * plane + i] }
                    } else {
                        out[i] = color ? 0.299 * p[i] + 0.587 * p[plane + i] + 0.114 * p[2 * plane + i] : p[i]
                    }
                }
            }
        }
    }

    /// Writes [C, H, W] pixels (C = 1 or 3, values clamped to [0, 1], rounded to 8 bits) as a PNG.
    public static func writePNG(_ pixels: Tensor, to url: URL) throws {
        precondition(pixels.rank == 3 && [1, 2, 3, 4].contains(pixels.shape[0]),
                     "writePNG: pixels must be [C, H, W] with 1 to 4 channels, got \(pixels.shape)")
        let (c, h, w) = (pixels.shape[0], pixels.shape[1], pixels.shape[2])
        var bytes = [UInt8](repeating: 0, count: c * h * w)
        pixels.withUnsafeBufferPointer { p in
            for y in 0..<h { for x in 0..<w { for k in 0..<c {
                bytes[(y * w + x) * c + k] = quantize(p[(k * h + y) * w + x])
            } } }
        }
        var message = [CChar](repeating: 0, count: 512)
        let rc = bytes.withUnsafeBufferPointer { b in
            feint_png_write(url.path, b.baseAddress, Int32(w), Int32(h), Int32(c), &message, message.count)
        }
        guard rc == 0 else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw DataError(path: url.path, "cannot write PNG: \(text)")
        }
    }

    /// The 8-bit value a pixel in [0, 1] is stored as (round to nearest).
    @inlinable public static func quantize(_ v: Float) -> UInt8 { UInt8(Swift.min(Swift.max(v, 0), 1) * 255 + 0.5) }
}
