// Metadata shared by every conformance resource. SUSHI sets status and version from
// sushi-config.yaml; it writes no date, so the compiled JSON is the same on every build.

RuleSet: Metadata
* ^publisher = "mpox-adapter contributors"
* ^jurisdiction[+] = $iso3166#NO "Norway"
* ^jurisdiction[+] = $iso3166#DK "Denmark"

// The same for resources written as FSH Instances (ConceptMaps), where rules have no caret.
RuleSet: InstanceMetadata(id)
* url = "http://mpox-adapter.org/fhir/ConceptMap/{id}"
* version = "0.1.0"
* status = #active
* experimental = false
* publisher = "mpox-adapter contributors"
* jurisdiction[+] = $iso3166#NO "Norway"
* jurisdiction[+] = $iso3166#DK "Denmark"
