"""Telemetry: one KQL catalogue run unchanged by the local store (Parquet + DuckDB) and Azure Monitor."""
