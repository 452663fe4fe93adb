// Broadcasting arithmetic on Variables. Pullbacks sum the incoming gradient back down to each
// input's shape (the adjoint of broadcasting).

public func + (a: Variable, b: Variable) -> Variable {
    Variable.record(a.value + b.value, parents: [a, b]) { g in
        if a.needsGrad { a.accumulate(Broadcast.sum(g, toShape: a.shape)) }
        if b.needsGrad { b.accumulate(Broadcast.sum(g, toShape: b.shape)) }
    }
}

public func - (a: Variable, b: Variable) -> Variable {
    Variable.record(a.value - b.value, parents: [a, b]) { g in
        if a.needsGrad { a.accumulate(Broadcast.sum(g, toShape: a.shape)) }
        if b.needsGrad { b.accumulate(Broadcast.sum(-g, toShape: b.shape)) }
    }
}

public func * (a: Variable, b: Variable) -> Variable {
    Variable.record(a.value * b.value, parents: [a, b]) { g in
        if a.needsGrad { a.accumulate(Broadcast.sum(g * b.value, toShape: a.shape)) }
        if b.needsGrad { b.accumulate(Broadcast.sum(g * a.value, toShape: b.shape)) }
    }
}

public func / (a: Variable, b: Variable) -> Variable {
    Variable.record(a.value / b.value, parents: [a, b]) { g in
        if a.needsGrad { a.accumulate(Broadcast.sum(g / b.value, toShape: a.shape)) }
        if b.needsGrad {
            let gb = Broadcast.binary(g * a.value, b.value * b.value, "divide") { -$0 / $1 }
            b.accumulate(Broadcast.sum(gb, toShape: b.shape))
        }
    }
}

public func + (a: Variable, s: Float) -> Variable {
    Variable.record(a.value + s, parents: [a]) { g in a.accumulate(g) }
}

public func - (a: Variable, s: Float) -> Variable { a + (-s) }

public func * (a: Variable, s: Float) -> Variable {
    Variable.record(a.value * s, parents: [a]) { g in a.accumulate(g * s) }
}

public func * (s: Float, a: Variable) -> Variable { a * s }

public func / (a: Variable, s: Float) -> Variable { a * (1 / s) }

public prefix func - (a: Variable) -> Variable { a * -1 }
