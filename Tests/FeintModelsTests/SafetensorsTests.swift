import FeintCore
import FeintModels
import Foundation
import Testing

@Suite("Safetensors")
struct SafetensorsTests {
    /// A file with the given header JSON and data bytes.
    func file(_ header: String, data: [UInt8] = []) -> Data {
        var bytes = [UInt8](repeating: 0, count: 8)
        let h = Array(header.utf8)
        for i in 0..<8 { bytes[i] = UInt8((h.count >> (8 * i)) & 0xFF) }
        return Data(bytes + h + data)
    }

    func problem(_ data: Data) -> String? {
        do { _ = try Safetensors(data: data, name: "w.safetensors"); return nil } catch let e as WeightsError {
            #expect(e.file == "w.safetensors")
            return e.problem
        } catch { return "unexpected \(error)" }
    }

    @Test func roundTrip() throws {
        let a = Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 0, 1e-8, -7])
        let s = Safetensors(tensors: ["a.weight": a, "b": Tensor(shape: [0], scalars: [])], metadata: ["arch": "x"])
        let back = try Safetensors(data: try s.serialized())
        #expect(back.tensors["a.weight"] == a && back.tensors["b"]?.shape == [0])
        #expect(back.metadata == ["arch": "x"])
    }

    @Test func readsHalfPrecision() throws {
        // F16 1.0 = 0x3C00, −2.0 = 0xC000; BF16 1.5 = 0x3FC0.
        let f16 = file(#"{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]}}"#,
                       data: [0x00, 0x3C, 0x00, 0xC0, 0xC0, 0x3F])
        let s = try Safetensors(data: f16)
        #expect(s.tensors["h"]?.scalars == [1, -2] && s.tensors["b"]?.scalars == [1.5])
    }

    @Test func rejectsBadFiles() {
        #expect(problem(Data([1, 2, 3]))?.contains("truncated") == true)
        #expect(problem(file("{}").prefix(9))?.contains("larger than") == true)
        #expect(problem(file("{not json"))?.contains("not valid JSON") == true)
        #expect(problem(file("[1]"))?.contains("not a JSON object") == true)
        #expect(problem(file(#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)))?
            .contains("unknown or unsupported dtype 'I64'") == true)
        #expect(problem(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]))?
            .contains("out of range") == true)
        #expect(problem(file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)))?
            .contains("needs 12") == true)
        #expect(problem(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                             data: Array(repeating: 0, count: 8)))?.contains("overlap") == true)
        #expect(problem(file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#))?.contains("invalid shape") == true)
        #expect(problem(file(#"{"__metadata__":{"k":1}}"#))?.contains("not a string") == true)
    }

    @Test func missingFileIsAnError() {
        #expect(throws: WeightsError.self) { try Safetensors(contentsOf: URL(fileURLWithPath: "/nonexistent/w.safetensors")) }
    }
}
