import FeintCore
import FeintModels
import Foundation
import Testing

/// The CIFAR-10 folder loader on colour images made here (the real data set stays outside the
/// repository): labels from the class folders in CIFAR-10's order, exact 8-bit pixels, and a
/// cache that is reused while the listing is unchanged and rebuilt when it changes.
@Suite("CIFAR-10 folders")
struct CIFAR10Tests {
    func temporary() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("feint-cifar-\(UInt32.random(in: 0...UInt32.max))")
    }

    /// Writes `count` random 32×32 RGB PNGs into root/split/<class>/.
    func makeSplit(_ root: URL, split: String, classes: [Int], seed: UInt64) throws -> [Tensor] {
        var g = RandomGenerator(seed: seed)
        var written: [Tensor] = []
        for (i, c) in classes.enumerated() {
            let dir = root.appendingPathComponent(split).appendingPathComponent(CIFAR10.classes[c])
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            // Exact 8-bit values so the PNG round trip is lossless.
            let pixels = Tensor(shape: [3, 32, 32], scalars: (0..<3072).map { _ in Float(g.int(below: 256)) / 255 })
            try ImageCodec.writePNG(pixels, to: dir.appendingPathComponent(String(format: "%04d.png", i)))
            written.append(pixels)
        }
        return written
    }

    @Test func loadsClassFoldersAndCachesThem() throws {
        let root = temporary(), cache = temporary()
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: cache) }
        let classes = [9, 0, 3]   // truck/0000, airplane/0001, cat/0002: test order is by file name first
        let images = try makeSplit(root, split: "test", classes: classes, seed: 1)
        let loaded = try CIFAR10.load(split: "test", directory: root, cacheDirectory: cache)
        #expect(loaded.labels == [9, 0, 3])
        #expect(loaded.images.shape == [3, 3, 32, 32])
        let truck = Array(loaded.images.scalars[..<3072])
        #expect(truck == images[0].scalars, "the truck's pixels differ from the file's")
        let files = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        #expect(files.count == 1 && files[0].hasPrefix("cifar10-test-") && files[0].hasSuffix(".u8"))
        // A second load reads the cache: identical result.
        let again = try CIFAR10.load(split: "test", directory: root, cacheDirectory: cache)
        let same = again.images.scalars == loaded.images.scalars && again.labels == loaded.labels
        #expect(same, "the cached load differs from the decoded one")
        // A changed listing gets a new cache file, which replaces the folder's earlier one.
        _ = try makeSplit(root, split: "test", classes: [0, 0, 0, 0], seed: 2)
        let changed = try CIFAR10.load(split: "test", directory: root, cacheDirectory: cache)
        #expect(changed.count == 6)   // 4 airplanes (one overwritten), the cat and the truck
        let second = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        #expect(second.count == 1 && second != files)
        // A file edited in place (same path and size, a new modification time) gets one too.
        let airplanes = root.appendingPathComponent("test/airplane")
        let file = airplanes.appendingPathComponent(try FileManager.default.contentsOfDirectory(atPath: airplanes.path).sorted()[0]).path
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)], ofItemAtPath: file)
        _ = try CIFAR10.load(split: "test", directory: root, cacheDirectory: cache)
        let third = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        #expect(third.count == 1 && third != second)
    }

    /// The test split interleaves the classes (every prefix is balanced); the train split keeps
    /// the class-by-class order its validation split was drawn from.
    @Test func theTestSplitInterleavesTheClasses() throws {
        let root = temporary(), cache = temporary()
        defer { try? FileManager.default.removeItem(at: root); try? FileManager.default.removeItem(at: cache) }
        for split in ["train", "test"] {
            for c in [0, 3, 9] {
                let dir = root.appendingPathComponent(split).appendingPathComponent(CIFAR10.classes[c])
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                for i in 0..<3 {
                    let pixels = Tensor(shape: [3, 32, 32], scalars: Array(repeating: Float(10 * c + i) / 255, count: 3072))
                    try ImageCodec.writePNG(pixels, to: dir.appendingPathComponent(String(format: "%04d.png", i)))
                }
            }
        }
        let test = try CIFAR10.load(split: "test", directory: root, cacheDirectory: cache)
        #expect(test.labels == [0, 3, 9, 0, 3, 9, 0, 3, 9])
        #expect((0..<9).map { (test.images.scalars[$0 * 3072] * 255).rounded() } == [0, 30, 90, 1, 31, 91, 2, 32, 92])
        let train = try CIFAR10.load(split: "train", directory: root, cacheDirectory: cache)
        #expect(train.labels == [0, 0, 0, 3, 3, 3, 9, 9, 9])
    }

    @Test func corruptCachesAndEmptyFoldersAreRefused() throws {
        let root = temporary()
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("train"), withIntermediateDirectories: true)
        #expect(throws: DataError.self) { try CIFAR10.load(split: "train", directory: root, cacheDirectory: root) }
        let bad = root.appendingPathComponent("bad.u8")
        try Data("FEINTU8\n0000".utf8).write(to: bad)
        #expect(throws: DataError.self) { try CIFAR10.readCache(bad) }
    }
}
