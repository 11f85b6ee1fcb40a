// Invariants (FHIRPath as in FHIR R4: evaluable by the HL7 Java validator and fhirpathpy).
// The identifier invariants sit on the identifier slices of mpox-patient, so `value` is the
// identifier's value. Check digits: weights 3,7,6,1,8,9,4,5,2 (first) and 5,4,3,2,7,6,5,4,3,2
// (second); remainder r gives 11 - r, where 11 means 0 and 10 means the number is invalid
// ((11 - r) mod 11 = 10 can never equal a single digit).

Invariant: mpox-fnr
Description: "A Norwegian national identity number (fødselsnummer) has 11 digits: day 01-31, month 01-12 (or 81-92 for synthetic test numbers, month + 80), year, a three-digit individual number and two mod-11 check digits that must be correct."
Severity: #error
Expression: "value.matches('^(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2]|8[1-9]|9[0-2])[0-9]{7}$') and (11 - ((3 * value.substring(0, 1).toInteger() + 7 * value.substring(1, 1).toInteger() + 6 * value.substring(2, 1).toInteger() + 1 * value.substring(3, 1).toInteger() + 8 * value.substring(4, 1).toInteger() + 9 * value.substring(5, 1).toInteger() + 4 * value.substring(6, 1).toInteger() + 5 * value.substring(7, 1).toInteger() + 2 * value.substring(8, 1).toInteger()) mod 11)) mod 11 = value.substring(9, 1).toInteger() and (11 - ((5 * value.substring(0, 1).toInteger() + 4 * value.substring(1, 1).toInteger() + 3 * value.substring(2, 1).toInteger() + 2 * value.substring(3, 1).toInteger() + 7 * value.substring(4, 1).toInteger() + 6 * value.substring(5, 1).toInteger() + 5 * value.substring(6, 1).toInteger() + 4 * value.substring(7, 1).toInteger() + 3 * value.substring(8, 1).toInteger() + 2 * value.substring(9, 1).toInteger()) mod 11)) mod 11 = value.substring(10, 1).toInteger()"

Invariant: mpox-dnr
Description: "A Norwegian D-number has 11 digits like a fødselsnummer, but with 4 added to the first digit of the day (41-71); month 01-12 (or 81-92 for synthetic test numbers); the two mod-11 check digits must be correct."
Severity: #error
Expression: "value.matches('^(4[1-9]|[56][0-9]|7[01])(0[1-9]|1[0-2]|8[1-9]|9[0-2])[0-9]{7}$') and (11 - ((3 * value.substring(0, 1).toInteger() + 7 * value.substring(1, 1).toInteger() + 6 * value.substring(2, 1).toInteger() + 1 * value.substring(3, 1).toInteger() + 8 * value.substring(4, 1).toInteger() + 9 * value.substring(5, 1).toInteger() + 4 * value.substring(6, 1).toInteger() + 5 * value.substring(7, 1).toInteger() + 2 * value.substring(8, 1).toInteger()) mod 11)) mod 11 = value.substring(9, 1).toInteger() and (11 - ((5 * value.substring(0, 1).toInteger() + 4 * value.substring(1, 1).toInteger() + 3 * value.substring(2, 1).toInteger() + 2 * value.substring(3, 1).toInteger() + 7 * value.substring(4, 1).toInteger() + 6 * value.substring(5, 1).toInteger() + 5 * value.substring(6, 1).toInteger() + 4 * value.substring(7, 1).toInteger() + 3 * value.substring(8, 1).toInteger() + 2 * value.substring(9, 1).toInteger()) mod 11)) mod 11 = value.substring(10, 1).toInteger()"

Invariant: mpox-cpr
Description: "A Danish CPR number has 10 digits without a hyphen (DDMMYYSSSS): day 01-31 and month 01-12. Its last digit is not a mod-11 check digit: Denmark stopped guaranteeing mod-11 in 2007, so valid CPR numbers may fail that check and it is not applied."
Severity: #error
Expression: "value.matches('^(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])[0-9]{6}$')"

Invariant: mpox-exposure-period
Description: "When the exposure is given as a period, the last exposure day (end) must not be before the first (start)."
Severity: #error
Expression: "effective.ofType(Period).all(start.empty() or end.empty() or end >= start)"

Invariant: mpox-risk-factor-value
Description: "The number of male sexual partners (male-partners) is recorded as a whole number, not as yes/no; every other risk factor is recorded as yes (true) or no (false), not as a number."
Severity: #error
Expression: "iif(code.coding.where(system = 'http://mpox-adapter.org/fhir/CodeSystem/risk-factor' and code = 'male-partners').exists(), value.ofType(boolean).empty(), value.ofType(integer).empty())"

Invariant: mpox-imm-route
Description: "A completed mpox vaccination states the route of administration (intradermal or subcutaneous)."
Severity: #error
Expression: "status = 'completed' implies route.exists()"

Invariant: mpox-imm-dose
Description: "A completed mpox vaccination states the volume given (0.1 mL intradermal or 0.5 mL subcutaneous)."
Severity: #error
Expression: "status = 'completed' implies doseQuantity.exists()"

Invariant: mpox-imm-lot
Description: "A completed mpox vaccination states the lot (batch) number of the vaccine."
Severity: #error
Expression: "status = 'completed' implies lotNumber.exists()"

Invariant: mpox-imm-dose-number
Description: "A completed mpox vaccination states which dose in the series it was (1, 2, ...)."
Severity: #error
Expression: "status = 'completed' implies protocolApplied.doseNumber.exists()"

// The volumes are compared with a tolerance of 0.001 mL rather than with `=`: a JSON number read
// as a binary float (0.1 is not exact in binary) would otherwise not equal the decimal 0.1.
Invariant: mpox-imm-intradermal
Description: "In a completed mpox vaccination, an intradermal dose is the fractional dose of 0.1 mL, and a 0.1 mL dose is given intradermally."
Severity: #error
Expression: "(status = 'completed' and route.exists() and doseQuantity.value.exists()) implies (route.coding.where(system = 'http://snomed.info/sct' and code = '372464004').exists() = ((doseQuantity.value - 0.1).abs() < 0.001))"

Invariant: mpox-imm-subcutaneous
Description: "In a completed mpox vaccination, a subcutaneous dose is the full dose of 0.5 mL, and a 0.5 mL dose is given subcutaneously."
Severity: #error
Expression: "(status = 'completed' and route.exists() and doseQuantity.value.exists()) implies (route.coding.where(system = 'http://snomed.info/sct' and code = '34206005').exists() = ((doseQuantity.value - 0.5).abs() < 0.001))"
