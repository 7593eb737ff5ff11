"""Benchmarks for the budgets in DESIGN.md; `make bench` prints them as tables."""
