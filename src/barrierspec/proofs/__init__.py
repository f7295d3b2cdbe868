"""Proofs with Z3: the model's invariants hold for every number of parties and participants.

The model of :mod:`barrierspec.spec` is restated over a counter abstraction (participants
counted per local class, rounds relative, see :mod:`._abstraction`), its step function as
moves over the counters (:mod:`._moves`), and its invariants as clauses
(:mod:`._clauses`). :func:`prove` checks ``init => Inv`` and ``Inv and step => Inv'`` for
every clause and every event kind; counterexamples are replayed through the Python model.
:func:`check_agreement` shows that the encoding is the same model as
:func:`barrierspec.spec.step`, state by state, at small bounds.

* :func:`prove` -> :class:`ProofReport` (:class:`Obligation` per clause and transition,
  :class:`ProofVerdict`, :class:`ProofCounterexample`);
* :func:`check_agreement` -> :class:`Agreement`;
* :class:`Variant` alters the encoded step (an argument of :func:`prove` and
  :func:`check_agreement`), and :func:`early_trip` / :func:`timeout_gives_up` give broken
  models on both sides (moves and Python step) to show that they are caught;
* :class:`AbstractState` -- the solver's state, as a :class:`ProofCounterexample` shows it
  (participants counted per local class, rounds relative to a distinguished round).

The encoding itself (the counter system, the abstraction and its inverse) is internal.
"""

from barrierspec.proofs._abstraction import AbstractState
from barrierspec.proofs._agreement import Agreement, check_agreement
from barrierspec.proofs._moves import Variant
from barrierspec.proofs._prover import Obligation, ProofReport, ProofVerdict, prove
from barrierspec.proofs._replay import ProofCounterexample
from barrierspec.proofs._variants import early_trip, timeout_gives_up

__all__ = [
    "AbstractState",
    "Agreement",
    "Obligation",
    "ProofCounterexample",
    "ProofReport",
    "ProofVerdict",
    "Variant",
    "check_agreement",
    "early_trip",
    "prove",
    "timeout_gives_up",
]
