// ConceptMaps from the local codes of the source formats (examples/README.md) to
// the codes of the profiles. Local code systems are named http://mpox-adapter.org/fhir/local/<name>.
// (Generated once from a table and then edited by hand: this file is the source.)


Instance: no-administrasjonsmate-to-snomed
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(no-administrasjonsmate-to-snomed)
* name = "NoAdministrasjonsmateToSnomed"
* title = "Norwegian route of administration to SNOMED CT"
* description = "Translates the route words of the Norwegian municipal vaccination export (administrasjonsmåte: intradermalt, subkutant) to the SNOMED CT routes of the mpox-immunization profile. Any other word is not a route for this vaccine and is rejected."
* targetCanonical = Canonical(MpoxRouteValueSet)
* group[+].source = "http://mpox-adapter.org/fhir/local/no-administrasjonsmate"
* group[=].target = "http://snomed.info/sct"
* group[=].element[+].code = #intradermalt
* group[=].element[=].display = "intradermalt"
* group[=].element[=].target[+].code = #372464004
* group[=].element[=].target[=].display = "Intradermal route"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #subkutant
* group[=].element[=].display = "subkutant"
* group[=].element[=].target[+].code = #34206005
* group[=].element[=].target[=].display = "Subcutaneous route"
* group[=].element[=].target[=].equivalence = #equivalent

Instance: dk-administrationsvej-to-snomed
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(dk-administrationsvej-to-snomed)
* name = "DkAdministrationsvejToSnomed"
* title = "Danish route of administration to SNOMED CT"
* description = "Translates the route words of the Danish regional vaccination export (administrationsvej: intradermal, subkutan) to the SNOMED CT routes of the mpox-immunization profile. Any other word is rejected."
* targetCanonical = Canonical(MpoxRouteValueSet)
* group[+].source = "http://mpox-adapter.org/fhir/local/dk-administrationsvej"
* group[=].target = "http://snomed.info/sct"
* group[=].element[+].code = #intradermal
* group[=].element[=].display = "intradermal"
* group[=].element[=].target[+].code = #372464004
* group[=].element[=].target[=].display = "Intradermal route"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #subkutan
* group[=].element[=].display = "subkutan"
* group[=].element[=].target[+].code = #34206005
* group[=].element[=].target[=].display = "Subcutaneous route"
* group[=].element[=].target[=].equivalence = #equivalent

Instance: v3-route-to-snomed
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(v3-route-to-snomed)
* name = "V3RouteToSnomed"
* title = "HL7 v3 route of administration to SNOMED CT"
* description = "Translates the HL7 version 3 routes accepted on input (IDINJ intradermal injection, SQ subcutaneous injection) to the SNOMED CT routes the mpox-immunization profile requires."
* targetCanonical = Canonical(MpoxRouteValueSet)
* group[+].source = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
* group[=].target = "http://snomed.info/sct"
* group[=].element[+].code = #IDINJ
* group[=].element[=].display = "Injection, intradermal"
* group[=].element[=].target[+].code = #372464004
* group[=].element[=].target[=].display = "Intradermal route"
* group[=].element[=].target[=].equivalence = #wider
* group[=].element[=].target[=].comment = "An intradermal injection is given by the intradermal route; the SNOMED CT route is the wider concept."
* group[=].element[+].code = #SQ
* group[=].element[=].display = "Injection, subcutaneous"
* group[=].element[=].target[+].code = #34206005
* group[=].element[=].target[=].display = "Subcutaneous route"
* group[=].element[=].target[=].equivalence = #wider
* group[=].element[=].target[=].comment = "A subcutaneous injection is given by the subcutaneous route; the SNOMED CT route is the wider concept."

Instance: no-indikasjon-to-indication
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(no-indikasjon-to-indication)
* name = "NoIndikasjonToIndication"
* title = "Norwegian vaccination indication to mpox indication"
* description = "Translates the Norwegian indication codes (PPV pre-exposure vaccination, PEPV post-exposure vaccination) to the project's indication codes."
* targetCanonical = Canonical(MpoxIndicationValueSet)
* group[+].source = "http://mpox-adapter.org/fhir/local/no-indikasjon"
* group[=].target = "http://mpox-adapter.org/fhir/CodeSystem/indication"
* group[=].element[+].code = #PPV
* group[=].element[=].display = "PPV (pre-exposure vaccination)"
* group[=].element[=].target[+].code = #pre-exposure
* group[=].element[=].target[=].display = "Pre-exposure vaccination"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #PEPV
* group[=].element[=].display = "PEPV (post-exposure vaccination)"
* group[=].element[=].target[+].code = #post-exposure
* group[=].element[=].target[=].display = "Post-exposure vaccination"
* group[=].element[=].target[=].equivalence = #equivalent

