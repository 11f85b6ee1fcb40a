"""The HTTP face: FastAPI app with FHIR endpoints, CDS Hooks and operations."""
