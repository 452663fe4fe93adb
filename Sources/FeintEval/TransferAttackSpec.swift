import FeintAttacks
import Foundation

/// A transfer attack by name and parameters, as benchmark specs and the command line give it.
public struct TransferAttackSpec: Codable, Sendable, Equatable {
    public static let names = ["i-fgsm", "mi", "di-mi", "ti-di-mi", "ens", "svre", "adaea", "smer", "namea"]

    /// i-fgsm, mi, di-mi, ti-di-mi, ens, svre, adaea, smer, namea.
    public var name: String
    /// A label for tables (default: the name).
    public var label: String?
    public var eps: Float
    public var steps: Int = 10
    /// Default ε / steps.
    public var stepSize: Float?
    public var momentum: Float = 1
    /// DI probability and TI kernel size on top of the named attack (di-mi and ti-di-mi set their own).
    public var di: Float = 0
    public var ti: Int = 0
    /// NAMEA: "0.6" (a constant η) or "code" (the released code's schedule).
    public var threshold: String = "0.6"
    /// NAMEA ablations: fill of the attended area ("noise", "zeros", "ones"), merge rule
    /// ("momentum", "ifgsm"), and switching meta-train or meta-test off.
    public var fill: String = "noise"
    public var merge: String = "momentum"
    public var metaTrain = true
    public var metaTest = true
    /// NAMEA's gradient scaling (GSO): γ for transformer surrogates' attention-weight gradients
    /// in meta-test; absent: off.
    public var gso: Float?

    enum CodingKeys: String, CodingKey {
        case name, label, eps, steps, stepSize, momentum, di, ti, threshold, fill, merge, metaTrain, metaTest, gso
    }

    /// Absent fields take their defaults.
    public init(from decoder: any Decoder) throws {
        try rejectUnknownFields(decoder, known: CodingKeys.self, in: "attack")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        eps = try c.decode(Float.self, forKey: .eps)
        label = try c.decodeIfPresent(String.self, forKey: .label)
        steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? 10
        stepSize = try c.decodeIfPresent(Float.self, forKey: .stepSize)
        momentum = try c.decodeIfPresent(Float.self, forKey: .momentum) ?? 1
        di = try c.decodeIfPresent(Float.self, forKey: .di) ?? 0
        ti = try c.decodeIfPresent(Int.self, forKey: .ti) ?? 0
        threshold = try c.decodeIfPresent(String.self, forKey: .threshold) ?? "0.6"
        fill = try c.decodeIfPresent(String.self, forKey: .fill) ?? "noise"
        merge = try c.decodeIfPresent(String.self, forKey: .merge) ?? "momentum"
        metaTrain = try c.decodeIfPresent(Bool.self, forKey: .metaTrain) ?? true
        metaTest = try c.decodeIfPresent(Bool.self, forKey: .metaTest) ?? true
        gso = try c.decodeIfPresent(Float.self, forKey: .gso)
    }

    public init(name: String, eps: Float, steps: Int = 10, stepSize: Float? = nil, momentum: Float = 1,
                di: Float = 0, ti: Int = 0, threshold: String = "0.6", gso: Float? = nil, label: String? = nil) {
        self.name = name; self.eps = eps; self.steps = steps; self.stepSize = stepSize; self.momentum = momentum
        self.di = di; self.ti = ti; self.threshold = threshold; self.gso = gso; self.label = label
    }

    public var title: String { label ?? name }

    /// The attack, or a message naming what is wrong.
    public func make() throws -> any TransferAttack {
        guard Self.names.contains(name) else { throw SpecError("unknown attack '\(name)' (\(Self.names.joined(separator: ", ")))") }
        guard eps.isFinite, eps > 0, eps <= 1, steps >= 1, steps <= 100_000 else {
            throw SpecError("attack \(title): eps must be in (0, 1] and steps in 1...100000")
        }
        if let stepSize, !(stepSize.isFinite && stepSize > 0) { throw SpecError("attack \(title): stepSize must be > 0") }
        guard momentum.isFinite, momentum >= 0 else { throw SpecError("attack \(title): momentum must be ≥ 0") }
        guard di >= 0, di <= 1 else { throw SpecError("attack \(title): di (a probability) must be in [0, 1]") }
        guard ti == 0 || (ti % 2 == 1 && ti >= 1 && ti <= 31) else {
            throw SpecError("attack \(title): ti (the smoothing kernel's size) must be 0 (off) or odd in 1...31, got \(ti)")
        }
        // Options the attack would ignore are errors, not silent no-ops (defaults are harmless).
        let nameaOnly = [("threshold", threshold != "0.6"), ("fill", fill != "noise"), ("merge", merge != "momentum"),
                         ("metaTrain", !metaTrain), ("metaTest", !metaTest), ("gso", gso != nil)].filter(\.1).map(\.0)
        if name != "namea", !nameaOnly.isEmpty {
            throw SpecError("attack \(title): \(nameaOnly.joined(separator: ", ")) \(nameaOnly.count == 1 ? "is an option" : "are options") of namea only")
        }
        if ["di-mi", "ti-di-mi"].contains(name), di != 0 || ti != 0 {
            throw SpecError("attack \(title): \(name) sets its own di and ti; use name mi (or ens) with di and ti instead")
        }
        var s = TransferSettings(epsilon: eps, stepSize: stepSize, steps: steps, momentum: momentum,
                                 diversityProbability: di, translationKernel: ti > 1 ? ti : nil)
        switch name {
        case "i-fgsm": s.momentum = 0; return MIFGSM(settings: s)
        case "mi", "ens": return MIFGSM(settings: s)
        case "di-mi": s.diversityProbability = 0.5; return MIFGSM(settings: s)
        case "ti-di-mi": s.diversityProbability = 0.5; s.translationKernel = 5; return MIFGSM(settings: s)
        case "svre": return SVRE(settings: s)
        case "adaea": return AdaEA(settings: s)
        case "smer": return SMER(settings: s)
        default:
            let eta: NAMEA.Threshold
            if threshold == "code" { eta = .code } else {
                guard let v = Float(threshold), v >= 0, v <= 1 else { throw SpecError("attack \(title): threshold must be in [0, 1] or 'code'") }
                eta = .constant(v)
            }
            guard let f = NAMEA.Fill(rawValue: fill) else { throw SpecError("attack \(title): fill must be noise, zeros or ones") }
            guard let m = NAMEA.Merge(rawValue: merge) else { throw SpecError("attack \(title): merge must be momentum or ifgsm") }
            if let gso, !(gso > 0 && gso <= 1) { throw SpecError("attack \(title): gso must be in (0, 1]") }
            return NAMEA(settings: s, threshold: eta, merge: m, fill: f, metaTrain: metaTrain, metaTest: metaTest,
                         gradientScaling: gso)
        }
    }
}

/// A problem with a benchmark spec or its files.
public struct SpecError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

/// Refuses fields that `Key` does not name, so that a typo in a spec ("step_size") is an error
/// rather than a silent default.
func rejectUnknownFields<Key: CodingKey>(_ decoder: any Decoder, known: Key.Type, in what: String) throws {
    let unknown = try decoder.container(keyedBy: AnyFieldKey.self).allKeys.map(\.stringValue).filter { Key(stringValue: $0) == nil }
    guard unknown.isEmpty else {
        let place = decoder.codingPath.isEmpty ? "" : " at \(decoder.codingPath.map(\.stringValue).joined(separator: "."))"
        throw SpecError("\(what)\(place): unknown field\(unknown.count == 1 ? "" : "s") \(unknown.sorted().map { "'\($0)'" }.joined(separator: ", "))")
    }
}

private struct AnyFieldKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}
