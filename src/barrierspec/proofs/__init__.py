"""Proofs with Z3: the model's invariants hold for every number of parties and participants.

The model of :mod:`barrierspec.spec` is restated over a counter abstraction (participants
counted per local class, rounds relative, see :mod:`._abstraction`), its step function as
moves over the counters (:mod:`._moves`), and its invariants as clauses
(:mod:`._clauses`). :func:`prove` checks ``init => Inv`` and ``Inv and step => Inv'`` for
every clause and every event kind; counterexamples are replayed through the Python model.
:func:`check_agreement` shows that the encoding is the same model as
:func:`barrierspec.spec.step`, state by state, at small bounds.

* :func:`prove` -> :class:`ProofReport` (:class:`Obligation` per clause and transition,
  :class:`Verdict`, :class:`Counterexample`);
* :func:`check_agreement` -> :class:`Agreement`;
* :func:`proof_model` -> :class:`ProofModel`; :class:`Variant` alters the encoded step, and
  :func:`early_trip` / :func:`timeout_gives_up` give broken models on both sides (moves and
  Python step) to show that they are caught;
* :func:`abstract` / :func:`concretise` between :class:`~barrierspec.spec.State` and
  :class:`AbstractState`.
"""

from barrierspec.proofs._abstraction import (
    AbstractionError,
    AbstractState,
    LocalClass,
    Tag,
    abstract,
    concretise,
)
from barrierspec.proofs._agreement import Agreement, check_agreement, reachable_states
from barrierspec.proofs._model import ProofModel, proof_model
from barrierspec.proofs._moves import Variant
from barrierspec.proofs._prover import Obligation, ProofReport, Verdict, prove
from barrierspec.proofs._replay import Counterexample
from barrierspec.proofs._variants import early_trip, timeout_gives_up

__all__ = [
    "AbstractState",
    "AbstractionError",
    "Agreement",
    "Counterexample",
    "LocalClass",
    "Obligation",
    "ProofModel",
    "ProofReport",
    "Tag",
    "Variant",
    "Verdict",
    "abstract",
    "check_agreement",
    "concretise",
    "early_trip",
    "proof_model",
    "prove",
    "reachable_states",
    "timeout_gives_up",
]
