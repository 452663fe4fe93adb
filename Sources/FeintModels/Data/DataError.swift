/// A problem with a data file or folder, naming it and what is wrong.
public struct DataError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String
    public init(path: String, _ problem: String) { self.path = path; self.problem = problem }
    public var description: String { "\(path): \(problem)" }
}
