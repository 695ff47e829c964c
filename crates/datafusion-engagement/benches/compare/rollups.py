"""The --rollups section of the comparison harness (issue 45): monthly metrics by segment from
90 daily stored states or sketches, against the same metrics over the raw rows.

Imported by compare.py, which owns the data, the engines and the report file."""

import datetime
import shutil
import subprocess

import compare as c

ROLLUPS_HEADING = "## Stored states and sketches"

MONTH = "date_trunc('month', CAST(day AS DATE))"


def survey_by_day_statement(args, data):
    """The survey table with the day each answer was given: the main survey's rows and scores,
    spread over --days days."""
    return (f"COPY ({c.survey_answers(args, with_day=True)}) "
            f"TO '{data}/survey_by_day.parquet' STORED AS PARQUET")


# How sql/rollup_daily.sql and sql/rollup_monthly.sql write their files: LZ4, the HLL sketches
# uncompressed.
STATE_OPTIONS = "OPTIONS ('format.compression' 'lz4_raw')"
SKETCH_OPTIONS = ("OPTIONS ('format.compression' 'lz4_raw', "
                  "'format.compression::users' 'uncompressed')")


def state_statements(data):
    """The daily states, partitioned by day: what 90 nightly runs of sql/rollup_daily.sql leave
    (one pass here, so that the harness does not wait for 90 runs; each day's states are the
    same), written with the script's options."""
    events = f"'{data}/events.parquet'"
    return {
        "survey_states": f"""COPY (SELECT day, segment, nps_state(nps_score) AS nps,
              csat_state(csat_score) AS csat, ces_state(ces_score) AS ces
            FROM '{data}/survey_by_day.parquet' GROUP BY day, segment)
            TO '{data}/rollups/survey_states/' STORED AS PARQUET PARTITIONED BY (day)
            {STATE_OPTIONS}""",
        "event_states": f"""COPY (SELECT CAST(event_time AS DATE) AS day, segment,
              stickiness_state(user_id, event_time, 'month') AS stickiness,
              stickiness_distribution_state(user_id, event_time) AS active_days
            FROM {events} GROUP BY 1, 2)
            TO '{data}/rollups/event_states/' STORED AS PARQUET PARTITIONED BY (day)
            {STATE_OPTIONS}""",
        "sketch_states": f"""COPY (SELECT CAST(event_time AS DATE) AS day, segment,
              hll_sketch(user_id, 12, 'HLL_8') AS users
            FROM {events} GROUP BY 1, 2)
            TO '{data}/rollups/sketch_states/' STORED AS PARQUET PARTITIONED BY (day)
            {SKETCH_OPTIONS}""",
    }


def compaction_statements(data):
    """The daily states of each month united into one row per (month, segment) with f_union,
    one file per month: what a monthly compaction job leaves (ClickHouse's
    AggregatingMergeTree merges its parts the same way)."""
    states = f"{data}/rollups"
    month = "to_char(CAST(day AS DATE), '%Y-%m')"
    return {
        "survey_months": f"""COPY (SELECT {month} AS month, segment, nps_union(nps) AS nps,
              csat_union(csat) AS csat, ces_union(ces) AS ces
            FROM '{states}/survey_states/' GROUP BY 1, 2)
            TO '{states}/survey_months/' STORED AS PARQUET PARTITIONED BY (month)
            {STATE_OPTIONS}""",
        "sketch_months": f"""COPY (SELECT {month} AS month, segment, hll_union(users) AS users,
              approx_stickiness_state(CAST(day AS DATE), users, 'month') AS stickiness
            FROM '{states}/sketch_states/' GROUP BY 1, 2)
            TO '{states}/sketch_months/' STORED AS PARQUET PARTITIONED BY (month)
            {SKETCH_OPTIONS}""",
    }


