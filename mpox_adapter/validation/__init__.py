"""FHIR R4 profile validation in pure Python: structure, invariants and terminology."""
