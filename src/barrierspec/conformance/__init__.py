"""barrierspec.conformance."""
