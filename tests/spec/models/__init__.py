"""Test-only transition systems for the explorer (not part of the package)."""
