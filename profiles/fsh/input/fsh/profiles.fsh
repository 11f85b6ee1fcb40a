// The six mpox profiles. How every fact is coded: docs/data-dictionary.md.

Profile: MpoxPatient
Parent: Patient
Id: mpox-patient
Title: "mpox Patient"
Description: "A person in the mpox records of Norway or Denmark (vaccinated person, case or contact). The person is identified by a Norwegian national identity number (fødselsnummer) or D-number, or a Danish CPR number, whose format and check digits are verified, and has a known date of birth, which the vaccination rules need."
* insert Metadata
* identifier 1..*
* identifier ^short = "National identity numbers (at least one identifier)"
* identifier ^slicing.discriminator.type = #value
* identifier ^slicing.discriminator.path = "system"
* identifier ^slicing.rules = #open
* identifier ^slicing.description = "Slices by identifier system: Norwegian fødselsnummer, Norwegian D-number, Danish CPR number; other identifiers are allowed."
* identifier contains fnr 0..1 and dnr 0..1 and cpr 0..1
* identifier[fnr] ^short = "Norwegian national identity number (fødselsnummer)"
* identifier[fnr] ^definition = "The Norwegian national identity number: 11 digits, date of birth (synthetic test numbers add 80 to the month), individual number and two mod-11 check digits."
* identifier[fnr] obeys mpox-fnr
* identifier[fnr].system 1..1
* identifier[fnr].system = $fnr (exactly)
* identifier[fnr].value 1..1
* identifier[dnr] ^short = "Norwegian D-number"
* identifier[dnr] ^definition = "The Norwegian D-number, given to people without a fødselsnummer: like a fødselsnummer with 4 added to the first digit of the day."
* identifier[dnr] obeys mpox-dnr
* identifier[dnr].system 1..1
* identifier[dnr].system = $dnr (exactly)
* identifier[dnr].value 1..1
* identifier[cpr] ^short = "Danish CPR number"
* identifier[cpr] ^definition = "The Danish civil registration (CPR) number: 10 digits DDMMYYSSSS, written without the hyphen."
* identifier[cpr] obeys mpox-cpr
* identifier[cpr].system 1..1
* identifier[cpr].system = $cpr (exactly)
* identifier[cpr].value 1..1
* birthDate 1..1
* birthDate ^short = "Date of birth (age decides eligibility, dose route and volume)"


Profile: MpoxCondition
Parent: Condition
Id: mpox-condition
Title: "mpox Condition"
Description: "An mpox case: a suspected (provisional), confirmed or ruled-out (refuted) diagnosis of mpox in a patient, with the date of symptom onset, the virus clade when known, and the laboratory results that support it."
* insert Metadata
* extension contains MpoxCladeExtension named clade 0..1
* extension[clade] ^short = "Clade of the mpox virus (Ia, Ib, IIa, IIb, unknown)"
* code 1..1
* code = $sct#359814004
* code ^short = "Monkeypox (SNOMED CT 359814004); ICD-10 B04 may be added as a second coding"
* verificationStatus 1..1
* verificationStatus from MpoxConditionVerificationValueSet (required)
* verificationStatus ^short = "provisional (suspected) | confirmed | refuted (ruled out)"
* subject only Reference(MpoxPatient)
* onset[x] only dateTime
* onset[x] ^short = "Date of the first symptom"
* evidence.detail only Reference(MpoxLabResult)
* evidence.detail ^short = "The mpox PCR results that support the diagnosis"


Profile: MpoxLabResult
Parent: Observation
Id: mpox-lab-result
Title: "mpox laboratory result"
Description: "The result of a PCR test for mpox virus (mpox-specific, non-variola orthopoxvirus, or clade I / clade II), coded in LOINC, with the result as positive, negative, detected or not detected and the time the specimen was taken."
* insert Metadata
* category 1..*
* category ^slicing.discriminator.type = #pattern
* category ^slicing.discriminator.path = "$this"
* category ^slicing.rules = #open
* category ^slicing.description = "A laboratory category is required; other categories are allowed."
* category contains laboratory 1..1
* category[laboratory] = $obscat#laboratory
* code from MpoxPcrValueSet (required)
* code ^short = "The PCR test (LOINC 100383-9, 100434-0, 100889-5 or 100888-7)"
* subject 1..1
* subject only Reference(MpoxPatient)
* effective[x] 1..1
* effective[x] only dateTime
* effective[x] ^short = "When the specimen was taken"
* value[x] only CodeableConcept
* value[x] from MpoxResultValueSet (required)
* value[x] ^short = "Positive, negative, detected or not detected (absent while pending)"


