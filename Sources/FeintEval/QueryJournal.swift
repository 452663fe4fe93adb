import Foundation

extension FolderAttack {
    /// Query counts of the images written so far (black-box attacks), one JSON line per image, so
    /// that a resumed run reports the queries of the images it keeps. A new run starts it afresh.
    final class QueryJournal {
        struct Line: Codable { var file: String; var queries: Int }
        let url: URL
        /// The counts of an earlier run (resume only); a later line for a file wins.
        private(set) var earlier: [String: Int] = [:]

        init(url: URL, keep: Bool) {
            self.url = url
            if keep, let text = try? String(contentsOf: url, encoding: .utf8) {
                // A line cut short by an interruption does not decode and is dropped; the file is
                // rewritten with the whole lines, so that the next line starts on a line of its own.
                var kept = ""
                for line in text.split(separator: "\n") {
                    if let l = try? JSONDecoder().decode(Line.self, from: Data(line.utf8)) { earlier[l.file] = l.queries; kept += line + "\n" }
                }
                try? Data(kept.utf8).write(to: url, options: .atomic)
            } else {
                try? FileManager.default.removeItem(at: url)
            }
        }

        func append(file: String, queries: Int) {
            guard var data = try? JSONEncoder().encode(Line(file: file, queries: queries)) else { return }
            data.append(UInt8(ascii: "\n"))
            if !FileManager.default.fileExists(atPath: url.path) { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
            guard let handle = try? FileHandle(forWritingTo: url) else { return }
            defer { try? handle.close() }
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: data)
        }
    }
}
