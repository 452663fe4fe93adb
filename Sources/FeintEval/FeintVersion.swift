/// Feint's version, recorded in reports.
public enum FeintVersion {
    /// Raised whenever a fix changes what an attack or an evaluation produces (0.2.0: the 8-bit
    /// rounding, APGD's step size, the Boundary start, SimBA-DCT's order, AdaEA's weights, SMER's
    /// reweighing, NAMEA's map under DI).
    public static let string = "0.2.0"
}
