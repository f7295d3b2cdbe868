"""barrierspec: the executable specification of barrier synchronisation.

Subpackages:

* :mod:`barrierspec.spec` -- the pure model (state, events, ``step``, policies, profiles,
  invariants) and its exhaustive explorer;
* :mod:`barrierspec.proofs` -- Z3 checks of the model's invariants for every number of parties;
* :mod:`barrierspec.adapters` -- drivers that operate real barriers deterministically;
* :mod:`barrierspec.conformance` -- the suite holding real barriers to the model;
* :mod:`barrierspec.reference` -- the barriers users import;
* :mod:`barrierspec.errors` -- the one exception hierarchy.

The drop-in barriers also live under the standard library's names: ``barrierspec.Barrier``
(threads, as ``threading.Barrier``) and ``barrierspec.aio.Barrier`` (asyncio tasks, as
``asyncio.Barrier``), the same classes as ``barrierspec.reference.Barrier`` and
``barrierspec.reference.AsyncBarrier``. ``barrierspec.Barrier`` is loaded on first access, so
``import barrierspec`` stays light (the CLI and the pytest plugin import it).

Each subpackage's ``__all__`` is its public surface (pinned by ``tests/test_exports.py``);
everything in a ``_module`` is internal. ``__version__`` is the package version.
"""

import typing

if typing.TYPE_CHECKING:
    from barrierspec.reference._thread_barrier import Barrier

__version__ = "0.1.0"

__all__ = ["Barrier", "__version__"]


def __getattr__(name: str) -> object:
    """Load ``Barrier`` (and with it :mod:`barrierspec.reference`) on first access."""
    if name == "Barrier":
        from barrierspec.reference._thread_barrier import Barrier

        globals()[name] = Barrier
        return Barrier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
