"""Ground floor: FHIR core definitions, OperationOutcome helpers and the REST client."""
