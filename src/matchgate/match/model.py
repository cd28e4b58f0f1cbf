"""The match model: Splink settings, training, saving and loading.

A model file is JSON with a version header and the Splink settings inside:

    {"matchgate_model_version": 2, "splink_version": "...", "trained": {...},
     "splink_settings": {...}}

Training is unsupervised (u from random pairs, m by expectation maximisation over two
blocking passes), then the disagreement weights of the identifying fields are held to
floors: whatever EM estimates, a different first name, date of birth or suffix must count
strongly against a match, because that is what separates a father from his son.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import splink
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from matchgate import sql
from matchgate.errors import ModelError
from matchgate.match.comparisons import COMPARISONS

__all__ = [
    "DISAGREEMENT_FLOORS",
    "MODEL_VERSION",
    "MatchLinker",
    "MatchModel",
    "default_settings",
    "make_linker",
    "train_model",
    "training_fingerprint",
]

# 7: address:street_spelling never reads another box or route (RR 2 BOX / RR 3 BOX) or another
#    numbered road (COUNTY RD 12 / 13) as a typo: a saved version-6 model holds the old SQL
# 6: street types misspelt twice, cut short or joined on misspelt; LOT/TRLR/SPC spaces apart
#    from flats (places[].space, type_words); first-name "close" from 4 letters, surname
#    "close" one typo in 2-3 letters
# 5: street names two edits apart from 5 letters (address:written_differently); name level
#    "swapped_close"; first-name "close" also one typo in 3 letters
# 4: first-name and surname level "close"
MODEL_VERSION = 7  # 3: address levels "unit_differs", "written_differently"; places[]
# 2: first-name "nickname_shared" level, new comparison columns
SOURCE_MASTER = "master"
SOURCE_REQUESTS = "requests"

# Maximum match weight (log2 Bayes factor) of a disagreement level, whatever EM finds.
# -8 means "256 times less likely to be the same person"; a JR/SR conflict weighs more.
DISAGREEMENT_FLOORS: dict[tuple[str, str], float] = {
    ("first_name", "different"): -8.0,
    ("dob", "different"): -9.0,
    ("dob", "year_only"): -4.0,
    ("suffix", "different"): -10.0,
    ("middle_name", "different"): -4.0,
    ("tin", "different"): -6.0,
}

# Share of requests assumed to name someone who is in the master file; it sets the prior.
# A lower share only makes matchgate more cautious.
ASSUMED_IN_FILE_SHARE = 0.8


def default_settings(*, taxpayers: int) -> dict[str, Any]:
    prior = min(0.5, ASSUMED_IN_FILE_SHARE / max(taxpayers, 1))
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[_deep_copy(c) for c in COMPARISONS],
        blocking_rules_to_generate_predictions=[block_on("tin")],
        probability_two_random_records_match=prior,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=True,
        unique_id_column_name="unique_id",
        additional_columns_to_retain=[],
    )
    return settings.create_settings_dict(sql_dialect_str="duckdb")


def _deep_copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


@dataclass(frozen=True)
class MatchLinker:
    """A Splink linker and the database API its input tables were registered with.

    Splink 5 has no public way to get the database API back from a linker (only the
    private ``Linker._db_api``), and a table such as a term-frequency lookup or the blocked
    pairs must be registered with that same API (``db_api.register``, as Splink's docs for
    ``register_blocked_pairs_for_predict`` and ``register_term_frequency_lookup`` say). So
    matchgate keeps the API it made next to the linker instead of reaching into it.
    """

    linker: Linker
    db_api: DuckDBAPI


def make_linker(
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, Any],
    *,
    master_table: str = "taxpayer_features",
    requests_table: str = "request_features",
) -> MatchLinker:
    db_api = DuckDBAPI(connection=con)
    master = db_api.register(master_table, dataset_display_name=SOURCE_MASTER)
    requests = db_api.register(requests_table, dataset_display_name=SOURCE_REQUESTS)
    # validate_settings=False: Splink's settings validation only logs warnings about columns
    # the settings name and the inputs lack (here below ERROR, so never shown), and parsing
    # every comparison's SQL for it was about half of the linker's construction in a batch.
    # The settings are matchgate's own, and a model that does not fit the features fails
    # loudly when its SQL runs.
    linker = Linker([master, requests], settings, log_level=logging.ERROR, validate_settings=False)
    return MatchLinker(linker, db_api)


_TERM_FREQUENCY_COLUMNS = ("first_name", "surname_joined")


def term_frequency_table(column: str) -> str:
    return f"tf_master_{column}"


def term_frequency_sql(column: str) -> str:
    """``tf_master_<column>``: each value's share of the master file's taxpayers."""
    return f"""
        CREATE OR REPLACE TABLE {term_frequency_table(column)} AS
        SELECT {column}, count(*) / sum(count(*)) OVER () AS tf_{column}
        FROM taxpayer_features WHERE {column} IS NOT NULL GROUP BY {column}
        """


def build_term_frequency_tables(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Create ``tf_master_<column>`` for every term-frequency column; returns column ->
    table. Either engine registers these same tables with its linker."""
    tables = {}
    for column in _TERM_FREQUENCY_COLUMNS:
        sql.run(con, term_frequency_sql(column), label="model.term_frequencies")
        tables[column] = term_frequency_table(column)
    return tables


