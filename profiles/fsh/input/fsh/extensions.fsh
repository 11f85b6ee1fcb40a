// Extensions. mpox-priority-group and mpox-clade go on the records; the forecast extensions go
// on ImmunizationRecommendation.recommendation in the answer of $immds-forecast (docs/contract.md).

Extension: MpoxPriorityGroupExtension
Id: mpox-priority-group
Title: "mpox priority group"
Description: "The Norwegian Institute of Public Health (FHI) priority group, 1, 2 or 3, under which a person is offered pre-exposure mpox vaccination (the lowest group applies when several match)."
Context: Immunization, ImmunizationRecommendation.recommendation
* insert Metadata
* value[x] 1..1
* value[x] only code
* value[x] from MpoxPriorityGroupValueSet (required)


Extension: MpoxCladeExtension
Id: mpox-clade
Title: "mpox virus clade"
Description: "The clade of the mpox virus found in the patient (Ia, Ib, IIa, IIb, or unknown), usually from clade-specific PCR or genome sequencing. Clade I outbreaks change the travel advice and the Danish pre-exposure target groups."
Context: Condition, Observation
* insert Metadata
* value[x] 1..1
* value[x] only CodeableConcept
* value[x] from MpoxCladeValueSet (required)


Extension: MpoxPathwayExtension
Id: mpox-pathway
Title: "mpox vaccination pathway"
Description: "Whether a vaccination recommendation is for pre-exposure vaccination (before any known contact: PPV in Norway, PrEP in Denmark) or post-exposure vaccination (after contact with a case: PEPV in Norway, PEP in Denmark)."
Context: ImmunizationRecommendation.recommendation
* insert Metadata
* value[x] 1..1
* value[x] only code
* value[x] from MpoxPathwayValueSet (required)


Extension: MpoxRouteExtension
Id: mpox-route
Title: "mpox recommended route"
Description: "The route by which the recommended mpox vaccine dose should be given: intradermal (fractional 0.1 mL dose) or subcutaneous (full 0.5 mL dose)."
Context: ImmunizationRecommendation.recommendation
* insert Metadata
* value[x] 1..1
* value[x] only CodeableConcept
* value[x] from MpoxRouteValueSet (required)


Extension: MpoxDoseVolumeExtension
Id: mpox-dose-volume
Title: "mpox recommended dose volume"
Description: "The volume of the recommended mpox vaccine dose in millilitres: 0.1 mL intradermal or 0.5 mL subcutaneous."
Context: ImmunizationRecommendation.recommendation
* insert Metadata
* value[x] 1..1
* value[x] only Quantity
* valueQuantity = $ucum#mL
* valueQuantity.value 1..1


Extension: MpoxCareSettingExtension
Id: mpox-care-setting
Title: "mpox vaccination care setting"
Description: "Where the recommended mpox vaccination is offered: by the specialist health service, by the municipal health service, or (in Denmark) by an infectious disease department."
Context: ImmunizationRecommendation.recommendation
* insert Metadata
* value[x] 1..1
* value[x] only code
* value[x] from MpoxCareSettingValueSet (required)
