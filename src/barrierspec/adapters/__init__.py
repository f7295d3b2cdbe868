"""barrierspec.adapters."""
