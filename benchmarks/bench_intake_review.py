"""Intake + legal review of a synthetic million-row CSV: throughput and peak memory.

    .venv/bin/python benchmarks/bench_intake_review.py [--rows 1000000] [--keep DIR]

Writes the CSV and a letter, runs ``review_batch`` (two streaming passes: batch facts, then
per-row review) and prints rows per second and the peak resident set size. The peak must stay
under 2 GB whatever the row count: only fixed-size fingerprints are kept per row.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from matchgate.review import review_batch

FIRST = [
    "Maria",
    "Jose",
    "Ana",
    "Luis",
    "Carmen",
    "Juan",
    "Rosa",
    "Pedro",
    "Elena",
    "Miguel",
    "James",
    "Mary",
    "John",
    "Linda",
    "David",
    "Susan",
    "Wei",
    "Mei",
    "Nguyen",
    "Olga",
]
LAST = [
    "Garcia",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Smith",
    "Johnson",
    "Nguyen",
    "Kim",
    "Patel",
    "Cruz",
    "de la Cruz",
    "Gonzalez Ruiz",
    "Brown",
    "Davis",
    "Wilson",
]
STREETS = ["Main St", "Elm Street", "N Lamar Blvd", "Oak Ave", "Cedar Ln", "E 7th St"]
CITIES = [
    ("Austin", "TX", "78701"),
    ("Houston", "TX", "77002"),
    ("Phoenix", "AZ", "85004"),
    ("Miami", "FL", "33130"),
    ("Chicago", "IL", "60601"),
    ("Newark", "NJ", "07102"),
]
STATUTES = [
    "18 U.S.C. 1343",
    "18 USC 1028A",
    "8 U.S.C. § 1326(a)",
    "21 U.S.C. 841(a)(1)",
    "8 U.S.C. 1227",
    "18 U.S.C. 1546",
]
PLACEHOLDERS = ["Failed to Provide", "Unknown Address", "NA NA", ""]
CASES_PER_OFFICER = 500


def case_number(index: int) -> str:
    return f"HSI-2026-{index:07d}"


def tin(rng: random.Random) -> str:
    return f"{rng.randint(100, 665):03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def write_requests(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    header = [
        "Request ID",
        "First Name",
        "Middle Name",
        "Last Name",
        "Suffix",
        "DOB",
        "Street",
        "City",
        "State",
        "Zip Code",
        "SSN",
        "Tax Years",
        "Statute",
        "Case Number",
        "Reason",
    ]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        for i in range(rows):
            city, state, zip_code = rng.choice(CITIES)
            street = (
                rng.choice(PLACEHOLDERS)
                if rng.random() < 0.05
                else f"{rng.randint(1, 9999)} {rng.choice(STREETS)}"
            )
            writer.writerow(
                [
                    f"R{i:08d}",
                    rng.choice(FIRST),
                    "",
                    rng.choice(LAST),
                    "",
                    f"{rng.randint(1940, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                    if rng.random() < 0.55
                    else "",
                    street,
                    city,
                    state,
                    zip_code,
                    tin(rng) if rng.random() < 0.3 else "",
                    rng.choice(["2022-2024", "2023", "TY2021;2023", "2019"]),
                    rng.choice(STATUTES),
                    case_number(i),
                    f"Subject {i} received funds traced in case {case_number(i)}; serve a subpoena",
                ]
            )


def write_letter(path: Path, rows: int) -> None:
    lines = [
        "[letter]",
        'agency = "Department of Homeland Security"',
        'agency_code = "DHS"',
        'signer_name = "Benchmark Signer"',
        'signer_title = "Secretary of Homeland Security"',
        "date_signed = 2026-10-30",
        'safeguards_report = "SSR-DHS-2026-01"',
        "safeguards_report_date = 2026-03-16",
        'batch_description = "benchmark"',
    ]
    for officer in range(0, rows, CASES_PER_OFFICER):
        cases = ", ".join(
            f'"{case_number(i)}"' for i in range(officer, min(rows, officer + CASES_PER_OFFICER))
        )
        lines += [
            "[[officers]]",
            f'name = "Officer {officer}"',
            'title = "Special Agent"',
            f"case_numbers = [{cases}]",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / (1024 * 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        requests, letter = folder / "requests.csv", folder / "letter.toml"
        started = time.perf_counter()
        write_requests(requests, args.rows)
        write_letter(letter, args.rows)
        written = time.perf_counter()
        cpu_started = time.process_time()
        print(
            f"wrote {args.rows:,} rows ({requests.stat().st_size / 1e6:,.0f} MB) "
            f"in {written - started:,.1f} s; peak RSS so far {peak_rss_mb():,.0f} MB"
        )
        report = review_batch(requests, letter_path=letter)
        elapsed = time.perf_counter() - written
        cpu = time.process_time() - cpu_started
    peak = peak_rss_mb()
    print(
        f"intake + review: {report.row_count:,} rows in {elapsed:,.1f} s "
        f"= {report.row_count / elapsed:,.0f} rows/s (two passes); CPU {cpu:,.1f} s "
        f"= {report.row_count / cpu:,.0f} rows per CPU-second"
    )
    print(f"peak RSS: {peak:,.0f} MB (limit 2,048 MB)")
    print("outcomes:", {o.value: n for o, n in report.outcome_counts.items()})
    print("top reasons:", {r.code: r.rows for r in report.reasons[:6]})
    if peak >= 2048:
        raise SystemExit("peak RSS over 2 GB")


if __name__ == "__main__":
    main()
