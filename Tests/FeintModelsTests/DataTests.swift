import FeintCore
import FeintModels
import Foundation
import Testing

/// The repository root (for the bundled datasets).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("Data loaders")
struct DataTests {
    @Test func bundledFashionMNISTTestSplit() throws {
        let test = try IDX.fashionMNIST(split: .test, directory: repositoryRoot.appendingPathComponent("datasets/fashion-mnist"))
        #expect(test.images.shape == [10_000, 1, 28, 28])
        #expect(test.labels.count == 10_000 && Set(test.labels) == Set(0..<10))
        #expect(test.images.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(test.labels.prefix(5) == [9, 2, 1, 1, 6])   // the published first test labels
    }

    @Test func idxErrors() {
        func problem(_ bytes: [UInt8]) -> String? {
            do { _ = try IDX.parse(Data(bytes), name: "x.idx"); return nil } catch let e as DataError { return e.problem } catch { return "\(error)" }
        }
        #expect(problem([0, 0])?.contains("truncated") == true)
        #expect(problem([1, 0, 8, 1, 0, 0, 0, 1, 0])?.contains("magic") == true)
        #expect(problem([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0])?.contains("not supported") == true)
        #expect(problem([0, 0, 8, 1, 0, 0, 0, 3, 7])?.contains("need 3") == true)
        #expect(problem([0x1F, 0x8B, 8, 0, 0])?.contains("gzip") == true)
        // Found by the fuzzer: extents whose product overflows.
        #expect(problem([0, 0, 8, 2, 0xFF, 0xD8, 1, 0x32, 0xFF, 0xFF, 0xFF, 0xFF, 0])?.contains("need more bytes") == true)
        #expect(try! IDX.parse(Data([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 2, 5, 6])) == IDX.Array(shape: [1, 2], bytes: [5, 6]))
    }

