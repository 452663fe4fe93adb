import Foundation

/// What the Ctrl-C handler prints (set once in main before the handler is installed; a C
/// function pointer cannot capture it).
nonisolated(unsafe) var interruptMessage: UnsafeMutablePointer<CChar>?