def register_term_frequencies(
    match_linker: MatchLinker,
    con: duckdb.DuckDBPyConnection,
    tables: dict[str, str] | None = None,
) -> None:
    """Term frequencies come from the whole master file only, never from the batch: a
    batch full of one surname must not make that surname look rare or common. ``tables``:
    the ones :func:`build_term_frequency_tables` made already (else they are made now)."""
    if tables is None:
        tables = build_term_frequency_tables(con)
    for column, table in tables.items():
        frame = match_linker.db_api.register(table, table_name=f"{table}_registered")
        match_linker.linker.table_management.register_term_frequency_lookup(frame, column)


def apply_disagreement_floors(settings: dict[str, Any]) -> list[str]:
    """Lower m where a disagreement level's weight is above its floor. Returns notes."""
    notes = []
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        for level in comparison["comparison_levels"]:
            floor = DISAGREEMENT_FLOORS.get((name, level.get("label_for_charts", "")))
            if floor is None:
                continue
            m = level.get("m_probability")
            u = level.get("u_probability")
            if not m or not u:
                level["m_probability"] = max(u or 0.5, 1e-12) * 2.0**floor
                notes.append(f"{name}:{level['label_for_charts']} m set from floor {floor}")
                continue
            weight = math.log2(m / u)
            if weight > floor:
                level["m_probability"] = u * 2.0**floor
                notes.append(
                    f"{name}:{level['label_for_charts']} weight {weight:.2f} held to {floor}"
                )
    return notes


@dataclass
class MatchModel:
    settings: dict[str, Any]
    trained: dict[str, Any]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "matchgate_model_version": MODEL_VERSION,
            "splink_version": splink.__version__,
            "trained": self.trained,
            "splink_settings": self.settings,
        }
        # A name of its own per writer: two processes saving the same model (a shared model
        # cache) must never write into one temporary file.
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            temporary.write_text(json.dumps(document, indent=2, sort_keys=True), encoding="utf-8")
            temporary.replace(path)
        finally:
            temporary.unlink(missing_ok=True)

    @classmethod
    def from_priors(cls) -> MatchModel:
        """The model before training: the documented prior m and u of every level, with the
        disagreement floors. Used where there is too little data to train on."""
        settings = default_settings(taxpayers=1)
        notes = apply_disagreement_floors(settings)
        return cls(settings=settings, trained={"from": "priors", "floors_applied": notes})

    @classmethod
    def load(cls, path: Path) -> MatchModel:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ModelError("model file not found", path=path) from exc
        except (OSError, ValueError) as exc:
            raise ModelError(f"model file is not valid JSON ({exc})", path=path) from exc
        if not isinstance(document, dict) or "splink_settings" not in document:
            raise ModelError("not a matchgate model file (no splink_settings)", path=path)
        version = document.get("matchgate_model_version")
        if version != MODEL_VERSION:
            raise ModelError(
                f"model version {version!r} is not supported (this matchgate reads "
                f"version {MODEL_VERSION}); retrain with `matchgate train`",
                path=path,
            )
        return cls(settings=document["splink_settings"], trained=document.get("trained", {}))

    def with_prior(self, *, taxpayers: int) -> dict[str, Any]:
        """Settings with the prior set for the master file at hand."""
        settings = _deep_copy(self.settings)
        settings["probability_two_random_records_match"] = min(
            0.5, ASSUMED_IN_FILE_SHARE / max(taxpayers, 1)
        )
        return settings


