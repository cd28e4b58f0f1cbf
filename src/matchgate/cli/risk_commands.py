"""``matchgate risk``: what a request design would do, before an agency sends a million rows."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["register"]


def risk_command(
    design: Annotated[
        list[str],
        typer.Option(
            "--design",
            help="Fields every request carries: name+state, name+zip, name+address,"
            " name+dob+address, tin+name_control, tin+name+address (repeat for several).",
        ),
    ],
    batch_size: Annotated[
        list[int],
        typer.Option("--batch-size", help="Rows in the batch to estimate for (repeatable)."),
    ],
    master: Annotated[
        Path | None,
        typer.Option(
            "--master",
            help="A generated world's master.parquet (its folder's requests.csv, truth.csv,"
            " letter.toml and agency key are used). Default: generate a world.",
        ),
    ] = None,
    people: Annotated[int, typer.Option("--people", help="People in a generated world.")] = 20_000,
    requests: Annotated[
        int, typer.Option("--requests", help="Request rows measured in a generated world.")
    ] = 2_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of a generated world.")] = 1,
    master_size: Annotated[
        int,
        typer.Option(
            "--master-size",
            help="Taxpayers in the real master file, for the name+state/name+zip estimate at"
            " scale (an assumption: about 160 million individual returns a year).",
        ),
    ] = 160_000_000,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for risk.csv, risk.png and the batches run.")
    ] = Path("risk"),
) -> None:
    """A naive matcher's wrong identifications beside matchgate's outcomes, per design.

    Measured per row on a synthetic world (census mix), then multiplied by the batch size;
    the world keeps its population density, so on the real master file (more namesakes)
    the naive figures can only be higher.
    """
    from matchgate.report.risk import DESIGNS, extrapolate, measure_design, plot_risk
    from matchgate.safe_csv import SafeCsvWriter
    from matchgate.synth import generate_world

    unknown = [name for name in design if name not in DESIGNS]
    if unknown:
        raise typer.BadParameter(
            f"unknown design {', '.join(unknown)} (known: {', '.join(DESIGNS)})",
            param_hint="--design",
        )
    if any(size < 1 for size in batch_size):
        raise typer.BadParameter("a batch size is at least 1", param_hint="--batch-size")
    console = Console()
    out.mkdir(parents=True, exist_ok=True)
    if master is not None:
        world = master.parent
    else:
        world = Path(tempfile.mkdtemp(prefix="world-", dir=out))
        console.print(f"generating a census-mix world of {people:,} people, {requests:,} requests")
        generate_world(
            world, people=people, requests=requests, seed=seed, request_mix="census",
            legal_deficiency_rate=0.0,
        )  # fmt: skip
    measures = []
    for name in design:
        console.print(f"measuring {name} ...", highlight=False)
        measures.append(measure_design(world, name, work=out / "batches", master_size=master_size))
    rows = [extrapolate(measure, size) for measure in measures for size in batch_size]
    table = Table(title="Wrong identifications per request design (extrapolated per row)")
    for header in (
        "design", "batch size", "naive: named", "naive: wrong (world)",
        f"naive: wrong ({master_size:,} taxpayers)", "matchgate: disclosed",
        "matchgate: wrong", "matchgate: refused", "matchgate: review",
    ):  # fmt: skip
        table.add_column(header, justify="left" if header == "design" else "right")
    for row in rows:
        values = row.as_dict()
        table.add_row(
            str(values["design"]),
            *(f"{values[k]:,}" if isinstance(values[k], int) else "-" for k in list(values)[1:]),
        )
    console.print(table)
    measured = Table(title="Measured on the world")
    for header in ("design", "rows", "people in world", "naive named", "naive wrong",
                   "disclosed", "disclosed wrong", "refused", "review"):  # fmt: skip
        measured.add_column(header, justify="left" if header == "design" else "right")
    for m in measures:
        measured.add_row(
            m.design, f"{m.rows:,}", f"{m.world_people:,}", f"{m.naive_named:,}",
            f"{m.naive_wrong:,.1f}", f"{m.disclosed:,}", f"{m.disclosed_wrong:,}",
            f"{m.refused:,}", f"{m.review:,}",
        )  # fmt: skip
    console.print(measured)
    SafeCsvWriter.write_file(out / "risk.csv", list(rows[0].as_dict()), [r.as_dict() for r in rows])
    plot_risk(measures, out / "risk.png")
    console.print(
        f"wrote {out / 'risk.csv'} and {out / 'risk.png'}. Method: the world's requests cut to"
        " each design's fields; the naive matcher names one of the taxpayers whose filings"
        " agree on every field given (expected wrong: (k-1)/k of k tied candidates, 1 when the"
        " person is not among them); matchgate runs every stage; counts per row times the"
        " batch size. For name+state and name+zip the naive matcher is also estimated at"
        " --master-size taxpayers: namesakes in the state (ZIP) as Poisson with mean"
        " p(first name) x p(surname) x share(state) x master size, frequencies measured on"
        " the world.",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("risk")(risk_command)