Profile: MpoxExposure
Parent: Observation
Id: mpox-exposure
Title: "mpox exposure"
Description: "A person's contact with an mpox case: when it happened (the last exposure day, or the first to the last exposure day), the kind of contact, and the risk of infection it carried (high, medium or low, as in the Danish guideline's table 1). It decides post-exposure vaccination and the 21-day monitoring."
* insert Metadata
* obeys mpox-exposure-period
* code = MpoxExposureCodeSystem#mpox-exposure
* subject 1..1
* subject only Reference(MpoxPatient)
* subject ^short = "The exposed person"
* effective[x] 1..1
* effective[x] only dateTime or Period
* effective[x] ^short = "Day of the (last) exposure, or first to last exposure day"
* value[x] 1..1
* value[x] only CodeableConcept
* value[x] = $sct#59774002
* value[x] ^short = "Monkeypox virus (SNOMED CT 59774002)"
* focus ^short = "The index case's Condition, when known"
* component 2..*
* component ^slicing.discriminator.type = #pattern
* component ^slicing.discriminator.path = "code"
* component ^slicing.rules = #open
* component ^slicing.description = "The kind of contact and the risk of infection."
* component contains contactType 1..1 and exposureRisk 1..1
* component[contactType] ^short = "Kind of contact (household, sexual, ...)"
* component[contactType].code = MpoxExposureCodeSystem#contact-type
* component[contactType].value[x] 1..1
* component[contactType].value[x] only CodeableConcept
* component[contactType].value[x] from MpoxContactTypeValueSet (required)
* component[exposureRisk] ^short = "Risk of infection: high, medium or low"
* component[exposureRisk].code = MpoxExposureCodeSystem#exposure-risk
* component[exposureRisk].value[x] 1..1
* component[exposureRisk].value[x] only CodeableConcept
* component[exposureRisk].value[x] from MpoxExposureRiskValueSet (required)


Profile: MpoxRiskFactor
Parent: Observation
Id: mpox-risk-factor
Title: "mpox risk factor"
Description: "A fact about a person that the mpox vaccination rules and the case definition use, such as sex between men, use of HIV PrEP, work exposure, travel, earlier smallpox vaccination or breastfeeding. It is recorded as yes or no, except the number of male sexual partners in a period, which is a number."
* insert Metadata
* obeys mpox-risk-factor-value
* code from MpoxRiskFactorValueSet (required)
* subject 1..1
* subject only Reference(MpoxPatient)
* effective[x] only dateTime or Period
* effective[x] ^short = "When the fact was reported, or the period it covers"
* value[x] 1..1
* value[x] only boolean or integer
* value[x] ^short = "true / false; a count for male-partners"


Profile: MpoxImmunization
Parent: Immunization
Id: mpox-immunization
Title: "mpox vaccination"
Description: "A dose of mpox vaccine (Imvanex / Jynneos, MVA-BN) given to a person, before exposure (pre-exposure, PPV/PrEP) or after it (post-exposure, PEPV/PEP). A completed dose records the route and volume (0.1 mL intradermal or 0.5 mL subcutaneous), the lot number and the dose number in the series; Norwegian pre-exposure doses may record the FHI priority group."
* insert Metadata
* obeys mpox-imm-route and mpox-imm-dose and mpox-imm-lot and mpox-imm-dose-number and mpox-imm-intradermal and mpox-imm-subcutaneous
* extension contains MpoxPriorityGroupExtension named priorityGroup 0..1
* extension[priorityGroup] ^short = "Norwegian (FHI) priority group 1, 2 or 3 for pre-exposure vaccination"
* vaccineCode from MpoxVaccineValueSet (required)
* vaccineCode ^short = "mpox vaccine: CVX 206 or 325, ATC J07BX01 or SNOMED CT 1293025000"
* patient only Reference(MpoxPatient)
* occurrence[x] 1..1
* occurrence[x] only dateTime
* occurrence[x] ^short = "When the dose was given"
* lotNumber ^short = "Lot (batch) number; required when completed"
* route from MpoxRouteValueSet (required)
* route ^short = "Intradermal or subcutaneous (SNOMED CT); required when completed"
* doseQuantity = $ucum#mL
* doseQuantity.value 1..1
* doseQuantity ^short = "0.1 mL intradermal or 0.5 mL subcutaneous; required when completed"
* reasonCode from MpoxIndicationValueSet (required)
* reasonCode ^short = "pre-exposure or post-exposure"
* protocolApplied.doseNumber[x] only positiveInt
* protocolApplied.doseNumber[x] ^short = "Dose number in the series (1, 2); required when completed"
