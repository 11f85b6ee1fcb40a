"""Joins ingest, mapping and validation (and the outbox), so that those stages need not
know each other."""
