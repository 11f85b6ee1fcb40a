"""Readers for local exports (CSV, JSON, NDJSON, XLSX) that stream records with their line."""

from mpox_adapter.ingest.readers import open_records, read_records
from mpox_adapter.ingest.records import ReaderOptions, ReadError, Record

__all__ = ["ReadError", "ReaderOptions", "Record", "open_records", "read_records"]