def prepare(args, engage, data):
    """Generates the dated survey table, the daily states and their monthly compaction (once:
    kept with the data, beside a note of the statements that wrote them, so that states written
    otherwise are written again)."""
    path = data / "survey_by_day.parquet"
    if not path.exists():
        c.step(f"generating {path}")
        subprocess.run([engage, "-q", "-c", survey_by_day_statement(args, data)], check=True,
                       stdout=subprocess.DEVNULL)
    rewritten = False  # the compactions read the daily states: written again after them
    for name, statement in {**state_statements(data), **compaction_statements(data)}.items():
        directory = data / "rollups" / name
        note = directory.with_suffix(".sql")  # beside the directory, not a file of its table
        if directory.exists() and note.exists() and note.read_text() == statement and not (
                rewritten and name in compaction_statements(data)):
            continue
        rewritten = True
        shutil.rmtree(directory, ignore_errors=True)
        c.step(f"writing {directory}")
        measured = c.run_engage(engage, args.threads, 0, statement)
        if measured.error:
            raise SystemExit(f"writing {name} failed: {measured.error}")
        note.write_text(statement)


def tables(engine, data):
    raw = c.table_sql(engine, data)
    if engine == "duckdb":
        raw["survey_by_day"] = f"read_parquet('{data}/survey_by_day.parquet')"
    else:
        raw["survey_by_day"] = f"'{data}/survey_by_day.parquet'"
    for name in ("survey_states", "event_states", "sketch_states", "survey_months", "sketch_months"):
        raw[name] = f"'{data}/rollups/{name}/'"
    return raw


SURVEY_STATES = c.checksum(f"""SELECT {MONTH} AS month, segment,
    nps_merge(nps) + csat_merge(csat) + ces_merge(ces) AS value
    FROM {{survey_states}} GROUP BY 1, 2""")
SURVEY_MONTHS = c.checksum("""SELECT month, segment,
    nps_merge(nps) + csat_merge(csat) + ces_merge(ces) AS value
    FROM {survey_months} GROUP BY 1, 2""")
SURVEY_RAW = c.checksum("""SELECT date_trunc('month', day) AS month, segment,
    nps(nps_score) + csat(csat_score) + ces(ces_score) AS value
    FROM {survey_by_day} GROUP BY 1, 2""")
SURVEY_DUCKDB = c.checksum(f"""SELECT date_trunc('month', day) AS month, segment,
    {c.NPS_CASE} + {c.CSAT_CASE} + avg(ces_score) AS value
    FROM {{survey_by_day}} GROUP BY 1, 2""")

STICKINESS_STATES = c.checksum(f"""SELECT {MONTH} AS month, segment,
    stickiness_merge(stickiness) AS value FROM {{event_states}} GROUP BY 1, 2""")
STICKINESS_RAW = c.checksum("""SELECT date_trunc('month', event_time) AS month, segment,
    stickiness(user_id, event_time, 'month') AS value FROM {events} GROUP BY 1, 2""")
STICKINESS_DUCKDB = c.checksum("""WITH daily AS (
        SELECT segment, date_trunc('month', event_time) AS month, CAST(event_time AS DATE) AS day,
               count(DISTINCT user_id) AS dau
        FROM {events} GROUP BY 1, 2, 3),
      monthly AS (
        SELECT segment, date_trunc('month', event_time) AS month, count(DISTINCT user_id) AS mau
        FROM {events} GROUP BY 1, 2)
    SELECT d.segment, d.month,
           100.0 * sum(d.dau) / (day(last_day(d.month)) * any_value(m.mau)) AS value
    FROM daily AS d JOIN monthly AS m ON d.segment = m.segment AND d.month = m.month
    GROUP BY d.segment, d.month""")

MAU_STATES = c.checksum(f"""SELECT month, segment, sum(d['users']) AS value FROM (
    SELECT {MONTH} AS month, segment, unnest(stickiness_distribution_merge(active_days)) AS d
    FROM {{event_states}} GROUP BY 1, 2) GROUP BY 1, 2""")
MAU_RAW = c.checksum("""SELECT date_trunc('month', event_time) AS month, segment,
    count(DISTINCT user_id) AS value FROM {events} GROUP BY 1, 2""")

