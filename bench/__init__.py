"""Benchmarks (`make bench`): import throughput against pandas and DuckDB, and adoption queries at scale."""