    @Test func pngRoundTripAndFolders() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feint-data-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        for c in ["cat", "dog"] { try FileManager.default.createDirectory(at: dir.appendingPathComponent(c), withIntermediateDirectories: true) }
        var rng = RandomGenerator(seed: 3)
        let rgb = rng.uniform(shape: [3, 5, 4]), gray = rng.uniform(shape: [1, 5, 4])
        try ImageCodec.writePNG(rgb, to: dir.appendingPathComponent("cat/a.png"))
        try ImageCodec.writePNG(gray, to: dir.appendingPathComponent("dog/b.png"))
        try Data("not an image".utf8).write(to: dir.appendingPathComponent("dog/c.png"))
        let decoded = try ImageCodec.decode(dir.appendingPathComponent("cat/a.png"))
        #expect(decoded.pixels.shape == [3, 5, 4] && decoded.bitDepth == 8)
        // 8-bit rounding: within half a level.
        #expect(zip(decoded.pixels.scalars, rgb.scalars).allSatisfy { abs($0 - $1) <= 0.5 / 255 + 1e-6 })
        let folder = try ImageFolder(root: dir)
        #expect(folder.classNames == ["cat", "dog"])
        #expect(folder.entries.map(\.path) == ["cat/a.png", "dog/b.png", "dog/c.png"])
        let (set, errors) = folder.loadAll(channels: 1, height: 5, width: 4, resize: false)
        #expect(set.labels == [0, 1])
        #expect(errors.count == 1 && errors[0].path.hasSuffix("dog/c.png") && errors[0].problem.contains("not a PNG or JPEG"))
        let (_, sizeErrors) = folder.loadAll(channels: 3, height: 8, width: 8, resize: false)
        #expect(sizeErrors.contains { $0.problem.contains("needs 8×8") })
        let (resized, _) = folder.loadAll(channels: 3, height: 8, width: 8, resize: true)
        #expect(resized.images.shape == [2, 3, 8, 8])
    }

    /// Shrinking a large image averages blocks before the bilinear step: vertical stripes one
    /// quarter bright (period 8) shrunk 8× come out a uniform 0.25, where bilinear sampling alone
    /// would land between two dark columns and read 0. Small changes stay bilinear.
    @Test func shrinkingAveragesInsteadOfAliasing() {
        let stripes = Tensor(shape: [1, 64, 64], scalars: (0..<(64 * 64)).map { $0 % 64 % 8 < 2 ? 1 : 0 })
        let small = ImageFolder.resized(stripes, height: 8, width: 8)
        #expect(small.shape == [1, 8, 8] && small.scalars.allSatisfy { abs($0 - 0.25) < 1e-6 })
        let bilinear = resizeBilinear(Variable(stripes.reshaped([1, 1, 64, 64])), height: 8, width: 8).value
        #expect(bilinear.scalars.allSatisfy { $0 == 0 })   // what plain bilinear gives here
        let near = Tensor(shape: [1, 2, 3], scalars: [0, 1, 2, 3, 4, 5])
        #expect(ImageFolder.resized(near, height: 3, width: 4) == resizeBilinear(Variable(near.reshaped([1, 1, 2, 3])), height: 3, width: 4).value.reshaped([1, 3, 4]))
    }

    @Test func labelsCSV() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feint-csv-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try ImageCodec.writePNG(Tensor(zeros: [1, 2, 2]), to: dir.appendingPathComponent("x.png"))
        try Data("filename,label,target\nx.png,3,5\nmissing.png,1\nbad line\n".utf8).write(to: dir.appendingPathComponent("labels.csv"))
        let folder = try ImageFolder(root: dir)
        #expect(folder.entries == [ImageFolder.Entry(path: "x.png", label: 3, target: 5)])
        // Images of a format Feint does not read are named, not skipped silently.
        try Data([0x42, 0x4D]).write(to: dir.appendingPathComponent("old.bmp"))
        #expect(try ImageFolder(root: dir).warnings.contains { $0.problem.contains("(.bmp)") })
        try FileManager.default.removeItem(at: dir.appendingPathComponent("old.bmp"))
        // A row naming no image and a malformed line fail no image: warnings.
        #expect(folder.problems.isEmpty && folder.warnings.count == 2, "\(folder.problems) \(folder.warnings)")
        try Data("./x.png,3\n".utf8).write(to: dir.appendingPathComponent("labels.csv"))
        #expect(try ImageFolder(root: dir).entries == [ImageFolder.Entry(path: "x.png", label: 3)])
        // Another delimiter: one error for the file, not one per image.
        try Data("x.png;3\n".utf8).write(to: dir.appendingPathComponent("labels.csv"))
        let refusal = #expect(throws: DataError.self) { try ImageFolder(root: dir) }
        #expect(refusal?.problem.contains("comma-separated") == true)
    }

    /// Labels.csv in another case is found; blank lines and a "file" header are skipped; a name
    /// spelled in another Unicode normalisation than on disk maps to the file on disk.
    @Test func labelsCSVEdgeCases() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feint-csv2-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let composed = "caf\u{E9}.png", decomposed = "cafe\u{301}.png"
        try ImageCodec.writePNG(Tensor(zeros: [1, 2, 2]), to: dir.appendingPathComponent(composed))
        try Data("file,label\n\n  \n\(decomposed),2\n".utf8).write(to: dir.appendingPathComponent("Labels.csv"))
        let folder = try ImageFolder(root: dir)
        #expect(folder.problems.isEmpty, "\(folder.problems)")
        #expect(folder.entries.count == 1 && folder.entries[0].label == 2)
        #expect(folder.entries.first.map { Array($0.path.unicodeScalars) == Array(composed.unicodeScalars) } == true)
        #expect(throws: Never.self) { try folder.load(folder.entries[0], channels: 1, height: 2, width: 2, resize: false) }
    }

    @Test func symbolicLinksAreFollowed() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("feint-links-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? fm.removeItem(at: dir) }
        for c in ["real/cat", "set/dog"] { try fm.createDirectory(at: dir.appendingPathComponent(c), withIntermediateDirectories: true) }
        try ImageCodec.writePNG(Tensor(zeros: [1, 2, 2]), to: dir.appendingPathComponent("real/cat/a.png"))
        try ImageCodec.writePNG(Tensor(zeros: [1, 2, 2]), to: dir.appendingPathComponent("set/dog/b.png"))
        try fm.createSymbolicLink(at: dir.appendingPathComponent("set/cat"), withDestinationURL: dir.appendingPathComponent("real/cat"))
        try fm.createSymbolicLink(at: dir.appendingPathComponent("set/dog/loop"), withDestinationURL: dir.appendingPathComponent("set"))
        try fm.createSymbolicLink(at: dir.appendingPathComponent("set/dog/gone.png"), withDestinationURL: dir.appendingPathComponent("nowhere.png"))
        try fm.createSymbolicLink(at: dir.appendingPathComponent("link"), withDestinationURL: dir.appendingPathComponent("set"))
        let folder = try ImageFolder(root: dir.appendingPathComponent("link"))
        #expect(folder.entries.map(\.path) == ["cat/a.png", "dog/b.png"])   // the loop back to set/ is listed once
        #expect(folder.entries.map(\.label) == [0, 1])
        #expect(folder.problems.map(\.problem) == ["is a broken link"])
    }

    /// Folders named after no class of the model are not mapped by guess (CIFAR-10's airplane/
    /// would be Fashion-MNIST's T-shirt/top): only `--labels folders` takes them in sorted order.
    @Test func foldersNamedAfterNoClassNeedToBeAskedFor() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feint-pos-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, c) in ["airplane", "truck"].enumerated() {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(c), withIntermediateDirectories: true)
            try ImageCodec.writePNG(Tensor(zeros: [1, 2, 2]), to: dir.appendingPathComponent("\(c)/\(i).png"))
        }
        let refusal = #expect(throws: DataError.self) { try ImageFolder(root: dir, classNames: ["Coat", "Bag"]) }
        #expect(refusal?.problem.contains("--labels folders") == true)
        let asked = try ImageFolder(root: dir, labels: .folders, classNames: ["Coat", "Bag"])
        #expect(asked.entries.map(\.label) == [0, 1])
    }

    @Test func csvFieldsMayBeQuoted() {
        #expect(ImageFolder.csvFields(#"a.png, Coat ,3"#) == ["a.png", "Coat", "3"])
        #expect(ImageFolder.csvFields(#""cat,2.jpg",cat"#) == ["cat,2.jpg", "cat"])
        #expect(ImageFolder.csvFields(#""say ""hi"".png" ,1,"#) == [#"say "hi".png"#, "1", ""])
    }

    @Test func jpegDecodes() throws {
        let d = try ImageCodec.decode(PNGVariantTests.fixtures.appendingPathComponent("rgb.jpg"))
        #expect(d.pixels.shape == [3, 10, 12] && d.bitDepth == 8)
    }

    /// A JPEG whose EXIF says "rotate 90° clockwise to display" (orientation 6) comes back turned:
    /// its first displayed row is the stored first column read bottom to top.
    @Test func jpegExifOrientationIsApplied() throws {
        let jpeg = PNGVariantTests.fixtures.appendingPathComponent("rgb.jpg")   // 12×10 RGB, baseline
        let bytes = [UInt8](try Data(contentsOf: jpeg))
        let (h, w) = (10, 12)
        for (order, orientation) in [([0x4D, 0x4D, 0x00, 0x2A], 6), ([0x49, 0x49, 0x2A, 0x00], 8)] as [([UInt8], Int)] {
            // APP1: "Exif\0\0", TIFF header, IFD0 at 8 with one SHORT entry 0x0112 = orientation.
            let big = order[0] == 0x4D
            func u16(_ v: Int) -> [UInt8] { big ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)] }
            func u32(_ v: Int) -> [UInt8] { big ? u16(v >> 16) + u16(v & 0xFFFF) : u16(v & 0xFFFF) + u16(v >> 16) }
            let tiff = order + u32(8) + u16(1) + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + [0, 0] + u32(0)
            let body = Array("Exif".utf8) + [0, 0] + tiff
            let app1: [UInt8] = [0xFF, 0xE1] + [UInt8((body.count + 2) >> 8), UInt8((body.count + 2) & 0xFF)] + body
            let withExif = Array(bytes.prefix(2)) + app1 + Array(bytes.dropFirst(2))
            #expect(ImageCodec.exifOrientation(withExif) == orientation)
            let turned = try ImageCodec.decode(Data(withExif), name: "exif.jpg").pixels
            let stored = try ImageCodec.decode(jpeg).pixels
            #expect(turned.shape == [3, w, h])
            for j in 0..<h {
                // 6: displayed (0, j) = stored (h − 1 − j, 0); 8: displayed (0, j) = stored (j, w − 1).
                let expected = orientation == 6 ? stored[0, h - 1 - j, 0] : stored[0, j, w - 1]
                #expect(turned[0, 0, j] == expected)
            }
        }
        #expect(ImageCodec.exifOrientation(bytes) == 1)
        // A 2×3 image: rows (0 1 2), (3 4 5).
        let small = Tensor(shape: [1, 2, 3], scalars: [0, 1, 2, 3, 4, 5])
        #expect(ImageCodec.oriented(small, 6).shape == [1, 3, 2] && ImageCodec.oriented(small, 6).scalars == [3, 0, 4, 1, 5, 2])
        #expect(ImageCodec.oriented(small, 8).scalars == [2, 5, 1, 4, 0, 3])
        #expect(ImageCodec.oriented(small, 3).scalars == [5, 4, 3, 2, 1, 0])
        #expect(ImageCodec.oriented(small, 5).scalars == [0, 3, 1, 4, 2, 5])
    }

    /// Stray bytes before a marker (as many cameras write) leave the pixels intact and decode; a
    /// truncated JPEG is an error.
    @Test func jpegWithStrayBytesDecodesAndATruncatedOneFails() throws {
        let jpeg = PNGVariantTests.fixtures.appendingPathComponent("rgb.jpg")   // 12×10 RGB, baseline
        let bytes = [UInt8](try Data(contentsOf: jpeg))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("feint-jpeg-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // SOI, then the first marker segment (FF xx, big-endian length counting itself): two zero bytes after it.
        let afterFirst = 4 + (Int(bytes[4]) << 8 | Int(bytes[5]))
        var stray = bytes
        stray.insert(contentsOf: [0x00, 0x00], at: afterFirst)
        let strayFile = dir.appendingPathComponent("stray.jpg"), cut = dir.appendingPathComponent("cut.jpg")
        try Data(stray).write(to: strayFile)
        try Data(bytes.prefix(bytes.count / 2)).write(to: cut)
        #expect(try ImageCodec.decode(strayFile).pixels == ImageCodec.decode(jpeg).pixels)
        #expect(throws: DataError.self) { try ImageCodec.decode(cut) }
    }
}

