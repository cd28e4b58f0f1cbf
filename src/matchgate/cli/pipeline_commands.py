"""Commands for the main job: generate a world, run a batch, match only, train, evaluate."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from matchgate.decisions import Outcome

if TYPE_CHECKING:
    from matchgate.batch.pipeline import BatchResult

__all__ = ["register"]

console = Console()

MasterOption = Annotated[
    Path,
    typer.Option(
        "--master",
        help="Taxpayer master file (Parquet or CSV), prepared in the workspace first if it "
        "is not (matchgate master prepare); or a prepared master's folder.",
    ),
]
RequestsOption = Annotated[
    Path,
    typer.Option("--requests", help="Request batch (CSV, XLSX, Parquet, JSONL, TIN bulk)."),
]
OutOption = Annotated[Path, typer.Option("--out", help="Output folder.")]
WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        help="Workspace folder (ledger, model, batch databases). "
        "Default: $MATCHGATE_WORKSPACE, else OUT/workspace.",
    ),
]
MappingOption = Annotated[
    Path | None, typer.Option("--mapping", help="Column-mapping TOML for the request file.")
]
PolicyOption = Annotated[Path | None, typer.Option("--policy", help="Policy TOML file.")]
ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model",
        help="Trained model JSON (default: the one trained for the prepared master, "
        "WORKSPACE/master/KEY/model.json).",
    ),
]
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where Splink scores the candidate pairs: 'duckdb' (default) or 'spark' (local "
        "Spark, or the cluster of spark-submit; needs pyspark and Java; docs/SPARK.md). "
        "The decisions are the same.",
    ),
]


def _workspace(workspace: Path | None) -> Path | None:
    if workspace is not None:
        return workspace
    configured = os.environ.get("MATCHGATE_WORKSPACE")
    return Path(configured) if configured else None


@contextmanager
def _progress() -> Iterator[object]:
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, object] = {}

        def report(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        yield report


def _outcome_table(title: str, outcomes: dict[str, int]) -> Table:
    table = Table(title=title)
    table.add_column("outcome")
    table.add_column("rows", justify="right")
    for outcome in Outcome:
        table.add_row(outcome.value, f"{outcomes.get(outcome.value, 0):,}")
    return table


def generate(
    people: Annotated[int, typer.Option("--people", help="Number of taxpayers.")] = 10_000,
    requests: Annotated[int, typer.Option("--requests", help="Number of request rows.")] = 1_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 1,
    out: OutOption = Path("world"),
    deficient_letter: Annotated[
        bool, typer.Option("--deficient-letter", help="Write a letter that fails review.")
    ] = False,
    mix: Annotated[
        str,
        typer.Option(
            "--mix",
            help="Who requests are about: 'stress' (every hazard at a measurable rate) or "
            "'census' (everyone equally likely: hazards at population rates) or 'noisy' (the "
            "census world with 1-3 benchmark-style corruptions per request row).",
        ),
    ] = "stress",
) -> None:
    """Write a synthetic world: master file, request batch, signed letter, agency, truth."""
    from matchgate.synth import generate_world

    started = time.perf_counter()
    summary = generate_world(
        out,
        people=people,
        requests=requests,
        seed=seed,
        deficient_letter=deficient_letter,
        request_mix=mix,
    )
    console.print(
        f"wrote synthetic world to [bold]{out}[/] "
        f"({people:,} people, {requests:,} requests, seed {seed}) "
        f"in {time.perf_counter() - started:.1f}s"
    )
    del summary


def run(
    master: MasterOption,
    requests: RequestsOption,
    letter: Annotated[Path, typer.Option("--letter", help="The signed request letter (TOML).")],
    out: OutOption,
    workspace: WorkspaceOption = None,
    policy: PolicyOption = None,
    mapping: MappingOption = None,
    model: ModelOption = None,
    actor: Annotated[str, typer.Option("--actor", help="Who runs the batch.")] = "matchgate",
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="MATCHGATE_LEDGER_URL",
            help="The server's database URL (PostgreSQL): the ledger, and the agency "
            "registry the letter is judged against; default WORKSPACE/ledger.sqlite and "
            "WORKSPACE/agencies.sqlite.",
        ),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            envvar="MATCHGATE_LEDGER_KEY",
            help="The ledger's private signing key (default: the per-user key of the"
            " workspace's ledger in ~/.config/matchgate/keys, outside the workspace).",
        ),
    ] = None,
    engine: EngineOption = "duckdb",
) -> None:
    """Run a request batch through intake, review, match, disclose and the ledger."""
    from matchgate.batch.pipeline import run_batch

    with _progress() as report:
        result = run_batch(
            master=master,
            requests=requests,
            letter=letter,
            out_dir=out,
            workspace=_workspace(workspace),
            policy_path=policy,
            mapping=mapping,
            model_path=model,
            actor=actor,
            ledger_url=database_url,
            ledger_key=key_file,
            registry_url=database_url,  # the agency registry lives in the same database
            progress=report,  # type: ignore[arg-type]
            engine=engine,
        )
    console.print(_outcome_table(f"batch {result.batch_id}", result.outcomes))
    console.print(
        f"rows in {result.rows_in:,}, rows out {result.rows_out:,}; "
        f"response: {out / 'response.csv'}; summary: {out / 'summary.json'}"
    )
    _say_if_not_final(result)


def _say_if_not_final(result: BatchResult) -> None:
    if not result.response_final:
        console.print(
            f"[bold yellow]The response is not final:[/] {result.rows_pending_review:,} row(s) "
            "wait for a person's review (outcome pending_review). Do not release it to the "
            "requester until no row is pending."
        )


def match(
    master: MasterOption,
    requests: RequestsOption,
    out: OutOption,
    workspace: WorkspaceOption = None,
    mapping: MappingOption = None,
    model: ModelOption = None,
    policy: PolicyOption = None,
    engine: EngineOption = "duckdb",
) -> None:
    """Intake and matching only: no legal review, no disclosure, nothing in the ledger."""
    from matchgate.batch.pipeline import match_batch
    from matchgate.match.policy import load_match_policy

    with _progress() as report:
        result = match_batch(
            master=master,
            requests=requests,
            out_dir=out,
            workspace=_workspace(workspace),
            mapping=mapping,
            model_path=model,
            policy=load_match_policy(policy),
            progress=report,  # type: ignore[arg-type]
            engine=engine,
        )
    console.print(
        _outcome_table("matching only ('disclosed' = would be disclosed)", result.outcomes)
    )
    console.print(f"decisions: {out / 'internal' / 'decisions.csv'}")


def train(
    master: MasterOption,
    requests: RequestsOption,
    out: Annotated[Path, typer.Option("--out", help="Where to write the model JSON.")],
    mapping: MappingOption = None,
) -> None:
    """Train the match model (EM) on a master file and a request batch; save it as JSON."""
    from matchgate.batch.training import train_from_files

    model = train_from_files(master=master, requests=requests, out=out, mapping=mapping)
    console.print(f"model written to [bold]{out}[/]")
    for note in model.trained.get("floors_applied", []):
        console.print(f"  {note}")


def eval_command(
    truth: Annotated[Path, typer.Option("--truth", help="Ground truth CSV (request_id, tin).")],
    decisions: Annotated[
        Path, typer.Option("--decisions", help="internal/decisions.csv from run or match.")
    ],
) -> None:
    """Score decisions against ground truth; prints one JSON object."""
    from matchgate.evaluate import evaluate

    typer.echo(json.dumps(evaluate(truth=truth, decisions=decisions), indent=2))


def demo(
    out: Annotated[Path, typer.Option("--out", help="Demo folder.")] = Path("demo-output"),
    people: Annotated[int, typer.Option("--people")] = 20_000,
    requests: Annotated[int, typer.Option("--requests")] = 2_000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    mix: Annotated[
        str, typer.Option("--mix", help="'census', 'stress' or 'noisy' (see generate).")
    ] = ("census"),
) -> None:
    """Generate a small world, run the whole pipeline on it, and score it."""
    from matchgate.batch.pipeline import run_batch
    from matchgate.evaluate import evaluate
    from matchgate.review.registry import AgencyRegistryStore
    from matchgate.synth import generate_world

    started = time.perf_counter()
    world = out / "world"
    console.rule("1. synthetic world")
    generate_world(world, people=people, requests=requests, seed=seed, request_mix=mix)
    console.print(f"{people:,} taxpayers, {requests:,} request rows ({mix} mix) -> {world}")
    console.print(
        f"the agency signed its letter with {world / 'agency.key'}; the office registers the "
        f"agency's public key: matchgate agency add --workspace {out / 'workspace'} "
        f"{world / 'agency.toml'}"
    )
    with AgencyRegistryStore.open(out / "workspace") as registry:
        registry.add_file(world / "agency.toml", actor="matchgate demo")
    console.rule("2. run the batch (intake, review, match, disclose, ledger)")
    with _progress() as report:
        result = run_batch(
            master=world / "master.parquet",
            requests=world / "requests.csv",
            letter=world / "letter.toml",
            out_dir=out / "response",
            workspace=out / "workspace",
            progress=report,  # type: ignore[arg-type]
        )
    console.print(_outcome_table("outcomes", result.outcomes))
    _say_if_not_final(result)
    console.rule("3. accuracy against ground truth")
    scores = evaluate(
        truth=world / "truth.csv", decisions=out / "response" / "internal" / "decisions.csv"
    )
    table = Table()
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in (
        "disclosures",
        "wrong_person_disclosures",
        "precision",
        "in_file_requests",
        "recall",
        "answerable_requests",
        "recall_of_answerable",
        "recall_of_right_answers",
        "model_expected_wrong_disclosures",
    ):
        table.add_row(key, str(scores[key]))
    console.print(table)
    console.print(
        f"rows in {result.rows_in:,} = rows out {result.rows_out:,}\n"
        f"response to the requester: {out / 'response' / 'response.csv'}\n"
        f"internal decisions:        {out / 'response' / 'internal' / 'decisions.csv'}\n"
        f"summary:                   {out / 'response' / 'summary.json'}\n"
        f"ledger:                    {out / 'workspace'} "
        f"(check it: matchgate ledger verify --workspace {out / 'workspace'})\n"
        f"demo took {time.perf_counter() - started:.1f}s"
    )


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
    app.command("run")(run)
    app.command("match")(match)
    app.command("train")(train)
    app.command("eval")(eval_command)
    app.command("demo")(demo)
