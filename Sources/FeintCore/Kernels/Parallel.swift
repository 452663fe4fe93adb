import Dispatch
import Synchronization

/// Feint's own thread-level parallelism. The engine splits work (images of a batch, rows of a
/// GEMM) into at most `Parallel.threads` chunks run with `DispatchQueue.concurrentPerform`; the
/// BLAS library itself is kept single-threaded so the two never oversubscribe the cores.
public enum Parallel {
    private static let configured = Atomic<Int>(0)

    /// Number of worker threads the engine uses (default: active processor count).
    public static var threads: Int {
        get {
            let n = configured.load(ordering: .relaxed)
            return n > 0 ? n : defaultThreads
        }
        set {
            precondition(newValue >= 1, "Parallel.threads must be at least 1, got \(newValue)")
            configured.store(newValue, ordering: .relaxed)
        }
    }

    private static let defaultThreads: Int = {
        let env = ProcessInfo.processInfo.environment["FEINT_THREADS"].flatMap(threadCount)
        return max(1, env ?? ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// `FEINT_THREADS`'s value as a thread count: a whole number in 1...1024, else nil (then every
    /// core is used; the command line refuses such a value).
    public static func threadCount(_ text: String) -> Int? {
        Int(text).flatMap { (1...1024).contains($0) ? $0 : nil }
    }

    /// Runs `body` over `0..<count`, split into contiguous ranges across threads. Work smaller than
    /// `grain` items per thread runs inline on the caller.
    @inlinable
    public static func forRanges(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        forChunks(count, grain: grain) { _, range in body(range) }
    }

    /// Like `forRanges`, also passing the chunk's index in `0..<chunkCount(count, grain:)`, for
    /// per-thread partial results.
    @inlinable
    public static func forChunks(_ count: Int, grain: Int = 1, _ body: (Int, Range<Int>) -> Void) {
        forChunks(count, chunks: chunkCount(count, grain: grain), body)
    }

    /// Runs `body` over `0..<count` in exactly `min(chunks, count)` ranges, `chunks` being a count
    /// the caller took once from `chunkCount` to size its per-chunk buffers (`threads` may change
    /// in between).
    @inlinable
    public static func forChunks(_ count: Int, chunks: Int, _ body: (Int, Range<Int>) -> Void) {
        let chunks = Swift.min(chunks, count)
        if chunks <= 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                box.value(c, (count * c / chunks)..<(count * (c + 1) / chunks))
            }
        }
    }

    /// The number of chunks `forRanges` will use for `count` items.
    @inlinable
    public static func chunkCount(_ count: Int, grain: Int = 1) -> Int {
        Swift.max(1, Swift.min(threads, count / Swift.max(grain, 1)))
    }
}

/// Carries a non-Sendable value into a concurrent region whose chunks touch disjoint memory.
@usableFromInline
struct UncheckedBox<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @usableFromInline init(_ value: T) { self.value = value }
}

import Foundation