SKETCH_MAU = c.checksum(f"""SELECT {MONTH} AS month, segment,
    hll_estimate(hll_union(users)) AS value FROM {{sketch_states}} GROUP BY 1, 2""")
SKETCH_MAU_MONTHS = c.checksum("""SELECT month, segment,
    hll_estimate(hll_union(users)) AS value FROM {sketch_months} GROUP BY 1, 2""")
SKETCH_STICKINESS_MONTHS = c.checksum("""SELECT month, segment,
    approx_stickiness_merge(stickiness) AS value FROM {sketch_months} GROUP BY 1, 2""")
SKETCH_STICKINESS = c.checksum(f"""SELECT {MONTH} AS month, segment,
    approx_stickiness(CAST(day AS DATE), users, 'month') AS value
    FROM {{sketch_states}} GROUP BY 1, 2""")

# name: (description, {variant: sql}); "states" is ours from the stored states, "raw" ours
# over the rows, "duckdb" DuckDB's hand-written SQL over the rows.
QUERIES = {
    "survey_monthly": ("NPS + CSAT + CES by month and segment (1 000 segments)", {
        "states": SURVEY_STATES, "months": SURVEY_MONTHS, "raw": SURVEY_RAW,
        "duckdb": SURVEY_DUCKDB}),
    "stickiness_monthly": ("stickiness (DAU/MAU, whole months) by month and segment, exact", {
        "states": STICKINESS_STATES, "raw": STICKINESS_RAW, "duckdb": STICKINESS_DUCKDB}),
    "mau_monthly": ("MAU by month and segment, exact", {
        "states": MAU_STATES, "raw": MAU_RAW, "duckdb": MAU_RAW}),
    "mau_sketches": ("MAU by month and segment from daily HLL sketches (lg_k 12)", {
        "states": SKETCH_MAU, "months": SKETCH_MAU_MONTHS, "raw": MAU_RAW, "duckdb": MAU_RAW}),
    "stickiness_sketches": ("approx_stickiness by month and segment from daily HLL sketches", {
        "states": SKETCH_STICKINESS, "months": SKETCH_STICKINESS_MONTHS, "raw": STICKINESS_RAW,
        "duckdb": STICKINESS_DUCKDB}),
}

# The speed goals of issue 45: from the states at least this many times faster than over the
# rows (None: reported, no goal).
GOALS = {"survey_monthly": 100, "stickiness_monthly": None, "mau_monthly": None,
         "mau_sketches": 50, "stickiness_sketches": 50}
# Within the sketches' bound: two standard errors of HLL lg_k 12 (1.6 %); the ratio's at most
# the sum of its two estimates'.
BOUNDS = {"mau_sketches": 2 * 0.0163, "stickiness_sketches": 4 * 0.0163}


def run(args, engage, python, data, names):
    results = {}
    for name in names:
        description, variants = QUERIES[name]
        results[name] = {}
        for variant, sql in variants.items():
            engine = "duckdb" if variant == "duckdb" else "ours"
            if variant == "duckdb" and name in ("mau_sketches", "stickiness_sketches"):
                continue  # the same exact queries as the rows above
            if engine == "duckdb" and python is None:
                continue
            c.step(f"{description}: {variant}")
            sql = sql.format(**tables(engine, data))
            if engine == "duckdb":
                m = c.run_python_engine(python, "duckdb", args.threads, args.runs, sql)
            else:
                m = c.run_engage(engage, args.threads, args.runs, sql)
            results[name][variant] = m
            print(f"    {c.seconds(m)}" + (f": {m.error}" if m.error else ""),
                  file=c.sys.stderr, flush=True)
    return results


