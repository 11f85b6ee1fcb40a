// The operations of ours that the CapabilityStatement (GET /fhir/metadata) names, so that its
// links resolve. The parameters are those mpox_adapter/rules/inputs.py reads and
// mpox_adapter/rules/output.py writes; the names follow HL7 ImmDS's $immds-forecast.

Instance: immds-forecast
InstanceOf: OperationDefinition
Usage: #definition
* url = "http://mpox-adapter.org/fhir/OperationDefinition/immds-forecast"
* version = "0.1.0"
* name = "ImmdsForecast"
* title = "mpox vaccination forecast"
* status = #active
* kind = #operation
* experimental = false
* publisher = "mpox-adapter contributors"
* jurisdiction[+] = $iso3166#NO "Norway"
* jurisdiction[+] = $iso3166#DK "Denmark"
* description = "Applies the Norwegian or Danish mpox vaccination rules to one patient's history and returns the forecast: whether a dose is due and when, with which route and volume, the rules that decided it, and how each dose given so far counts."
* comment = "Shaped like HL7 ImmDS's $immds-forecast, with the further clinical resources the mpox rules read as inputs. Resources in any input parameter are read by their type, not by the parameter's name."
* affectsState = false
* code = #immds-forecast
* system = true
* type = false
* instance = false
* parameter[+].name = #assessmentDate
* parameter[=].use = #in
* parameter[=].min = 1
* parameter[=].max = "1"
* parameter[=].documentation = "The day the forecast is made for (a full date)."
* parameter[=].type = #date
* parameter[+].name = #patient
* parameter[=].use = #in
* parameter[=].min = 1
* parameter[=].max = "1"
* parameter[=].documentation = "The patient; birthDate is required, since age decides route, volume and eligibility."
* parameter[=].type = #Patient
* parameter[+].name = #immunization
* parameter[=].use = #in
* parameter[=].min = 0
* parameter[=].max = "*"
* parameter[=].documentation = "The patient's vaccinations: mpox vaccine doses, and smallpox vaccination."
* parameter[=].type = #Immunization
* parameter[+].name = #condition
* parameter[=].use = #in
* parameter[=].min = 0
* parameter[=].max = "*"
* parameter[=].documentation = "mpox (confirmed or suspected), its symptoms, pregnancy, HIV and the other conditions the rules read."
* parameter[=].type = #Condition
* parameter[+].name = #observation
* parameter[=].use = #in
* parameter[=].min = 0
* parameter[=].max = "*"
* parameter[=].documentation = "Risk factors (mpox-risk-factor), exposures (mpox-exposure), PCR results, symptoms, pregnancy status and body temperature."
* parameter[=].type = #Observation
* parameter[+].name = #allergyIntolerance
* parameter[=].use = #in
* parameter[=].min = 0
* parameter[=].max = "*"
* parameter[=].documentation = "Allergies to the vaccine or its components."
* parameter[=].type = #AllergyIntolerance
* parameter[+].name = #medicationStatement
* parameter[=].use = #in
* parameter[=].min = 0
* parameter[=].max = "*"
* parameter[=].documentation = "HIV pre-exposure prophylaxis (PrEP)."
* parameter[=].type = #MedicationStatement
* parameter[+].name = #jurisdiction
* parameter[=].use = #in
* parameter[=].min = 0
* parameter[=].max = "1"
* parameter[=].documentation = "Whose rules apply: NO (Norway) or DK (Denmark); the server's configured jurisdiction when absent."
* parameter[=].type = #code
* parameter[+].name = #recommendation
* parameter[=].use = #out
* parameter[=].min = 1
* parameter[=].max = "1"
* parameter[=].documentation = "The forecast: status, dates, route and volume, the rules that decided it, and the explanation as its narrative."
* parameter[=].type = #ImmunizationRecommendation
* parameter[+].name = #evaluation
* parameter[=].use = #out
* parameter[=].min = 0
* parameter[=].max = "*"
* parameter[=].documentation = "One per dose given: whether it counts, and its place in the series."
* parameter[=].type = #ImmunizationEvaluation
