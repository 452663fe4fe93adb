/// Mean and spread of one metric over repeated runs (different seeds): `std` is the sample
/// standard deviation (n − 1 in the denominator; 0 for a single run), `min` and `max` the range.
public struct Spread: Codable, Sendable, Equatable {
    public var mean: Double
    public var std: Double
    public var min: Double
    public var max: Double
    public var runs: Int

    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "Spread of no values")
        runs = values.count
        mean = values.reduce(0, +) / Double(values.count)
        let m = mean
        std = values.count > 1 ? (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot() : 0
        min = values.min()!
        max = values.max()!
    }

    /// "mean ± std" of a fraction, in percent with one decimal ("63.4 ± 0.8").
    public var percent: String {
        runs > 1 ? "\(format(100 * mean)) ± \(format(100 * std))" : format(100 * mean)
    }

    /// `percent` with an explicit sign on the mean ("+1.2 ± 0.4", "−0.3"): for differences.
    public var signedPercent: String {
        let r = (1000 * mean).rounded() / 10
        return (r > 0 ? "+" : r < 0 ? "−" : "") + Spread(mean: abs(r) / 100, std: std, runs: runs).percent
    }

    private init(mean: Double, std: Double, runs: Int) {
        self.mean = mean; self.std = std; min = mean; max = mean; self.runs = runs
    }

    private func format(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        let s = "\(r)"
        return s.contains(".") ? s : s + ".0"
    }
}
