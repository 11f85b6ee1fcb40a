"""Declarative mapping of local records to FHIR R4 resources (``<name>.yaml`` files; the
language is described in docs/mappings.md)."""
