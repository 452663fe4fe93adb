import CImageCodecs
import FeintCore
import Foundation

/// The IDX format of MNIST and Fashion-MNIST (LeCun et al.), optionally gzip'd: a magic number
/// 0x0000 TT DD (TT = 0x08 unsigned bytes, DD = number of dimensions), DD big-endian 32-bit
/// extents, then the data.
public enum IDX {
    /// Fashion-MNIST's class names in label order.
    public static let fashionMNISTClasses = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// Decoded IDX contents: extents and unsigned-byte data.
    public struct Array: Equatable {
        public var shape: [Int]
        public var bytes: [UInt8]
        public init(shape: [Int], bytes: [UInt8]) { self.shape = shape; self.bytes = bytes }
    }

    /// Parses IDX bytes (gunzipping first when they start with the gzip magic).
    public static func parse(_ data: Data, name: String = "<memory>") throws -> Array {
        var raw = [UInt8](data)
        if raw.count >= 2 && raw[0] == 0x1F && raw[1] == 0x8B { raw = try gunzip(raw, name: name) }
        func fail(_ problem: String) -> DataError { DataError(path: name, problem) }
        guard raw.count >= 4 else { throw fail("truncated IDX header (\(raw.count) bytes)") }
        guard raw[0] == 0, raw[1] == 0 else { throw fail("not an IDX file (bad magic number)") }
        guard raw[2] == 0x08 else { throw fail(String(format: "IDX element type 0x%02X is not supported (only unsigned bytes, 0x08)", raw[2])) }
        let rank = Int(raw[3])
        guard rank >= 1 && rank <= 4 else { throw fail("IDX rank \(rank) is not supported (1 to 4)") }
        guard raw.count >= 4 + 4 * rank else { throw fail("truncated IDX header: \(rank) extents announced") }
        var shape: [Int] = []
        for d in 0..<rank {
            let o = 4 + 4 * d
            shape.append(Int(raw[o]) << 24 | Int(raw[o + 1]) << 16 | Int(raw[o + 2]) << 8 | Int(raw[o + 3]))
        }
        // Extents are untrusted 32-bit values: multiply with overflow checks (found by fuzzing).
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p <= raw.count else { throw fail("IDX extents \(shape) need more bytes than the file has (\(raw.count))") }
            count = p
        }
        let start = 4 + 4 * rank
        guard raw.count - start == count else {
            throw fail("IDX data has \(raw.count - start) bytes but extents \(shape) need \(count)")
        }
        return Array(shape: shape, bytes: [UInt8](raw[start...]))
    }

    /// Reads an image file ([N, H, W] bytes) and a label file ([N]) into [N, 1, H, W] pixels in
    /// [0, 1] and labels.
    public static func load(images: URL, labels: URL, classNames: [String] = fashionMNISTClasses) throws -> LabeledImages {
        let imgs = try parse(try read(images), name: images.path)
        let labs = try parse(try read(labels), name: labels.path)
        guard imgs.shape.count == 3 else { throw DataError(path: images.path, "expected [N, H, W] images, found extents \(imgs.shape)") }
        guard labs.shape.count == 1 else { throw DataError(path: labels.path, "expected [N] labels, found extents \(labs.shape)") }
        guard labs.shape[0] == imgs.shape[0] else {
            throw DataError(path: labels.path, "\(labs.shape[0]) labels for \(imgs.shape[0]) images in \(images.lastPathComponent)")
        }
        if let bad = labs.bytes.first(where: { Int($0) >= classNames.count }) {
            throw DataError(path: labels.path, "label \(bad) out of range for \(classNames.count) classes")
        }
        let (n, h, w) = (imgs.shape[0], imgs.shape[1], imgs.shape[2])
        let pixels = Tensor(shape: [n, 1, h, w]) { out in
            for i in 0..<out.count { out[i] = Float(imgs.bytes[i]) / 255 }
        }
        return LabeledImages(images: pixels, labels: labs.bytes.map(Int.init), classNames: classNames)
    }

    /// Fashion-MNIST's train or test split from a folder holding the four standard files
    /// (`train-images-idx3-ubyte.gz`, …, `t10k-labels-idx1-ubyte.gz`, gzip'd or not).
    public static func fashionMNIST(split: Split, directory: URL) throws -> LabeledImages {
        let prefix = split == .train ? "train" : "t10k"
        func file(_ stem: String) throws -> URL {
            for name in ["\(prefix)-\(stem).gz", "\(prefix)-\(stem)"] {
                let url = directory.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: url.path) { return url }
            }
            throw DataError(path: directory.path, "no \(prefix)-\(stem)[.gz] here")
        }
        return try load(images: try file("images-idx3-ubyte"), labels: try file("labels-idx1-ubyte"))
    }

    public enum Split: String, Sendable { case train, test }

    static func read(_ url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw DataError(path: url.path, "cannot be read (\(error.localizedDescription))")
        }
    }

    static func gunzip(_ bytes: [UInt8], name: String) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 256)
        let rc = bytes.withUnsafeBufferPointer { b in
            feint_gunzip(b.baseAddress, b.count, &out, &size, 1 << 30, &message, message.count)
        }
        guard rc == 0, let out else {
            throw DataError(path: name, "gzip: \(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
        }
        defer { free(out) }
        return [UInt8](UnsafeBufferPointer(start: out, count: size))
    }
}
