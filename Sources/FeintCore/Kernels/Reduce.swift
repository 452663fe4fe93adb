/// Reductions used by pullbacks.
enum Reduce {
    /// Sums of the columns of `x` viewed as a [rows, columns] matrix: [columns]. Threads sum
    /// disjoint row ranges into private rows, added at the end.
    static func columnSums(_ x: Tensor, rows: Int, columns: Int) -> Tensor {
        precondition(x.count == rows * columns, "columnSums: \(x.shape) is not \(rows)×\(columns)")
        let chunks = Parallel.chunkCount(rows, grain: Swift.max(1, 16_384 / Swift.max(columns, 1)))
        var partial = [Float](repeating: 0, count: chunks * columns)
        x.withUnsafeBufferPointer { xp in
            partial.withUnsafeMutableBufferPointer { pp in
                let (src, dst) = (UncheckedBox(xp.baseAddress!), UncheckedBox(pp.baseAddress!))
                Parallel.forChunks(rows, chunks: chunks) { chunk, range in
                    let acc = dst.value + chunk * columns
                    for r in range {
                        let row = src.value + r * columns
                        for j in 0..<columns { acc[j] += row[j] }
                    }
                }
            }
        }
        return Tensor(shape: [columns]) { out in
            for j in 0..<columns {
                var s: Float = 0
                for c in 0..<chunks { s += partial[c * columns + j] }
                out[j] = s
            }
        }
    }
}
