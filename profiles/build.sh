#!/usr/bin/env bash
# Compile the mpox FHIR Shorthand (profiles/fsh) with the pinned SUSHI, with snapshots, and copy
# the conformance resources (StructureDefinition-*, ValueSet-*, CodeSystem-*, ConceptMap-*,
# OperationDefinition-*.json) to OUTPUT_DIR (default: mpox_adapter/profiles/, where the package
# ships them). Offline: SUSHI loads only hl7.fhir.r4.core#4.0.1, which is taken from the
# adapter's verified cache (`mpox-adapter definitions path`).
#
# usage: bash profiles/build.sh [OUTPUT_DIR]
# env:   MPOX_ADAPTER  the mpox-adapter command (default: .venv/bin/mpox-adapter in the repo root)
#        FHIR_HOME     where SUSHI looks for packages (default: ~/.fhir)
# Exits non-zero when SUSHI reports any error or any warning.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="${1:-$root/mpox_adapter/profiles}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
adapter="${MPOX_ADAPTER:-$root/.venv/bin/mpox-adapter}"
core_id='hl7.fhir.r4.core#4.0.1'
fhir_packages="${FHIR_HOME:-$HOME/.fhir}/packages"

command -v node >/dev/null || { echo "build.sh: node is not installed" >&2; exit 2; }
command -v npm >/dev/null || { echo "build.sh: npm is not installed" >&2; exit 2; }

# 1. The FHIR core package where SUSHI looks for it.
if [[ ! -f "$fhir_packages/$core_id/package/package.json" ]]; then
    if ! core="$("$adapter" definitions path 2>/dev/null)"; then
        "$adapter" definitions fetch >&2
        core="$("$adapter" definitions path)"
    fi
    if [[ ! -f "$core/package/package.json" ]]; then
        echo "build.sh: no FHIR core package at $core/package" >&2
        exit 1
    fi
    mkdir -p "$fhir_packages"
    rm -rf "${fhir_packages:?}/$core_id"
    ln -s "$core" "$fhir_packages/$core_id"
fi

# 2. The pinned SUSHI (profiles/package-lock.json).
if [[ ! -x "$here/node_modules/.bin/sushi" ]]; then
    (cd "$here" && npm ci --silent --no-audit --no-fund)
fi

# 3. Compile. SUSHI's own exit code covers errors only, so the summary line is checked too.
rm -rf "$here/fsh/fsh-generated"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
(cd "$here/fsh" && "$here/node_modules/.bin/sushi" build --snapshot .) >"$log" 2>&1 || status=$?
summary="$(grep -E '[0-9]+ Errors? +[0-9]+ Warnings?' "$log" | tail -n 1 || true)"
errors="$(sed -E 's/.* ([0-9]+) Errors?.*/\1/' <<<"$summary")"
warnings="$(sed -E 's/.* ([0-9]+) Warnings?.*/\1/' <<<"$summary")"
if [[ $status -ne 0 || -z "$summary" || "$errors" != 0 || "$warnings" != 0 ]]; then
    cat "$log" >&2
    echo "build.sh: SUSHI failed (exit $status; ${errors:-?} errors, ${warnings:-?} warnings)" >&2
    exit 1
fi

# 4. Replace the conformance resources in the output folder.
generated="$here/fsh/fsh-generated/resources"
shopt -s nullglob
for f in "$out"/StructureDefinition-*.json "$out"/ValueSet-*.json \
    "$out"/CodeSystem-*.json "$out"/ConceptMap-*.json "$out"/OperationDefinition-*.json; do
    rm -f "$f"
done
files=("$generated"/*.json)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "build.sh: SUSHI generated no resources" >&2
    exit 1
fi
cp "${files[@]}" "$out/"
echo "build.sh: ${#files[@]} conformance resources in $out (SUSHI: 0 errors, 0 warnings)"