Instance: dk-indikation-to-indication
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(dk-indikation-to-indication)
* name = "DkIndikationToIndication"
* title = "Danish vaccination indication to mpox indication"
* description = "Translates the Danish indication codes (PrEP pre-exposure vaccination, PEP post-exposure vaccination) to the project's indication codes. In this export PrEP means pre-exposure mpox vaccination, not HIV pre-exposure prophylaxis."
* targetCanonical = Canonical(MpoxIndicationValueSet)
* group[+].source = "http://mpox-adapter.org/fhir/local/dk-indikation"
* group[=].target = "http://mpox-adapter.org/fhir/CodeSystem/indication"
* group[=].element[+].code = #PrEP
* group[=].element[=].display = "PrEP (pre-exposure vaccination)"
* group[=].element[=].target[+].code = #pre-exposure
* group[=].element[=].target[=].display = "Pre-exposure vaccination"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[=].target[=].comment = "Here PrEP is pre-exposure mpox vaccination, not HIV PrEP."
* group[=].element[+].code = #PEP
* group[=].element[=].display = "PEP (post-exposure vaccination)"
* group[=].element[=].target[+].code = #post-exposure
* group[=].element[=].target[=].display = "Post-exposure vaccination"
* group[=].element[=].target[=].equivalence = #equivalent

Instance: dk-status-to-immunization-status
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(dk-status-to-immunization-status)
* name = "DkStatusToImmunizationStatus"
* title = "Danish vaccination status to FHIR immunization status"
* description = "Translates the status of a Danish regional vaccination record (gennemført given, annulleret cancelled) to the FHIR Immunization status: a cancelled record is one entered in error."
* targetCanonical = "http://hl7.org/fhir/ValueSet/immunization-status"
* group[+].source = "http://mpox-adapter.org/fhir/local/dk-status"
* group[=].target = "http://hl7.org/fhir/event-status"
* group[=].element[+].code = #"gennemført"
* group[=].element[=].display = "gennemført (given)"
* group[=].element[=].target[+].code = #completed
* group[=].element[=].target[=].display = "Completed"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #annulleret
* group[=].element[=].display = "annulleret (cancelled)"
* group[=].element[=].target[+].code = #entered-in-error
* group[=].element[=].target[=].display = "Entered in Error"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[=].target[=].comment = "The region cancels a vaccination record that should not have been made, which FHIR records as entered-in-error (the source export documents annulleret as 'entered in error')."

Instance: no-kjonn-to-administrative-gender
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(no-kjonn-to-administrative-gender)
* name = "NoKjonnToAdministrativeGender"
* title = "Norwegian sex to FHIR administrative gender"
* description = "Translates the sex column of the Norwegian municipal vaccination export (M mann, K kvinne) to FHIR administrative gender."
* targetCanonical = "http://hl7.org/fhir/ValueSet/administrative-gender"
* group[+].source = "http://mpox-adapter.org/fhir/local/no-kjonn"
* group[=].target = "http://hl7.org/fhir/administrative-gender"
* group[=].element[+].code = #M
* group[=].element[=].display = "M (mann)"
* group[=].element[=].target[+].code = #male
* group[=].element[=].target[=].display = "Male"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #K
* group[=].element[=].display = "K (kvinne)"
* group[=].element[=].target[+].code = #female
* group[=].element[=].target[=].display = "Female"
* group[=].element[=].target[=].equivalence = #equivalent

Instance: linelist-sex-to-administrative-gender
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(linelist-sex-to-administrative-gender)
* name = "LinelistSexToAdministrativeGender"
* title = "Line-list sex to FHIR administrative gender"
* description = "Translates the sex column of the case and contact line lists (M male, F female) to FHIR administrative gender."
* targetCanonical = "http://hl7.org/fhir/ValueSet/administrative-gender"
* group[+].source = "http://mpox-adapter.org/fhir/local/linelist-sex"
* group[=].target = "http://hl7.org/fhir/administrative-gender"
* group[=].element[+].code = #M
* group[=].element[=].display = "Male"
* group[=].element[=].target[+].code = #male
* group[=].element[=].target[=].display = "Male"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #F
* group[=].element[=].display = "Female"
* group[=].element[=].target[+].code = #female
* group[=].element[=].target[=].display = "Female"
* group[=].element[=].target[=].equivalence = #equivalent

