// Project CodeSystems: codes for facts no verified standard code covers (docs/data-dictionary.md).
// Every CodeSystem is complete and case-sensitive; every concept has a display and a definition.

RuleSet: ProjectCodeSystem
* insert Metadata
* ^caseSensitive = true
* ^content = #complete
* ^experimental = false


CodeSystem: MpoxCladeCodeSystem
Id: clade
Title: "mpox virus clade"
Description: "The clades and subclades of the mpox virus: clade I (Ia, Ib) and clade II (IIa, IIb). Outbreaks of clade Ia and Ib make travellers to the affected areas a Danish pre-exposure target group."
* insert ProjectCodeSystem
* #Ia "Clade Ia" "Mpox virus of clade I, subclade a."
* #Ib "Clade Ib" "Mpox virus of clade I, subclade b."
* #IIa "Clade IIa" "Mpox virus of clade II, subclade a."
* #IIb "Clade IIb" "Mpox virus of clade II, subclade b."
* #unknown "Clade unknown" "The clade was not determined or could not be determined."


CodeSystem: MpoxIndicationCodeSystem
Id: indication
Title: "mpox vaccination indication"
Description: "Why an mpox vaccine dose was given: as pre-exposure vaccination (Norwegian PPV, Danish PrEP) or as post-exposure vaccination after contact with a case (Norwegian PEPV, Danish PEP)."
* insert ProjectCodeSystem
* #pre-exposure "Pre-exposure vaccination" "Vaccination of a person in a target group before any known exposure to mpox (PPV in Norway, PrEP in Denmark)."
* #post-exposure "Post-exposure vaccination" "Vaccination of a close contact after exposure to an mpox case, to prevent or soften disease (PEPV in Norway, PEP in Denmark)."


CodeSystem: MpoxRiskFactorCodeSystem
Id: risk-factor
Title: "mpox risk factor"
Description: "Facts about a person that the Norwegian and Danish mpox vaccination rules and the Danish case definition use, recorded as Observations with a yes/no value (or a count for the number of male partners)."
* insert ProjectCodeSystem
* #msm "Man or trans person who has sex with men" "The person is a man or a trans person who has sex with men."
* #trans "Trans person" "The person is a trans person."
* #sells-sex-to-men "Sells sex to men" "The person sells sex to men."
* #risk-behaviour "Sexual risk behaviour" "Self-reported sexual risk behaviour, such as frequent change of partners, casual sex, group sex or chemsex (examples, not a closed list)."
* #male-partners "Number of male sexual partners" "The number of male sexual partners in the period given by the observation's effective period (recorded as a whole number)."
* #multiple-anonymous-partners "Multiple or anonymous sexual partners" "The person had multiple or anonymous sexual partners in the period given by the observation's effective period, whatever the sexual orientation."
* #hiv-prep "Uses HIV PrEP" "The person uses pre-exposure prophylaxis against HIV."
* #hcw-exposed "Health personnel particularly exposed through work" "Health personnel particularly exposed to mpox through their work, for example at test stations or in direct care of hospitalised mpox patients."
* #lab-live-virus "Laboratory work with live mpox virus" "Laboratory personnel working with live mpox virus, for example neutralisation tests or cell culture."
* #travel-clade-i-area "Travel to a clade I outbreak area with particular risk" "Travel, in the period given, to an area with a clade Ia and/or Ib outbreak, with a particular risk of exposure (for example health staff, refugee camp or aid workers)."
* #travel-mpox-area "Travel to an endemic or outbreak area" "Travel, in the period given, to a country or area with endemic mpox or a known outbreak (the travel criterion of the Danish case definition)."
* #smallpox-vaccinated "Previously vaccinated against smallpox" "The person was vaccinated against smallpox earlier, as documented or shown by a vaccination scar."
* #keloid-tendency "Tendency to keloid" "The person tends to form keloids (raised scars), so intradermal vaccination should be avoided."
* #persistent-local-reaction "Persistent strong local reaction to the last dose" "A strong local reaction to the last mpox vaccine dose is still present."
* #breastfeeding "Breastfeeding" "The person is breastfeeding."


CodeSystem: MpoxExposureCodeSystem
Id: exposure
Title: "mpox exposure observation codes"
Description: "Codes for recording a person's exposure to an mpox case: the exposure observation itself, and its components for the kind of contact and the risk of infection."
* insert ProjectCodeSystem
* #mpox-exposure "Exposure to mpox" "The person was in contact with a person with mpox (or with contaminated material) during the infectious period."
* #contact-type "Kind of contact" "The kind of contact with the mpox case, such as household, sexual or unprotected direct contact."
* #exposure-risk "Risk of infection from the exposure" "The risk of infection the exposure carried (high, medium or low), as in the Danish guideline's table 1."


