"""Delta tables for engage's tests, written by an independent writer (the deltalake Python
package), with the answers pyarrow reads from them.

Usage: python delta_tables.py SAMPLE_DATA_DIR OUT_DIR

Writes under OUT_DIR:
- events_delta/: the sample events partitioned by month, in four versions: 0 July, 1 + August,
  2 the smb segment deleted (its files removed from the log, left on disk), 3 + September with a
  new column `channel` (the schema grew). Commit n's log file is dated 2026-11-0(n+1) 00:00 UTC.
- responses_delta/: the sample survey responses in two commits.
- events_current.parquet, responses_current.parquet: the tables' latest versions as plain files.
- answers.json: per version of events_delta, CSV of `segment,n,user_sum` by segment (sorted),
  and each version's columns.
"""

import datetime
import json
import os
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake


def by_segment(table: pa.Table) -> str:
    grouped = table.group_by("segment").aggregate([("user_id", "count"), ("user_id", "sum")])
    grouped = grouped.sort_by("segment")
    lines = ["segment,n,user_sum"]
    for row in grouped.to_pylist():
        lines.append(f"{row['segment']},{row['user_id_count']},{row['user_id_sum']}")
    return "\n".join(lines) + "\n"


def main() -> None:
    data, out = sys.argv[1], sys.argv[2]
    events = pq.read_table(os.path.join(data, "events.parquet"))
    events = events.append_column("month", pc.strftime(events["event_time"], format="%Y-%m"))
    month = lambda m: events.filter(pc.equal(events["month"], m))  # noqa: E731
    table = os.path.join(out, "events_delta")
    write_deltalake(table, month("2026-07"), partition_by=["month"])
    write_deltalake(table, month("2026-08"), partition_by=["month"], mode="append")
    DeltaTable(table).delete("segment = 'smb'")
    september = month("2026-09")
    september = september.append_column("channel", pa.array(["web"] * len(september)))
    write_deltalake(table, september, partition_by=["month"], mode="append", schema_mode="merge")
    for version in range(4):
        when = datetime.datetime(2026, 11, 1 + version, tzinfo=datetime.timezone.utc).timestamp()
        os.utime(os.path.join(table, "_delta_log", f"{version:020d}.json"), (when, when))

    answers = {"versions": [], "columns": []}
    for version in range(4):
        snapshot = DeltaTable(table, version=version).to_pyarrow_table()
        answers["versions"].append(by_segment(snapshot))
        answers["columns"].append(snapshot.column_names)
    pq.write_table(DeltaTable(table).to_pyarrow_table(), os.path.join(out, "events_current.parquet"))

    responses = pq.read_table(os.path.join(data, "responses.parquet"))
    half = len(responses) // 2
    survey = os.path.join(out, "responses_delta")
    write_deltalake(survey, responses.slice(0, half))
    write_deltalake(survey, responses.slice(half), mode="append")
    pq.write_table(
        DeltaTable(survey).to_pyarrow_table(), os.path.join(out, "responses_current.parquet")
    )
    with open(os.path.join(out, "answers.json"), "w") as f:
        json.dump(answers, f)


if __name__ == "__main__":
    main()
