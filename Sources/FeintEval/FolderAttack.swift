import FeintAttacks
import FeintCore
import FeintModels
import Foundation

/// Attacks a folder of images and writes lossless PNGs mirroring it. Every file is written to a
/// temporary name and renamed, so an interrupted run leaves no half-written image; `resume`
/// skips images whose output exists (and re-measures them; a black-box attack's query counts are
/// kept in `.queries.jsonl`, one line per written image, so a resumed run reports them too). Success is measured on the saved
/// 8-bit files, whose pixels are put on the 8-bit grid without leaving the ε-ball (`onGrid`). Unreadable inputs are recorded with their reason and the rest go on.
public enum FolderAttack {
    public enum LabelSource: String, Sendable { case folders, csv, predicted }

    public struct Record: Codable, Sendable {
        public var file: String
        public var output: String?
        public var label: Int?
        public var target: Int?
        public var cleanPrediction: Int?
        public var adversarialPrediction: Int?
        public var success: Bool?
        public var l2: Float?
        public var linf: Float?
        public var queries: Int?
        /// Set when the nearest 8-bit levels undid a black-box success and the levels away from the
        /// clean image kept it (one or two more model evaluations).
        public var rounding: String?
        public var resumed = false
        public var error: String?
    }

    public struct Report: Codable, Sendable {
        public var input: String
        public var output: String
        public var model: String
        public var attack: String
        public var settings: [String: String]
        public var seed: UInt64
        public var labels: String
        /// The model's class names: labels and predictions are indices into them.
        public var classNames: [String]
        public var batch: Int
        public var resize: Bool
        public var version: String
        public var images: Int
        public var attacked: Int
        /// Attacked images whose saved output meets the goal (untargeted: misclassified, also
        /// those the model got wrong when clean).
        public var succeeded: Int
        /// Attacked images the model classified correctly when clean, and how many of those the
        /// attack fooled.
        public var correctWhenClean: Int
        public var succeededOfCorrect: Int
        public var failedFiles: Int
        /// The model's weights file and its SHA-256, and the run's wall time (set by the caller).
        public var modelFile: String? = nil
        public var modelSHA256: String? = nil
        public var seconds: Double? = nil
        /// The folder's warnings: labels-CSV rows that concern no image, unread image formats.
        public var warnings: [String]
        public var records: [Record]
    }

    /// What makes a run: written to `settings.json` in the output folder before any image, so that
    /// `resume` can refuse to mix two settings in one folder.
    public struct RunSettings: Codable, Equatable, Sendable {
        public var input: String
        public var model: String
        public var attack: String
        public var settings: [String: String]
        public var seed: UInt64
        public var batch: Int
        public var labels: String
        public var resize: Bool
        /// A digest of the inputs (relative path, size, modification time, label and target of
        /// every image), so that a resumed run refuses a changed folder.
        public var inputs: String? = nil
        /// The Feint version of the run (a resumed run must be of the same version).
        public var version: String? = FeintVersion.string
    }

    /// What an attack returns for a batch: adversarial images, queries per image and whether each
    /// image is adversarial (black-box), and NAMEA's mask (for the gallery). `pool`: every readable image of the folder with its
    /// label (targeted Boundary takes its start images from it).
    public typealias Attack = (_ images: Tensor, _ goal: Goal, _ pool: LabeledImages, _ generator: inout RandomGenerator)
        -> (adversarial: Tensor, queries: [Int]?, success: [Bool]?, mask: Tensor?)

    /// Refuses an output folder equal to or inside the input folder, also through symbolic links
    /// in a part of the output path that exists already (`link-to-input/new`).
    public static func checkFolders(input: URL, output: URL) throws {
        let i = resolved(input), o = resolved(output)
        if o == i || o.hasPrefix(i.hasSuffix("/") ? i : i + "/") {
            throw DataError(path: output.path, "is inside the input folder \(input.path); choose an output folder outside it")
        }
    }

