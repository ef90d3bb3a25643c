"""Shared pytest configuration."""

from hypothesis import settings

# Property-based tests must give the same verdict on every CI run: derandomize them.
settings.register_profile("ganbook", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("ganbook")
