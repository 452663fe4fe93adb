import FeintCore
import Foundation

/// CIFAR-10 as image class folders, `root/<split>/<class>/<file>.jpg|png` (classes in label order
/// airplane … truck, as the JPEG copy beside the project is laid out).
///
/// Order: the test split is interleaved by file name, then class (`airplane/0000`,
/// `automobile/0000`, …, `truck/0000`, `airplane/0001`, …), so its first n images, which the
/// experiments attack, hold every class evenly (n/10 each for the copy beside the project)
/// instead of airplanes only. The train split stays class by class, ordered by path: trainings
/// draw their validation split from it at random, and a resumed training must see the split it
/// began with.
///
/// The first load of a split decodes every file and caches the 8-bit pixels in
/// `<cache>/cifar10-<split>-<root>-<key>.u8`, where root is a digest of the folder's path and key
/// one of the listing (relative paths, file sizes and modification times), so a changed folder or
/// file gets a fresh cache, which replaces the folder's earlier ones; later loads read the cache
/// only.
/// Cache layout: magic "FEINTU8\n", then n, c, h, w as UInt32 little-endian, n label bytes, and
/// n·c·h·w pixel bytes (NCHW). Pixels come back as Float in [0, 1] (value / 255, exact).
public enum CIFAR10 {
    public static let classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    public static let shape = [3, 32, 32]
    static let magic = Array("FEINTU8\n".utf8)

    /// `~/.cache/feint/datasets`.
    public static func defaultCacheDirectory() -> URL {
        FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/feint/datasets")
    }

    /// Loads `root/<split>` (split "train" or "test"), through the cache; `progress(done, total)`
    /// is called while decoding.
    public static func load(split: String, directory root: URL, cacheDirectory: URL = defaultCacheDirectory(),
                            progress: (Int, Int) -> Void = { _, _ in }) throws -> LabeledImages {
        let folder = try ImageFolder(root: root.appendingPathComponent(split), classNames: classes)
        if let problem = folder.problems.first { throw problem }
        var labelled = folder.entries.filter { $0.label != nil }
        if split == "test" {
            labelled.sort { a, b in
                let (na, nb) = ((a.path as NSString).lastPathComponent, (b.path as NSString).lastPathComponent)
                return na != nb ? na < nb : (a.label!, a.path) < (b.label!, b.path)
            }
        }
        guard !labelled.isEmpty else {
            throw DataError(path: root.appendingPathComponent(split).path,
                            "holds no images in class folders named \(classes.joined(separator: ", "))")
        }
        var listing = ""
        for e in labelled { listing += "\(e.path)\t\(folder.stamp(e))\n" }
        let key = String(SHA256.hex(Array(listing.utf8)).prefix(16))
        let place = "cifar10-\(split)-" + String(SHA256.hex(Array(root.standardizedFileURL.resolvingSymlinksInPath().path.utf8)).prefix(8)) + "-"
        let cache = cacheDirectory.appendingPathComponent(place + "\(key).u8")
        if let cached = try? readCache(cache) { return cached }
        var pixels = [UInt8](), labels = [UInt8]()
        pixels.reserveCapacity(labelled.count * 3072)
        for (i, e) in labelled.enumerated() {
            let image = try folder.load(e, channels: 3, height: 32, width: 32, resize: false)
            image.withUnsafeBufferPointer { p in for v in p { pixels.append(ImageCodec.quantize(v)) } }
            labels.append(UInt8(e.label!))
            if (i + 1) % 5000 == 0 || i + 1 == labelled.count { progress(i + 1, labelled.count) }
        }
        try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        var data = Data(magic)
        for v in [labelled.count] + shape { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: labels)
        data.append(contentsOf: pixels)
        try data.write(to: cache, options: .atomic)
        // The same folder's caches of earlier listings are stale (each is 30–150 MB).
        // So are caches named as before Feint 0.2.1 (`cifar10-<split>-<key>.u8`, no folder digest).
        let legacy = "cifar10-\(split)-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory.path)) ?? []
        where name.hasSuffix(".u8") && name != cache.lastPathComponent
            && (name.hasPrefix(place) || (name.hasPrefix(legacy) && name.dropFirst(legacy.count).dropLast(3).count == 16)) {
            try? FileManager.default.removeItem(at: cacheDirectory.appendingPathComponent(name))
        }
        return images(pixels, labels: labels)
    }

    /// A cache file's contents, or an error when it is missing, truncated or not a cache.
    public static func readCache(_ url: URL) throws -> LabeledImages {
        let data = try Data(contentsOf: url)
        let bytes = [UInt8](data)
        guard bytes.count >= 24, Array(bytes[0..<8]) == magic else { throw DataError(path: url.path, "is not a Feint image cache") }
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        let n = u32(8), dims = [u32(12), u32(16), u32(20)]
        guard dims == shape, bytes.count == 24 + n + n * 3072 else { throw DataError(path: url.path, "is truncated or has another shape") }
        let labels = Array(bytes[24..<(24 + n)])
        guard labels.allSatisfy({ $0 < 10 }) else { throw DataError(path: url.path, "has labels outside 0…9") }
        return images(Array(bytes[(24 + n)...]), labels: labels)
    }

    static func images(_ pixels: [UInt8], labels: [UInt8]) -> LabeledImages {
        // Division, not multiplication by 1/255: the same floats as decoding the files.
        let tensor = Tensor(shape: [labels.count] + shape) { out in
            for i in 0..<out.count { out[i] = Float(pixels[i]) / 255 }
        }
        return LabeledImages(images: tensor, labels: labels.map(Int.init), classNames: classes)
    }
}