def storage(python, data, args):
    """Bytes per day and segment of each state column, from the Parquet files' metadata."""
    rows = []
    for name, groups in (("survey_states", args.segments), ("event_states", args.event_segments),
                         ("sketch_states", args.event_segments)):  # per day and segment
        sql = f"""SELECT split_part(path_in_schema, ', ', 1) AS state_column,
                         sum(total_compressed_size) AS bytes
                  FROM parquet_metadata('{data}/rollups/{name}/*/*.parquet')
                  WHERE path_in_schema NOT LIKE 'segment%' GROUP BY 1 ORDER BY 1"""
        out = subprocess.run([python, "-c", f"import duckdb; print(duckdb.sql({sql!r}).fetchall())"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            rows.append((name, "?", out.stderr.strip().splitlines()[-1]))
            continue
        for column, size in eval(out.stdout):  # a list of (str, int) tuples printed by Python
            rows.append((name, column, size / (args.days * groups)))
    return rows


def report(args, results, storage_rows):
    lines = ["| query | from 90 daily states | from 3 monthly states | ours over the rows | "
             "DuckDB over the rows |", "|---|---|---|---|---|"]
    goals = []
    notes = []
    for name, (description, _) in QUERIES.items():
        measured = results.get(name)
        if not measured:
            continue
        states, months, raw, duck = (measured.get(v) for v in ("states", "months", "raw", "duckdb"))
        exact = raw if raw and not raw.error else None
        cells = [description]
        for stored in (states, months):
            cell = c.seconds(stored) if stored else "—"
            if stored and not stored.error and exact:
                cell += f" ({exact.median / stored.median:.0f}×)"
                bound = BOUNDS.get(name)
                if bound is None and not c.same_result(stored.rows, exact.rows):
                    cell += " ≠"
                    notes.append(f"{description}: {exact.rows} over the rows, {stored.rows} from the states")
                if bound is not None:
                    error = abs(float(stored.rows[1]) - float(exact.rows[1])) / abs(float(exact.rows[1]))
                    cell += "" if error <= bound else " (outside the bound)"
            cells.append(cell)
        cells.append(c.seconds(raw) if raw else "—")
        cells.append(c.seconds(duck) if duck else "—")
        lines.append("| " + " | ".join(cells) + " |")
        goal = GOALS.get(name)
        for layout, stored in (("90 daily", states), ("3 monthly", months)):
            if not (stored and exact and not stored.error):
                continue
            speedup = exact.median / stored.median
            if goal:
                goals.append((f"{description}, from {layout} states: ≥ {goal} × faster than "
                              f"over the rows", f"{speedup:.0f}×", speedup >= goal))
            if name in BOUNDS:
                error = abs(float(stored.rows[1]) - float(exact.rows[1])) / abs(float(exact.rows[1]))
                goals.append((f"{description}, from {layout} states: the sum over groups within "
                              f"{BOUNDS[name]:.1%} of the exact", f"{error:.3%}",
                              error <= BOUNDS[name]))
    storage_lines = ["| states | column | bytes per day and segment |", "|---|---|---|"]
    for table, column, size in storage_rows:
        storage_lines.append(f"| {table} | `{column}` | "
                             + (f"{size:,.0f}" if isinstance(size, float) else str(size)) + " |")
    command = c.rerun_command()
    text = f"""{ROLLUPS_HEADING}

Measured {datetime.date.today().isoformat()} with `{command.strip()}`: monthly metrics by
segment from {args.days} daily stored states (`f_state` partitioned by day, as
`sql/rollup_daily.sql` writes them night after night) against the same metrics over the raw
rows: {args.survey_rows:,} survey answers in {args.segments:,} segments with the day of each
(`survey_by_day.parquet`), and {args.events:,} events of {args.users:,} users in
{args.event_segments} segments. {args.threads} threads, the median of {args.runs} runs after a
warm-up, each query in a fresh process. The monthly states are the daily ones of each month
united by `f_union` into one row per (month, segment), one file per month, as a monthly
compaction job would leave them. In parentheses: how many times the time over the rows (ours)
the time from the states. Sketch rows give estimates; their check is the bound, not equality.

{chr(10).join(lines)}

{chr(10).join(c.goal_table(goals))}

Storage of the states (Parquet, compressed), per day and segment:

{chr(10).join(storage_lines)}
"""
    if notes:
        text += "\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    return text
