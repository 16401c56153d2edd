"""Cluster suite (a package, so that its conftest does not shadow compat-tests/conftest.py)."""
