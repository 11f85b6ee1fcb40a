"""mpox FHIR adapter: local exports to FHIR R4, validation, delivery and national rules."""

__version__ = "0.1.0"
