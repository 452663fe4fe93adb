import FeintCore

/// A set of images with integer labels: pixels [N, C, H, W] in [0, 1].
public struct LabeledImages: Sendable {
    public var images: Tensor
    public var labels: [Int]
    public var classNames: [String]

    public init(images: Tensor, labels: [Int], classNames: [String]) {
        precondition(images.rank == 4 && images.shape[0] == labels.count,
                     "LabeledImages: \(labels.count) labels for images of shape \(images.shape)")
        self.images = images; self.labels = labels; self.classNames = classNames
    }

    public var count: Int { labels.count }
    /// [C, H, W] of one image.
    public var imageShape: [Int] { Array(images.shape.dropFirst()) }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int]) -> LabeledImages {
        let per = imageShape.reduce(1, *)
        let pixels = Tensor(shape: [indices.count] + imageShape) { out in
            images.withUnsafeBufferPointer { src in
                for (k, i) in indices.enumerated() {
                    precondition(i >= 0 && i < count, "subset: index \(i) out of range 0..<\(count)")
                    for j in 0..<per { out[k * per + j] = src[i * per + j] }
                }
            }
        }
        return LabeledImages(images: pixels, labels: indices.map { labels[$0] }, classNames: classNames)
    }

    /// The first `n` samples (all when n ≥ count).
    public func prefix(_ n: Int) -> LabeledImages { subset(Array(0..<Swift.min(n, count))) }

    /// Samples `range` as one batch.
    public func batch(_ range: Range<Int>) -> (images: Tensor, labels: [Int]) {
        let b = subset(Array(range))
        return (b.images, b.labels)
    }
}
