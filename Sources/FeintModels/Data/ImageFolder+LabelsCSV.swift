import Foundation

/// The labels CSV of an image folder: `filename,label[,target]` rows.
extension ImageFolder {
    /// Reads `url` into `entries` and `classNames`: one entry per row naming an image of `files`
    /// (names in the model's classes when `fixedClasses`, else new names appended); rows that fail
    /// an image are `problems`, rows that concern none `warnings`.
    mutating func readCSV(_ url: URL, files: [String], fixedClasses: Bool) throws {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw DataError(path: url.path, "cannot be read as UTF-8 text")
        }
        // File names as listed on disk: a CSV may spell them in another Unicode normalisation
        // (Swift compares them as equal; the file system does not).
        var images: [String: String] = [:]
        for f in files { images[f] = f }
        var names = classNames, listed: Set<String> = []
        var wellFormed = 0, firstBad: (line: Int, fields: Int)?
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            var fields = Self.csvFields(line)
            if number == 0, let first = fields.first?.lowercased(),
               ["filename", "file", "file_name", "path", "image", "name"].contains(first) { continue }
            guard fields.count >= 2 && fields.count <= 3 && !fields[0].isEmpty else {
                firstBad = firstBad ?? (number + 1, fields.count)
                warnings.append(DataError(path: url.path, "line \(number + 1): expected filename,label[,target]"))
                continue
            }
            wellFormed += 1
            // `./a.png` is `a.png`.
            while fields[0].hasPrefix("./") { fields[0].removeFirst(2) }
            guard let onDisk = images[fields[0]] else {
                warnings.append(DataError(path: fields[0], "listed in \(url.lastPathComponent) line \(number + 1) but no such image"))
                continue
            }
            fields[0] = onDisk
            guard listed.insert(fields[0]).inserted else {
                warnings.append(DataError(path: fields[0], "listed twice in \(url.lastPathComponent) (again on line \(number + 1); the first row counts)"))
                continue
            }
            // A class index, or a name: one of the fixed classes, or a new one appended.
            func classIndex(_ s: String) -> Int? {
                if let i = Int(s) { return i >= 0 ? i : nil }
                if let i = names.firstIndex(where: { $0.lowercased() == s.lowercased() }) { return i }
                if fixedClasses { return nil }
                names.append(s)
                return names.count - 1
            }
            let known = fixedClasses ? " (classes: \(names.joined(separator: ", ")))" : ""
            guard let label = classIndex(fields[1]) else {
                problems.append(DataError(path: fields[0], "line \(number + 1): unknown label '\(fields[1])'\(known)"))
                continue
            }
            var target: Int?
            if fields.count == 3 && !fields[2].isEmpty {
                guard let t = classIndex(fields[2]) else {
                    problems.append(DataError(path: fields[0], "line \(number + 1): unknown target '\(fields[2])'\(known)"))
                    continue
                }
                target = t
            }
            entries.append(Entry(path: fields[0], label: label, target: target))
        }
        // Not one row read: another delimiter or not a labels file at all; one error, not one per image.
        if wellFormed == 0, let bad = firstBad {
            throw DataError(path: url.path, "expected comma-separated rows filename,label[,target]; line \(bad.line) has \(bad.fields) field"
                            + (bad.fields == 1 ? "" : "s"))
        }
        for f in files where !listed.contains(f) {
            problems.append(DataError(path: f, "has no row in \(url.lastPathComponent)"))
        }
        classNames = names
    }

    /// The fields of one CSV line: commas separate, double quotes enclose a field that holds
    /// commas or quotes (a quote inside is doubled), surrounding spaces are trimmed.
    public static func csvFields(_ line: Substring) -> [String] {
        var fields: [String] = [], field = "", quoted = false, wasQuoted = false
        var chars = line.makeIterator()
        while let c = chars.next() {
            if quoted {
                if c == "\"" {
                    // A doubled quote is a literal one; a single quote ends the quoted part.
                    var lookahead = chars
                    if lookahead.next() == "\"" { field.append("\""); chars = lookahead } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" && field.trimmingCharacters(in: .whitespaces).isEmpty {
                quoted = true; wasQuoted = true; field = ""
            } else if c == "," {
                fields.append(wasQuoted ? field : field.trimmingCharacters(in: .whitespaces)); field = ""; wasQuoted = false
            } else if !(wasQuoted && c == " ") {
                field.append(c)
            }
        }
        fields.append(wasQuoted ? field : field.trimmingCharacters(in: .whitespaces))
        return fields
    }
}
