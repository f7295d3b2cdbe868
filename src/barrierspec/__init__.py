"""barrierspec: the executable specification of barrier synchronisation.

Subpackages:

* :mod:`barrierspec.spec` -- the pure model (state, events, ``step``, policies, profiles,
  invariants) and its exhaustive explorer;
* :mod:`barrierspec.proofs` -- Z3 checks of the model's invariants for every number of parties;
* :mod:`barrierspec.adapters` -- drivers that operate real barriers deterministically;
* :mod:`barrierspec.conformance` -- the suite holding real barriers to the model;
* :mod:`barrierspec.reference` -- the barriers users import;
* :mod:`barrierspec.errors` -- the one exception hierarchy.

Each subpackage's ``__all__`` is its public surface (pinned by ``tests/test_exports.py``);
everything in a ``_module`` is internal. ``__version__`` is the package version.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
