import FeintCore
import Foundation

/// Images on disk: either one subfolder per class (`root/<class>/<file>.png|jpg`), or a folder of
/// images plus a CSV with `filename,label[,target]` rows (label and target: a class index or
/// name). PNG and JPEG, 8- or 16-bit, gray, RGB or RGBA.
public struct ImageFolder {
    /// One image file and its label (and optional target class for targeted attacks).
    public struct Entry: Sendable, Equatable {
        public var path: String          // relative to the root
        public var label: Int?
        public var target: Int?
        public init(path: String, label: Int?, target: Int? = nil) { self.path = path; self.label = label; self.target = target }
    }

    /// Where the labels come from.
    public enum Labels: Sendable, Equatable {
        /// `root/labels.csv` if present, else class subfolders if an image sits in a subfolder, else none.
        case automatic
        /// One subfolder per class.
        case folders
        /// A CSV of `filename,label[,target]` rows.
        case csv(URL)
        /// No labels.
        case none
    }

    public let root: URL
    public var entries: [Entry]
    public var classNames: [String]
    /// The labels' source, `.automatic` resolved.
    public let labels: Labels
    /// Problems found while listing (unreadable folders, bad CSV rows, images without a CSV row,
    /// rows for missing files), by path.
    public var problems: [DataError]
    /// Problems that fail no image but are worth a word: labels-CSV rows that concern no image (a
    /// malformed line, a row naming no image of the folder, a row repeated), and image files of
    /// formats Feint does not read.
    public var warnings: [DataError] = []

    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]
    static let otherImageExtensions: Set<String> = ["bmp", "gif", "webp", "tif", "tiff", "heic", "heif", "ppm", "pgm", "avif", "jp2"]

    /// Lists the images under `root` and labels them. With `known` class names (a model's),
    /// class folders and CSV names are matched to them by name, case-insensitively, or by index;
    /// without, classes are the sorted folder names or the CSV's names in order of appearance.
    public init(root: URL, labels requested: Labels = .automatic, classNames known: [String]? = nil) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw DataError(path: root.path, "is not a folder")
        }
        self.root = root
        var listing: [DataError] = []
        var unsupported: [String] = []
        let files = Self.listImages(root, problems: &listing, unsupported: &unsupported)
        var labels = requested
        if labels == .automatic {
            // labels.csv in any case (Labels.csv, LABELS.CSV).
            let csvName = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).sorted()
                .first { $0.lowercased() == "labels.csv" }
            labels = csvName.map { .csv(root.appendingPathComponent($0)) } ?? (files.contains { $0.contains("/") } ? .folders : .none)
        }
        self.labels = labels
        problems = listing
        if !unsupported.isEmpty {
            let kinds = Set(unsupported.map { "." + ($0 as NSString).pathExtension.lowercased() }).sorted().joined(separator: ", ")
            warnings.append(DataError(path: root.path, "holds \(unsupported.count) image file\(unsupported.count == 1 ? "" : "s") of a format "
                                      + "Feint does not read (\(kinds)), skipped; convert them to PNG"))
        }
        switch labels {
        case .csv(let url):
            classNames = known ?? []
            entries = []
            try readCSV(url, files: files, fixedClasses: known != nil)
        case .folders:
            let folders = Set(files.compactMap { $0.contains("/") ? String($0.split(separator: "/")[0]) : nil }).sorted()
            let index = try Self.folderClasses(folders, known: known, root: root, inSortedOrder: requested == .folders)
            classNames = known ?? folders
            entries = files.map { f in
                Entry(path: f, label: f.contains("/") ? index[String(f.split(separator: "/")[0])] : nil)
            }
        case .none, .automatic:
            classNames = known ?? []
            entries = files.map { Entry(path: $0, label: nil) }
        }
    }

    /// The class index of each subfolder. Without known classes: the sorted folder names. With
    /// them: every folder named after a class or by its index; or, when no folder is, there are
    /// as many folders as classes and the folders were asked for (`inSortedOrder`, `--labels
    /// folders`), the sorted folder names; never by guess (CIFAR-10's `airplane/` is not
    /// Fashion-MNIST's class 0). Names match ignoring case and everything but letters and digits
    /// (`T-shirt_top/` is the class "T-shirt/top").
    static func folderClasses(_ folders: [String], known: [String]?, root: URL, inSortedOrder: Bool = false) throws -> [String: Int] {
        guard let known else { return Dictionary(uniqueKeysWithValues: folders.enumerated().map { ($1, $0) }) }
        func key(_ s: String) -> String { String(s.lowercased().filter { $0.isLetter || $0.isNumber }) }
        let matched = folders.map { f in known.firstIndex { key($0) == key(f) } ?? Int(f).flatMap { known.indices.contains($0) ? $0 : nil } }
        if matched.allSatisfy({ $0 != nil }) { return Dictionary(uniqueKeysWithValues: zip(folders, matched.map { $0! })) }
        let positional = matched.allSatisfy({ $0 == nil }) && folders.count == known.count
        if positional && inSortedOrder {
            return Dictionary(uniqueKeysWithValues: folders.enumerated().map { ($1, $0) })
        }
        let strangers = zip(folders, matched).filter { $0.1 == nil }.map(\.0)
        throw DataError(path: root.path, "class folders \(strangers.joined(separator: ", ")) are not classes of the model "
                        + "(\(known.joined(separator: ", "))): name each folder after its class or its index 0…\(known.count - 1), "
                        + "give a labels CSV, or --labels predicted"
                        + (positional ? "; or pass --labels folders to take the \(known.count) folders in sorted order as classes 0…\(known.count - 1)" : ""))
    }

    /// Each entry's output path: its relative path with the extension replaced by `.png`.
    /// Throws, before anything is written, when two images would share one (`a.png` and `a.jpg`).
    /// "size<TAB>modification time" of the entry's file (-1 for what cannot be read): with its
    /// path, what tells a changed file from the one a cache or an earlier run saw.
    public func stamp(_ entry: Entry) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: root.appendingPathComponent(entry.path).path)
        let size = attributes?[.size] as? Int ?? -1
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
        return "\(size)\t\(modified)"
    }

    public func pngOutputPaths() throws -> [String] {
        let paths = entries.map { ($0.path as NSString).deletingPathExtension + ".png" }
        // Compared without case and Unicode normalisation: on macOS's default file system
        // `Cat.png` and `cat.png` are one file.
        var first: [String: String] = [:]
        for (entry, out) in zip(entries, paths) {
            let key = out.decomposedStringWithCanonicalMapping.lowercased()
            if let other = first[key] {
                throw DataError(path: root.appendingPathComponent(entry.path).path,
                                "and \(other) would both be written as \(out); rename one of them")
            }
            first[key] = entry.path
        }
        return paths
    }

    /// Image files below `root`, as sorted relative paths, following symbolic links (to files and
    /// folders; a folder reached twice is listed once). Hidden files and folders are skipped;
    /// folders that cannot be read and broken links are added to `problems`; images of formats
    /// Feint does not read (BMP, GIF, WebP, TIFF, …) to `unsupported`.
    static func listImages(_ root: URL, problems: inout [DataError], unsupported: inout [String]) -> [String] {
        let fm = FileManager.default
        var out: [String] = [], visited: Set<String> = []
        func walk(_ dir: URL, _ prefix: String) {
            guard visited.insert(dir.resolvingSymlinksInPath().path).inserted else { return }
            let names: [String]
            do { names = try fm.contentsOfDirectory(atPath: dir.path) } catch {
                problems.append(DataError(path: dir.path, "cannot be read (\(error.localizedDescription))"))
                return
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                let url = dir.appendingPathComponent(name)
                var isDir: ObjCBool = false
                guard fm.fileExists(atPath: url.path, isDirectory: &isDir) else {
                    if imageExtensions.contains(url.pathExtension.lowercased()) { problems.append(DataError(path: url.path, "is a broken link")) }
                    continue
                }
                if isDir.boolValue { walk(url, prefix + name + "/") } else if imageExtensions.contains(url.pathExtension.lowercased()) {
                    out.append(prefix + name)
                } else if otherImageExtensions.contains(url.pathExtension.lowercased()) {
                    unsupported.append(prefix + name)
                }
            }
        }
        walk(root, "")
        return out.sorted()
    }



    /// Decodes one entry to [C, H, W] with the given channels and size. Other sizes are resized
    /// when `resize` is true (`resized`), an error otherwise.
    public func load(_ entry: Entry, channels: Int, height: Int, width: Int, resize: Bool) throws -> Tensor {
        let url = root.appendingPathComponent(entry.path)
        let pixels = ImageCodec.convert(try ImageCodec.decode(url).pixels, toChannels: channels)
        if pixels.shape[1] != height || pixels.shape[2] != width {
            guard resize else {
                throw DataError(path: url.path, "is \(pixels.shape[2])×\(pixels.shape[1]), the model needs \(width)×\(height)")
            }
            return Self.resized(pixels, height: height, width: width)
        }
        return pixels
    }

    /// [C, H, W] pixels at another size, bilinearly (PyTorch's `align_corners=False`); when
    /// shrinking by a factor f ≥ 2 along an axis, f-pixel blocks are first averaged along it (as
    /// PIL's `reducing_gap` does), so that a large photo is not aliased down to a few of its pixels.
    public static func resized(_ pixels: Tensor, height: Int, width: Int) -> Tensor {
        let (c, h, w) = (pixels.shape[0], pixels.shape[1], pixels.shape[2])
        let (fy, fx) = (max(h / height, 1), max(w / width, 1))
        var reduced = pixels
        if fy > 1 || fx > 1 {
            // Blocks of fy × fx (partial at the bottom and right edges), averaged.
            let (rh, rw) = ((h + fy - 1) / fy, (w + fx - 1) / fx)
            reduced = Tensor(shape: [c, rh, rw]) { out in
                pixels.withUnsafeBufferPointer { p in
                    for k in 0..<c { for i in 0..<rh { for j in 0..<rw {
                        var sum: Float = 0, n = 0
                        for y in (i * fy)..<min((i + 1) * fy, h) { for x in (j * fx)..<min((j + 1) * fx, w) {
                            sum += p[(k * h + y) * w + x]; n += 1
                        } }
                        out[(k * rh + i) * rw + j] = sum / Float(n)
                    } } }
                }
            }
        }
        if reduced.shape[1] == height && reduced.shape[2] == width { return reduced }
        return resizeBilinear(Variable(reduced.reshaped([1] + reduced.shape)), height: height, width: width)
            .value.reshaped([c, height, width])
    }

    /// Loads every labelled entry into one set; unreadable files are skipped and reported.
    public func loadAll(channels: Int, height: Int, width: Int, resize: Bool) -> (LabeledImages, [DataError]) {
        var pixels: [Float] = [], labels: [Int] = [], errors = problems
        for e in entries {
            guard let label = e.label else { continue }
            do {
                pixels += try load(e, channels: channels, height: height, width: width, resize: resize).scalars
                labels.append(label)
            } catch let error as DataError { errors.append(error) } catch {
                errors.append(DataError(path: e.path, "\(error)"))
            }
        }
        let images = Tensor(shape: [labels.count, channels, height, width], scalars: pixels)
        return (LabeledImages(images: images, labels: labels, classNames: classNames), errors)
    }
}
