import Foundation

/// Progress on stderr: a bar with rate and ETA on a terminal, plain lines (at most one per ~5 %)
/// otherwise; silent when quiet.
final class Progress {
    private let label: String
    private let quiet: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private let start = Date()
    private var lastPercent = -100

    init(_ label: String, quiet: Bool) { self.label = label; self.quiet = quiet }

    func update(_ done: Int, _ total: Int) {
        guard !quiet, total > 0 else { return }
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let percent = 100 * done / total
        if terminal {
            let width = 30, filled = width * done / total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data(String(format: "\r%@ [%@] %d/%d  %.1f img/s  ETA %.0f s ", label, bar, done, total, rate, eta).utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if percent - lastPercent >= 5 || done == total {
            lastPercent = percent
            printError(String(format: "%@: %d/%d (%d %%), %.1f img/s, ETA %.0f s", label, done, total, percent, rate, eta))
        }
    }
}
