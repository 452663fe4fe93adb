// Fuzz target for Feint's file parsers: safetensors, IDX (with gzip) and PNG/JPEG decoding.
// The first input byte picks the parser; the rest is the file. Every input must either parse or
// throw a typed error: a crash, a trap or a sanitizer report is a bug.
//
// Built two ways:
//  - `./run.sh fuzz [SECONDS]`: with -sanitize=fuzzer,address and -DFUZZING, libFuzzer drives
//    `LLVMFuzzerTestOneInput` (corpus kept in .build-fuzz/corpus, outside git).
//  - normally, as `feint-fuzz FILE...`: replays saved inputs (e.g. crash reproducers) once each.
import FeintModels
import Foundation

func exercise(_ bytes: [UInt8]) {
    guard let selector = bytes.first else { return }
    let data = Data(bytes.dropFirst())
    switch selector % 3 {
    case 0: _ = try? Safetensors(data: data, name: "fuzz")
    case 1: _ = try? IDX.parse(data, name: "fuzz")
    default: _ = try? ImageCodec.decode(data, name: "fuzz")
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    exercise(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// libFuzzer's driver, entered from the executable's entry point (SwiftPM names it
/// `feint_fuzz_main` and aliases `main` to it, so libFuzzer's own `main` is not linked).
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>,
               _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("feint_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc, arguments = argv
    return runDriver(&count, &arguments) { data, size in fuzzOne(data, size) }
}
#else
@main
struct Replay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("feint-fuzz: cannot read \(path)\n".utf8))
                exit(1)
            }
            exercise([UInt8](data))
            print("\(path): handled")
        }
    }
}
#endif
