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
        // JPEGs from cameras and phones store their pixels as the sensor saw them and say in EXIF
        // how to turn them for display; the image is returned as displayed.
        return Decoded(pixels: isJPEG ? oriented(pixels, exifOrientation(bytes)) : pixels, bitDepth: Int(image.bitDepth))
    }

    /// The EXIF Orientation tag (0x0112) of a JPEG's APP1 segment: 1 (as stored) … 8; 1 when absent.
    public static func exifOrientation(_ bytes: [UInt8]) -> Int {
        var i = 2
        while i + 4 <= bytes.count, bytes[i] == 0xFF {
            let marker = bytes[i + 1]
            if marker == 0xDA || marker == 0xD9 { break }                  // start of scan, end of image
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2, i + 2 + length <= bytes.count else { break }
            let body = Array(bytes[(i + 4)..<(i + 2 + length)])
            if marker == 0xE1, body.count >= 14, body.starts(with: Array("Exif".utf8) + [0, 0]) {
                let tiff = Array(body[6...])
                let little = tiff.starts(with: [0x49, 0x49])
                guard little || tiff.starts(with: [0x4D, 0x4D]) else { return 1 }
                func u16(_ at: Int) -> Int? {
                    guard at + 2 <= tiff.count else { return nil }
                    return little ? Int(tiff[at]) | Int(tiff[at + 1]) << 8 : Int(tiff[at]) << 8 | Int(tiff[at + 1])
                }
                func u32(_ at: Int) -> Int? {
                    guard let a = u16(at), let b = u16(at + 2) else { return nil }
                    return little ? a | b << 16 : a << 16 | b
                }
                guard let ifd = u32(4), let count = u16(ifd) else { return 1 }
                for e in 0..<count {
                    let entry = ifd + 2 + 12 * e
                    if u16(entry) == 0x0112, u16(entry + 2) == 3, let v = u16(entry + 8), (1...8).contains(v) { return v }
                }
                return 1
            }
            i += 2 + length
        }
        return 1
    }

    /// [C, H, W] pixels stored with EXIF orientation `o`, turned as they are meant to be displayed
    /// (2: mirrored, 3: rotated 180°, 4: flipped, 5: transposed, 6: rotated 90° clockwise,
    /// 7: transverse, 8: rotated 90° counter-clockwise).
    public static func oriented(_ pixels: Tensor, _ o: Int) -> Tensor {
        guard (2...8).contains(o) else { return pixels }
        let (c, h, w) = (pixels.shape[0], pixels.shape[1], pixels.shape[2])
        let (dh, dw) = o >= 5 ? (w, h) : (h, w)
        return Tensor(shape: [c, dh, dw]) { out in
            pixels.withUnsafeBufferPointer { p in
                for k in 0..<c { for i in 0..<dh { for j in 0..<dw {
                    let (y, x): (Int, Int)
                    switch o {
                    case 2: (y, x) = (i, w - 1 - j)
                    case 3: (y, x) = (h - 1 - i, w - 1 - j)
                    case 4: (y, x) = (h - 1 - i, j)
                    case 5: (y, x) = (j, i)
                    case 6: (y, x) = (h - 1 - j, i)
                    case 7: (y, x) = (h - 1 - j, w - 1 - i)
                    default: (y, x) = (j, w - 1 - i)
                    }
                    out[(k * dh + i) * dw + j] = p[(k * h + y) * w + x]
                } } }
            }
        }
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
