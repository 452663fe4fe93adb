// Feint for library users: one import for the tensor engine, the model zoo, the attacks and the
// evaluators (`import Feint`), as the README's example does. The modules stay separate so that a
// user who needs only the engine or the attacks links only those.
@_exported import FeintAttacks
@_exported import FeintCore
@_exported import FeintEval
@_exported import FeintModels
