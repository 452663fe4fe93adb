extension FolderAttack {
    /// report.md: the summary and a table of every image.
    public static func markdown(_ r: Report) -> String {
        var s = "# feint attack\n\n- model: `\(r.model)`\n- attack: `\(r.attack)` \(r.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))\n"
        s += "- input: `\(r.input)`\n- output: `\(r.output)`\n- labels: \(r.labels), seed \(r.seed), Feint \(r.version)\n"
        let correct = r.labels == LabelSource.predicted.rawValue ? "labels are the model's clean predictions"
            : "\(r.succeededOfCorrect) of the \(r.correctWhenClean) classified correctly when clean"
        s += "- images: \(r.images), attacked \(r.attacked), succeeded \(r.succeeded) (measured on the saved 8-bit PNGs; "
            + "\(correct)), failed files \(r.failedFiles)\n"
        for w in r.warnings { s += "- warning: \(w)\n" }
        s += "- classes: " + r.classNames.enumerated().map { "\($0) \($1)" }.joined(separator: ", ") + "\n\n"
        s += "| file | label | target | clean | adversarial | success | L2 | L∞ | queries | note |\n|---|---:|---:|---:|---:|---|---:|---:|---:|---|\n"
        for x in r.records {
            func v<T>(_ o: T?) -> String { o.map { "\($0)" } ?? "" }
            s += "| \(x.file) | \(v(x.label)) | \(v(x.target)) | \(v(x.cleanPrediction)) | \(v(x.adversarialPrediction)) | \(x.success.map { $0 ? "yes" : "no" } ?? "") | "
            let note = x.error ?? [x.resumed ? "resumed" : nil, x.rounding.map { "rounded \($0)" }].compactMap { $0 }.joined(separator: "; ")
            s += "\(x.l2.map { String(format: "%.3f", $0) } ?? "") | \(x.linf.map { String(format: "%.4f", $0) } ?? "") | \(v(x.queries)) | \(note) |\n"
        }
        return s
    }
}
