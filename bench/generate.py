"""Large synthetic exports in the four sample formats of examples/, for benchmarks.

    python bench/generate.py FORMAT ROWS OUT [--seed N] [--bad-every K]

Every person is made up; Norwegian numbers use the synthetic month (+80) with correct mod-11
check digits. Rows are written as they are made (1,000,000 rows need a few MB of memory), and
the output depends only on the arguments. With `--bad-every K`, rows K, 2K, ... each carry one
defect of the kinds the samples have, in turn. Contact rows refer to case ids 1..ROWS//2; a case
file of at least that many rows (any seed) holds them: a case's country depends on its number.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import cache
from operator import mul
from pathlib import Path
from random import Random
from time import perf_counter
from typing import TypeVar
from zoneinfo import ZoneInfo

NO_HEADER = (
    "fodselsnummer;etternavn;fornavn;kjonn;vaksinasjonsdato;klokkeslett;atc;handelsnavn;"
    "batchnummer;dosenummer;administrasjonsmate;volum_ml;indikasjon;prioriteringsgruppe;"
    "vaksinator_hpr;virksomhet_orgnr;kommunenummer;merknad"
)
CASE_HEADER = (
    "case_id,country,person_id,id_type,sex,birth_date,status,symptom_onset,rash,fever,"
    "lymphadenopathy,proctitis,other_symptoms,specimen_date,pcr_result,pcr_target,clade,"
    "hospitalised,travel_country,msm,multiple_partners_21d,epi_link_case_id,reported_at,clinician_id"
)
CONTACT_HEADER = (
    "contact_id,index_case_id,country,person_id,id_type,birth_date,sex,first_exposure,"
    "last_exposure,contact_type,exposure_detail,pregnant,immunocompromised,pep_offered,pep_date,"
    "monitoring_until"
)
_K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)  # fødselsnummer / D-number check digits
_K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_ORG = (3, 2, 7, 6, 5, 4, 3, 2)  # organisation number
_NAMES = {  # (male given, female given, family) per country
    "NO": (
        "Ola Tor Magnus Kristian Jonas Henrik Anders Eirik Lars Emil Jakob Håkon Sindre Martin",
        "Ingrid Silje Marte Ida Nora Kari Emma Sofie Hanne Ingeborg Maja Thea",
        "Nilsen Berg Larsen Pedersen Hansen Haugen Bakken Andersen Johansen Olsen Dahl Lie Strand",
    ),
    "DK": (
        "Rasmus Anders Søren Mads Kasper Mikkel Frederik Jesper Christian Morten Niels",
        "Mette Anne Camilla Sofie Louise Maria Julie Ida Line Signe",
        "Andersen Jørgensen Pedersen Sørensen Jensen Nielsen Larsen Rasmussen Hansen Christensen",
    ),
}
KOMMUNER = ("0301", "1103", "1108", "4601", "5001", "3201", "4204", "3301", "3905", "5501", "1804")
MERKNADER = ("lett rødhet", "keloidtendens", "ingen reaksjon")
STEDER: tuple[str, ...] = ("Infektionsmedicinsk afd., Hvidovre", "Infektionsmedicinsk afd., Skejby")
STEDER += ("Infektionsmedicinsk afd., Odense", "Checkpoint, AIDS-Fondet")
CONTACT_TYPES: tuple[str, ...] = ("household", "sexual", "direct-unprotected", "hcw-no-ppe")
CONTACT_TYPES += ("seated-adjacent-8h", "other")
DETAILS = ("", "", "partner", "shared bedroom", "swab without gloves", "flight OSL-CPH 9h")
CASE_STATUS = ("confirmed",) * 5 + ("suspected",) * 2 + ("discarded",) * 3
PCR_RESULT = {"confirmed": "positive", "suspected": "pending", "discarded": "negative"}
CLADES = ("IIb", "IIb", "IIb", "IIb", "Ib", "Ib", "Ia", "IIa", "unknown", "")
SYMPTOMS = ("headache", "fatigue", "myalgia", "back pain")
# every subset of SYMPTOMS (the empty one three times as often), every set of 4 y/n flags
OTHER_SYMPTOMS = ["", ""] + [
    ";".join(s for i, s in enumerate(SYMPTOMS) if m >> i & 1) for m in range(16)
]
FLAGS4 = [",".join("y" if m >> i & 1 else "n" for i in range(4)) for m in range(16)]
PCR_TARGETS = ("mpxv", "mpxv", "mpxv", "opxv")
TRAVEL = ("CD", "UG", "DE", "ES", "BI", "KE", "TH") + ("",) * 7
FLAG_1_IN_5 = ("y", "n", "n", "n", "n")
MSM_M, MSM_F = ("y", "y", "y", "unknown", "n"), ("unknown", "n", "n", "n")
PARTNERS = PEP_OFFERED = ("y", "unknown", "n")

Person = tuple[str, str, str, bool, str]  # id, given, family, male, ISO birth date
Birth = tuple[str, int, str, tuple[str, int, int], tuple[str, int, int]]
Row = Callable[[int, int], str]  # (row number, defect number or 0) -> text
T = TypeVar("T")
P = TypeVar("P")


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


_VAX_DAYS = _days(date(2022, 8, 1), date(2025, 10, 31))
_Y2025 = [d.isoformat() for d in _days(date(2025, 1, 1), date(2025, 12, 31))]


def _wsum(digits: str, weights: tuple[int, ...]) -> int:
    return sum(map(mul, map(int, digits), weights))


def _birth(d: date) -> Birth:
    """ISO date, year, CPR date part, and the fnr and D-number date parts (month + 80) with
    their weighted sums for the two check digits."""
    y, m = d.year % 100, d.month + 80
    parts = (f"{day:02d}{m:02d}{y:02d}" for day in (d.day, d.day + 40))
    fnr, dnr = ((p, _wsum(p, _K1), _wsum(p, _K2)) for p in parts)
    return d.isoformat(), d.year, f"{d.day:02d}{d.month:02d}{y:02d}", fnr, dnr


@cache
def _births() -> list[Birth]:
    return [_birth(d) for d in _days(date(1945, 1, 1), date(2007, 12, 31))]


def _individual(i: int) -> tuple[str, int, int]:
    """Individual number i (its last digit: odd male) with its share of both weighted sums."""
    return f"{i:03d}", _wsum(f"{i:03d}", _K1[6:]), _wsum(f"{i:03d}", _K2[6:])


_INDIVIDUAL = [_individual(i) for i in range(1000)]


class _Gen:
    def __init__(self, seed: int) -> None:
        rng = Random(seed)
        self.random = rng.random
        self.births = _births()
        # people are unique: each (birth date, sex, kind) hands out its serial numbers in a
        # shuffled order, so numbers repeat only after ~5 million people of one country
        self.serials = {"NO": rng.sample(range(250), 250), "DK": rng.sample(range(1000), 1000)}
        self.used = {c: [0] * (4 * len(self.births)) for c in ("NO", "DK")}
        self.names = {c: tuple(p.split() for p in v) for c, v in _NAMES.items()}
        units = [(self.orgnr(), self.pick(KOMMUNER)) for _ in range(300)]
        hpr = [str(self.int(1_000_000, 99_999_999)) for _ in range(2000)]
        self.vaccinators = [(h, *self.pick(units)) for h in hpr]  # HPR, orgnr, municipality
        self.lots = [f"FDP{self.int(10000, 99999)}" for _ in range(500)]
        self.sor = {sted: "".join(str(self.int(0, 9)) for _ in range(15)) for sted in STEDER}

    def int(self, lo: int, hi: int) -> int:
        """Uniform in lo..hi (inclusive); faster than randint."""
        return lo + int(self.random() * (hi - lo + 1))

    def pick(self, items: tuple[T, ...] | list[T]) -> T:
        return items[int(self.random() * len(items))]

    def chance(self, p: float) -> bool:
        return self.random() < p

    def orgnr(self) -> str:
        while True:
            base = str(self.int(80_000_000, 99_999_999))
            if (check := (11 - _wsum(base, _ORG) % 11) % 11) < 10:
                return base + str(check)

    def person(self, country: str, dnr: bool = False) -> Person:
        male = self.chance(0.8)
        names, serials, used = self.names[country], self.serials[country], self.used[country]
        given, family = self.pick(names[0 if male else 1]), self.pick(names[2])
        while True:
            b = int(self.random() * len(self.births))
            iso, year, ddmmyy, fnr, dnr_part = self.births[b]
            slot = (b * 2 + dnr) * 2 + male
            serial = serials[used[slot] % len(serials)] * 2 + male  # last digit odd: male
            used[slot] += 1
            if country == "DK":  # 7th digit 0-3: 1900s; 4 or 9: 2000-2036
                seq = serial if year < 2000 else serial + (4000 if serial < 1000 else 8000)
                return f"{ddmmyy}{seq:04d}", given, family, male, iso
            base, s1, s2 = dnr_part if dnr else fnr
            # individual number 000-499: born in the 1900s, 500-999: in 2000-2039
            ind, i1, i2 = _INDIVIDUAL[serial + (0 if year < 2000 else 500)]
            k1 = (11 - (s1 + i1) % 11) % 11
            k2 = (11 - (s2 + i2 + 2 * k1) % 11) % 11
            if k1 < 10 and k2 < 10:  # a check digit of 10 is no digit: try another number
                return f"{base}{ind}{k1}{k2}", given, family, male, iso


def _doses(g: _Gen, new: Callable[[], P]) -> Callable[[], tuple[int, int, P]]:
    """(dose number, index in _VAX_DAYS, person) for each row: about 40 % of rows are the
    second dose of a person seen earlier, 28-84 days after the first."""
    pending: list[tuple[int, P]] = []

    def next_dose() -> tuple[int, int, P]:
        if pending and (len(pending) > 2000 or g.chance(0.4)):
            i = int(g.random() * len(pending))
            pending[i], pending[-1] = pending[-1], pending[i]
            day, person = pending.pop()
            return 2, day, person
        person, gap = new(), g.int(28, 84)
        day = g.int(0, len(_VAX_DAYS) - 1 - gap)
        if g.chance(2 / 3):  # 0.6 of rows are new people, 2/3 of them come back: 0.4
            pending.append((day + gap, person))
        return 1, day, person

    return next_dose


def _no(g: _Gen, rows: int) -> tuple[str, Row, str]:
    dates = [f"{d:%d.%m.%Y}" for d in _VAX_DAYS]

    def new() -> tuple[Person, str, str, str, str, str, tuple[str, str], str]:
        ppv = g.chance(0.8)
        return (
            g.person("NO", dnr=g.chance(0.05)),
            *g.pick(g.vaccinators),
            "PPV" if ppv else "PEPV",
            g.pick(("1", "2", "2", "3", "3", "3")) if ppv else "",
            ("subkutant", "0,5") if not ppv or g.chance(0.2) else ("intradermalt", "0,1"),
            g.pick(MERKNADER) if g.chance(0.2) else "",
        )

    doses = _doses(g, new)

    def row(n: int, bad: int) -> str:
        dose, day, p = doses()
        (pid, given, family, male, _), hpr, org, kommune, ind, group, (route, vol), note = p
        when = dates[day]
        if bad % 5 == 1:
            when = ""
        elif bad % 5 == 2:
            when = g.pick(("31.02", "30.02", "31.04", "31.06", "31.09", "31.11")) + when[5:]
        elif bad % 5 == 3:
            route = g.pick(("intramuskulært", "oralt", "im"))
        elif bad % 5 == 4:
            route, vol = "intradermalt", "5"
        elif bad:
            pid = pid[:-1] + str((int(pid[-1]) + 1) % 10)  # the second check digit is wrong
        clock = f"{g.int(8, 15):02d}:{g.pick(('00', '15', '30', '45'))}"
        return (
            f"{pid};{family};{given};{'M' if male else 'K'};{when};{clock};J07BX01;Imvanex;"
            f"{g.pick(g.lots)};{dose};{route};{vol};{ind};{group};{hpr};{org};{kommune};{note}\r\n"
        )

    return "\ufeff" + NO_HEADER + "\r\n", row, ""


def _dk(g: _Gen, rows: int) -> tuple[str, Row, str]:
    noon = (datetime.combine(d, time(12), ZoneInfo("Europe/Copenhagen")) for d in _VAX_DAYS)
    stamps = [(t.date().isoformat(), t.isoformat()[-6:]) for t in noon]  # date, UTC offset
    width = max(6, len(str(rows)))
    start = g.int(0, 10**width - 1)

    def new() -> tuple[Person, str, int, int]:
        return g.person("DK"), "PrEP" if g.chance(0.8) else "PEP", g.int(9, 15), g.int(0, 59)

    doses = _doses(g, new)

    def row(n: int, bad: int) -> str:
        dose, day, ((cpr, given, family, _, _), ind, hour, minute) = doses()
        iso, offset = stamps[day]
        record_id = f"RH-{iso[:4]}-{(start + n * 618_033) % 10**width:0{width}d}"  # all distinct
        vaccine, atc = "Imvanex", '"atc": "J07BX01", '
        if bad % 3 == 1:
            cpr += str(g.int(0, 9))
        elif bad % 3 == 2:
            vaccine, atc = "Ukendt", ""
        elif bad:
            iso = f"{iso[:5]}13{iso[7:]}"
        sted = g.pick(STEDER)
        status = "annulleret" if g.chance(0.03) else "gennemført"
        return (
            f'{"," if n > 1 else ""}\n  {{"id": "{record_id}", "cpr": "{cpr}", '
            f'"navn": {{"fornavn": "{given}", "efternavn": "{family}"}}, '
            f'"vaccination": {{"tidspunkt": "{iso}T{hour:02d}:{minute:02d}:00{offset}", '
            f'"vaccine": "{vaccine}", {atc}"batch": "{g.pick(g.lots)}", "dosis": {dose}, '
            f'"administrationsvej": "subkutan", "maengde_ml": 0.5, "indikation": "{ind}", '
            f'"sted": "{sted}", "sor": "{g.sor[sted]}"}}, "status": "{status}"}}'
        )

    head = (
        '{\n "eksport": {"system": "Regional vaccinationsmodul", '
        f'"genereret": "2025-11-01T06:00:00+01:00", "antal": {rows}}},\n "vaccinationer": ['
    )
    return head, row, "\n ]\n}\n"


def case_id(number: int) -> str:
    """The id of case `number`; its country depends on the number only (never on the seed)."""
    country = "DK" if (number * 2_654_435_761 >> 8) % 10 < 3 else "NO"
    return f"{country}-MPX-2025-{number:04d}"


def _line_person(g: _Gen, country: str) -> tuple[str, str, str, str]:
    dnr = country == "NO" and g.chance(0.05)
    pid, _, _, male, born = g.person(country, dnr)
    return pid, "cpr" if country == "DK" else ("dnr" if dnr else "fnr"), "MF"[not male], born


def _cases(g: _Gen, rows: int) -> tuple[str, Row, str]:
    def row(n: int, bad: int) -> str:
        cid = case_id(n)
        pid, kind, sex, born = _line_person(g, cid[:2])
        onset = g.int(0, 297)
        specimen = onset + g.int(0, 4)
        status = g.pick(CASE_STATUS)
        pcr = PCR_RESULT[status]
        clade = g.pick(CLADES) if pcr == "positive" else ""
        onset_s = _Y2025[onset]
        if bad % 3 == 1:
            status = g.pick(("probable?", "possible", "probable"))
        elif bad % 3 == 2:
            pid = ""
        elif bad:
            onset_s = "2025-02-30"
        link = case_id(g.int(max(1, n - 50), n - 1)) if n > 1 and g.chance(0.25) else ""
        msm = g.pick(MSM_M if sex == "M" else MSM_F)
        reported = f"{_Y2025[specimen + g.int(0, 1)]}T{g.int(0, 23):02d}:00"
        return (
            f"{cid},{cid[:2]},{pid},{kind},{sex},{born},{status},{onset_s},{g.pick(FLAGS4)},"
            f"{g.pick(OTHER_SYMPTOMS)},{_Y2025[specimen]},{pcr},{g.pick(PCR_TARGETS)},"
            f"{clade},{g.pick(FLAG_1_IN_5)},{g.pick(TRAVEL)},{msm},{g.pick(PARTNERS)},{link},"
            f"{reported},{g.int(1_000_000, 9_999_999)}\n"
        )

    return CASE_HEADER + "\n", row, ""


def _contacts(g: _Gen, rows: int) -> tuple[str, Row, str]:
    width, cases = max(5, len(str(rows))), max(1, rows // 2)

    def row(n: int, bad: int) -> str:
        country = "DK" if g.chance(0.4) else "NO"
        pid, kind, sex, born = _line_person(g, country)
        first = g.int(0, 300)
        last = first + (0 if g.chance(0.4) else g.int(1, 6))
        contact_type, last_s = g.pick(CONTACT_TYPES), _Y2025[last]
        if bad % 3 == 1:
            contact_type = g.pick(("kissing-cousin", "neighbour", "sexual partner"))
        elif bad % 3 == 2:
            pid = g.pick(("", "12345"))
        elif bad:
            last_s = _Y2025[first - g.int(1, 5)] if first > 5 else "2024-12-28"
        pep = g.pick(PEP_OFFERED)
        pep_date = _Y2025[last + g.int(0, 4)] if pep == "y" and g.chance(0.9) else ""
        pregnant = "y" if sex == "F" and g.chance(0.05) else "n"
        return (
            f"C-{n:0{width}d},{case_id(g.int(1, cases))},{country},{pid},{kind},{born},{sex},"
            f"{_Y2025[first]},{last_s},{contact_type},{g.pick(DETAILS)},{pregnant},"
            f"{g.pick(FLAG_1_IN_5)},{pep},{pep_date},{_Y2025[last + 21]}\n"
        )

    return CONTACT_HEADER + "\n", row, ""


_FORMATS = {
    "no-municipal-vaccinations": _no,
    "dk-regional-vaccinations": _dk,
    "case-linelist": _cases,
    "contact-linelist": _contacts,
}
FORMATS = tuple(_FORMATS)


def generate(format: str, rows: int, out: Path, seed: int = 0, bad_every: int = 0) -> None:
    """Write `rows` synthetic records of `format` to `out`, every `bad_every`-th one defective."""
    if format not in _FORMATS:
        raise ValueError(f"unknown format {format!r} (one of {', '.join(FORMATS)})")
    if rows < 0 or bad_every < 0:
        raise ValueError("rows and bad_every must not be negative")
    head, row, tail = _FORMATS[format](_Gen(seed), rows)
    with out.open("w", encoding="utf-8", newline="", buffering=1 << 20) as f:
        f.write(head)
        k = bad_every or rows + 1  # row n is defect number n // k when k divides n
        for start in range(1, rows + 1, 10_000):  # join 10,000 rows, then write them
            batch = range(start, min(rows + 1, start + 10_000))
            f.write("".join([row(n, 0 if n % k else n // k) for n in batch]))
        f.write(tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Large synthetic exports in the sample formats.")
    parser.add_argument("format", choices=FORMATS)
    parser.add_argument("rows", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bad-every", type=int, default=0, metavar="K")
    args = parser.parse_args(argv)
    began = perf_counter()
    generate(args.format, args.rows, args.out, args.seed, args.bad_every)
    took = perf_counter() - began
    bad = args.rows // args.bad_every if args.bad_every > 0 else 0
    size, rate = args.out.stat().st_size / 1e6, args.rows / max(took, 1e-9)
    print(
        f"{args.format}: {args.rows} rows ({bad} defective) -> {args.out}: "
        f"{size:.1f} MB in {took:.2f} s ({rate:,.0f} rows/s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
