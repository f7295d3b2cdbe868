"""barrierspec.proofs."""
