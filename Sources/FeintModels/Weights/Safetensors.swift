import FeintCore
import Foundation

/// A problem with a weights file, naming the file and what is wrong with it.
public struct WeightsError: Error, CustomStringConvertible, Equatable {
    public let file: String
    public let problem: String
    public init(file: String, _ problem: String) { self.file = file; self.problem = problem }
    public var description: String { "\(file): \(problem)" }
}

/// The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of
/// JSON mapping each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets into the
/// data section) plus an optional "__metadata__" object of strings, then the raw little-endian
/// data. Feint writes F32 and reads F32, F16 and BF16 (converted to F32).
public struct Safetensors {
    /// Tensors by name, converted to Float32.
    public var tensors: [String: Tensor]
    /// The "__metadata__" strings.
    public var metadata: [String: String]

    public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads and validates a file.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw WeightsError(file: url.path, "cannot be read (\(error.localizedDescription))")
        }
        try self.init(data: data, name: url.path)
    }

    /// Parses and validates safetensors bytes; `name` is used in error messages.
    public init(data: Data, name: String = "<memory>") throws {
        func fail(_ problem: String) -> WeightsError { WeightsError(file: name, problem) }
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else { throw fail("file is truncated: \(bytes.count) bytes, too short for the 8-byte header length") }
        let headerLength = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[$1]) << (8 * UInt64($1)) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw fail("header length \(headerLength) is larger than the \(bytes.count - 8) bytes after it")
        }
        let headerEnd = 8 + Int(headerLength)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) } catch {
            throw fail("header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw fail("header is not a JSON object") }
        let dataSize = bytes.count - headerEnd
        var metadata: [String: String] = [:]
        var spans: [(name: String, begin: Int, end: Int)] = []
        var tensors: [String: Tensor] = [:]
        for (key, value) in header {
            if key == "__metadata__" {
                guard let m = value as? [String: Any] else { throw fail("__metadata__ is not an object") }
                for (k, v) in m {
                    guard let s = v as? String else { throw fail("__metadata__ value for '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw fail("entry for tensor '\(key)' is not an object") }
            guard let dtype = entry["dtype"] as? String else { throw fail("tensor '\(key)' has no dtype") }
            guard let width = Self.byteWidth[dtype] else {
                throw fail("tensor '\(key)' has unknown or unsupported dtype '\(dtype)' (supported: F32, F16, BF16)")
            }
            guard let shapeAny = entry["shape"] as? [Any],
                  let shape = Self.integers(shapeAny), shape.allSatisfy({ $0 >= 0 && $0 <= 1 << 31 }) else {
                throw fail("tensor '\(key)' has an invalid shape")
            }
            guard let offsetsAny = entry["data_offsets"] as? [Any], let offsets = Self.integers(offsetsAny),
                  offsets.count == 2 else {
                throw fail("tensor '\(key)' has invalid data_offsets")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail("tensor '\(key)' data_offsets [\(begin), \(end)] are out of range (data section has \(dataSize) bytes)")
            }
            var count = 1
            for d in shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, p <= 1 << 34 else { throw fail("tensor '\(key)' shape \(shape) is too large") }
                count = p
            }
            guard end - begin == count * width else {
                throw fail("tensor '\(key)' has \(end - begin) bytes but shape \(shape) of \(dtype) needs \(count * width)")
            }
            spans.append((key, begin, end))
            tensors[key] = Self.decode(bytes, from: headerEnd + begin, count: count, dtype: dtype, shape: shape)
        }
        spans.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        for (a, b) in zip(spans, spans.dropFirst()) where b.begin < a.end {
            throw fail("tensors '\(a.name)' and '\(b.name)' overlap (bytes \(a.begin)..<\(a.end) and \(b.begin)..<\(b.end))")
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The file's bytes: F32 tensors in name order, header padded with spaces to 8-byte alignment.
    public func serialized() throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count]] as [String: Any]
            offset += 4 * t.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(json)
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { buffer in
                for v in buffer {
                    var bits = v.bitPattern.littleEndian
                    withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
                }
            }
        }
        return out
    }

    /// Writes the file atomically (to a temporary name, then renamed).
    public func write(to url: URL) throws {
        do { try serialized().write(to: url, options: .atomic) } catch {
            throw WeightsError(file: url.path, "cannot be written (\(error.localizedDescription))")
        }
    }

    static let byteWidth: [String: Int] = ["F32": 4, "F16": 2, "BF16": 2]

    private static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d.isFinite, d.rounded() == d, abs(d) < 1e15 else { return nil }
            out.append(Int(d))
        }
        return out
    }

    private static func decode(_ bytes: [UInt8], from start: Int, count: Int, dtype: String, shape: [Int]) -> Tensor {
        Tensor(shape: shape) { out in
            bytes.withUnsafeBufferPointer { b in
                let p = b.baseAddress! + start
                switch dtype {
                case "F32":
                    for i in 0..<count {
                        let bits = UInt32(p[4 * i]) | UInt32(p[4 * i + 1]) << 8 | UInt32(p[4 * i + 2]) << 16 | UInt32(p[4 * i + 3]) << 24
                        out[i] = Float(bitPattern: bits)
                    }
                case "F16":
                    for i in 0..<count { out[i] = halfToFloat(UInt16(p[2 * i]) | UInt16(p[2 * i + 1]) << 8) }
                default:   // BF16: the high half of an F32
                    for i in 0..<count { out[i] = Float(bitPattern: (UInt32(p[2 * i]) | UInt32(p[2 * i + 1]) << 8) << 16) }
                }
            }
        }
    }

    /// IEEE 754 binary16 → binary32 (written out: Float16 is unavailable on some platforms).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        var exponent = Int32((h >> 10) & 0x1F)
        var mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13) }   // inf, NaN
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }
            exponent = 1                                      // subnormal: normalise
            while mantissa & 0x400 == 0 { mantissa <<= 1; exponent -= 1 }
            mantissa &= 0x3FF
        }
        return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | mantissa << 13)
    }
}