Instance: linelist-case-status-to-condition-ver-status
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(linelist-case-status-to-condition-ver-status)
* name = "LinelistCaseStatusToConditionVerStatus"
* title = "Line-list case status to condition verification status"
* description = "Translates the case status of the outbreak line list (suspected, confirmed, discarded) to the verification status of the mpox Condition: provisional, confirmed or refuted."
* targetCanonical = Canonical(MpoxConditionVerificationValueSet)
* group[+].source = "http://mpox-adapter.org/fhir/local/linelist-case-status"
* group[=].target = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
* group[=].element[+].code = #suspected
* group[=].element[=].display = "Suspected case"
* group[=].element[=].target[+].code = #provisional
* group[=].element[=].target[=].display = "Provisional"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #confirmed
* group[=].element[=].display = "Confirmed case"
* group[=].element[=].target[+].code = #confirmed
* group[=].element[=].target[=].display = "Confirmed"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #discarded
* group[=].element[=].display = "Discarded (ruled out)"
* group[=].element[=].target[+].code = #refuted
* group[=].element[=].target[=].display = "Refuted"
* group[=].element[=].target[=].equivalence = #equivalent

Instance: linelist-pcr-result-to-snomed
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(linelist-pcr-result-to-snomed)
* name = "LinelistPcrResultToSnomed"
* title = "Line-list PCR result to SNOMED CT"
* description = "Translates the PCR result of the case line list to SNOMED CT: positive and negative. A pending result has no value yet, so it has no target code; the test is recorded without a result value."
* targetCanonical = Canonical(MpoxResultValueSet)
* group[+].source = "http://mpox-adapter.org/fhir/local/linelist-pcr-result"
* group[=].target = "http://snomed.info/sct"
* group[=].element[+].code = #positive
* group[=].element[=].display = "Positive"
* group[=].element[=].target[+].code = #10828004
* group[=].element[=].target[=].display = "Positive"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #negative
* group[=].element[=].display = "Negative"
* group[=].element[=].target[+].code = #260385009
* group[=].element[=].target[=].display = "Negative"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #pending
* group[=].element[=].display = "Pending"
* group[=].element[=].target[+].equivalence = #unmatched
* group[=].element[=].target[=].comment = "A pending test has no result yet: there is no result code to give."

Instance: linelist-pcr-target-to-loinc
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(linelist-pcr-target-to-loinc)
* name = "LinelistPcrTargetToLoinc"
* title = "Line-list PCR target to LOINC"
* description = "Translates the PCR target of the case line list to the LOINC code of the test: mpxv (mpox-specific PCR) and opxv (non-variola orthopoxvirus PCR)."
* targetCanonical = Canonical(MpoxPcrValueSet)
* group[+].source = "http://mpox-adapter.org/fhir/local/linelist-pcr-target"
* group[=].target = "http://loinc.org"
* group[=].element[+].code = #mpxv
* group[=].element[=].display = "Mpox virus PCR"
* group[=].element[=].target[+].code = #100383-9
* group[=].element[=].target[=].display = "Monkeypox virus DNA [Presence] in Specimen by NAA with probe detection"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #opxv
* group[=].element[=].display = "Non-variola orthopoxvirus PCR"
* group[=].element[=].target[+].code = #100434-0
* group[=].element[=].target[=].equivalence = #equivalent

Instance: linelist-symptom-to-snomed
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(linelist-symptom-to-snomed)
* name = "LinelistSymptomToSnomed"
* title = "Line-list symptom to SNOMED CT"
* description = "Translates the symptom flags (rash, fever, lymphadenopathy, proctitis) and the other_symptoms words (headache, fatigue, myalgia, back pain) of the case line list to the SNOMED CT symptom codes the Danish case definition reads."
* group[+].source = "http://mpox-adapter.org/fhir/local/linelist-symptom"
* group[=].target = "http://snomed.info/sct"
* group[=].element[+].code = #rash
* group[=].element[=].display = "Rash"
* group[=].element[=].target[+].code = #271807003
* group[=].element[=].target[=].display = "Eruption of skin"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #fever
* group[=].element[=].display = "Fever"
* group[=].element[=].target[+].code = #386661006
* group[=].element[=].target[=].display = "Fever"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #lymphadenopathy
* group[=].element[=].display = "Lymphadenopathy"
* group[=].element[=].target[+].code = #30746006
* group[=].element[=].target[=].display = "Swollen lymph nodes"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #proctitis
* group[=].element[=].display = "Proctitis"
* group[=].element[=].target[+].code = #3951002
* group[=].element[=].target[=].display = "Proctitis"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #headache
* group[=].element[=].display = "Headache"
* group[=].element[=].target[+].code = #25064002
* group[=].element[=].target[=].display = "Headache"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #fatigue
* group[=].element[=].display = "Fatigue"
* group[=].element[=].target[+].code = #84229001
* group[=].element[=].target[=].display = "Fatigue"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #myalgia
* group[=].element[=].display = "Myalgia"
* group[=].element[=].target[+].code = #68962001
* group[=].element[=].target[=].display = "Muscle pain"
* group[=].element[=].target[=].equivalence = #equivalent
* group[=].element[+].code = #"back pain"
* group[=].element[=].display = "Back pain"
* group[=].element[=].target[+].code = #161891005
* group[=].element[=].target[=].display = "Back pain"
* group[=].element[=].target[=].equivalence = #equivalent

