import FeintCore
import FeintEval
import FeintModels
import Foundation

/// `feint perf`: throughput of the engine on the two reference models of
/// ../shared/bench/torch_reference.py (random weights), and of GEMM itself.
enum PerfCommand {
    static let help = """
    Usage: feint perf [--models smallcnn,vit] [--batch 1,32,128] [--steps attack,train,gemm]
                  [--threads N] [--seconds S] [--json]

    Measures images per second of
      (a) an attack step: forward + gradient w.r.t. the input, weights frozen, cross-entropy;
      (b) a training step at batch 128: forward + all weight gradients + SGD-momentum update;
    on SmallCNN and ViT (patch 4, width 64, depth 4, 4 heads, MLP 128) at 28×28×1, plus GEMM
    GFLOP/s at the shapes these models use and at a large square size (the machine's peak).
    Resident memory is sampled before and after each timed loop (a steady attack loop holds it flat).

    Options:
      --models LIST    smallcnn, vit (default: both)
      --batch LIST     attack-step batch sizes (default: 1,32,128)
      --steps LIST     what to measure: attack, train, gemm (default: all three)
      --threads N      worker threads (default: FEINT_THREADS or the number of cores)
      --seconds S      time per measurement (default: 3)
      --json           print one JSON object instead of a table

    Example:
      feint perf --threads 2 --json > perf.json
    Run ../shared/bench/torch_reference.py (or `./run.sh compare-torch PYTHON`) beside it on the same machine and compare ratios.
    """

    struct StepFigure: Codable {
        var model: String, kind: String, batch: Int, imagesPerSecond: Double, steps: Int
        var rssBeforeMiB: Double, rssAfterMiB: Double
    }
    struct GemmFigure: Codable { var m: Int, n: Int, k: Int, gflops: Double, note: String }
    struct Report: Codable {
        var version = FeintVersion.string
        var threads: Int, blasCore: String, steps: [StepFigure], gemm: [GemmFigure], peakRSSMiB: Double
        var environment: [String: String]
    }

