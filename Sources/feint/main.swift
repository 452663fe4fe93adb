import FeintEval
import Foundation

let usage = """
feint: adversarial-robustness attacks on image classifiers.

Usage: feint <command> [options]

Commands:
  demo      The main job: NAMEA and its baselines on the bundled data and zoo, with reports.
  attack    Adversarial images for a folder of images, with a report and optional gallery.
  zoo       The model zoo: list, evaluate, describe and train models.
  robust    Robust accuracy of a model under a white-box attack (PGD with ODI, APGD, FGSM).
  blackbox  Score- and decision-based attacks through a query oracle (SimBA, Boundary, with ODS).
  attention Grad-CAM and attention-rollout maps of a model as PNG overlays.
  transfer  Transfer attacks (MI/DI/TI, Ens, SVRE, AdaEA, SMER, NAMEA) from surrogates to targets.
  bench     Transferability benchmarks from a JSON spec, run whole or in shards, then merged.
  perf      Benchmark the tensor engine: attack steps, training steps and GEMM throughput.
  help      Show this text, or `feint help <command>` for a command's options.
  --version Print Feint's version (recorded in every report).

Run `feint <command> --help` for the options of a command, with defaults and examples.
Exit codes: 0 success, 1 error (a message says what failed), 2 usage error; `feint attack` and
`feint attention` also use 3 (some files failed) and 4 (no image could be processed).
"""

let commands: [String: (help: String, run: ([String]) throws -> Int32)] = [
    "demo": (DemoCommand.help, DemoCommand.run),
    "attack": (AttackCommand.help, AttackCommand.run),
    "zoo": (ZooCommand.help, ZooCommand.run),
    "robust": (RobustCommand.help, RobustCommand.run),
    "blackbox": (BlackBoxCommand.help, BlackBoxCommand.run),
    "transfer": (TransferCommand.help, TransferCommand.run),
    "attention": (AttentionCommand.help, AttentionCommand.run),
    "bench": (BenchCommand.help, BenchCommand.run),
    "perf": (PerfCommand.help, PerfCommand.run),
]

// FEINT_THREADS sets the engine's thread count; a value it cannot use would be ignored silently.
if let value = ProcessInfo.processInfo.environment["FEINT_THREADS"], !(Int(value).map { (1...1024).contains($0) } ?? false) {
    printError("feint: FEINT_THREADS=\(value) is not a thread count in 1...1024; unset it to use every core")
    exit(2)
}
var args = Array(CommandLine.arguments.dropFirst())
guard let name = args.first, !["help", "--help", "-h"].contains(name) || args.count > 1 else {
    print(usage)
    exit(0)
}
if name == "help" || name == "--help" || name == "-h" {
    if ["help", "--help", "-h"].contains(args[1]) { print(usage); exit(0) }
    if let c = commands[args[1]] { print(c.help); exit(0) }
    printError("feint: unknown command '\(args[1])'\n\n\(usage)")
    exit(2)
}
if ["--version", "-V", "version"].contains(name) {
    print("feint \(FeintVersion.string)")
    exit(0)
}
guard let command = commands[name] else {
    printError("feint: unknown command '\(name)'\n\n\(usage)")
    exit(2)
}
args.removeFirst()
// --help or -h anywhere, except as the value of an option (`--model -h` names a model).
if args.indices.contains(where: { i in
    ["--help", "-h"].contains(args[i]) && (i == 0 || !args[i - 1].hasPrefix("--") || args[i - 1].contains("="))
}) {
    print(command.help)
    exit(0)
}
// Ctrl-C: say how to go on (only async-signal-safe calls in the handler).
signal(SIGINT) { _ in
    let message: StaticString = "\nfeint: interrupted; `attack`, `blackbox --output` and `bench run` continue where they stopped with --resume\n"
    _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
    _exit(130)
}
do {
    exit(try command.run(args))
} catch let error as UsageError {
    printError("feint \(name): \(error)\nRun `feint \(name) --help` for usage.")
    exit(2)
} catch {
    printError("feint \(name): \(error)")
    exit(1)
}
