"""The Norwegian and Danish mpox rules: facts from FHIR, rule packs as data, the engine,
its explanations, `$immds-forecast` and the case service. See README.md in this folder.

Nothing here knows HTTP or CDS Hooks; the API, the command line and the CDS service call in.
"""
