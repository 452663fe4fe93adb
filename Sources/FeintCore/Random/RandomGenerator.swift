/// Feint's seedable random generator: xoshiro256** (Blackman & Vigna, 2018), seeded through
/// SplitMix64 so that any 64-bit seed gives a well-mixed state. Same seed, same sequence, on every
/// platform. Every random choice in Feint (initialisation, noise, dropout, permutations, data
/// order) draws from one of these, passed explicitly.
public struct RandomGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// The generator of batch `index` of a run seeded with `seed`: batch results do not depend on
    /// which other batches run, so shards of a run reproduce it.
    public static func forBatch(_ index: Int, seed: UInt64) -> RandomGenerator {
        RandomGenerator(seed: seed &* 0x9E37_79B9 &+ UInt64(index))
    }

    /// A new generator derived from this one, for handing to an independent consumer.
    public mutating func split() -> RandomGenerator { RandomGenerator(seed: next()) }

    /// Uniform in [0, 1) with 24 random bits.
    @inlinable public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [low, high).
    @inlinable public mutating func uniform(_ low: Float = 0, _ high: Float = 1) -> Float {
        low + (high - low) * nextUnitFloat()
    }

    /// Standard normal by the Box–Muller transform (computed in Double).
    public mutating func normal() -> Float {
        let u1 = max(Double(next() >> 11) * 0x1.0p-53, 1e-300)
        let u2 = Double(next() >> 11) * 0x1.0p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// Uniform integer in 0..<bound.
    public mutating func int(below bound: Int) -> Int {
        precondition(bound > 0, "RandomGenerator.int: bound must be positive, got \(bound)")
        return Int(next(upperBound: UInt64(bound)))
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, int(below: i + 1)) }
        }
        return p
    }

    /// A tensor of independent U(low, high) draws.
    public mutating func uniform(shape: [Int], low: Float = 0, high: Float = 1) -> Tensor {
        var gen = self
        let t = Tensor(shape: shape) { out in
            for i in out.indices { out[i] = gen.uniform(low, high) }
        }
        self = gen
        return t
    }

    /// A tensor of independent N(mean, std²) draws.
    public mutating func normal(shape: [Int], mean: Float = 0, std: Float = 1) -> Tensor {
        var gen = self
        let t = Tensor(shape: shape) { out in
            for i in out.indices { out[i] = mean + std * gen.normal() }
        }
        self = gen
        return t
    }
}

import Foundation
