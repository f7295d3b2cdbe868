"""barrierspec.spec."""