@Suite("PNG variants")
struct PNGVariantTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test func sixteenBitGray() throws {
        let d = try ImageCodec.decode(Self.fixtures.appendingPathComponent("gray16.png"))
        #expect(d.bitDepth == 16 && d.pixels.shape == [1, 2, 2])
        #expect(d.pixels.scalars == [0, 1, Float(32768) / 65535, Float(1000) / 65535])
    }

    @Test func sixteenBitRGBAndAlpha() throws {
        let rgb = try ImageCodec.decode(Self.fixtures.appendingPathComponent("rgb16.png"))
        #expect(rgb.pixels.shape == [3, 1, 1] && rgb.pixels.scalars == [1, 0, 0.2])
        let rgba = try ImageCodec.decode(Self.fixtures.appendingPathComponent("rgba8.png"))
        #expect(rgba.pixels.shape == [4, 1, 2])
        #expect(rgba.pixels.scalars == [1, 0, 0, 1, 0, 0, Float(128) / 255, 1])
        // Alpha dropped, BT.601 luma for gray.
        let gray = ImageCodec.convert(rgba.pixels, toChannels: 1)
        #expect(abs(gray.scalars[0] - 0.299) < 1e-6 && abs(gray.scalars[1] - 0.587) < 1e-6)
    }

    @Test func paletteExpands() throws {
        let d = try ImageCodec.decode(Self.fixtures.appendingPathComponent("palette2.png"))
        #expect(d.pixels.shape == [3, 1, 3])
        #expect(d.pixels.scalars == [0, 1, 1, 0, 1, 0, 0, 1, 0])
    }

    @Test func truncatedFileIsAnError() {
        #expect(throws: DataError.self) { try ImageCodec.decode(Self.fixtures.appendingPathComponent("truncated.png")) }
        #expect(throws: DataError.self) { try ImageCodec.decode(Data([0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), name: "cut.jpg") }
        #expect(throws: DataError.self) { try ImageCodec.decode(Data(), name: "empty.png") }
    }
}

/// Inputs the fuzzer once crashed on (first byte selects the parser, as in `feint-fuzz`): each
/// must now be rejected with a typed error.
@Test func fuzzReproducersAreRejected() throws {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    #expect(!files.isEmpty)
    for name in files {
        let bytes = try Data(contentsOf: dir.appendingPathComponent(name))
        let body = bytes.dropFirst()
        switch bytes.first! % 3 {
        case 0: #expect(throws: WeightsError.self) { try Safetensors(data: Data(body)) }
        case 1: #expect(throws: DataError.self) { try IDX.parse(Data(body)) }
        default: #expect(throws: DataError.self) { try ImageCodec.decode(Data(body), name: name) }
        }
    }
}