    static func run(_ argv: [String]) throws -> Int32 {
        let args = try Arguments(argv, valueOptions: ["models", "batch", "threads", "seconds", "steps"], flagOptions: ["json"])
        guard args.positional.isEmpty else { throw UsageError("unexpected argument '\(args.positional[0])'") }
        let models = args.list("models", default: ["smallcnn", "vit"])
        for m in models where !["smallcnn", "vit"].contains(m) {
            throw UsageError("unknown model '\(m)' (choose from smallcnn, vit)")
        }
        let batches = try args.intList("batch", default: [1, 32, 128])
        let threads = try args.int("threads", default: Parallel.threads)
        guard (1...1024).contains(threads) else { throw UsageError("--threads must be in 1...1024") }
        Parallel.threads = threads
        let seconds = try args.double("seconds", default: 3)
        guard seconds > 0 else { throw UsageError("--seconds must be > 0") }
        let json = args.flag("json")
        let kinds = Set(args.list("steps", default: ["attack", "train", "gemm"]))
        guard !kinds.isEmpty else { throw UsageError("--steps names nothing to measure (attack, train, gemm)") }
        for k in kinds where !["attack", "train", "gemm"].contains(k) {
            throw UsageError("unknown step '\(k)' (choose from attack, train, gemm)")
        }

        var steps: [StepFigure] = []
        for name in models {
            let model: any Layer & Classifying = name == "smallcnn" ? SmallCNN(seed: 1) : ViT(ViTConfig(), seed: 1)
            for b in batches where kinds.contains("attack") {
                let fig = measure(model, name: name, kind: "attack", batch: b, seconds: seconds)
                steps.append(fig)
                if !json { printRow(fig) }
            }
            if kinds.contains("train") {
                let fig = measure(model, name: name, kind: "train", batch: 128, seconds: seconds)
                steps.append(fig)
                if !json { printRow(fig) }
            }
        }
        var gemm: [GemmFigure] = []
        let shapes: [(Int, Int, Int, String)] = [
            (32, 576, 288, "SmallCNN conv2, one image"), (64, 64, 576, "SmallCNN conv4, one image"),
            (6400, 192, 64, "ViT qkv, batch 128"), (6400, 128, 64, "ViT fc1, batch 128"),
            (2048, 2048, 2048, "large square: peak"),
        ]
        for (m, n, k, note) in shapes where kinds.contains("gemm") {
            let g = GemmFigure(m: m, n: n, k: k, gflops: gemmGflops(m, n, k, seconds: min(seconds, 1.5)), note: note)
            gemm.append(g)
            if !json { print(String(format: "gemm %5d×%5d×%5d  %7.1f GFLOP/s  (%@)", m, n, k, g.gflops, note)) }
        }
        let env = ProcessInfo.processInfo.environment
        let report = Report(threads: threads, blasCore: BLAS.coreName, steps: steps, gemm: gemm,
                            peakRSSMiB: peakRSS(),
                            environment: ["OPENBLAS_CORETYPE": env["OPENBLAS_CORETYPE"] ?? "(unset)",
                                          "OPENBLAS_L2_SIZE": env["OPENBLAS_L2_SIZE"] ?? "(unset)"])
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(report), as: UTF8.self))
        } else {
            print(String(format: "threads %d, BLAS kernel %@, peak RSS %.0f MiB", threads, report.blasCore, report.peakRSSMiB))
        }
        return 0
    }

    private static func printRow(_ f: StepFigure) {
        print(String(format: "%-9@ %-6@ batch %4d  %9.0f img/s  (RSS %.0f → %.0f MiB over %d steps)",
                     f.model, f.kind, f.batch, f.imagesPerSecond, f.rssBeforeMiB, f.rssAfterMiB, f.steps))
    }

    static func measure(_ model: any Layer & Classifying, name: String, kind: String, batch: Int, seconds: Double) -> StepFigure {
        var rng = RandomGenerator(seed: 7)
        let x = rng.uniform(shape: [batch, 1, 28, 28])
        let labels = (0..<batch).map { _ in rng.int(below: 10) }
        let step: () -> Void
        if kind == "attack" {
            model.setRequiresGrad(false)
            model.setTraining(false)
            step = {
                let g = valueWithGradient(at: x) { crossEntropy(model.logits($0), labels: labels) }
                precondition(g.gradient.shape == x.shape)
            }
        } else {
            model.setRequiresGrad(true)
            model.setTraining(true)
            let opt = SGD(model.parameters, learningRate: 1e-3, momentum: 0.9)
            step = {
                opt.zeroGrad()
                crossEntropy(model.logits(Variable(x)), labels: labels).backward()
                opt.step()
            }
        }
        for _ in 0..<3 { step() }
        let before = currentRSS()
        let (n, elapsed) = repeatFor(seconds, step)
        return StepFigure(model: name, kind: kind, batch: batch, imagesPerSecond: Double(n * batch) / elapsed,
                          steps: n, rssBeforeMiB: before, rssAfterMiB: currentRSS())
    }

    static func gemmGflops(_ m: Int, _ n: Int, _ k: Int, seconds: Double) -> Double {
        var rng = RandomGenerator(seed: 3)
        let a = rng.uniform(shape: [m, k]), b = rng.uniform(shape: [k, n])
        var c = Tensor(zeros: [m, n])
        func once() {
            c.withUnsafeMutableBufferPointer { cp in a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in
                BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, a: ap.baseAddress!, lda: k,
                           b: bp.baseAddress!, ldb: n, c: cp.baseAddress!, ldc: n)
            } } }
        }
        once()
        let (reps, elapsed) = repeatFor(seconds, once)
        return 2 * Double(m) * Double(n) * Double(k) * Double(reps) / elapsed / 1e9
    }

    /// Runs `body` until `seconds` have passed (at least once); returns the runs and the time.
    static func repeatFor(_ seconds: Double, _ body: () -> Void) -> (runs: Int, seconds: Double) {
        var runs = 0, elapsed = 0.0
        let start = DispatchTime.now().uptimeNanoseconds
        repeat {
            body(); runs += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < seconds
        return (runs, elapsed)
    }

    /// Resident set size now, from /proc/self/statm (0 where unavailable).
    static func currentRSS() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = s.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    /// Peak resident set size of the process so far.
    static func peakRSS() -> Double {
        var usage = rusage()
        getrusage(0, &usage)  // RUSAGE_SELF
        return Double(usage.ru_maxrss) / 1024
    }
}
