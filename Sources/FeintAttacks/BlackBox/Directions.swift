import FeintCore
import FeintModels
import Foundation

/// Where a black-box attack draws its search directions from.
public enum DirectionSource {
    /// Coordinate vectors of single pixels, in a random order per image (SimBA's baseline).
    case pixel
    /// Orthonormal 2-D DCT-II basis vectors (SimBA-DCT): the lowest `frequencies`×`frequencies`
    /// block of every channel first, in a random order per image, then the higher frequencies in
    /// bands of increasing max(i, j), `frequencies`/4 wide, each in a random order (Guo et al.'s
    /// strided `block_order`, whose ImageNet setting is a 28 block and stride 7).
    case dct(frequencies: Int)
    /// ODS directions (unit L2) of a surrogate drawn uniformly at each iteration, with a fresh
    /// w ~ U(−1, 1)^C per image (Tashiro et al. 2020). Surrogates are white-box models other
    /// than the target.
    case ods(surrogates: [any Classifying])
    /// Isotropic Gaussian directions (the Boundary attack's original proposal), unit L2.
    case gaussian

    public var name: String {
        switch self {
        case .pixel: return "pixel"
        case .dct: return "dct"
        case .ods: return "ods"
        case .gaussian: return "gaussian"
        }
    }
}

/// Per-image state for the ordered bases (pixel, DCT): each image walks its own permutation.
public struct OrderedBasis {
    let shape: [Int]   // [C, H, W]
    /// Per image, the basis indices in the order they are walked: (c·H + i)·W + j, pixel (i, j)
    /// or frequency (i, j) of channel c.
    public private(set) var orders: [[Int]]
    var position: [Int]
    let source: DirectionSource

    public init(source: DirectionSource, shape: [Int], samples: Int, generator: inout RandomGenerator) {
        self.shape = shape
        self.source = source
        let (c, h, w) = (shape[0], shape[1], shape[2])
        var orders: [[Int]] = []
        for _ in 0..<samples {
            switch source {
            case .pixel:
                orders.append(generator.permutation(c * h * w))
            case let .dct(f):
                // Index = (c·H + i)·W + j for frequency (i, j) of channel c; low block first.
                // Band b holds the frequencies with f + (b − 1)·stride ≤ max(i, j) < f + b·stride (band 0: the block).
                let stride = max(f / 4, 1)
                func band(_ index: Int) -> Int {
                    let m = max((index / w) % h, index % w)
                    return m < f ? 0 : 1 + (m - f) / stride
                }
                var bands: [[Int]] = []
                for index in 0..<(c * h * w) {
                    let b = band(index)
                    while bands.count <= b { bands.append([]) }
                    bands[b].append(index)
                }
                orders.append(bands.flatMap { members in generator.permutation(members.count).map { members[$0] } })
            default:
                orders.append([])
            }
        }
        self.orders = orders
        position = Array(repeating: 0, count: samples)
    }

    /// The next basis vector for each of `samples`, [k, C, H, W], unit L2.
    public mutating func next(_ samples: [Int]) -> Tensor {
        let (c, h, w) = (shape[0], shape[1], shape[2])
        let per = c * h * w
        var out = Tensor(zeros: [samples.count] + shape)
        for (k, i) in samples.enumerated() {
            let index = orders[i][position[i] % per]
            position[i] += 1
            switch source {
            case .pixel:
                out.scalars[k * per + index] = 1
            case .dct:
                let (ch, fi, fj) = (index / (h * w), (index / w) % h, index % w)
                let ai = fi == 0 ? (1 / Double(h)).squareRoot() : (2 / Double(h)).squareRoot()
                let aj = fj == 0 ? (1 / Double(w)).squareRoot() : (2 / Double(w)).squareRoot()
                for y in 0..<h {
                    let cy = ai * cos(Double.pi * Double(2 * y + 1) * Double(fi) / Double(2 * h))
                    for x in 0..<w {
                        out.scalars[k * per + (ch * h + y) * w + x] = Float(cy * aj * cos(Double.pi * Double(2 * x + 1) * Double(fj) / Double(2 * w)))
                    }
                }
            default:
                break
            }
        }
        return out
    }
}

/// Unit-L2 directions for `images` from a surrogate (ODS) or Gaussian source.
func sampledDirections(_ source: DirectionSource, at images: Tensor, generator: inout RandomGenerator) -> Tensor {
    switch source {
    case let .ods(surrogates):
        precondition(!surrogates.isEmpty, "ODS needs at least one surrogate")
        return ODS.randomDirection(surrogates[generator.int(below: surrogates.count)], at: images, generator: &generator)
    default:
        let g = generator.normal(shape: images.shape)
        return g.scaledRows(by: g.rowNorms().map { $0 > 0 ? 1 / $0 : 0 })
    }
}
