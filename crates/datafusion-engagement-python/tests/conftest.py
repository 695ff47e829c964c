"""Shared fixtures: the sample data as tables, a registered SessionContext, and the `engage`
shell to compare against (`ENGAGE`, default: the debug build in the Cargo target directory)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datafusion import SessionConfig, SessionContext

import datafusion_engagement

REPOSITORY = Path(__file__).resolve().parents[3]
DATA = REPOSITORY / "examples" / "data"
# Both engines run with the same number of partitions.
PARTITIONS = 2

TABLES = [
    f"CREATE EXTERNAL TABLE {name} STORED AS PARQUET LOCATION '{DATA / name}.parquet'"
    for name in ["responses", "events", "users", "page_views", "orders", "tickets", "shop_events"]
] + [
    f"CREATE EXTERNAL TABLE {name} STORED AS CSV LOCATION '{DATA / name}.csv' "
    "OPTIONS ('format.has_header' 'true')"
    for name in ["customers", "campaigns"]
]


def engage_binary() -> Path:
    if "ENGAGE" in os.environ:
        return Path(os.environ["ENGAGE"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPOSITORY / "target"))
    return target / "debug" / "engage"


def new_context() -> SessionContext:
    ctx = SessionContext(SessionConfig().with_target_partitions(PARTITIONS))
    datafusion_engagement.register(ctx)
    return ctx


@pytest.fixture(scope="session")
def ctx() -> SessionContext:
    ctx = new_context()
    for statement in TABLES:
        ctx.sql(statement)
    return ctx


@pytest.fixture(scope="session")
def engage(tmp_path_factory):
    """Runs statements in the `engage` shell over the same tables; returns the last one's
    result as an Arrow table (through a Parquet file: types and values exactly as computed)."""
    binary = engage_binary()
    if not binary.exists():
        pytest.fail(f"the engage shell is not built at {binary}: run `cargo build --bin engage` or set ENGAGE")
    directory = tmp_path_factory.mktemp("engage")

    def run(*statements: str, tables: bool = True):
        output = directory / f"result-{len(list(directory.iterdir()))}.parquet"
        command = [str(binary), "-q", "--target-partitions", str(PARTITIONS), "-o", str(output)]
        for statement in [*(TABLES if tables else []), *statements]:
            command += ["-c", statement]
        finished = subprocess.run(command, capture_output=True, text=True, cwd=REPOSITORY)
        assert finished.returncode == 0, f"engage failed: {finished.stderr}"
        return pq.read_table(output)

    return run
