// ValueSets. Codes from external systems (SNOMED CT, LOINC, CVX, ATC) are listed one by one,
// because a validator expands value sets locally and cannot expand a whole external system.

RuleSet: ProjectValueSet
* insert Metadata
* ^experimental = false


ValueSet: MpoxVaccineValueSet
Id: mpox-vaccine
Title: "mpox vaccine"
Description: "Codes that identify a dose of mpox vaccine (Imvanex / Jynneos, MVA-BN): CVX 206, ATC J07BX01 or SNOMED CT 1293025000, and CVX 325 (orthopoxvirus vaccine, unspecified), which also counts as an mpox dose."
* insert ProjectValueSet
* $cvx#206
* $cvx#325
* $atc#J07BX01
* $sct#1293025000


ValueSet: MpoxPcrValueSet
Id: mpox-pcr
Title: "mpox PCR test"
Description: "The LOINC codes of the PCR tests that detect mpox virus: mpox virus DNA (100383-9), non-variola orthopoxvirus DNA (100434-0), and the clade I (100889-5) and clade II (100888-7) tests."
* insert ProjectValueSet
* $loinc#100383-9 "Monkeypox virus DNA [Presence] in Specimen by NAA with probe detection"
* $loinc#100434-0
* $loinc#100889-5
* $loinc#100888-7


ValueSet: MpoxResultValueSet
Id: mpox-result
Title: "mpox PCR result"
Description: "The result of an mpox PCR test: positive or negative (detected and not detected are accepted too)."
* insert ProjectValueSet
* $sct#10828004 "Positive"
* $sct#260385009 "Negative"
* $sct#260373001 "Detected"
* $sct#260415000 "Not detected"


ValueSet: MpoxRouteValueSet
Id: mpox-route
Title: "mpox vaccine route"
Description: "The two routes by which mpox vaccine is given: intradermal (fractional 0.1 mL dose) and subcutaneous (full 0.5 mL dose), in SNOMED CT. Local route words and HL7 v3 IDINJ / SQ are translated to these by the ConceptMaps."
* insert ProjectValueSet
* $sct#372464004 "Intradermal route"
* $sct#34206005 "Subcutaneous route"


ValueSet: MpoxConditionVerificationValueSet
Id: condition-verification
Title: "mpox case verification status"
Description: "Whether an mpox case is suspected (provisional), confirmed, or ruled out (refuted)."
* insert ProjectValueSet
* $verstat#provisional "Provisional"
* $verstat#confirmed "Confirmed"
* $verstat#refuted "Refuted"


ValueSet: MpoxCladeValueSet
Id: clade
Title: "mpox virus clade"
Description: "All mpox virus clades of the project's clade code system: Ia, Ib, IIa, IIb and unknown."
* insert ProjectValueSet
* include codes from system MpoxCladeCodeSystem


ValueSet: MpoxIndicationValueSet
Id: indication
Title: "mpox vaccination indication"
Description: "Why an mpox vaccine dose was given: pre-exposure or post-exposure vaccination."
* insert ProjectValueSet
* include codes from system MpoxIndicationCodeSystem


ValueSet: MpoxRiskFactorValueSet
Id: risk-factor
Title: "mpox risk factor"
Description: "All risk factors that the mpox vaccination rules and the Danish case definition use."
* insert ProjectValueSet
* include codes from system MpoxRiskFactorCodeSystem


ValueSet: MpoxContactTypeValueSet
Id: contact-type
Title: "mpox contact type"
Description: "The kinds of contact with an mpox case: household, sexual, unprotected direct contact, health staff without protective equipment, seated beside the case for more than 8 hours, or other."
* insert ProjectValueSet
* include codes from system MpoxContactTypeCodeSystem


ValueSet: MpoxExposureRiskValueSet
Id: exposure-risk
Title: "mpox exposure risk"
Description: "The risk of infection from an exposure to mpox: high, medium or low (Danish guideline, table 1)."
* insert ProjectValueSet
* include codes from system MpoxExposureRiskCodeSystem


ValueSet: MpoxPriorityGroupValueSet
Id: priority-group
Title: "mpox priority group (Norway)"
Description: "The Norwegian (FHI) priority groups 1, 2 and 3 for pre-exposure mpox vaccination."
* insert ProjectValueSet
* include codes from system MpoxPriorityGroupCodeSystem


ValueSet: MpoxPathwayValueSet
Id: pathway
Title: "mpox vaccination pathway"
Description: "Pre-exposure or post-exposure mpox vaccination."
* insert ProjectValueSet
* include codes from system MpoxPathwayCodeSystem


ValueSet: MpoxCareSettingValueSet
Id: care-setting
Title: "mpox vaccination care setting"
Description: "Where a recommended mpox vaccination is offered: specialist health service, municipal health service or infectious disease department."
* insert ProjectValueSet
* include codes from system MpoxCareSettingCodeSystem
