"""Benchmarks run by ``make bench`` (never by the tests); results in benchmarks/results/."""
