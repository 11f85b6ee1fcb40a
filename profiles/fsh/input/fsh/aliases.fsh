// External code systems (see docs/data-dictionary.md)
Alias: $sct = http://snomed.info/sct
Alias: $loinc = http://loinc.org
Alias: $icd10 = http://hl7.org/fhir/sid/icd-10
Alias: $cvx = http://hl7.org/fhir/sid/cvx
Alias: $atc = http://www.whocc.no/atc
Alias: $ucum = http://unitsofmeasure.org
Alias: $iso3166 = urn:iso:std:iso:3166
Alias: $obscat = http://terminology.hl7.org/CodeSystem/observation-category
Alias: $verstat = http://terminology.hl7.org/CodeSystem/condition-ver-status
Alias: $v3route = http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration
Alias: $gender = http://hl7.org/fhir/administrative-gender
Alias: $eventstatus = http://hl7.org/fhir/event-status

// Identifier systems
Alias: $fnr = urn:oid:2.16.578.1.12.4.1.4.1
Alias: $dnr = urn:oid:2.16.578.1.12.4.1.4.2
Alias: $cpr = urn:oid:1.2.208.176.1.2
