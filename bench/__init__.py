"""Benchmarks of the Future Fish integration against what users would pick instead.

Not part of the test suite: `scripts/bench` runs them in processes of their own (see
docs/benchmarks.md for the method and the latest results).
"""