CodeSystem: MpoxContactTypeCodeSystem
Id: contact-type
Title: "mpox contact type"
Description: "The kinds of contact with an mpox case that make a person a close contact (Danish guideline section 5.1), plus 'other' for any other contact."
* insert ProjectCodeSystem
* #household "Household contact" "Household or household-like contact: lives with the case, slept in the same room or tent, or is a partner living apart."
* #sexual "Sexual partner" "Sexual partner of the case, whatever the kind of sexual contact and whether or not a condom was used."
* #direct-unprotected "Unprotected direct contact" "Unprotected direct contact with skin lesions or blisters, body fluids or potentially contaminated material such as clothes or bedding (including health and laboratory staff)."
* #hcw-no-ppe "Health staff without protective equipment" "Health staff who, without the prescribed protective equipment, touched or swabbed lesions, performed aerosol-generating procedures, or had close face-to-face contact (more than 3 hours in total at less than 2 metres)."
* #seated-adjacent-8h "Seated next to the case for more than 8 hours" "Passenger on a plane, train or bus who sat in the seat directly beside the case, in the same row, for more than 8 hours."
* #other "Other contact" "Any other contact with the case; not one of the close-contact kinds above."


CodeSystem: MpoxExposureRiskCodeSystem
Id: exposure-risk
Title: "mpox exposure risk"
Description: "The risk of infection an exposure to mpox carried, as graded in table 1 of the Danish Health Authority's mpox guideline; high and medium risk may justify post-exposure vaccination after individual assessment."
* insert ProjectCodeSystem
* #high "High risk" "Exposure of non-intact skin or mucosa to a symptomatic case, body fluids or contaminated material; inhaled droplets or dust while cleaning contaminated rooms; mucosal droplet exposure; penetrating sharps injury; slept under the same roof at least one night during the infectious period; sexual partner."
* #medium "Medium risk" "None of the high-risk exposures, but intact skin exposed to a symptomatic case, body fluids or contaminated material, or for example a passenger seated beside a symptomatic case for more than 8 hours."
* #low "Low risk" "None of the above: no physical contact, and droplet exposure unlikely. Post-exposure vaccination is not necessary."


CodeSystem: MpoxVaccineComponentCodeSystem
Id: vaccine-component
Title: "mpox vaccine component"
Description: "Trace residues of the mpox vaccine (Imvanex) that have no verified standard code, for recording allergies that contraindicate vaccination."
* insert ProjectCodeSystem
* #benzonase "Benzonase" "Benzonase, an enzyme used in manufacturing, present in the vaccine as a trace residue."
* #chicken-protein "Chicken protein" "Chicken protein, present in the vaccine as a trace residue (the virus is grown in chicken embryo cells)."


CodeSystem: MpoxForecastStatusCodeSystem
Id: forecast-status
Title: "mpox forecast status"
Description: "Forecast statuses for an mpox vaccination recommendation that the standard immunization recommendation statuses (due, overdue, immune, contraindicated, complete) do not cover."
* insert ProjectCodeSystem
* #not-recommended "Not recommended" "The person is outside every target group and every post-exposure window, so vaccination is not recommended."
* #deferred "Deferred" "Vaccination should wait for a temporary reason, such as fever or a strong local reaction to the last dose that is still present."
* #assessment-required "Individual assessment required" "The guideline asks for an individual medical assessment before vaccination, for example in pregnancy, for children or for exposed health personnel."


CodeSystem: MpoxPriorityGroupCodeSystem
Id: priority-group
Title: "mpox priority group (Norway)"
Description: "The priority groups of the Norwegian Institute of Public Health (FHI) for pre-exposure mpox vaccination."
* insert ProjectCodeSystem
* #1 "Priority group 1" "Men or trans persons who have sex with men and are HIV positive or use HIV PrEP, and men or trans persons who sell sex to men; offered by the specialist health service."
* #2 "Priority group 2" "Men or trans persons who have sex with men, with risk behaviour and syphilis, gonorrhoea or chlamydia in the last 24 months; offered by the municipal health service."
* #3 "Priority group 3" "Men who have sex with men and trans persons with risk behaviour, health personnel particularly exposed through work, and laboratory staff working with live mpox virus; offered by the municipal health service."


CodeSystem: MpoxPathwayCodeSystem
Id: pathway
Title: "mpox vaccination pathway"
Description: "The two pathways to mpox vaccination: before exposure, for people in a target group, and after exposure, for close contacts of a case."
* insert ProjectCodeSystem
* #pre-exposure "Pre-exposure vaccination" "Vaccination before any known exposure, for people in a target group (PPV in Norway, PrEP in Denmark)."
* #post-exposure "Post-exposure vaccination" "Vaccination after exposure to a case, within the guideline's time window (PEPV in Norway, PEP in Denmark)."


CodeSystem: MpoxCareSettingCodeSystem
Id: care-setting
Title: "mpox vaccination care setting"
Description: "The part of the health service that offers a recommended mpox vaccination."
* insert ProjectCodeSystem
* #specialist "Specialist health service" "The specialist health service (hospitals), which offers Norwegian priority group 1."
* #municipal "Municipal health service" "The municipal health service, which offers Norwegian priority groups 2 and 3."
* #infectious-disease-department "Infectious disease department" "A hospital infectious disease department (or regional outreach such as a Checkpoint clinic), which gives mpox vaccination in Denmark."
