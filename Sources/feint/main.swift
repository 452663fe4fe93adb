import FeintCore
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
// `feint COMMAND --help` (also before a subcommand: `feint bench --help`); after that, the
// command's parser reports --help or -h where an option may stand (not `--model -h`).
if let first = args.first, ["--help", "-h"].contains(first) {
    print(command.help)
    exit(0)
}
// FEINT_THREADS sets the engine's thread count; a value it cannot use would be ignored silently.
if let value = ProcessInfo.processInfo.environment["FEINT_THREADS"], Parallel.threadCount(value) == nil {
    printError("feint: FEINT_THREADS=\(value) is not a thread count in 1...1024; unset it to use every core")
    exit(2)
}
// Ctrl-C: say how to go on, then die of the signal as without a handler (so a shell loop stops
// too). The message is made now; the handler only writes it (async-signal-safe calls).
let resumes = ["attack": "rerun it with --resume to continue where it stopped",
               "blackbox": "with --output, rerun it with --resume to continue from the last finished batch",
               "bench": "a sharded `bench run` keeps finished shards: rerun it with --resume",
               "zoo": "rerun the same `zoo train` command with --resume to continue from the last finished epoch"]
interruptMessage = strdup("\nfeint \(name): interrupted" + (resumes[name].map { "; \($0)" } ?? "") + "\n")
signal(SIGINT) { _ in
    if let message = interruptMessage { _ = write(2, message, strlen(message)) }
    signal(SIGINT, SIG_DFL)
    raise(SIGINT)
}
do {
    exit(try command.run(args))
} catch is HelpRequested {
    print(command.help)
    exit(0)
} catch let error as UsageError {
    printError("feint \(name): \(error)\nRun `feint \(name) --help` for usage.")
    exit(2)
} catch {
    printError("feint \(name): \(error)")
    exit(1)
}
