import FeintCore
import Foundation

/// Images on disk: either one subfolder per class (`root/<class>/<file>.png|jpg`, classes in
/// sorted order), or a flat folder of images plus `labels.csv` with `filename,label[,target]`
/// rows (label: a class index or name). PNG and JPEG, 8- or 16-bit, gray, RGB or RGBA.
public struct ImageFolder {
    /// One image file and its label (and optional target class for targeted attacks).
    public struct Entry: Sendable, Equatable {
        public var path: String          // relative to the root
        public var label: Int?
        public var target: Int?
        public init(path: String, label: Int?, target: Int? = nil) { self.path = path; self.label = label; self.target = target }
    }

    public let root: URL
    public var entries: [Entry]
    public var classNames: [String]
    /// Problems found while listing (bad CSV rows, labels for missing files), by path.
    public var problems: [DataError]

    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Lists the images under `root`. With `labels.csv` present (or given), labels come from it;
    /// otherwise from class subfolders; with neither, entries have no label.
    public init(root: URL, labelsFile: URL? = nil, classNames known: [String]? = nil) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw DataError(path: root.path, "is not a folder")
        }
        self.root = root
        var unreadable: [DataError] = []
        let files = try Self.listImages(root, problems: &unreadable)
        let csv = labelsFile ?? root.appendingPathComponent("labels.csv")
        if FileManager.default.fileExists(atPath: csv.path) {
            classNames = known ?? []
            problems = unreadable
            entries = []
            try readCSV(csv, files: Set(files))
        } else {
            let subfolders = Set(files.compactMap { $0.contains("/") ? String($0.split(separator: "/")[0]) : nil })
            classNames = known ?? subfolders.sorted()
            problems = unreadable
            let index = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, $0) })
            entries = files.map { f in
                let top = f.contains("/") ? String(f.split(separator: "/")[0]) : nil
                return Entry(path: f, label: top.flatMap { index[$0] }, target: nil)
            }
        }
    }

    /// Image files below `root`, as sorted relative paths; folders that cannot be read are
    /// added to `problems` and skipped.
    static func listImages(_ root: URL, problems: inout [DataError]) throws -> [String] {
        nonisolated(unsafe) var failures: [DataError] = []
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles], errorHandler: { url, error in
            failures.append(DataError(path: url.path, "cannot be read (\(error.localizedDescription))"))
            return true
        }) else {
            throw DataError(path: root.path, "cannot be listed")
        }
        defer { problems += failures }
        let base = root.standardizedFileURL.path
        var out: [String] = []
        for case let url as URL in walker where imageExtensions.contains(url.pathExtension.lowercased()) {
            let full = url.standardizedFileURL.path
            out.append(full.hasPrefix(base + "/") ? String(full.dropFirst(base.count + 1)) : url.lastPathComponent)
        }
        return out.sorted()
    }

    private mutating func readCSV(_ url: URL, files: Set<String>) throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw DataError(path: url.path, "cannot be read as UTF-8 text")
        }
        var names = classNames
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            if number == 0 && fields.first?.lowercased() == "filename" { continue }
            guard fields.count >= 2 && fields.count <= 3 && !fields[0].isEmpty else {
                problems.append(DataError(path: url.path, "line \(number + 1): expected filename,label[,target]"))
                continue
            }
            guard files.contains(fields[0]) else {
                problems.append(DataError(path: fields[0], "listed in \(url.lastPathComponent) line \(number + 1) but no such image"))
                continue
            }
            func classIndex(_ s: String) -> Int? {
                if let i = Int(s) { return i >= 0 ? i : nil }
                if let i = names.firstIndex(of: s) { return i }
                names.append(s)
                return names.count - 1
            }
            guard let label = classIndex(fields[1]) else {
                problems.append(DataError(path: fields[0], "line \(number + 1): bad label '\(fields[1])'"))
                continue
            }
            let target = fields.count == 3 && !fields[2].isEmpty ? classIndex(fields[2]) : nil
            entries.append(Entry(path: fields[0], label: label, target: target))
        }
        classNames = names
    }

    /// Decodes one entry to [C, H, W] with the given channels and size. Other sizes are resized
    /// bilinearly when `resize` is true (PyTorch's `align_corners=False`), an error otherwise.
    public func load(_ entry: Entry, channels: Int, height: Int, width: Int, resize: Bool) throws -> Tensor {
        let url = root.appendingPathComponent(entry.path)
        var pixels = ImageCodec.convert(try ImageCodec.decode(url).pixels, toChannels: channels)
        if pixels.shape[1] != height || pixels.shape[2] != width {
            guard resize else {
                throw DataError(path: url.path, "is \(pixels.shape[2])×\(pixels.shape[1]), the model needs \(width)×\(height)")
            }
            pixels = resizeBilinear(Variable(pixels.reshaped([1] + pixels.shape)), height: height, width: width)
                .value.reshaped([channels, height, width])
        }
        return pixels
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