Instance: linelist-clade-to-clade
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(linelist-clade-to-clade)
* name = "LinelistCladeToClade"
* title = "Line-list clade to mpox clade"
* description = "Translates the clade column of the case line list (Ia, Ib, IIa, IIb, unknown) to the project's clade codes; the codes are the same. An empty cell means no clade was reported and gives no clade."
* targetCanonical = Canonical(MpoxCladeValueSet)
* group[+].source = "http://mpox-adapter.org/fhir/local/linelist-clade"
* group[=].target = "http://mpox-adapter.org/fhir/CodeSystem/clade"
* group[=].element[+].code = #Ia
* group[=].element[=].display = "Clade Ia"
* group[=].element[=].target[+].code = #Ia
* group[=].element[=].target[=].display = "Clade Ia"
* group[=].element[=].target[=].equivalence = #equal
* group[=].element[+].code = #Ib
* group[=].element[=].display = "Clade Ib"
* group[=].element[=].target[+].code = #Ib
* group[=].element[=].target[=].display = "Clade Ib"
* group[=].element[=].target[=].equivalence = #equal
* group[=].element[+].code = #IIa
* group[=].element[=].display = "Clade IIa"
* group[=].element[=].target[+].code = #IIa
* group[=].element[=].target[=].display = "Clade IIa"
* group[=].element[=].target[=].equivalence = #equal
* group[=].element[+].code = #IIb
* group[=].element[=].display = "Clade IIb"
* group[=].element[=].target[+].code = #IIb
* group[=].element[=].target[=].display = "Clade IIb"
* group[=].element[=].target[=].equivalence = #equal
* group[=].element[+].code = #unknown
* group[=].element[=].display = "Unknown"
* group[=].element[=].target[+].code = #unknown
* group[=].element[=].target[=].display = "Clade unknown"
* group[=].element[=].target[=].equivalence = #equal

Instance: linelist-contact-type-to-contact-type
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(linelist-contact-type-to-contact-type)
* name = "LinelistContactTypeToContactType"
* title = "Line-list contact type to mpox contact type"
* description = "Translates the contact_type column of the contact line list to the project's contact-type codes; the codes are the same."
* targetCanonical = Canonical(MpoxContactTypeValueSet)
* group[+].source = "http://mpox-adapter.org/fhir/local/linelist-contact-type"
* group[=].target = "http://mpox-adapter.org/fhir/CodeSystem/contact-type"
* group[=].element[+].code = #household
* group[=].element[=].display = "Household contact"
* group[=].element[=].target[+].code = #household
* group[=].element[=].target[=].display = "Household contact"
* group[=].element[=].target[=].equivalence = #equal
* group[=].element[+].code = #sexual
* group[=].element[=].display = "Sexual partner"
* group[=].element[=].target[+].code = #sexual
* group[=].element[=].target[=].display = "Sexual partner"
* group[=].element[=].target[=].equivalence = #equal
* group[=].element[+].code = #direct-unprotected
* group[=].element[=].display = "Unprotected direct contact"
* group[=].element[=].target[+].code = #direct-unprotected
* group[=].element[=].target[=].display = "Unprotected direct contact"
* group[=].element[=].target[=].equivalence = #equal
* group[=].element[+].code = #hcw-no-ppe
* group[=].element[=].display = "Health staff without protective equipment"
* group[=].element[=].target[+].code = #hcw-no-ppe
* group[=].element[=].target[=].display = "Health staff without protective equipment"
* group[=].element[=].target[=].equivalence = #equal
* group[=].element[+].code = #seated-adjacent-8h
* group[=].element[=].display = "Seated next to the case for more than 8 hours"
* group[=].element[=].target[+].code = #seated-adjacent-8h
* group[=].element[=].target[=].display = "Seated next to the case for more than 8 hours"
* group[=].element[=].target[=].equivalence = #equal
* group[=].element[+].code = #other
* group[=].element[=].display = "Other contact"
* group[=].element[=].target[+].code = #other
* group[=].element[=].target[=].display = "Other contact"
* group[=].element[=].target[=].equivalence = #equal

