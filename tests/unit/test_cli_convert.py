"""`mpox-adapter convert`: outputs, the errors file, exit codes, Bundle format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mpox_adapter.cli.main import main

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "mappings.md"
SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "no-municipal-vaccinations.csv"


def test_convert_writes_resources_and_errors_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, errors = tmp_path / "out.ndjson", tmp_path / "errors.ndjson"
    code = main(
        [
            "convert",
            "--mapping",
            "no-municipal-vaccinations",
            str(SAMPLE),
            "-o",
            str(out),
            "--errors",
            str(errors),
        ]
    )
    assert code == 1
    resources = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["resourceType"] for r in resources} == {"Patient", "Immunization", "Provenance"}
    rejected = [json.loads(line) for line in errors.read_text().splitlines()]
    assert [r["line"] for r in rejected] == [9, 25, 28, 36, 44]
    assert "46 record(s): 41 accepted, 5 rejected" in capsys.readouterr().err


def test_a_clean_file_exits_0(tmp_path: Path) -> None:
    clean = tmp_path / "clean.csv"
    lines = SAMPLE.read_bytes().split(b"\r\n")
    clean.write_bytes(b"\r\n".join(lines[:3]) + b"\r\n")
    assert (
        main(
            [
                "convert",
                "--mapping",
                "no-municipal-vaccinations",
                str(clean),
                "-o",
                str(tmp_path / "o.ndjson"),
            ]
        )
        == 0
    )


def test_bundle_format_is_a_transaction_with_conditional_creates(tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    main(
        [
            "convert",
            "--mapping",
            "no-municipal-vaccinations",
            str(SAMPLE),
            "-o",
            str(out),
            "--format",
            "bundle",
        ]
    )
    bundle = json.loads(out.read_text())
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "transaction"
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert patient["request"]["method"] == "POST"
    assert patient["request"]["ifNoneExist"].startswith("identifier=urn:oid:2.16.578.1.12.4.1.4.1|")
    immunization = next(
        e for e in bundle["entry"] if e["resource"]["resourceType"] == "Immunization"
    )
    assert immunization["resource"]["patient"]["reference"].startswith("urn:uuid:")
    assert immunization["resource"]["patient"]["reference"] in {
        e["fullUrl"] for e in bundle["entry"]
    }
    provenance = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Provenance")
    assert provenance["request"]["method"] == "PUT"


def test_unknown_mapping_and_missing_file_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["convert", "--mapping", "nope", str(SAMPLE)]) == 2
    assert "unknown mapping 'nope'" in capsys.readouterr().err
    assert main(["convert", "--mapping", "case-linelist", str(tmp_path / "absent.csv")]) == 2


def test_an_unreadable_file_is_reported_and_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"eksport": {}, "vaccinationer": 12}')
    assert (
        main(
            [
                "convert",
                "--mapping",
                "dk-regional-vaccinations",
                str(broken),
                "-o",
                str(tmp_path / "o"),
            ]
        )
        == 1
    )
    assert "broken.json" in capsys.readouterr().err


def test_the_readme_worked_example_works(tmp_path: Path) -> None:
    block = re.search(r"```yaml\n\s*(mapping: clinic-pep.*?)\n\s*```", GUIDE.read_text(), re.S)
    assert block is not None
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    yaml_text = "\n".join(line.removeprefix("   ") for line in block.group(1).splitlines())
    (mappings / "clinic-pep.yaml").write_text(yaml_text)
    source = tmp_path / "pep.csv"
    source.write_text("ssn,dose_date,lot,dose\n15839010009,2025-03-02,FDP12345,1\n")
    config = tmp_path / "c.toml"
    config.write_text(f'mappings_dir = "{mappings}"\n')
    out = tmp_path / "out.ndjson"
    assert (
        main(
            [
                "convert",
                "--config",
                str(config),
                "--mapping",
                "clinic-pep",
                str(source),
                "-o",
                str(out),
            ]
        )
        == 0
    )
    types = [json.loads(line)["resourceType"] for line in out.read_text().splitlines()]
    assert types == ["Patient", "Immunization", "Provenance"]


@pytest.mark.parametrize("mapping", ["no-municipal-vaccinations", "case-linelist"])
def test_two_worker_processes_give_what_one_gives(tmp_path: Path, mapping: str) -> None:
    """Chunks go out to worker processes and come back in input order: same resources, same
    rejected lines, same counts (only Provenance.recorded, the time of the run, may differ)."""
    from bench.generate import generate

    source = tmp_path / ("input.csv")
    generate(mapping, 3_000, source, seed=5, bad_every=7)
    outputs = {}
    for workers in ("1", "2"):
        out, errors = tmp_path / f"out-{workers}.ndjson", tmp_path / f"errors-{workers}.ndjson"
        code = main(["convert", "--mapping", mapping, str(source), "-o", str(out),
                     "--errors", str(errors), "--workers", workers])  # fmt: skip
        assert code == 1
        resources = [json.loads(line) for line in out.read_text().splitlines()]
        for resource in resources:
            resource.pop("recorded", None)
        outputs[workers] = (resources, errors.read_text())
    assert outputs["1"] == outputs["2"]
    resources, errors = outputs["2"]
    assert len(errors.splitlines()) >= 3_000 // 7
    assert len(resources) > 3 * 2_000
