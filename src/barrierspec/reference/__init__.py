"""barrierspec.reference."""
