"""Loaders: read hospital programme exports, validate them and load them into the DuckDB store."""