Instance: contact-type-to-exposure-risk
InstanceOf: ConceptMap
Usage: #definition
* insert InstanceMetadata(contact-type-to-exposure-risk)
* name = "ContactTypeToExposureRisk"
* title = "mpox contact type to exposure risk (Denmark, table 1)"
* description = "Derives the risk of infection from the kind of contact, following table 1 of the Danish Health Authority's mpox guideline (v7.1, section 6.2), for use when the exposure risk was not recorded. The derived risk is a starting point: the guideline bases post-exposure vaccination on a physician's individual assessment, which may grade an exposure differently."
* sourceCanonical = Canonical(MpoxContactTypeValueSet)
* targetCanonical = Canonical(MpoxExposureRiskValueSet)
* group[+].source = "http://mpox-adapter.org/fhir/CodeSystem/contact-type"
* group[=].target = "http://mpox-adapter.org/fhir/CodeSystem/exposure-risk"
* group[=].element[+].code = #household
* group[=].element[=].display = "Household contact"
* group[=].element[=].target[+].code = #high
* group[=].element[=].target[=].display = "High risk"
* group[=].element[=].target[=].equivalence = #wider
* group[=].element[=].target[=].comment = "Table 1 lists 'slept under the same roof at least one night while the case was infectious' as high risk; household-like contacts such as partners living apart are sexual partners, also high risk."
* group[=].element[+].code = #sexual
* group[=].element[=].display = "Sexual partner"
* group[=].element[=].target[+].code = #high
* group[=].element[=].target[=].display = "High risk"
* group[=].element[=].target[=].equivalence = #wider
* group[=].element[=].target[=].comment = "Table 1 lists 'sexual partner' as high risk."
* group[=].element[+].code = #direct-unprotected
* group[=].element[=].display = "Unprotected direct contact"
* group[=].element[=].target[+].code = #high
* group[=].element[=].target[=].display = "High risk"
* group[=].element[=].target[=].equivalence = #inexact
* group[=].element[=].target[=].comment = "Table 1 grades unprotected direct contact with a symptomatic case, body fluids or contaminated material as high when non-intact skin or mucosa was exposed, and medium when only intact skin was. The contact type does not say which, so the higher grade is taken; both grades lead to the same advice (PEP may be considered after individual assessment). Record medium when only intact skin was exposed."
* group[=].element[+].code = #hcw-no-ppe
* group[=].element[=].display = "Health staff without protective equipment"
* group[=].element[=].target[+].code = #high
* group[=].element[=].target[=].display = "High risk"
* group[=].element[=].target[=].equivalence = #inexact
* group[=].element[=].target[=].comment = "Section 5.1 makes these staff close contacts 'depending on the degree of exposure, after individual assessment'. Touching or swabbing lesions without gloves is direct contact (high with non-intact skin or mucosa, otherwise medium); aerosol-generating procedures and prolonged close face-to-face contact carry mucosal droplet exposure (high). The higher grade is taken; high and medium lead to the same advice (PEP may be considered after individual assessment). Record medium when only intact skin was exposed."
* group[=].element[+].code = #seated-adjacent-8h
* group[=].element[=].display = "Seated next to the case for more than 8 hours"
* group[=].element[=].target[+].code = #medium
* group[=].element[=].target[=].display = "Medium risk"
* group[=].element[=].target[=].equivalence = #wider
* group[=].element[=].target[=].comment = "Table 1 gives 'passenger seated beside a person with symptomatic mpox for more than 8 hours' as its example of medium risk."
* group[=].element[+].code = #other
* group[=].element[=].display = "Other contact"
* group[=].element[=].target[+].code = #low
* group[=].element[=].target[=].display = "Low risk"
* group[=].element[=].target[=].equivalence = #inexact
* group[=].element[=].target[=].comment = "Any other contact is not a close contact under section 5.1, and PEP is offered to close contacts only (section 6.2), which is what table 1 says for low risk ('PEP not necessary'). Record medium or high instead when the exposure detail shows physical contact or droplet exposure."
