// The ids of the guideline rules (../shared/guidelines/RULES.md) that the rules engine reports
// in forecastReason and in CDS Hooks cards. Norwegian rules start NO-, Danish DK-, and the
// project's own decisions where the documents are silent PROJ-. The list grows with the rules.

CodeSystem: MpoxRuleCodeSystem
Id: rule
Title: "mpox guideline rule"
Description: "The rules of the Norwegian (FHI, Helsedirektoratet, Helse Bergen) and Danish (Sundhedsstyrelsen v7.1) mpox guidelines that the adapter applies. A vaccination recommendation or decision support card lists the rules that produced it, so a clinician can look each one up."
* insert ProjectCodeSystem
// 1. Norway: pre-exposure vaccination (PPV), priority groups
* #NO-PPV-G1-HIV "NO PPV group 1: MSM with HIV or on HIV PrEP" "Norway (FHI): a man or trans person who has sex with men and is HIV positive or uses HIV PrEP is in priority group 1 for pre-exposure vaccination, offered by the specialist health service."
* #NO-PPV-G1-SW "NO PPV group 1: sells sex to men" "Norway (FHI): a man or trans person who sells sex to men is in priority group 1 for pre-exposure vaccination, offered by the specialist health service."
* #NO-PPV-G2 "NO PPV group 2: MSM with risk behaviour and a recent STI" "Norway (FHI): a man or trans person who has sex with men, with risk behaviour and syphilis, gonorrhoea or chlamydia in the last 24 months, is in priority group 2, offered by the municipal health service."
* #NO-PPV-G3-MSM "NO PPV group 3: MSM or trans person with risk behaviour" "Norway (FHI): men who have sex with men and trans persons with risk behaviour are in priority group 3, offered by the municipal health service."
* #NO-PPV-G3-HCW "NO PPV group 3: health personnel exposed at work" "Norway (FHI): health personnel particularly exposed through work may be considered for vaccination in priority group 3, after assessment."
* #NO-PPV-G3-LAB "NO PPV group 3: laboratory work with live virus" "Norway (FHI): laboratory personnel working with live mpox virus are in priority group 3."
* #PROJ-LOWEST-GROUP "Project choice: lowest matching priority group" "Project choice, not in the guidelines: when a person matches several Norwegian priority groups, the lowest group number is reported."
// 2. Norway: post-exposure vaccination (PEPV)
* #NO-PEP-4D "NO PEPV: close contact within 4 days" "Norway (FHI): a close contact of a confirmed case with high probability of infection (e.g. sexual partner, household member) may be vaccinated within 4 days of exposure (days 0-4) to prevent disease."
* #NO-PEP-14D "NO PEPV: high risk of severe disease, up to day 14" "Norway (FHI): an exposed person at high risk of severe disease (young children, pregnant women, immunodeficient persons) may be vaccinated up to and including day 14, after individual assessment by a physician."
* #NO-PEP-LATE "NO PEPV: window has passed" "Norway (FHI): after the post-exposure windows, post-exposure vaccination is no longer indicated."
* #NO-PEP-CHILD "NO PEPV: children only after assessment with FHI" "Norway (FHI): children are vaccinated only after exposure, after individual assessment by the treating physician together with FHI; under 18 only 0.5 mL subcutaneously. Project choice: under 5 years counts as a young child."
* #NO-PEP-PREG "NO PEPV: pregnancy and breastfeeding" "Norway (FHI): exposed pregnant women may be vaccinated after careful benefit/risk assessment; breastfeeding women may be vaccinated."
* #NO-PEP-HCW "NO PEPV: health personnel who are close contacts" "Norway (FHI): health personnel who are close contacts may be offered vaccination like anyone else, after individual assessment."
* #NO-PEP-ABROAD "NO PEPV: dose 2 after a first dose abroad" "Norway (FHI): a person who got post-exposure vaccination abroad may be offered dose 2 in Norway if the risk continues and the first dose is documented."
// 3. Norway: doses, route, volume, interval
* #NO-DOSE-PPV-ROUTE "NO PPV: 0.1 mL intradermal (0.5 mL subcutaneous allowed)" "Norway (FHI): pre-exposure vaccination is recommended as a fractional 0.1 mL intradermal dose in the upper arm; a 0.5 mL subcutaneous dose is also valid, and a series may mix routes."
* #NO-DOSE-PPV-2 "NO PPV: 2 doses at least 28 days apart" "Norway (FHI): without earlier smallpox vaccination, pre-exposure vaccination is 2 doses at least 28 days apart; a later second dose is still valid."
* #NO-DOSE-SMALLPOX "NO: earlier smallpox vaccination, 1 dose" "Norway (FHI): a person born before 1976 with documentation or a scar of smallpox vaccination needs 1 dose; 2 doses if immunodeficient."
* #NO-DOSE-PEP-ROUTE "NO PEPV: 0.5 mL subcutaneous" "Norway (FHI): post-exposure vaccination is a full 0.5 mL subcutaneous dose."
* #NO-DOSE-PEP-2 "NO PEPV: dose 2 after 28 days if risk continues" "Norway (FHI): a second post-exposure dose after 28 days for persons with continued risk who are still free of symptoms; not needed after earlier smallpox vaccination unless immunodeficient."
* #NO-DOSE-U18 "NO: under 18 only 0.5 mL subcutaneous" "Norway (FHI): persons under 18 are vaccinated only with 0.5 mL subcutaneously."
* #NO-DOSE-KELOID "NO: keloid tendency, not intradermal" "Norway (FHI): with a tendency to keloid, do not vaccinate intradermally; give 0.5 mL subcutaneously."
* #NO-DOSE-MPOX-AFTER-1 "NO: mpox after dose 1, no dose 2" "Norway (FHI): when mpox is confirmed after the first dose, no second dose is given."
* #NO-DOSE-LOCALREACTION "NO: postpone dose 2 during a strong local reaction" "Norway (FHI): a strong local reaction to dose 1 still present when dose 2 is due postpones dose 2 until it has resolved."
// 4. Norway: contraindications and precautions
* #NO-CI-ALLERGY "NO: allergy to a vaccine ingredient, contraindicated" "Norway (FHI): known allergy to any ingredient of the vaccine, including trace residues of chicken protein, benzonase, gentamicin and ciprofloxacin, contraindicates vaccination."
* #NO-CI-FEVER "NO: fever above 38.0 °C, defer" "Norway (FHI): infection with fever above 38.0 °C defers vaccination."
* #NO-CI-SYMPTOMS "NO: symptoms of mpox, do not vaccinate" "Norway (FHI): a person with symptoms of mpox is not vaccinated and should see a physician."
* #NO-CI-PRIOR-MPOX "NO: earlier mpox, no vaccination needed" "Norway (FHI): after an earlier mpox infection, vaccination is not needed."
* #NO-PREC-ATOPIC "NO: atopic eczema, higher risk of side effects" "Norway (FHI): atopic eczema gives a higher risk of side effects and eczema flare; warn."
// 5. Norway: reporting, tracing, staff
* #NO-MSIS-A "NO: notifiable to MSIS (group A) and subject to alert" "Norway (Helsedirektoratet): mpox is a generally dangerous communicable disease, nominatively notifiable to MSIS (group A) and subject to alert."
* #NO-ALERT "NO: alert the municipal medical officer by telephone" "Norway (Helse Bergen local procedure): suspected and confirmed cases are alerted at once by telephone to the municipal medical officer, who alerts FHI."
* #NO-TRACE "NO: trace contacts of a confirmed case" "Norway (Helsedirektoratet, Helse Bergen, FHI): the physician traces contacts as soon as possible after a confirmed case, without revealing the index case's identity."
* #NO-SYSVAK "NO: register every dose in SYSVAK" "Norway (FHI): every vaccination is documented in the patient record and registered in SYSVAK; doses given abroad are registered afterwards by a GP, municipality or private provider."
* #NO-AEFI "NO: report suspected adverse reactions" "Norway (FHI): health personnel are encouraged to report suspected adverse reactions, and mpox after one or two doses as vaccine failure."
* #NO-STAFF-PREG "NO: pregnant staff avoid mpox patients" "Norway (Helse Bergen local procedure): pregnant health personnel should avoid treating, nursing or examining suspected or confirmed mpox patients; immunosuppressed staff are assessed individually."
* #NO-STAFF-VULNERABLE "NO: staff at risk of complications stay away from mpox care" "Norway (FHI): health personnel at risk of complications (pregnant, immunodeficient) are advised not to take part in treating possible, probable or confirmed mpox."
// 6. Denmark: case definition
* #DK-CASE-CONFIRMED "DK: confirmed case, mpox DNA by PCR" "Denmark (Sundhedsstyrelsen): a confirmed case has mpox virus DNA detected by PCR in a clinical sample."
* #DK-CASE-SUSPECTED "DK: suspected case, symptoms plus an epidemiological criterion" "Denmark (Sundhedsstyrelsen): a suspected case has unexplained rash or another possible mpox symptom, and an epidemiological link, travel to an affected area, multiple or anonymous partners within 21 days before onset, or is a man who has sex with men."
// 7. Denmark: notification and isolation
* #DK-NOTIFY-PHONE "DK: notify STPS by telephone at once" "Denmark (Sundhedsstyrelsen): on a confirmed case the responsible physician notifies Styrelsen for Patientsikkerhed by telephone immediately, in daytime hours; suspected cases are not notified."
* #DK-NOTIFY-SEI2 "DK: notify SSI and STPS via SEI2 within 24 hours" "Denmark (Sundhedsstyrelsen): a confirmed case is also notified in writing to Statens Serum Institut and STPS via SEI2, as soon as possible and within 24 hours."
* #DK-LAB-SSI "DK: send positive samples to SSI for sequencing" "Denmark (Sundhedsstyrelsen): all positive samples are sent to Statens Serum Institut for genome sequencing."
* #DK-ISOLATE "DK: isolation until lesions have healed" "Denmark (Sundhedsstyrelsen): suspected and confirmed cases avoid close physical contact until lesions have healed, scabs have fallen off and no general symptoms remain; confirmed cases use condoms for 12 weeks after."
// 8. Denmark: close contacts
* #DK-CONTACT-HOUSEHOLD "DK close contact: household" "Denmark (Sundhedsstyrelsen): a household or household-like contact of a confirmed case during the infectious period is a close contact."
* #DK-CONTACT-SEXUAL "DK close contact: sexual partner" "Denmark (Sundhedsstyrelsen): a sexual partner of a confirmed case, whatever the kind of contact and with or without a condom, is a close contact."
* #DK-CONTACT-DIRECT "DK close contact: unprotected direct contact" "Denmark (Sundhedsstyrelsen): unprotected direct contact with lesions, body fluids or contaminated material (including health and laboratory staff) makes a close contact."
* #DK-CONTACT-HCW "DK close contact: health staff without protective equipment" "Denmark (Sundhedsstyrelsen): health staff without the prescribed protective equipment who touched or swabbed lesions, performed aerosol-generating procedures or had prolonged close face-to-face contact may be close contacts, after individual assessment."
* #DK-CONTACT-TRAVEL "DK close contact: seated beside the case over 8 hours" "Denmark (Sundhedsstyrelsen): a passenger seated directly beside the case in the same row for more than 8 hours is a close contact."
// 9. Denmark: post-exposure vaccination (PEP)
* #DK-PEP-HIGH "DK PEP: high exposure risk, consider" "Denmark (Sundhedsstyrelsen, table 1): after a high-risk exposure, post-exposure vaccination may be considered after individual assessment."
* #DK-PEP-MEDIUM "DK PEP: medium exposure risk, consider" "Denmark (Sundhedsstyrelsen, table 1): after a medium-risk exposure, post-exposure vaccination may be considered after individual assessment."
* #DK-PEP-LOW "DK PEP: low exposure risk, not necessary" "Denmark (Sundhedsstyrelsen, table 1): after a low-risk exposure, post-exposure vaccination is not necessary."
* #DK-PEP-WINDOW "DK PEP: within 4 days, up to 14 in special cases" "Denmark (Sundhedsstyrelsen): the first dose should be given within 4 days of exposure (days 0-4), in special cases up to 14 days (days 0-14)."
* #DK-PEP-CONSENT "DK PEP: off-label, document consent" "Denmark (Sundhedsstyrelsen): post-exposure vaccination is off-label; informed consent, indication and reason must be documented in the record."
* #DK-PEP-PREG "DK PEP: pregnancy after specific assessment" "Denmark (Sundhedsstyrelsen): pregnant women may be offered post-exposure vaccination after a specific medical assessment that the benefit outweighs the possible harm; use in breastfeeding is off-label."
* #DK-PEP-CHILD "DK PEP: children under 12 after specific assessment" "Denmark (Sundhedsstyrelsen): children under 12 may be offered post-exposure vaccination (off-label) after a specific medical assessment that the benefit outweighs the possible harm."
// 10. Denmark: pre-exposure vaccination (PrEP) target groups
* #DK-PREP-MSM-PARTNERS "DK PrEP: MSM with at least 2 male partners in 12 weeks" "Denmark (Sundhedsstyrelsen): a man who has sex with men and had intercourse with at least two male partners in the last 12 weeks is offered pre-exposure vaccination."
* #DK-PREP-MSM-STI "DK PrEP: MSM with an STI in 24 weeks" "Denmark (Sundhedsstyrelsen): a man who has sex with men and had a sexually transmitted infection in the last 24 weeks is offered pre-exposure vaccination."
* #DK-PREP-INDIVIDUAL "DK PrEP: others at higher risk, individual assessment" "Denmark (Sundhedsstyrelsen): women, trans and non-binary persons and others judged by a physician to be at higher risk may be offered pre-exposure vaccination after individual assessment."
* #DK-PREP-TRAVEL "DK PrEP: travel to clade I outbreak areas, individual assessment" "Denmark (Sundhedsstyrelsen, from 2025-02-18): travellers to areas with clade Ia and/or Ib outbreaks at particular risk (e.g. health staff, aid workers) may be vaccinated after assessment by an infectious disease physician."
* #DK-AGE "DK: approved from 12 years" "Denmark (Sundhedsstyrelsen): Imvanex is approved from 12 years of age since 2024-09-20; before that from 18."
* #DK-NOT-FOR-SALE "DK: not sold, e.g. as travel vaccine" "Denmark (Sundhedsstyrelsen): the vaccine is not sold commercially, for example as a travel vaccine."
// 11. Denmark: doses
* #DK-DOSE-SPC "DK: 0.5 mL subcutaneous, 2 doses 28 days apart" "Denmark (Sundhedsstyrelsen, product summary): 0.5 mL subcutaneously, 2 doses at least 28 days apart."
* #DK-PRIOR-MPOX "DK: earlier mpox, no vaccination" "Denmark (Sundhedsstyrelsen): after an earlier mpox infection, no vaccination is given (protected by the infection)."
* #DK-MPOX-AFTER-1 "DK: mpox after dose 1, no dose 2" "Denmark (Sundhedsstyrelsen): mpox after the first dose (PrEP or PEP) means no second dose."
* #DK-NO-BOOSTER "DK: no booster beyond 2 doses" "Denmark (Sundhedsstyrelsen): there is no evidence for more than 2 doses, so no booster is given."
* #DK-SMALLPOX "DK: earlier smallpox vaccination, 1 dose" "Denmark (Sundhedsstyrelsen): a person vaccinated against smallpox earlier needs 1 dose, or 2 doses at least 28 days apart if immunodeficient; most persons born in 1970 or earlier may be taken as smallpox vaccinated."
* #DK-ORG "DK: given by infectious disease departments" "Denmark (Sundhedsstyrelsen): vaccination is given by the departments that hand out HIV PrEP (infectious disease departments) or by regional outreach such as Checkpoint clinics."
// 12. Treatment hints
* #DK-TECO "DK: tecovirimat on specialist assessment" "Denmark (Sundhedsstyrelsen): antiviral treatment with tecovirimat after individual assessment by an infectious disease specialist, e.g. for immunodeficient patients and children at risk of severe disease."
* #NO-TECO "NO: severe illness, refer about tecovirimat" "Norway (Helsedirektoratet): severe illness or risk of a severe course means urgent referral to, or conference with, the specialist health service about tecovirimat."
// 13. Project choices where the guidelines are silent
* #PROJ-YOUNG-CHILD "Project choice: young child means under 5 years" "Project choice, not in the guidelines: for Norway's 14-day post-exposure window, 'young children' are children under 5 years of age."
* #PROJ-DOSE2-EARLY "Project choice: dose 2 before day 28 does not count" "Project choice, not in the guidelines: a second dose given less than 28 days after the first does not count; a second dose is due again at least 28 days after that early dose."
* #PROJ-NO-SERIES-RESTART "Project choice: no restart after a long gap" "Project choice, not in the guidelines: there is no maximum interval between doses; a late second dose is valid and the series is not restarted."
* #PROJ-AGE-FROM-BIRTHDATE "Project choice: age in whole years from the birth date" "Project choice: a person's age is counted in whole years on the assessment date, from the date of birth."
* #PROJ-FEVER-TODAY "Project choice: fever measured on the assessment day" "Project choice: fever counts only when a body temperature above 38.0 °C was measured on the assessment date."
* #PROJ-EXPOSURE-LAST-DAY "Project choice: day 0 is the last exposure day" "Project choice, following the digest: with repeated or prolonged exposure, the post-exposure windows count from the last exposure day (day 0)."
