"""Benchmarks (not tests): `python -m bench.run` measures and writes docs/benchmarks.md."""
