import FeintCore
import Testing

/// Bad shapes stop the program with a precondition failure (the message names the op and the
/// shapes); these run each case in a child process.
@Suite("Shape errors")
struct ShapeErrorTests {
    @Test func convolutionChannelMismatch() async {
        await #expect(processExitsWith: .failure) {
            _ = conv2d(Variable(Tensor(zeros: [1, 3, 8, 8])), weight: Variable(Tensor(zeros: [4, 2, 3, 3])))
        }
    }

    @Test func linearFeatureMismatch() async {
        await #expect(processExitsWith: .failure) {
            _ = linear(Variable(Tensor(zeros: [2, 5])), weight: Variable(Tensor(zeros: [3, 4])), bias: nil)
        }
    }

    @Test func incompatibleBroadcast() async {
        await #expect(processExitsWith: .failure) {
            _ = Variable(Tensor(zeros: [2, 3])) + Variable(Tensor(zeros: [4]))
        }
    }

    @Test func labelOutOfRange() async {
        await #expect(processExitsWith: .failure) {
            _ = crossEntropy(Variable(Tensor(zeros: [1, 3])), labels: [3])
        }
    }

    @Test func badReshape() async {
        await #expect(processExitsWith: .failure) { _ = Tensor(zeros: [2, 3]).reshaped([4, -1]) }
    }
}
