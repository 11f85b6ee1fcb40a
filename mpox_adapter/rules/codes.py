"""The codes the rules read, exactly as `docs/data-dictionary.md` lists them.

Each table maps (system, code) to the name the facts use, so that adding an accepted
synonym is one line here and never a change to a rule.
"""

from __future__ import annotations

from mpox_adapter.rules.fhirdata import ATC, CVX, LOINC, PROJECT_CS, SNOMED, V3_ROUTE, Code

RISK_FACTOR_SYSTEM = PROJECT_CS + "risk-factor"
EXPOSURE_SYSTEM = PROJECT_CS + "exposure"
CONTACT_TYPE_SYSTEM = PROJECT_CS + "contact-type"
EXPOSURE_RISK_SYSTEM = PROJECT_CS + "exposure-risk"
INDICATION_SYSTEM = PROJECT_CS + "indication"
COMPONENT_SYSTEM = PROJECT_CS + "vaccine-component"
PRIORITY_GROUP_URL = "http://mpox-adapter.org/fhir/StructureDefinition/mpox-priority-group"

# Risk-factor Observations that state a standing yes/no fact (the latest statement wins).
FLAGS: dict[Code, str] = {
    (RISK_FACTOR_SYSTEM, "msm"): "msm",
    (RISK_FACTOR_SYSTEM, "trans"): "trans",
    (RISK_FACTOR_SYSTEM, "sells-sex-to-men"): "sells_sex_to_men",
    (RISK_FACTOR_SYSTEM, "risk-behaviour"): "risk_behaviour",
    (RISK_FACTOR_SYSTEM, "hiv-prep"): "hiv_prep",
    (RISK_FACTOR_SYSTEM, "hcw-exposed"): "hcw_exposed",
    (RISK_FACTOR_SYSTEM, "lab-live-virus"): "lab_live_virus",
    (RISK_FACTOR_SYSTEM, "travel-clade-i-area"): "travel_clade_i_area",
    (RISK_FACTOR_SYSTEM, "smallpox-vaccinated"): "smallpox_vaccinated",
    (RISK_FACTOR_SYSTEM, "keloid-tendency"): "keloid_tendency",
    (RISK_FACTOR_SYSTEM, "persistent-local-reaction"): "persistent_local_reaction",
    (RISK_FACTOR_SYSTEM, "breastfeeding"): "breastfeeding",
}
# Risk-factor Observations about a period of time (their effectivePeriod matters).
SPANS: dict[Code, str] = {
    (RISK_FACTOR_SYSTEM, "male-partners"): "male_partners",
    (RISK_FACTOR_SYSTEM, "multiple-anonymous-partners"): "multiple_anonymous_partners",
    (RISK_FACTOR_SYSTEM, "travel-mpox-area"): "travel_mpox_area",
}

MPOX: dict[Code, str] = {
    (SNOMED, "359814004"): "mpox",
    ("http://hl7.org/fhir/sid/icd-10", "B04"): "mpox",
}
CONDITIONS: dict[Code, str] = {
    (SNOMED, "86406008"): "hiv",
    (SNOMED, "76272004"): "syphilis",
    (SNOMED, "15628003"): "gonorrhoea",
    (SNOMED, "105629000"): "chlamydia",
    (SNOMED, "8098009"): "other_sti",
    (SNOMED, "234532001"): "immunodeficient",
    (SNOMED, "77386006"): "pregnant",
    (SNOMED, "24079001"): "atopic_dermatitis",
}
# Symptoms of the Danish case definition; any of them is "symptoms of mpox" (NO-CI-SYMPTOMS).
SYMPTOMS: dict[Code, str] = {
    (SNOMED, "271807003"): "rash",
    (SNOMED, "386661006"): "fever",
    (SNOMED, "25064002"): "headache",
    (SNOMED, "68962001"): "muscle_pain",
    (SNOMED, "161891005"): "back_pain",
    (SNOMED, "84229001"): "fatigue",
    (SNOMED, "30746006"): "swollen_lymph_nodes",
    (SNOMED, "3951002"): "proctitis",
}

BODY_TEMPERATURE: Code = (LOINC, "8310-5")
PREGNANCY_STATUS: Code = (LOINC, "82810-3")
PREGNANT: Code = (SNOMED, "77386006")
# Mpox-specific PCRs only: a non-variola orthopoxvirus PCR (LOINC 100434-0) does not show
# mpox virus DNA, which is what the Danish case definition asks for.
MPOX_PCR = frozenset({(LOINC, "100383-9"), (LOINC, "100889-5"), (LOINC, "100888-7")})
PCR_RESULT: dict[Code, bool] = {
    (SNOMED, "10828004"): True,
    (SNOMED, "260373001"): True,
    (SNOMED, "59774002"): True,
    (SNOMED, "260385009"): False,
    (SNOMED, "260415000"): False,
}
MPOX_EXPOSURE: Code = (EXPOSURE_SYSTEM, "mpox-exposure")
CONTACT_TYPE_COMPONENT: Code = (EXPOSURE_SYSTEM, "contact-type")
EXPOSURE_RISK_COMPONENT: Code = (EXPOSURE_SYSTEM, "exposure-risk")
# Mirrors the ConceptMap contact-type-to-exposure-risk (a unit test keeps them equal).
CONTACT_RISK = {
    "household": "high",
    "sexual": "high",
    "direct-unprotected": "high",
    "hcw-no-ppe": "high",
    "seated-adjacent-8h": "medium",
    "other": "low",
}

MPOX_VACCINES = frozenset({(CVX, "206"), (CVX, "325"), (ATC, "J07BX01"), (SNOMED, "1293025000")})
SMALLPOX_VACCINES = frozenset({(CVX, "75"), (CVX, "105"), (SNOMED, "1290624003")})
INDICATIONS: dict[Code, str] = {
    (INDICATION_SYSTEM, "pre-exposure"): "pre-exposure",
    (INDICATION_SYSTEM, "post-exposure"): "post-exposure",
}
ROUTES: dict[Code, str] = {
    (SNOMED, "372464004"): "intradermal",
    (SNOMED, "34206005"): "subcutaneous",
    (V3_ROUTE, "IDINJ"): "intradermal",
    (V3_ROUTE, "SQ"): "subcutaneous",
}
ROUTE_CODES = {"intradermal": "372464004", "subcutaneous": "34206005"}

# Vaccine ingredients and trace residues; an allergy to the vaccine itself counts too.
ALLERGENS = frozenset(
    {
        (SNOMED, "387321007"),  # gentamicin
        (SNOMED, "372840008"),  # ciprofloxacin
        (COMPONENT_SYSTEM, "benzonase"),
        (COMPONENT_SYSTEM, "chicken-protein"),
        *MPOX_VACCINES,
    }
)
HIV_PREP_MEDICATION: Code = (ATC, "J05AR03")
