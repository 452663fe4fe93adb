import Foundation

/// A usage error: printed to stderr with the command's help hint; exit code 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// `--help` or `-h` where an option may stand (not as an option's value): the command prints its help.
struct HelpRequested: Error {}

/// Minimal `--name value` / `--flag` parser. Unknown options are usage errors.
struct Arguments {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []
    private(set) var positional: [String] = []

    init(_ args: [String], valueOptions: Set<String>, flagOptions: Set<String>) throws {
        var i = 0
        while i < args.count {
            let a = args[i]
            if a == "--help" || a == "-h" { throw HelpRequested() }
            if a.hasPrefix("--") {
                var name = String(a.dropFirst(2)), inline: String?
                if let eq = name.firstIndex(of: "=") {
                    inline = String(name[name.index(after: eq)...]); name = String(name[..<eq])
                }
                if flagOptions.contains(name) {
                    guard inline == nil else { throw UsageError("--\(name) takes no value") }
                    flags.insert(name)
                } else if valueOptions.contains(name) {
                    // Given twice is a mistake (an edited command line), not "the last one wins".
                    guard values[name] == nil else { throw UsageError("--\(name) is given twice") }
                    if let inline { values[name] = inline } else {
                        guard i + 1 < args.count else { throw UsageError("--\(name) needs a value") }
                        i += 1; values[name] = args[i]
                    }
                } else {
                    throw UsageError("unknown option --\(name)" + (Self.nearest(name, in: valueOptions.union(flagOptions)).map { "; did you mean --\($0)?" } ?? ""))
                }
            } else {
                positional.append(a)
            }
            i += 1
        }
    }

    /// The option within two edits of `name` (one for short names), else one that `name` starts with or that starts
    /// with it (`--epsilon` for `--eps`); the first in order when several are; nil if none.
    static func nearest(_ name: String, in options: Set<String>) -> String? {
        guard name.count >= 2 else { return nil }
        // Two edits for longer names, one for names of up to 4 letters (`--lr` is not `--n`).
        let allowed = name.count > 4 ? 2 : 1
        var best: (option: String, edits: Int)?
        for option in options.sorted() {
            let d = distance(option, name)
            if d <= allowed && d < (best?.edits ?? Int.max) { best = (option, d) }
        }
        return best?.option ?? options.sorted().first { option in
            option.count >= 2 && (name.hasPrefix(option) || option.hasPrefix(name))
        }
    }

    /// Levenshtein distance, for suggesting the option a typo meant.
    static func distance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a), Array(b))
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }
    func string(_ name: String) -> String? { values[name] }

    func int(_ name: String, default value: Int) throws -> Int {
        guard let s = values[name] else { return value }
        guard let v = Int(s) else { throw UsageError("--\(name) expects an integer, got '\(s)'") }
        return v
    }

    /// A finite number that fits a Float, written as a decimal or a fraction (`8/255`, as budgets
    /// are quoted): NaN, ±inf, 1e40 and `1/0` are usage errors, not silent garbage.
    func double(_ name: String, default value: Double) throws -> Double {
        guard let s = values[name] else { return value }
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        let v: Double?
        if parts.count == 2, let a = Double(parts[0]), let b = Double(parts[1]), b != 0 { v = a / b } else { v = parts.count == 1 ? Double(s) : nil }
        guard let v, v.isFinite, abs(v) <= Double(Float.greatestFiniteMagnitude) else {
            throw UsageError("--\(name) expects a finite number (such as 0.03 or 8/255), got '\(s)'")
        }
        return v
    }

    /// `--seed`: an integer in 0 ..< 2^64.
    func seed(default value: UInt64 = 0) throws -> UInt64 {
        guard let s = values["seed"] else { return value }
        guard let v = UInt64(s) else { throw UsageError("--seed expects a non-negative integer, got '\(s)'") }
        return v
    }

    func list(_ name: String, default value: [String]) -> [String] {
        values[name].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } } ?? value
    }

    func intList(_ name: String, default value: [Int]) throws -> [Int] {
        try list(name, default: value.map(String.init)).map {
            guard let v = Int($0), v > 0 else { throw UsageError("--\(name) expects positive integers, got '\($0)'") }
            return v
        }
    }
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
