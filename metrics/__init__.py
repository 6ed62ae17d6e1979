"""Metrics: SQL over the store's views plus pure functions (burn, EVM, rankings, deltas)."""
