/// Feint's version, recorded in reports.
public enum FeintVersion {
    /// Raised whenever a fix changes what an attack or an evaluation produces (0.2.0: the 8-bit
    /// rounding, APGD's step size, the Boundary start, SimBA-DCT's order, AdaEA's weights, SMER's
    /// reweighing, NAMEA's map under DI; 0.2.1: `feint attack` saves a black-box output on the
    /// 8-bit levels away from the clean image when the nearest levels undo its success).
    public static let string = "0.2.1"

    /// Versions whose benchmark shards, transfer matrices, black-box and robust-accuracy results
    /// are the same for the same inputs (a later version of a group changed something else, such
    /// as `feint attack`'s saved images): results of one group may be kept, resumed, merged and
    /// summarised together. A `feint attack` folder needs the exact version.
    static let sameResults: [Set<String>] = [["0.2.0", "0.2.1"]]

    /// Whether results written by versions `a` and `b` may be combined (nil: no version recorded,
    /// which matches only itself).
    public static func sameResults(_ a: String?, _ b: String?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a == b || sameResults.contains { $0.contains(a) && $0.contains(b) }
    }
}