    public static func run(folder: ImageFolder, output: URL, model: Model, labels: LabelSource, resize: Bool, batchSize: Int,
                           seed: UInt64, resume: Bool, attackName: String, settings: [String: String], epsilon: Float?, attack: Attack,
                           progress: (Int, Int) -> Void) throws -> (report: Report, gallery: [Gallery.Item]) {
        try checkFolders(input: folder.root, output: output)
        let outputs = try folder.pngOutputPaths()
        do { try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true) } catch {
            throw DataError(path: output.path, "cannot be created (\((error as NSError).localizedDescription))")
        }
        var run = RunSettings(input: folder.root.standardizedFileURL.resolvingSymlinksInPath().path, model: model.name,
                              attack: attackName, settings: settings, seed: seed, batch: batchSize, labels: labels.rawValue, resize: resize)
        run.inputs = inputDigest(folder)
        let settingsFile = output.appendingPathComponent("settings.json")
        let present = ((try? FileManager.default.contentsOfDirectory(atPath: output.path)) ?? []).filter { !$0.hasPrefix(".") }
        if resume && !present.isEmpty {
            guard let data = try? Data(contentsOf: settingsFile), let earlier = try? JSONDecoder().decode(RunSettings.self, from: data) else {
                throw DataError(path: output.path, "holds files but no readable settings.json of a feint attack run: nothing to resume")
            }
            if earlier != run {
                var what: [String] = []
                if earlier.inputs != run.inputs { what.append("the input images or their labels changed since") }
                if earlier.version != run.version { what.append("written by Feint \(earlier.version ?? "before 0.2.0"), this is \(FeintVersion.string)") }
                // Name what differs, so the user sees which option to change.
                let keys = Set(earlier.settings.keys).union(run.settings.keys).sorted().filter { earlier.settings[$0] != run.settings[$0] }
                if !keys.isEmpty {
                    what.append("differing: " + keys.map { "\($0) \(earlier.settings[$0] ?? "unset") → \(run.settings[$0] ?? "unset")" }.joined(separator: ", "))
                }
                for (name, a, b) in [("model", earlier.model, run.model), ("attack", earlier.attack, run.attack), ("input", earlier.input, run.input),
                                     ("seed", "\(earlier.seed)", "\(run.seed)"), ("batch", "\(earlier.batch)", "\(run.batch)"),
                                     ("labels", earlier.labels, run.labels), ("resize", "\(earlier.resize)", "\(run.resize)")] where a != b {
                    what.append("\(name) \(a) → \(b)")
                }
                throw DataError(path: output.path, "holds a run with other settings (\(earlier.attack) on \(earlier.model) of \(earlier.input), "
                                + "\(earlier.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")), "
                                + "seed \(earlier.seed), batch \(earlier.batch), labels \(earlier.labels), resize \(earlier.resize ? "fit" : "error")"
                                + (what.isEmpty ? "" : "; " + what.joined(separator: "; ")) + "); "
                                + "resume with those, or choose another output folder")
            }
        }
        do { try Benchmark.encoder().encode(run).write(to: settingsFile, options: .atomic) } catch {
            throw DataError(path: settingsFile.path, "cannot be written (\((error as NSError).localizedDescription))")
        }
        let journal = QueryJournal(url: output.appendingPathComponent(".queries.jsonl"), keep: resume)
        // Half-written temporaries of an interrupted run (`.NAME.png.partial-PID`).
        if let walker = FileManager.default.enumerator(at: output, includingPropertiesForKeys: nil) {
            for case let url as URL in walker where url.lastPathComponent.hasPrefix(".") && url.lastPathComponent.contains(".png.partial-") {
                try? FileManager.default.removeItem(at: url)
            }
        }
        model.setRequiresGrad(false)
        model.setTraining(false)
        let (c, h, w) = (model.spec.inputShape[0], model.spec.inputShape[1], model.spec.inputShape[2])
        var records: [Record] = folder.problems.map { Record(file: $0.path, error: $0.problem) }
        // Every readable image, with its saved output when resuming (kept, re-measured).
        var images: [(record: Int, pixels: Tensor, saved: Tensor?)] = []
        for (entry, path) in zip(folder.entries, outputs) {
            var record = Record(file: entry.path, label: entry.label, target: entry.target)
            let out = output.appendingPathComponent(path)
            record.output = out.path
            do {
                let pixels = try folder.load(entry, channels: c, height: h, width: w, resize: resize)
                if labels != .predicted && entry.label == nil { throw DataError(path: entry.path, "has no label (no class folder or labels.csv row)") }
                if let l = entry.label, l >= model.spec.classNames.count {
                    throw DataError(path: entry.path, "label \(l) is out of range for \(model.spec.classNames.count) classes")
                }
                if let t = entry.target, t >= model.spec.classNames.count {
                    throw DataError(path: entry.path, "target \(t) is out of range for \(model.spec.classNames.count) classes")
                }
                if let t = entry.target, t == entry.label { throw DataError(path: entry.path, "target \(t) is its label: nothing to attack") }
                let clean = model.logits(Variable(pixels.reshaped([1, c, h, w]))).value.argmaxLastAxis()[0]
                record.cleanPrediction = clean
                if labels == .predicted { record.label = clean }
                // A kept output is re-measured; one that cannot be read or has another size is attacked again.
                var saved: Tensor?
                if resume, FileManager.default.fileExists(atPath: out.path), let decoded = try? ImageCodec.decode(out),
                   decoded.pixels.shape[1] == h && decoded.pixels.shape[2] == w {
                    saved = ImageCodec.convert(decoded.pixels, toChannels: c)
                    record.resumed = true
                    measure(&record, model: model, clean: pixels, saved: saved!)
                    record.queries = journal.earlier[entry.path]
                }
                records.append(record)
                images.append((records.count - 1, pixels, saved))
            } catch let e as DataError {
                record.error = e.problem
                record.output = nil
                records.append(record)
            }
        }
        // Targeted and untargeted images go in separate batches, formed over every image (also the
        // resumed ones), so that batch b holds the same images and draws from the same generator
        // as in an uninterrupted run; a batch whose outputs all exist is skipped, and of the
        // others only the missing outputs are written.
        let pending = images.filter { $0.saved == nil }.count
        var masks: [Int: Tensor] = [:]
        let pool = LabeledImages(images: Tensor(shape: [images.count, c, h, w], scalars: images.flatMap(\.pixels.scalars)),
                                 labels: images.map { records[$0.record].label! }, classNames: model.spec.classNames)
        let groups = [images.filter { records[$0.record].target == nil }, images.filter { records[$0.record].target != nil }]
        /// Whether the model's prediction on `image` meets the record's goal.
        func fools(_ image: Tensor, _ record: Record) -> Bool {
            let p = model.logits(Variable(image.reshaped([1, c, h, w]))).value.argmaxLastAxis()[0]
            return record.target.map { p == $0 } ?? (p != record.label)
        }
        var done = 0, batchIndex: UInt64 = 0
        for group in groups {
            var start = 0
            while start < group.count {
                let part = Array(group[start..<min(group.count, start + batchSize)])
                defer { start += batchSize; batchIndex += 1 }
                guard part.contains(where: { $0.saved == nil }) else { continue }
                let x = Tensor(shape: [part.count, c, h, w], scalars: part.flatMap(\.pixels.scalars))
                let labelsOf = part.map { records[$0.record].label! }
                let goal: Goal = records[part[0].record].target == nil
                    ? .untargeted(labels: labelsOf) : .targeted(labels: labelsOf, targets: part.map { records[$0.record].target! })
                var generator = RandomGenerator.forBatch(Int(batchIndex), seed: seed)
                let result = attack(x, goal, pool, &generator)
                for (k, item) in part.enumerated() where item.saved == nil {
                    let i = item.record
                    let raw = result.adversarial.rows([k]).reshaped([c, h, w])
                    var adv = ImageQuantization.onGrid(raw, clean: item.pixels, epsilon: epsilon)
                    // A black-box (L2, no ε) output sits on the decision boundary: the nearest levels
                    // can undo it; the levels away from the clean image are then tried.
                    if epsilon == nil, result.success?[k] == true, !fools(adv, records[i]) {
                        let away = ImageQuantization.awayFromClean(raw, clean: item.pixels)
                        if fools(away, records[i]) {
                            adv = away
                            records[i].rounding = "away from the clean image (the nearest levels undid the success)"
                        }
                    }
                    let url = URL(fileURLWithPath: records[i].output!)
                    do {
                        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())")
                        try ImageCodec.writePNG(adv, to: temporary)
                        // rename(2) replaces an existing file atomically.
                        guard rename(temporary.path, url.path) == 0 else {
                            let reason = String(cString: strerror(errno))
                            try? FileManager.default.removeItem(at: temporary)
                            throw DataError(path: url.path, "cannot be written (\(reason))")
                        }
                        let saved = ImageCodec.convert(try ImageCodec.decode(url).pixels, toChannels: c)
                        measure(&records[i], model: model, clean: item.pixels, saved: saved)
                        records[i].queries = result.queries?[k]
                        if let q = result.queries?[k] { journal.append(file: records[i].file, queries: q) }
                        masks[i] = result.mask?.rows([k]).reshaped([1, h, w])
                    } catch {
                        records[i].error = "\(error)"
                        records[i].output = nil
                    }
                }
                done += part.filter { $0.saved == nil }.count
                progress(done, pending)
            }
        }
        // The gallery: the first 12 images with an output, resumed or new, in file order.
        var gallery: [Gallery.Item] = []
        for item in images where records[item.record].success != nil && gallery.count < 12 {
            let r = records[item.record]
            guard let saved = item.saved ?? (try? ImageCodec.decode(URL(fileURLWithPath: r.output!)).pixels).map({ ImageCodec.convert($0, toChannels: c) })
            else { continue }
            gallery.append(Gallery.Item(clean: item.pixels, adversarial: saved, mask: masks[item.record],
                                        cleanLabel: r.cleanPrediction ?? -1, adversarialLabel: r.adversarialPrediction ?? -1))
        }
        let attacked = records.filter { $0.success != nil }
        let report = Report(input: folder.root.path, output: output.path, model: model.name, attack: attackName, settings: settings,
                            seed: seed, labels: labels.rawValue, classNames: model.spec.classNames, batch: batchSize, resize: resize,
                            version: FeintVersion.string, images: records.count,
                            attacked: attacked.count, succeeded: attacked.filter { $0.success == true }.count,
                            correctWhenClean: attacked.filter { $0.cleanPrediction == $0.label }.count,
                            succeededOfCorrect: attacked.filter { $0.cleanPrediction == $0.label && $0.success == true }.count,
                            failedFiles: records.filter { $0.error != nil }.count, warnings: folder.warnings.map { "\($0)" }, records: records)
        return (report, gallery)
    }

    /// The path with symbolic links resolved in its longest existing part (realpath(3)), the rest
    /// appended: `resolvingSymlinksInPath` leaves a path that does not exist yet untouched.
    static func resolved(_ url: URL) -> String {
        var head = url.standardizedFileURL, tail: [String] = []
        while head.path != "/" {
            if let real = realpath(head.path, nil) {
                defer { free(real) }
                return ([String(cString: real)] + tail.reversed()).joined(separator: "/").replacingOccurrences(of: "//", with: "/")
            }
            tail.append(head.lastPathComponent)
            head = head.deletingLastPathComponent()
        }
        return url.standardizedFileURL.path
    }

    /// SHA-256 over every image's relative path, size, modification time, label and target.
    static func inputDigest(_ folder: ImageFolder) -> String {
        var text = ""
        for e in folder.entries {
            text += "\(e.path)\t\(folder.stamp(e))\t\(e.label.map(String.init) ?? "-")\t\(e.target.map(String.init) ?? "-")\n"
        }
        return SHA256.hex(Array(text.utf8))
    }

    /// Prediction on the saved image, success against the label (or target), perturbation sizes.
    static func measure(_ record: inout Record, model: Model, clean: Tensor, saved: Tensor) {
        let shape = [1] + model.spec.inputShape
        let p = model.logits(Variable(saved.reshaped(shape))).value.argmaxLastAxis()[0]
        record.adversarialPrediction = p
        if let t = record.target { record.success = p == t } else if let l = record.label { record.success = p != l }
        let delta = (saved - clean).reshaped(shape)
        record.l2 = delta.rowNorms()[0]
        record.linf = delta.rowMaxAbs()[0]
    }
}
