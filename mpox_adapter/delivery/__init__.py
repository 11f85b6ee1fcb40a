"""Delivery of FHIR resources to registries and EHRs: authentication, transport and retries."""
