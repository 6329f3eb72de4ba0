"""Benchmarks behind `make bench`; each module prints figures for BENCHMARKS.md."""