TRAINING_SEED = 2025


def training_fingerprint(
    con: duckdb.DuckDBPyConnection, *, taxpayers: int, seed: int = TRAINING_SEED
) -> str:
    """A digest of everything ``train_model`` reads: the rows of both feature tables (an
    order-free sum of row hashes, with the counts), the untrained settings, the seed and the
    versions of matchgate's model and of Splink. Equal digests, equal trained models."""
    tables = {}
    for table in ("taxpayer_features", "request_features"):
        # Lists built by aggregation (a taxpayer's addresses, places, ZIPs) come in no fixed
        # order from one run to the next: each is hashed sorted, as the comparisons read
        # them (membership, any/all), so the same features give the same digest.
        columns = [
            f'list_sort("{name}")' if kind.endswith("[]") else f'"{name}"'
            for name, kind in sql.fetch_all(
                con,
                f"SELECT column_name, column_type FROM (DESCRIBE {table})",
                label="model.fingerprint",
            )
        ]
        row = sql.fetch_one(
            con,
            f"SELECT count(*), coalesce(sum(hash({', '.join(columns)})::HUGEINT), 0)::VARCHAR"
            f" FROM {table}",
            label="model.fingerprint",
        )
        tables[table] = [int(row[0]), str(row[1])] if row else [0, "0"]
    document = {
        "tables": tables,
        "settings": default_settings(taxpayers=taxpayers),
        "taxpayers": taxpayers,
        "seed": seed,
        "model_version": MODEL_VERSION,
        "splink_version": splink.__version__,
        "floors": sorted([*key, value] for key, value in DISAGREEMENT_FLOORS.items()),
    }
    encoded = json.dumps(document, sort_keys=True, default=str).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:32]


def train_model(
    con: duckdb.DuckDBPyConnection, *, taxpayers: int, seed: int = TRAINING_SEED
) -> MatchModel:
    """Train on ``taxpayer_features`` x ``request_features`` already in ``con``."""
    settings = default_settings(taxpayers=taxpayers)
    match_linker = make_linker(con, settings)
    register_term_frequencies(match_linker, con)
    match_linker.linker.training.estimate_u_using_random_sampling(max_pairs=2_000_000, seed=seed)
    sessions = [
        block_on("dob"),
        block_on("surname_joined", "first_name"),
    ]
    skipped = []
    for rule in sessions:
        # A pass that fails (no pairs: a batch without any DOB) leaves the comparisons of
        # its blocking rule switched off inside the linker; start again from a snapshot.
        snapshot = match_linker.linker.misc.save_model_to_json()
        try:
            match_linker.linker.training.estimate_parameters_using_expectation_maximisation(
                rule, fix_probability_two_random_records_match=True
            )
        except Exception as exc:  # Splink raises plain exceptions on degenerate data
            description = rule.get_blocking_rule("duckdb").blocking_rule_sql
            skipped.append(f"EM pass on {description} skipped: {str(exc).splitlines()[0]}")
            logging.getLogger(__name__).info(skipped[-1])
            match_linker = make_linker(con, snapshot)
            register_term_frequencies(match_linker, con)
    trained_settings = match_linker.linker.misc.save_model_to_json()
    notes = apply_disagreement_floors(trained_settings)
    return MatchModel(
        settings=trained_settings,
        trained={
            "at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "taxpayers": taxpayers,
            "requests": sql.fetch_int(
                con, "SELECT count(*) FROM request_features", label="model.train"
            ),
            "floors_applied": notes,
            "em_passes_skipped": skipped,
        },
    )
