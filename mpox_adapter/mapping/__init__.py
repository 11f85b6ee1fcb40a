"""Declarative mapping of local records to FHIR R4 resources (files in `mappings/`)."""
