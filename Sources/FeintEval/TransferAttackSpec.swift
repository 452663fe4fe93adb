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

    public init(name: String, eps: Float, steps: Int = 10, stepSize: Float? = nil, momentum: Float = 1,
                di: Float = 0, ti: Int = 0, threshold: String = "0.6", label: String? = nil) {
        self.name = name; self.eps = eps; self.steps = steps; self.stepSize = stepSize; self.momentum = momentum
        self.di = di; self.ti = ti; self.threshold = threshold; self.label = label
    }

    public var title: String { label ?? name }

    /// The attack, or a message naming what is wrong.
    public func make() throws -> any TransferAttack {
        guard Self.names.contains(name) else { throw SpecError("unknown attack '\(name)' (\(Self.names.joined(separator: ", ")))") }
        guard eps > 0, steps >= 1 else { throw SpecError("attack \(title): eps must be > 0 and steps ≥ 1") }
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
            if threshold == "code" { return NAMEA(settings: s, threshold: .code) }
            guard let eta = Float(threshold), eta >= 0, eta <= 1 else { throw SpecError("attack \(title): threshold must be in [0, 1] or 'code'") }
            return NAMEA(settings: s, threshold: .constant(eta))
        }
    }
}

/// A problem with a benchmark spec or its files.
public struct SpecError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
