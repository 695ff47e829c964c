#!/usr/bin/env python3
"""Times the engagement functions against what an analyst would write instead.

One command (from the repository root):

    python3 crates/datafusion-engagement/benches/compare/compare.py

builds `engage` in release mode, generates Parquet data at the chosen size with it, installs
DuckDB and chDB from PyPI into its own virtual environment, and times every query on

  * ours        - the engagement functions through DataFusion (the `engage` shell),
  * DataFusion  - the hand-written SQL equivalent (CASE, COUNT(DISTINCT)) on the same engine,
  * DuckDB      - the same hand-written SQL,
  * chDB        - ClickHouse's equivalent (countIf, uniqExact),
  * cluster     - our queries on a local Ballista cluster of `engage` processes (a scheduler and
                  two executors, each executor on one core with one task slot): what moving to a
                  cluster costs on one machine,

with the same thread count everywhere, each (engine, query) in a fresh process: one warm-up
run, then the median of --runs timed runs, and the process's peak memory. Every query ends in
`SELECT count(*), sum(value)` over its result, so no engine pays for printing a million rows,
and the sums are compared across engines: a mismatch is reported, because a fast wrong answer
is not a result. The table goes to standard output and to BENCHMARKS.md.
"""

import argparse
import datetime
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
DUCKDB_VERSION = "2.0.0"
CHDB_VERSION = "4.4.0"
DAY_ZERO = 1767225600  # 2026-01-01T00:00:00Z: the first day of generated events

EVENT_NAMES = ["login", "view_dashboard", "create_report", "export", "invite_colleague",
               "integration_setup", "support_ticket"]
# Binary fractions: sums are exact in any order, so every engine gets the same tiers.
WEIGHTS = {"login": 0.25, "view_dashboard": 0.25, "create_report": 1.5, "export": 1,
           "invite_colleague": 3, "integration_setup": 4, "support_ticket": -2}


def parse_count(text):
    """1000, 50M, 1.5k, 2G: a row or group count."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmMgG]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a count: {text!r} (examples: 1000, 50M, 2.5k)")
    scale = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}[match.group(2).lower()]
    value = int(float(match.group(1)) * scale)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--survey-rows", type=parse_count, default=50_000_000)
    add("--segments", type=parse_count, default=1000, help="survey segments")
    add("--customers", type=parse_count, default=10_000_000, help="rows for churn_rate by plan")
    add("--events", type=parse_count, default=20_000_000)
    add("--users", type=parse_count, default=1_000_000)
    add("--days", type=parse_count, default=90)
    add("--event-segments", type=parse_count, default=50)
    add("--threads", type=int, default=2, help="threads (DataFusion partitions) for every engine")
    add("--runs", type=int, default=3, help="timed runs per query (median reported)")
    add("--engines", default="ours,datafusion,duckdb,chdb,cluster")
    add("--queries", default="", help="comma-separated query names (default: all)")
    add("--data-dir", type=Path, help="where the Parquet files go (default: under the target dir)")
    add("--engage", type=Path, help="an engage binary to use instead of building one")
    add("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    add("--shapes", action="store_true",
        help="time the survey metrics on other data shapes (key and score types, NULLs, group "
             "counts) instead of the main table, and replace the shapes section of --output")
    add("--shape-rows", type=parse_count, default=20_000_000, help="rows of the shapes table")
    add("--event-logs", action="store_true",
        help="time retention and lifecycle against hand-written SQL on the events and users "
             "tables instead of the main table, and replace the event-logs section of --output")
    add("--rollups", action="store_true",
        help="time monthly metrics from 90 daily stored states and sketches against the same "
             "metrics over the raw rows (issue 45), and replace that section of --output")
    add("--cluster-security", action="store_true",
        help="time the cluster column's stickiness and engagement_score queries on a cluster "
             "without credentials, with the shared secret, and with the secret and mutual TLS "
             "(issue 46), and replace that section of --output")
    add("--python", action="store_true",
        help="time our queries from Python DataFusion (the datafusion-engagement wheel) against "
             "the shell and DuckDB's Python API instead of the main table, and replace the "
             "Python section of --output")
    add("--python-wheel", type=Path,
        help="the datafusion-engagement wheel to install (default: build it in release mode)")
    args = parser.parse_args()
    if args.runs < 1 or args.threads < 1:
        parser.error("--runs and --threads must be at least 1")
    return args


def target_dir():
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def step(message):
    print(f"==> {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Setup: the engage binary, the virtual environment, the data


def build_engage(args, engines):
    if args.engage:
        return args.engage
    # The cluster column needs the shell's `cluster` feature (engage scheduler / executor).
    features = ["--features", "cluster"] if "cluster" in engines else []
    step("building engage (release)")
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "engage-cli", *features],
                   cwd=ROOT, check=True)
    return target_dir() / "release" / "engage"


def virtual_env():
    venv = target_dir() / "compare-venv"
    python = venv / "bin" / "python"
    wanted = {"duckdb": DUCKDB_VERSION, "chdb": CHDB_VERSION}
    check = "import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in %r}))"
    if python.exists():
        found = subprocess.run([python, "-c", check % list(wanted)], capture_output=True, text=True)
        if found.returncode == 0 and json.loads(found.stdout) == wanted:
            return python
    step(f"installing duckdb=={DUCKDB_VERSION} and chdb=={CHDB_VERSION} into {venv}")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    *(f"{p}=={v}" for p, v in wanted.items())], check=True)
    return python


def install_python_package(args, python):
    """Installs the datafusion-engagement wheel (built in release mode unless --python-wheel)
    and the `datafusion` wheel it needs into the harness's virtual environment."""
    wheel = args.python_wheel
    if wheel is None:
        step("building the datafusion-engagement wheel (release)")
        out = target_dir() / "wheels"
        subprocess.run([python, "-m", "pip", "install", "--quiet", "maturin>=1.9,<2"], check=True)
        subprocess.run([Path(python).parent / "maturin", "build", "--release", "-o", out,
                        "-m", ROOT / "crates/datafusion-engagement-python/Cargo.toml"], check=True)
        wheel = max(out.glob("datafusion_engagement-*.whl"), key=lambda w: w.stat().st_mtime)
    step(f"installing {wheel.name}")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--force-reinstall",
                    "--disable-pip-version-check", "datafusion>=55,<56", str(wheel)], check=True)


def hashed(column, multiplier, modulus):
    """A reproducible pseudo-random spread of a generate_series value."""
    return f"(({column} * {multiplier}) % {modulus})"


def survey_answers(args, with_day=False):
    """The SELECT of the generated survey answers; `with_day` adds the day of each, spread over
    --days days (the rollups' dated survey)."""
    v = "value"
    h1, h2, h3 = hashed(v, 2654435761, 4294967291), hashed(v, 40503, 1000003), \
        hashed(v, 69069, 2147483629)
    day = (f"CAST(to_timestamp_seconds({DAY_ZERO} + ({h3} % {args.days}) * 86400) AS DATE) AS day,"
           if with_day else "")
    return f"""SELECT CAST({h2} % {args.segments} AS INT) AS segment, {day}
        CAST({h1} % 11 AS INT) AS nps_score,
        CAST(1 + {h3} % 5 AS INT) AS csat_score,
        CAST(1 + ({h1} / 11) % 7 AS INT) AS ces_score
      FROM generate_series(1, {args.survey_rows})"""


def generation_statements(args, data):
    v = "value"
    h1, h2, h3 = hashed(v, 2654435761, 4294967291), hashed(v, 40503, 1000003), \
        hashed(v, 69069, 2147483629)
    survey = f"COPY ({survey_answers(args)}) TO '{data}/survey.parquet' STORED AS PARQUET"
    plans = "CASE {0} % 5 WHEN 0 THEN 'free' WHEN 1 THEN 'starter' WHEN 2 THEN 'pro' " \
            "WHEN 3 THEN 'business' ELSE 'enterprise' END".format(h2)
    customers = f"""COPY (SELECT {v} AS customer_id, {plans} AS plan,
        {h1} % 10 <> 0 AS active_at_start,
        {h3} % 100 >= 7 AS active_at_end
      FROM generate_series(1, {args.customers})) TO '{data}/customers.parquet' STORED AS PARQUET"""
    # Event kinds with realistic frequencies: many logins and views, few integrations.
    names = " ".join(f"WHEN {i} THEN '{n}'" for i, n in enumerate(
        ["login"] * 4 + ["view_dashboard"] * 3 + ["create_report", "export", "invite_colleague",
                                                   "integration_setup", "support_ticket"]))
    user = f"({h1} % {args.users})"
    events = f"""COPY (SELECT {user} AS user_id,
        CAST({user} % {args.event_segments} AS INT) AS segment,
        arrow_cast(to_timestamp_seconds({DAY_ZERO} + {h3} % {args.days * 86400}),
                   'Timestamp(Microsecond, None)') AS event_time,
        CASE {h2} % 12 {names} END AS event_name
      FROM generate_series(1, {args.events})) TO '{data}/events.parquet' STORED AS PARQUET"""
    # Each user's signup within the same days as the events: the users table of the cohort
    # retention queries (events before a user's signup are ignored there).
    users = f"""COPY (SELECT {v} - 1 AS user_id,
        arrow_cast(to_timestamp_seconds({DAY_ZERO} + {hashed(v, 2246822519, 4294967291)} % {args.days * 86400}),
                   'Timestamp(Microsecond, None)') AS signup_time
      FROM generate_series(1, {args.users})) TO '{data}/users.parquet' STORED AS PARQUET"""
    # Page views in sessions, without a session id: each user's views fall in 8 visits at
    # random times of the days, each view within 20 minutes of its visit's start; the row
    # number's microseconds keep every user's times apart, so that time on page has one answer.
    visit = f"({user} * 8 + {h2} % 8)"
    page_views = f"""COPY (SELECT {user} AS user_id,
        CAST({user} % {args.event_segments} AS INT) AS segment,
        arrow_cast(to_timestamp_micros(({DAY_ZERO} + {hashed(visit, 2654435761, 4294967291)} % {args.days * 86400}
                                        + {h3} % 1200) * 1000000 + {v} % 1000000),
                   'Timestamp(Microsecond, None)') AS viewed_at,
        '/page-' || (({h1} / 7) % 50) AS url
      FROM generate_series(1, {args.events})) TO '{data}/page_views.parquet' STORED AS PARQUET"""
    return {"survey": survey, "customers": customers, "events": events, "users": users,
            "page_views": page_views}


def generate_data(args, engage):
    key = (f"s{args.survey_rows}-g{args.segments}-c{args.customers}-e{args.events}"
           f"-u{args.users}-d{args.days}-es{args.event_segments}")
    data = (args.data_dir or target_dir() / "compare-data") / key
    data.mkdir(parents=True, exist_ok=True)
    for table, statement in generation_statements(args, data).items():
        path = data / f"{table}.parquet"
        if path.exists():
            continue
        step(f"generating {path}")
        subprocess.run([engage, "-q", "-c", statement], check=True, stdout=subprocess.DEVNULL)
    return data


def warm_up(engage, threads, data):
    """Reads every file once before anything is timed. Without it the first query measured
    ran up to 1.6 × slower than when it came later in the same run (files not yet in the page
    cache, CPUs not yet at speed), which skewed whichever engine and query happened to be first."""
    step("warming up: reading every file once")
    for table in TABLE_COLUMNS:
        query = f"SELECT count(*) FROM '{data}/{table}.parquet' WHERE {TABLE_COLUMNS[table]} IS NOT NULL"
        warmed = run_engage(engage, threads, 2, query)
        if warmed.error:
            sys.exit(f"reading {table}.parquet failed: {warmed.error}")


def warm_up_file(engage, threads, path):
    """Reads a file once before it is timed (see warm_up)."""
    step(f"warming up: reading {path.name}")
    warmed = run_engage(engage, threads, 1, f"SELECT count(*) FROM '{path}'")
    if warmed.error:
        sys.exit(f"reading {path} failed: {warmed.error}")


# Every column of each table: the warm-up reads them all.
TABLE_COLUMNS = {
    "survey": "segment + nps_score + csat_score + ces_score",
    "customers": "concat(customer_id, plan, active_at_start, active_at_end)",
    "events": "concat(user_id, segment, event_time, event_name)",
    "users": "concat(user_id, signup_time)",
    "page_views": "concat(user_id, segment, viewed_at, url)",
}


# ---------------------------------------------------------------------------------------------
# The queries. {survey}, {customers} and {events} become each engine's way to read the file.

def weights_case(column):
    whens = " ".join(f"WHEN '{e}' THEN {w}" for e, w in WEIGHTS.items())
    return f"CASE {column} {whens} ELSE 0 END"


def checksum(query, value="value"):
    return f"SELECT count(*) AS grp, sum({value}) AS checksum FROM ({query}) AS result"


NPS_CASE = ("100.0 * (sum(CASE WHEN nps_score >= 9 THEN 1 ELSE 0 END) "
            "- sum(CASE WHEN nps_score <= 6 THEN 1 ELSE 0 END)) / count(nps_score)")
NPS_CH = "100.0 * (countIf(nps_score >= 9) - countIf(nps_score <= 6)) / count(nps_score)"
CSAT_CASE = "100.0 * sum(CASE WHEN csat_score >= 4 THEN 1 ELSE 0 END) / count(csat_score)"
CSAT_CH = "100.0 * countIf(csat_score >= 4) / count(csat_score)"
CHURN_CASE = ("100.0 * sum(CASE WHEN active_at_start AND NOT active_at_end THEN 1 ELSE 0 END) "
              "/ sum(CASE WHEN active_at_start THEN 1 ELSE 0 END)")
CHURN_CH = ("100.0 * countIf(active_at_start AND NOT active_at_end) "
            "/ countIf(active_at_start)")


def stickiness_two_level(month, day):
    """DAU/MAU by segment and month, exactly as stickiness() defines it, in two levels."""
    return f"""WITH daily AS (
        SELECT segment, {month} AS month, {day} AS day, count(DISTINCT user_id) AS dau
        FROM {{events}} GROUP BY segment, month, day),
      monthly AS (
        SELECT segment, {month} AS month, count(DISTINCT user_id) AS mau
        FROM {{events}} GROUP BY segment, month),
      days AS (
        SELECT segment, month, sum(dau) AS active_pairs, min(day) AS first_day, max(day) AS last_day
        FROM daily GROUP BY segment, month)
      SELECT d.segment, d.month,
             100.0 * d.active_pairs / ((d.last_day - d.first_day + 1) * m.mau) AS value
      FROM days AS d JOIN monthly AS m ON d.segment = m.segment AND d.month = m.month"""


DF_DAY = "to_unixtime(event_time) / 86400"
DUCK_DAY = "(CAST(event_time AS DATE) - DATE '1970-01-01')"
CH_DAY = "toRelativeDayNum(event_time)"

SCORE_TIERS = """CASE WHEN score < 0 THEN 'at_risk' WHEN score <= 40 THEN 'very_disengaged'
        WHEN score <= 70 THEN 'somewhat_engaged' WHEN score <= 100 THEN 'highly_engaged'
        ELSE 'power_user' END"""
WEIGHTS_TEXT = ", ".join(f"{e}={w}" for e, w in WEIGHTS.items())


def by_user_score(score_expr, tier_expr):
    query = f"""SELECT user_id, score, {tier_expr} AS tier FROM (
        SELECT user_id, {score_expr} AS score FROM {{events}} GROUP BY user_id) AS scores"""
    # The tier is part of the answer: its length enters the checksum, so no engine skips it.
    return checksum(query, "score + length(tier)")


def grouped(expr, by, table):
    return checksum(f"SELECT {by}, {expr} AS value FROM {{{table}}} GROUP BY {by}")


def ungrouped(expr, table):
    return checksum(f"SELECT {expr} AS value FROM {{{table}}}")


def metric(table, by, ours, sql, chdb=None):
    """One aggregate over `table` (grouped by `by`, or not): ours, the same hand-written SQL on
    DataFusion and DuckDB, and chDB's own where its dialect differs."""
    def query(expr):
        return grouped(expr, by, table) if by else ungrouped(expr, table)
    engines = {"ours": query(ours)} if ours else {}
    engines.update(datafusion=query(sql), duckdb=query(sql), chdb=query(chdb or sql))
    return engines


WEEK_US = 7 * 86_400_000_000
# Microseconds since the epoch of a naive TIMESTAMP, and integer division, per engine.
MICROS = {"datafusion": "arrow_cast({0}, 'Int64')", "duckdb": "epoch_us({0})"}
DIVIDE = {"datafusion": "({0}) / ({1})", "duckdb": "({0}) // ({1})"}
PERIODS_0_TO_12 = "(VALUES " + ", ".join(f"({k})" for k in range(13)) + ") AS ks(k)"


def retention_by_hand(engine):
    """Weekly signup cohorts × weeks 0–12 from the signup, exactly as retention() defines them
    (a user counts in week k once week k has ended by the cohort's last event): the fastest
    exact form found — integer microseconds instead of interval arithmetic, one pass over the
    joined events for the distinct (user, week) pairs."""
    us = lambda column: MICROS[engine].format(column)  # noqa: E731
    week_of_event = DIVIDE[engine].format(f"{us('e.event_time')} - {us('u.signup_time')}", WEEK_US)
    return checksum(f"""WITH joined AS (
        SELECT date_trunc('week', u.signup_time) AS cohort, u.user_id, {us('u.signup_time')} AS s,
               {us('e.event_time')} AS t, {week_of_event} AS k
        FROM {{users}} AS u JOIN {{events}} AS e ON e.user_id = u.user_id),
      cohort_last AS (SELECT cohort, max(t) AS last_t FROM joined GROUP BY cohort),
      user_weeks AS (SELECT DISTINCT cohort, user_id, s, k FROM joined WHERE t >= s AND k <= 12),
      counted AS (
        SELECT date_trunc('week', u.signup_time) AS cohort, ks.k, count(*) AS users
        FROM {{users}} AS u
        JOIN cohort_last AS l ON l.cohort = date_trunc('week', u.signup_time)
        CROSS JOIN {PERIODS_0_TO_12}
        WHERE {us('u.signup_time')} + (ks.k + 1) * {WEEK_US} <= l.last_t
        GROUP BY 1, 2),
      retained AS (
        SELECT w.cohort, w.k, count(*) AS retained
        FROM user_weeks AS w JOIN cohort_last AS l ON l.cohort = w.cohort
        WHERE w.s + (w.k + 1) * {WEEK_US} <= l.last_t
        GROUP BY 1, 2)
      SELECT c.cohort, c.k, c.users * 1000000 + coalesce(r.retained, 0) AS value
      FROM counted AS c LEFT JOIN retained AS r ON r.cohort = c.cohort AND r.k = c.k""")


RETENTION_OURS = checksum("""SELECT cohort, p['period'] AS k, p['users'] * 1000000 + p['retained'] AS value
    FROM (SELECT date_trunc('week', u.signup_time) AS cohort,
                 unnest(retention(u.user_id, e.event_time, INTERVAL '7 days', 12, u.signup_time)) AS p
          FROM {users} AS u LEFT JOIN {events} AS e ON e.user_id = u.user_id
          GROUP BY cohort) AS curves
    WHERE p['users'] > 0""")

def retention_events_by_hand(engine):
    """Weekly retention by events per segment, weeks 0-12, exactly as retention(…,
    event_name = 'integration_setup', event_name = 'export') defines it: each user's first
    setup starts week 0, an export in week k retains them, and a user counts in week k once
    week k has ended by the segment's last setup or export. The fastest exact form found: integer
    microseconds, the starts joined to the exports only, distinct (user, week) pairs."""
    us = MICROS[engine].format("event_time")
    week = DIVIDE[engine].format("x.t - st.s", WEEK_US)
    return checksum(f"""WITH starts AS (
        SELECT segment, user_id, min({us}) AS s FROM {{events}}
        WHERE event_name = 'integration_setup' GROUP BY segment, user_id),
      segment_last AS (
        SELECT segment, max({us}) AS last_t FROM {{events}}
        WHERE event_name IN ('integration_setup', 'export') GROUP BY segment),
      user_weeks AS (
        SELECT DISTINCT st.segment, st.user_id, st.s, {week} AS k
        FROM (SELECT user_id, {us} AS t FROM {{events}} WHERE event_name = 'export') AS x
        JOIN starts AS st ON st.user_id = x.user_id
        WHERE x.t >= st.s AND x.t < st.s + 13 * {WEEK_US}),
      counted AS (
        SELECT st.segment, ks.k, count(*) AS users
        FROM starts AS st JOIN segment_last AS l ON l.segment = st.segment
        CROSS JOIN {PERIODS_0_TO_12}
        WHERE st.s + (ks.k + 1) * {WEEK_US} <= l.last_t
        GROUP BY 1, 2),
      retained AS (
        SELECT w.segment, w.k, count(*) AS retained
        FROM user_weeks AS w JOIN segment_last AS l ON l.segment = w.segment
        WHERE w.s + (w.k + 1) * {WEEK_US} <= l.last_t
        GROUP BY 1, 2)
      SELECT c.segment, c.k, c.users * 1000000 + coalesce(r.retained, 0) AS value
      FROM counted AS c LEFT JOIN retained AS r ON r.segment = c.segment AND r.k = c.k""")


# The same WHERE as the SQL by hand: rows neither a start nor a return are left out anyway.
RETENTION_EVENTS_OURS = checksum("""SELECT segment, p['period'] AS k, p['users'] * 1000000 + p['retained'] AS value
    FROM (SELECT segment,
                 unnest(retention(user_id, event_time, INTERVAL '7 days', 12,
                                  event_name = 'integration_setup', event_name = 'export')) AS p
          FROM {events} WHERE event_name IN ('integration_setup', 'export')
          GROUP BY segment) AS curves
    WHERE p['users'] > 0""")
# ClickHouse's own retention(cond…) per user: its first condition the user's first setup,
# condition k + 2 an export in week k from it; the weeks counted as the pack counts them.
RETENTION_EVENTS_CHDB = checksum("""WITH starts AS (
        SELECT user_id, min(toUnixTimestamp64Micro(event_time)) AS s FROM {events}
        WHERE event_name = 'integration_setup' GROUP BY user_id),
      segment_last AS (
        SELECT segment, max(toUnixTimestamp64Micro(event_time)) AS last_t FROM {events}
        WHERE event_name IN ('integration_setup', 'export') GROUP BY segment),
      per_user AS (
        SELECT e.segment AS segment, any(st.s) AS s, retention(""" + ", ".join(
    # Not Nullable: retention takes at most 8 Nullable conditions.
    f"ifNull({condition}, 0)" for condition in
    ["e.event_name = 'integration_setup' AND toUnixTimestamp64Micro(e.event_time) = st.s"]
    + [f"e.event_name = 'export' AND toUnixTimestamp64Micro(e.event_time) >= st.s + {k * WEEK_US} "
       f"AND toUnixTimestamp64Micro(e.event_time) < st.s + {(k + 1) * WEEK_US}" for k in range(13)]) + f""") AS r
        FROM {{events}} AS e JOIN starts AS st ON st.user_id = e.user_id
        GROUP BY e.segment, e.user_id)
      SELECT p.segment, k,
             countIf(p.s + (k + 1) * {WEEK_US} <= l.last_t) * 1000000
               + countIf(p.s + (k + 1) * {WEEK_US} <= l.last_t AND r[k + 2] = 1) AS value
      FROM per_user AS p JOIN segment_last AS l ON l.segment = p.segment
      ARRAY JOIN range(13) AS k
      GROUP BY p.segment, k HAVING value > 0""")

# Weeks from Monday as integers: 1970-01-01 was a Thursday.
WEEK_NUMBER = {"datafusion": "(to_unixtime(event_time) / 86400 + 3) / 7",
               "duckdb": "(CAST(event_time AS DATE) - DATE '1970-01-01' + 3) // 7"}


def lifecycle_by_hand(engine):
    """New, returning, resurrecting and dormant users per week, exactly as lifecycle() counts
    them: window functions over each user's distinct active weeks, as integers."""
    return checksum(f"""WITH active_weeks AS (
        SELECT DISTINCT user_id, {WEEK_NUMBER[engine]} AS week FROM {{events}}),
      runs AS (
        SELECT week, lag(week) OVER (PARTITION BY user_id ORDER BY week) AS previous_week,
               lead(week) OVER (PARTITION BY user_id ORDER BY week) AS next_week
        FROM active_weeks),
      bounds AS (SELECT max(week) AS last_week FROM active_weeks),
      counts AS (
        SELECT week, count(*) AS active,
               count(*) FILTER (WHERE previous_week IS NULL) AS new,
               count(*) FILTER (WHERE previous_week = week - 1) AS back,
               count(*) FILTER (WHERE previous_week < week - 1) AS resurrected
        FROM runs GROUP BY week),
      dormant AS (
        SELECT week + 1 AS week, count(*) AS dormant FROM runs CROSS JOIN bounds
        WHERE (next_week IS NULL OR next_week > week + 1) AND week + 1 <= last_week
        GROUP BY 1)
      SELECT c.week, c.active + 3 * c.new + 5 * c.back + 7 * c.resurrected
                     + 11 * coalesce(d.dormant, 0) AS value
      FROM counts AS c LEFT JOIN dormant AS d ON d.week = c.week""")


LIFECYCLE_OURS = checksum("""SELECT w['period_start'] AS week,
        w['active'] + 3 * w['new'] + 5 * w['returning'] + 7 * w['resurrecting'] + 11 * w['dormant'] AS value
    FROM (SELECT unnest(lifecycle(user_id, event_time, 'week')) AS w FROM {events}) AS weeks""")

FUNNEL_STEPS = ["login", "view_dashboard", "create_report", "export"]
DAY_US = 86_400_000_000


def funnel_by_hand(engine):
    """Users per (segment, step) of the 4-step funnel within a day, exactly as funnel() counts
    them: for each step-1 event, the earliest next step after it within the window, then the
    earliest one after that (the earliest choice leaves the most room, so the deepest chain
    from a start is found this way), over integer microseconds."""
    us = lambda column: MICROS[engine].format(column)  # noqa: E731
    names = ", ".join(f"'{n}'" for n in FUNNEL_STEPS)

    def step(k):
        return f"""s{k} AS (
        SELECT p.segment, p.user_id, p.t1, min(e.t) AS t{k}
        FROM s{k - 1} AS p JOIN e ON e.segment = p.segment AND e.user_id = p.user_id
          AND e.event_name = '{FUNNEL_STEPS[k - 1]}' AND e.t > p.t{k - 1} AND e.t <= p.t1 + {DAY_US}
        GROUP BY 1, 2, 3)"""
    return checksum(f"""WITH e AS (
        SELECT segment, user_id, {us('event_time')} AS t, event_name FROM {{events}}
        WHERE event_name IN ({names}) AND event_time IS NOT NULL),
      s1 AS (SELECT segment, user_id, t AS t1 FROM e WHERE event_name = '{FUNNEL_STEPS[0]}'),
      {step(2)}, {step(3)}, {step(4)},
      reached AS (
        SELECT DISTINCT segment, user_id, 1 AS k FROM s1
        UNION ALL SELECT DISTINCT segment, user_id, 2 FROM s2
        UNION ALL SELECT DISTINCT segment, user_id, 3 FROM s3
        UNION ALL SELECT DISTINCT segment, user_id, 4 FROM s4)
      SELECT segment, k, count(*) AS value FROM reached GROUP BY segment, k""")


FUNNEL_CONDITIONS = ", ".join(f"event_name = '{n}'" for n in FUNNEL_STEPS)

FUNNEL_OURS = checksum(f"""SELECT segment, s['step'] AS k, s['users'] AS value
    FROM (SELECT segment, unnest(funnel(user_id, event_time, INTERVAL '1 day', {FUNNEL_CONDITIONS})) AS s
          FROM {{events}} GROUP BY segment) AS steps
    WHERE s['users'] > 0""")

# ClickHouse's windowFunnel per (segment, user) over integer microseconds (it takes no
# DateTime64), then the users reaching each level.
FUNNEL_CHDB = checksum(f"""SELECT segment, k, countIf(level >= k) AS value
    FROM (SELECT segment, user_id,
                 windowFunnel({DAY_US}, 'strict_increase')(
                   toUInt64(toUnixTimestamp64Micro(event_time)), {FUNNEL_CONDITIONS}) AS level
          FROM {{events}} WHERE event_time IS NOT NULL GROUP BY segment, user_id)
    ARRAY JOIN [1, 2, 3, 4] AS k
    GROUP BY segment, k HAVING value > 0""")


SESSION_GAP_US = 30 * 60 * 1_000_000
SESSION_GAP = "INTERVAL '30 minutes'"


def sessions_by_hand(engine):
    """Bounce rate + pages per session + average session length (s) by segment from the raw
    page-view log, in one window pass: a view opens a session when the previous one is more
    than 30 minutes before it; a session is a bounce when its opening view is also its last;
    a session's length is the sum of the gaps inside it. Integer microseconds."""
    us = MICROS[engine].format("viewed_at")
    return checksum(f"""WITH v AS (
        SELECT segment, t, t - lag(t) OVER w AS since_previous, lead(t) OVER w - t AS to_next
        FROM (SELECT segment, user_id, {us} AS t FROM {{page_views}}) AS views
        WINDOW w AS (PARTITION BY user_id ORDER BY t)),
      flagged AS (
        SELECT segment, coalesce(since_previous > {SESSION_GAP_US}, true) AS opens,
               coalesce(to_next > {SESSION_GAP_US}, true) AS closes,
               CASE WHEN since_previous <= {SESSION_GAP_US} THEN since_previous ELSE 0 END AS inside
        FROM v)
      SELECT segment,
             100.0 * sum(CASE WHEN opens AND closes THEN 1 ELSE 0 END) / sum(CASE WHEN opens THEN 1 ELSE 0 END)
             + CAST(count(*) AS DOUBLE) / sum(CASE WHEN opens THEN 1 ELSE 0 END)
             + sum(inside) / 1e6 / sum(CASE WHEN opens THEN 1 ELSE 0 END) AS value
      FROM flagged GROUP BY segment""")


SESSIONS_OURS = checksum(f"""SELECT segment,
        s['bounce_rate'] + s['pages_per_session'] + s['avg_session_duration'] AS value
    FROM (SELECT segment, session_summary(user_id, viewed_at, {SESSION_GAP}) AS s
          FROM {{page_views}} GROUP BY segment) AS summaries""")


def pages_by_hand(engine):
    """Time on page (s) + exit rate (%) per URL: seconds to the next view when it is within
    30 minutes (else the view ended its session, an exit), with one lead() over each user's
    views."""
    us = MICROS[engine].format("viewed_at")
    return checksum(f"""SELECT url,
        avg(CASE WHEN to_next <= {SESSION_GAP_US} THEN to_next / 1e6 END)
        + 100.0 * avg(CASE WHEN to_next IS NULL OR to_next > {SESSION_GAP_US} THEN 1.0 ELSE 0.0 END) AS value
      FROM (SELECT url, lead(t) OVER (PARTITION BY user_id ORDER BY t) - t AS to_next
            FROM (SELECT url, user_id, {us} AS t FROM {{page_views}}) AS views) AS timed
      GROUP BY url""")


PAGES_OURS = checksum(f"""SELECT p['page'] AS url, p['avg_time_on_page'] + p['exit_rate'] AS value
    FROM (SELECT unnest(page_summary(user_id, viewed_at, url, {SESSION_GAP})) AS p
          FROM {{page_views}}) AS pages""")
# The same from our window functions, grouped by URL in SQL.
PAGES_OURS_WINDOWS = checksum(f"""SELECT url,
        avg(seconds) + 100 * avg(CAST(is_exit AS DOUBLE)) AS value
    FROM (SELECT url, time_on_page(viewed_at, {SESSION_GAP}) OVER w AS seconds,
                 session_exit(viewed_at, {SESSION_GAP}) OVER w AS is_exit
          FROM {{page_views}} WINDOW w AS (PARTITION BY user_id ORDER BY viewed_at)) AS timed
    GROUP BY url""")


def sequence_by_hand(engine):
    """Users per segment with an export within a day after a login, as sequence_match
    '(?1)(?t<=86400)(?2)' counts them: an export whose latest login at a strictly earlier
    time is at most a day before it (rows at one instant are one event), in integer
    microseconds with one window pass."""
    us = MICROS[engine].format("event_time")
    return checksum(f"""SELECT segment, count(DISTINCT user_id) AS value
      FROM (SELECT segment, user_id, event_name, t,
                   max(CASE WHEN event_name = 'login' THEN t END) OVER (
                     PARTITION BY user_id ORDER BY t
                     RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_login
            FROM (SELECT segment, user_id, event_name, {us} AS t FROM {{events}}
                  WHERE event_name IN ('login', 'export') AND event_time IS NOT NULL) AS steps) AS e
      WHERE event_name = 'export' AND t - last_login <= {DAY_US}
      GROUP BY segment""")


SEQUENCE_CONDITIONS = "event_name = 'login', event_name = 'export'"
# The same WHERE as the SQL by hand: rows meeting no condition are no event anyway.
SEQUENCE_OURS = checksum(f"""SELECT segment, count(*) FILTER (WHERE converted) AS value
    FROM (SELECT segment, user_id,
                 sequence_match('(?1)(?t<=86400)(?2)', event_time, {SEQUENCE_CONDITIONS}) AS converted
          FROM {{events}} WHERE event_name IN ('login', 'export') GROUP BY segment, user_id) AS users
    GROUP BY segment HAVING count(*) FILTER (WHERE converted) > 0""")
# ClickHouse's sequenceMatch per (segment, user) over integer microseconds, the time
# condition in the same unit.
SEQUENCE_CHDB = checksum(f"""SELECT segment, countIf(converted) AS value
    FROM (SELECT segment, user_id,
                 sequenceMatch('(?1)(?t<={DAY_US})(?2)')(
                   toUInt64(toUnixTimestamp64Micro(event_time)), {SEQUENCE_CONDITIONS}) AS converted
          FROM {{events}} WHERE event_time IS NOT NULL GROUP BY segment, user_id)
    GROUP BY segment HAVING value > 0""")


def sequence_count_by_hand(engine):
    """Login → export pairs per segment, as sequence_count('(?1)(?2)') counts them: the
    events meeting a condition in time order, rows at one instant one event (their flags
    merged), each export right after a login counted, unless that login's instant was itself
    the export of the pair before (non-overlapping matches); in integer microseconds with one
    window pass. Exact while no two instants in a row each hold both a login and an export."""
    us = MICROS[engine].format("event_time")
    return checksum(f"""SELECT segment, sum(CASE WHEN has_export AND prev_login
                              AND NOT (prev_export AND prev2_login) THEN 1 ELSE 0 END) AS value
      FROM (SELECT segment, has_export,
                   lag(has_login) OVER w AS prev_login, lag(has_export) OVER w AS prev_export,
                   lag(has_login, 2) OVER w AS prev2_login
            FROM (SELECT segment, user_id, {us} AS t, bool_or(event_name = 'login') AS has_login,
                         bool_or(event_name = 'export') AS has_export
                  FROM {{events}} WHERE event_name IN ('login', 'export') AND event_time IS NOT NULL
                  GROUP BY segment, user_id, t) AS instants
            WINDOW w AS (PARTITION BY user_id ORDER BY t)) AS e
      GROUP BY segment HAVING sum(CASE WHEN has_export AND prev_login
                                   AND NOT (prev_export AND prev2_login) THEN 1 ELSE 0 END) > 0""")


# The same WHERE as the SQL by hand: rows meeting no condition are no event anyway.
SEQUENCE_COUNT_OURS = checksum(f"""SELECT segment, sum(pairs) AS value
    FROM (SELECT segment, user_id,
                 sequence_count('(?1)(?2)', event_time, {SEQUENCE_CONDITIONS}) AS pairs
          FROM {{events}} WHERE event_name IN ('login', 'export') GROUP BY segment, user_id) AS users
    GROUP BY segment HAVING sum(pairs) > 0""")
SEQUENCE_COUNT_CHDB = checksum(f"""SELECT segment, sum(pairs) AS value
    FROM (SELECT segment, user_id,
                 sequenceCount('(?1)(?2)')(
                   toUInt64(toUnixTimestamp64Micro(event_time)), {SEQUENCE_CONDITIONS}) AS pairs
          FROM {{events}} WHERE event_time IS NOT NULL GROUP BY segment, user_id)
    GROUP BY segment HAVING value > 0""")


def next_event_by_hand(engine):
    """Users per event that follows their first login, as sequence_next_node('forward',
    'first_match', …, event_name = 'login') finds it: the events in order of time, then name;
    the next one after the first login row. One window pass for the next event, one for the
    first login."""
    return checksum("""SELECT next_event, count(*) AS value
      FROM (SELECT next_event,
                   row_number() OVER (PARTITION BY user_id ORDER BY event_time, event_name) AS k
            FROM (SELECT user_id, event_name, event_time,
                         lead(event_name) OVER (PARTITION BY user_id ORDER BY event_time, event_name) AS next_event
                  FROM {events} WHERE event_time IS NOT NULL AND event_name IS NOT NULL) AS e
            WHERE event_name = 'login') AS logins
      WHERE k = 1 AND next_event IS NOT NULL
      GROUP BY next_event""")


NEXT_EVENT_OURS = checksum("""SELECT next_event, count(*) AS value
    FROM (SELECT user_id,
                 sequence_next_node('forward', 'first_match', event_time, event_name, true,
                                    event_name = 'login') AS next_event
          FROM {events} GROUP BY user_id) AS users
    WHERE next_event IS NOT NULL GROUP BY next_event""")
# ClickHouse's sequenceNextNode compares whole seconds: the events' times are whole seconds.
NEXT_EVENT_CHDB = checksum("""SELECT next_event, count(*) AS value
    FROM (SELECT user_id,
                 sequenceNextNode('forward', 'first_match')(toDateTime(event_time), event_name, 1,
                                  event_name = 'login') AS next_event
          FROM {events} GROUP BY user_id) AS users
    WHERE next_event IS NOT NULL GROUP BY next_event""") + " SETTINGS allow_experimental_funnel_functions = 1"

def paths_by_hand(engine):
    """Users per link of the paths three events on from each user's first login, as
    paths(…, event_name = 'login', 3) counts them: the events in order of time, then name, the
    next three after the first login row (`lead`), a link per step while the path lasts, to
    NULL where it ends."""
    return checksum("""WITH firsts AS (
        SELECT e0, e1, e2, e3
        FROM (SELECT event_name AS e0, e1, e2, e3,
                     row_number() OVER (PARTITION BY user_id ORDER BY event_time, event_name) AS k
              FROM (SELECT user_id, event_name, event_time,
                           lead(event_name, 1) OVER w AS e1, lead(event_name, 2) OVER w AS e2,
                           lead(event_name, 3) OVER w AS e3
                    FROM {events} WHERE event_time IS NOT NULL AND event_name IS NOT NULL
                    WINDOW w AS (PARTITION BY user_id ORDER BY event_time, event_name)) AS e
              WHERE event_name = 'login') AS logins
        WHERE k = 1)
      SELECT step, event, next_event, count(*) AS value
      FROM (SELECT 1 AS step, e0 AS event, e1 AS next_event FROM firsts
            UNION ALL SELECT 2, e1, e2 FROM firsts WHERE e1 IS NOT NULL
            UNION ALL SELECT 3, e2, e3 FROM firsts WHERE e2 IS NOT NULL) AS links
      GROUP BY step, event, next_event""")


PATHS_OURS = checksum("""SELECT l['step'] AS step, l['event'] AS event, l['next_event'] AS next_event,
           l['users'] AS value
    FROM (SELECT unnest(paths(user_id, event_time, event_name, event_name = 'login', 3)) AS l
          FROM {events}) AS links""")

# Event-log functions (issues 18, 19 and 48), timed with --event-logs into a section of their own.
EVENT_LOG_QUERIES = {
    "retention_cohorts": ("weekly signup cohorts × 12 weeks (retention)", {
        "ours": RETENTION_OURS,
        "datafusion": retention_by_hand("datafusion"),
        "duckdb": retention_by_hand("duckdb")}),
    "retention_by_events": ("weekly retention of exports after the first integration setup × 12 weeks, by segment (retention by events)", {
        "ours": RETENTION_EVENTS_OURS,
        "datafusion": retention_events_by_hand("datafusion"),
        "duckdb": retention_events_by_hand("duckdb"),
        "chdb": RETENTION_EVENTS_CHDB}),
    "lifecycle_weeks": ("lifecycle by week", {
        "ours": LIFECYCLE_OURS,
        "datafusion": lifecycle_by_hand("datafusion"),
        "duckdb": lifecycle_by_hand("duckdb")}),
    "funnel_by_segment": ("4-step funnel by segment, 1-day window (funnel)", {
        "ours": FUNNEL_OURS,
        "datafusion": funnel_by_hand("datafusion"),
        "duckdb": funnel_by_hand("duckdb"),
        "chdb": FUNNEL_CHDB}),
    "sequence_by_segment": ("users with an export within a day of a login, by segment (sequence_match)", {
        "ours": SEQUENCE_OURS,
        "datafusion": sequence_by_hand("datafusion"),
        "duckdb": sequence_by_hand("duckdb"),
        "chdb": SEQUENCE_CHDB}),
    "sequence_count_by_segment": ("login → export pairs, one right after the other, by segment (sequence_count)", {
        "ours": SEQUENCE_COUNT_OURS,
        "datafusion": sequence_count_by_hand("datafusion"),
        "duckdb": sequence_count_by_hand("duckdb"),
        "chdb": SEQUENCE_COUNT_CHDB}),
    "next_event_after_login": ("users per event after their first login (sequence_next_node)", {
        "ours": NEXT_EVENT_OURS,
        "datafusion": next_event_by_hand("datafusion"),
        "duckdb": next_event_by_hand("duckdb"),
        "chdb": NEXT_EVENT_CHDB}),
    "paths_after_login": ("users per link of the paths 3 events on from the first login (paths)", {
        "ours": PATHS_OURS,
        "datafusion": paths_by_hand("datafusion"),
        "duckdb": paths_by_hand("duckdb")}),
    "sessions_by_segment": ("bounce rate, pages per session, session length by segment from a raw log", {
        "ours": SESSIONS_OURS,
        "datafusion": sessions_by_hand("datafusion"),
        "duckdb": sessions_by_hand("duckdb")}),
    "pages_by_url": ("time on page and exit rate per URL", {
        "ours": PAGES_OURS,
        "ours:window functions": PAGES_OURS_WINDOWS,
        "datafusion": pages_by_hand("datafusion"),
        "duckdb": pages_by_hand("duckdb")}),
}


# name -> (description, {engine: sql}); "floor" entries are the engine's own baselines.
QUERIES = {
    "nps_by_segment": ("NPS by segment",
                       metric("survey", "segment", "nps(nps_score)", NPS_CASE, NPS_CH)),
    "nps": ("NPS ungrouped", metric("survey", None, "nps(nps_score)", NPS_CASE, NPS_CH)),
    "csat_by_segment": ("CSAT by segment",
                        metric("survey", "segment", "csat(csat_score)", CSAT_CASE, CSAT_CH)),
    "csat": ("CSAT ungrouped", metric("survey", None, "csat(csat_score)", CSAT_CASE, CSAT_CH)),
    "ces_by_segment": ("CES by segment (the SQL equivalent is avg)",
                       metric("survey", "segment", "ces(ces_score)", "avg(ces_score)")),
    "ces": ("CES ungrouped (the SQL equivalent is avg)",
            metric("survey", None, "ces(ces_score)", "avg(ces_score)")),
    "avg_by_segment": ("floor: avg(score) by segment",
                       metric("survey", "segment", None, "avg(nps_score)")),
    "sum_score": ("floor: sum(score) ungrouped", metric("survey", None, None, "sum(nps_score)")),
    "churn_by_plan": ("churn rate by plan",
                      metric("customers", "plan", "churn_rate(active_at_start, active_at_end)",
                             CHURN_CASE, CHURN_CH)),
    "stickiness": ("stickiness by segment and month", {
        "ours": checksum("""SELECT segment, date_trunc('month', event_time) AS month,
                  stickiness(user_id, event_time) AS value
                  FROM {events} GROUP BY segment, month"""),
        "datafusion": checksum(stickiness_two_level("date_trunc('month', event_time)", DF_DAY)),
        "duckdb": checksum(stickiness_two_level("date_trunc('month', event_time)", DUCK_DAY)),
        "duckdb:distinct pairs": checksum(f"""SELECT segment, date_trunc('month', event_time) AS month,
                  100.0 * count(DISTINCT (user_id, {DUCK_DAY}))
                    / ((max({DUCK_DAY}) - min({DUCK_DAY}) + 1) * count(DISTINCT user_id)) AS value
                  FROM {{events}} GROUP BY segment, month"""),
        "chdb": checksum(f"""SELECT segment, toStartOfMonth(event_time) AS month,
                  100.0 * uniqExact(user_id, {CH_DAY})
                    / ((max({CH_DAY}) - min({CH_DAY}) + 1) * uniqExact(user_id)) AS value
                  FROM {{events}} GROUP BY segment, month""")}),
    "engagement_score": ("engagement_score + tier by user", {
        "ours": by_user_score(f"engagement_score(event_name, '{WEIGHTS_TEXT}')",
                              "engagement_tier(score)"),
        **dict.fromkeys(["datafusion", "duckdb", "chdb"],
                        by_user_score(f"sum({weights_case('event_name')})", SCORE_TIERS))}),
    # The aggregate alone: what its goal against count(*) compares (the tier above is a scalar
    # function over the million results, the same work in every engine).
    "engagement_score_alone": ("engagement_score by user", metric(
        "events", "user_id", f"engagement_score(event_name, '{WEIGHTS_TEXT}')",
        f"sum({weights_case('event_name')})")),
    "count_by_user": ("floor: count(*) by user", metric("events", "user_id", None, "count(*)")),
    # count(*) never reads event_name; this floor pays for decoding it, as every score query must.
    "count_events_by_user": ("floor: count(event_name) by user",
                             metric("events", "user_id", None, "count(event_name)")),
}


# The FFI overhead: our queries from Python DataFusion against the same in the shell, and
# DuckDB's Python API with the hand-written SQL (issue 20).
PYTHON_QUERIES = {
    name: (QUERIES[name][0], {"ours": QUERIES[name][1]["ours"],
                              "python": QUERIES[name][1]["ours"],
                              "duckdb": QUERIES[name][1]["duckdb"]})
    for name in ["nps_by_segment", "stickiness", "engagement_score"]
}
PYTHON_HEADING = "## Python"


def rerun_command():
    """The command line that reproduces this run, for the report."""
    return "python3 crates/datafusion-engagement/benches/compare/compare.py " + \
        " ".join(sys.argv[1:])


def goal_table(goals):
    """Markdown lines for (goal, measured, holds) triples."""
    return ["| goal | measured | holds |", "|---|---|---|"] + \
        [f"| {text} | {value} | {'yes' if holds else '**no**'} |" for text, value, holds in goals]


def relative_tables_text(lines, memory_lines, goal_lines, notes):
    """The tables of a section made by relative_tables, its goals and its notes."""
    text = f"""
{chr(10).join(lines)}

Peak resident memory (in parentheses: above the engine's idle process):

{chr(10).join(memory_lines)}

{chr(10).join(goal_lines)}
"""
    if notes:
        text += "\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    return text


def relative_tables(results, queries, title):
    """The time and memory tables of a section comparing engines with ours (the "ours"
    measurement): one row per measured query, each time with its ratio to ours and ≠ where the
    result differs. Returns (time lines, memory lines, notes)."""
    header = "| query | " + " | ".join(title.values()) + " |"
    lines = [header, "|---|" + "---|" * len(title)]
    memory_lines = list(lines)
    notes = []
    for name, (description, _) in queries.items():
        measured = results.get(name)
        if not measured:
            continue
        ours = measured.get("ours")
        row, memory_row = [description], [description]
        for engine in title:
            m = measured.get(engine)
            cell = seconds(m) if m else "—"
            if m and not m.error and ours and not ours.error and engine != "ours":
                cell += f" ({m.median / ours.median:.2f}×)"
                if not same_result(ours.rows, m.rows):
                    cell += " ≠"
                    notes.append(f"{description}, {title[engine]}: result {m.rows} differs "
                                 f"from ours {ours.rows}")
            if m and m.error:
                notes.append(f"{description}, {title[engine]}: {m.error}")
            row.append(cell)
            memory_row.append("—" if not m or m.error else
                              f"{megabytes(m.peak_rss_kib)} ({megabytes(m.query_kib)})")
        lines.append("| " + " | ".join(row) + " |")
        memory_lines.append("| " + " | ".join(memory_row) + " |")
    return lines, memory_lines, notes


def python_report(args, results):
    """The Python section: ours from Python DataFusion against the shell (goal: within 1.2 ×)
    and against DuckDB's Python API."""
    title = {"ours": "shell (`engage`)", "python": "Python DataFusion + pack",
             "duckdb": "DuckDB Python, hand-written SQL"}
    lines, memory_lines, notes = relative_tables(results, PYTHON_QUERIES, title)
    goals = []
    for name, (description, _) in PYTHON_QUERIES.items():
        ours, python = (results.get(name, {}).get(e) for e in ("ours", "python"))
        if ours and python and not ours.error and not python.error:
            overhead = python.median / ours.median
            goals.append((f"{description} from Python ≤ 1.2 × the shell", f"{overhead:.2f}×",
                          overhead <= 1.2))
    goal_lines = goal_table(goals)
    command = rerun_command()
    text = f"""{PYTHON_HEADING}

Measured {datetime.date.today().isoformat()} with `{command.strip()}`: our functions from
Python DataFusion (the `datafusion` 55 wheel from PyPI with the `datafusion_engagement` wheel,
release build, registered with `datafusion_engagement.register(ctx)`), the same SQL in the
`engage` shell, and DuckDB's Python API with the hand-written SQL of the main table. Same data
as the main table, {args.threads} threads each, each query in a fresh process, the median of
{args.runs} runs after a warm-up; results are checked against the shell's (≠ marks a
mismatch). In parentheses: the time relative to the shell.
"""
    return text + relative_tables_text(lines, memory_lines, goal_lines, notes)


def table_sql(engine, data):
    tables = TABLE_COLUMNS
    if engine == "duckdb":
        return {t: f"read_parquet('{data}/{t}.parquet')" for t in tables}
    if engine == "chdb":
        return {t: f"file('{data}/{t}.parquet', Parquet)" for t in tables}
    return {t: f"'{data}/{t}.parquet'" for t in tables}


# ---------------------------------------------------------------------------------------------
# Data shapes: the survey metrics against DataFusion's avg with the same keys and score type

# Score column types as users store them; every column holds whole numbers from 1 to 10, valid
# for nps (0-10) and for csat and ces on a 10-point scale.
SHAPE_SCORE_TYPES = {"tinyint": "TINYINT", "smallint": "SMALLINT", "int": "INT",
                     "bigint": "BIGINT", "double": "DOUBLE", "decimal": "DECIMAL(4,1)"}


def shapes_statement(rows, path):
    v = "value"
    h1, h2, h3 = hashed(v, 2654435761, 4294967291), hashed(v, 40503, 1000003), \
        hashed(v, 69069, 2147483629)
    score = f"(1 + {h1} % 10)"
    columns = [f"CAST({h2} % 10 AS INT) AS k10", f"CAST({h2} % 1000 AS INT) AS k1k",
               f"CAST({h3} % 1000000 AS INT) AS k1m",
               f"concat('segment-', {h2} % 1000) AS s1k",
               f"arrow_cast(concat('segment-', {h2} % 1000), 'Dictionary(Int32, Utf8)') AS d1k"]
    columns += [f"CAST({score} AS {sql}) AS score_{name}" for name, sql in SHAPE_SCORE_TYPES.items()]
    columns += [f"CASE WHEN {h3} % 10 = 0 THEN NULL ELSE CAST({score} AS {sql}) END "
                f"AS score_{name}_nulls" for name, sql in SHAPE_SCORE_TYPES.items()
                if name in ("tinyint", "int", "double")]
    return (f"COPY (SELECT {', '.join(columns)} FROM generate_series(1, {rows})) "
            f"TO '{path}' STORED AS PARQUET")


# (shape, key column, score column, --set options): one thing at a time changes from the first.
VIEW_TYPES_OFF = ["--set", "datafusion.execution.parquet.schema_force_view_types=false"]
SHAPES = [
    ("1 000 INT keys, INT scores", "k1k", "score_int", []),
    ("1 000 INT keys, TINYINT scores", "k1k", "score_tinyint", []),
    ("1 000 INT keys, SMALLINT scores", "k1k", "score_smallint", []),
    ("1 000 INT keys, BIGINT scores", "k1k", "score_bigint", []),
    ("1 000 INT keys, DOUBLE scores", "k1k", "score_double", []),
    ("1 000 INT keys, DECIMAL(4,1) scores", "k1k", "score_decimal", []),
    ("1 000 INT keys, INT scores, 10 % NULL", "k1k", "score_int_nulls", []),
    ("1 000 INT keys, TINYINT scores, 10 % NULL", "k1k", "score_tinyint_nulls", []),
    ("1 000 INT keys, DOUBLE scores, 10 % NULL", "k1k", "score_double_nulls", []),
    ("1 000 Utf8View keys, TINYINT scores", "s1k", "score_tinyint", []),
    ("1 000 Utf8 keys, TINYINT scores", "s1k", "score_tinyint", VIEW_TYPES_OFF),
    ("1 000 dictionary keys, TINYINT scores", "d1k", "score_tinyint", []),
    ("1 000 Utf8View keys, INT scores", "s1k", "score_int", []),
    ("10 INT keys, INT scores", "k10", "score_int", []),
    ("1 000 000 INT keys, INT scores", "k1m", "score_int", []),
]
SHAPE_QUERIES = {
    # The floor: the GROUP BY and the score column's read with an aggregate that costs next to
    # nothing per row. No aggregate over the scores can be faster than this.
    "floor": "count({s})",
    "avg": "avg({s})",
    "nps": "nps({s})",
    "csat": "csat({s}, 10)",
    "ces": "ces({s}, 10)",
    "case": ("100.0 * (sum(CASE WHEN {s} >= 9 THEN 1 ELSE 0 END) "
             "- sum(CASE WHEN {s} <= 6 THEN 1 ELSE 0 END)) / count({s})"),
}


def run_shapes(args, engage):
    """{shape: {query: Measurement}} on the shapes table: a shape's queries in one process,
    taking turns (see run_engage_in_turns)."""
    data = (args.data_dir or target_dir() / "compare-data") / f"shapes-{args.shape_rows}"
    data.mkdir(parents=True, exist_ok=True)
    path = data / "shapes.parquet"
    if not path.exists():
        step(f"generating {path}")
        subprocess.run([engage, "-q", "-c", shapes_statement(args.shape_rows, path)],
                       check=True, stdout=subprocess.DEVNULL)
    warm_up_file(engage, args.threads, path)
    results = {}
    for shape, key, score, options in SHAPES:
        step(shape)
        queries = {name: grouped(expr.format(s=score), key, "t").format(t=f"'{path}'")
                   for name, expr in SHAPE_QUERIES.items()}
        results[shape] = run_engage_in_turns(args.engage_path, args.threads, args.runs, queries,
                                             options)
        for name, m in results[shape].items():
            print(f"    {name}: {seconds(m)}" + (f": {m.error}" if m.error else ""),
                  file=sys.stderr, flush=True)
    return results


def run_engage_in_turns(engage, threads, runs, queries, options=()):
    """{name: Measurement} for `queries` ({name: sql}) run in one engage process, taking turns:
    a warm-up round, then `runs` rounds of every query. The ratios between them are what the
    shapes table reports, and a busy moment of the machine then slows every query of a round
    alike, where timed one query after another it fell on one of them (the same build's nps
    over avg ranged from 1.07× to 1.24× between runs). If a query fails, each is run alone to
    tell which."""
    command, env = engage_command(engage, threads, list(queries.values()) * (1 + runs), options)
    status, out, err, rss = run_process(command, env)
    if status != 0:
        return {name: run_engage(engage, threads, runs, sql, options=options)
                for name, sql in queries.items()}
    times, rows = timed_results(out)
    count = len(queries)
    return {name: Measurement(times[count + i::count], rss, rows[i])
            for i, name in enumerate(queries)}


def shapes_report(args, results):
    lines = ["| shape | count(score) | avg | nps | csat | ces | CASE nps |",
             "|---|---|---|---|---|---|---|"]
    misses = []
    for shape, m in results.items():
        floor, case = m.get("avg"), m.get("case")
        row = [shape, seconds(m.get("floor")), seconds(floor)]
        for name in ("nps", "csat", "ces"):
            r = ratio(m.get(name), floor)
            row.append(seconds(m.get(name)) + (f" ({r:.2f}×)" if r else ""))
            if r and r > 1.10:
                misses.append(f"{name} on {shape}: {r:.2f}× avg")
        faster, reachable = ratio(case, m.get("nps")), ratio(case, m.get("floor"))
        notes = ([f"nps {faster:.2f}× faster"] if faster else []) + \
            ([f"count {reachable:.2f}×"] if faster and reachable else [])
        row.append(seconds(case) + (f" ({'; '.join(notes)})" if notes else ""))
        if faster and faster < 2:
            bound = f" (count(score) is {reachable:.2f}× faster)" if reachable else ""
            misses.append(f"nps on {shape}: {faster:.2f}× faster than the CASE query{bound}")
        lines.append("| " + " | ".join(row) + " |")
    errors = [f"{shape}, {name}: {m.error}" for shape, ms in results.items()
              for name, m in ms.items() if m and m.error]
    command = rerun_command()
    text = f"""{SHAPES_HEADING}

Measured {datetime.date.today().isoformat()} with `{command.strip()}`: {args.shape_rows:,}
rows, one Parquet file, {args.threads} threads, a shape's queries in one `engage` process taking
turns (a warm-up round, then {args.runs} rounds; a busy moment slows a whole round), the median
of each query's runs, grouped by the shape's key and wrapped in
`SELECT count(*), sum(value)`. Every score column holds whole numbers from 1 to 10; csat and
ces use `max_score` 10. In parentheses: the time relative to DataFusion's `avg(score)` with the
same key and score column (goal ≤ 1.10×), and how many times faster nps is than the CASE query
(goal ≥ 2×) next to how many times faster `count(score)` is: the GROUP BY and the read of the
scores with an aggregate that does next to nothing per row, so no aggregate can beat the CASE
query by more than that. Utf8 keys are read with `schema_force_view_types` off (DataFusion reads Parquet
strings as Utf8View by default); dictionary keys are stored with their Arrow type.

{chr(10).join(lines)}

Goals missed in this run: {"; ".join(misses) if misses else "none"}.
"""
    if errors:
        text += "\nErrors: " + "; ".join(errors) + "\n"
    return text


SHAPES_HEADING = "## Data shapes"


def shapes_section(text, heading=SHAPES_HEADING):
    """(start, end) of a measured section of a report (data shapes, event logs): from its
    heading on a line of its own (not a "### Data shapes …" subsection of the analysis) to the
    next level-2 heading or the end; None without one."""
    match = re.search(f"^{re.escape(heading)}$", text, re.M)
    if not match:
        return None
    end = text.find("\n## ", match.end())
    return match.start(), end + 1 if end >= 0 else len(text)


def with_shapes_section(previous, section, heading=SHAPES_HEADING):
    """`previous` with its section under `heading` replaced by `section`, or `section` added
    before the analysis."""
    section = section.rstrip("\n") + "\n"
    span = shapes_section(previous, heading)
    if span:
        start, end = span
        rest = previous[end:]
        return previous[:start] + section + ("\n" + rest if rest else "")
    at = previous.find("\n" + ANALYSIS_HEADING)
    if at < 0:
        return previous + "\n" + section
    return previous[:at + 1] + section + "\n" + previous[at + 1:]


# ---------------------------------------------------------------------------------------------
# Running


class Measurement:
    def __init__(self, times, peak_rss_kib, rows, error=None):
        self.times, self.peak_rss_kib, self.rows, self.error = times, peak_rss_kib, rows, error
        self.query_kib = 0  # peak memory above the engine's idle process

    @property
    def median(self):
        return statistics.median(self.times)


class LocalCluster:
    """`engage scheduler` and two `engage executor`s on loopback. Each executor runs one task
    at a time on one core of its own (pinned, one runtime thread), so the two together have
    the cores the embedded engine gets; the scheduler and the client are not pinned."""

    def __init__(self, engage, options=()):
        """`options`: more arguments for every process (the cluster's credentials)."""
        self.processes = []
        self.work_dir = tempfile.TemporaryDirectory(prefix="engage-bench-cluster-")
        try:
            port = free_port()
            self.address = f"df://127.0.0.1:{port}"
            self.start([engage, "scheduler", "--bind", "127.0.0.1", "--port", str(port),
                        *options], "listening on", cpu=None)
            for index in range(2):
                work_dir = Path(self.work_dir.name) / f"executor-{index}"
                self.start([engage, "executor", "--scheduler", self.address,
                            "--bind", "127.0.0.1", "--port", str(free_port()),
                            "--grpc-port", str(free_port()), "--concurrent-tasks", "1",
                            "--work-dir", str(work_dir), *options],
                           "engage executor", cpu=index % os.cpu_count())
            # Executors register with their first heartbeat, just after they print.
            time.sleep(2)
        except BaseException:
            self.stop()
            raise

    def start(self, command, ready, cpu):
        env = dict(os.environ, TOKIO_WORKER_THREADS="1") if cpu is not None else None
        pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None else None
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True, env=env, preexec_fn=pin)
        self.processes.append(process)
        line = process.stderr.readline()
        if ready not in line:
            sys.exit(f"{' '.join(map(str, command[:2]))} did not start: {line.strip()} "
                     f"{process.stderr.read().strip()} (is engage built with --features "
                     f"cluster?)")
        # Drain its log so it never blocks on a full pipe.
        threading.Thread(target=process.stderr.read, daemon=True).start()

    def reset_peaks(self):
        """Restarts each process's peak-memory count at its current size (Linux clear_refs)."""
        for process in self.processes:
            Path(f"/proc/{process.pid}/clear_refs").write_text("5")

    def peak_kib(self):
        """The sum of the cluster processes' peak memory since reset_peaks."""
        total = 0
        for process in self.processes:
            status = Path(f"/proc/{process.pid}/status").read_text()
            total += int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))
        return total

    def stop(self):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.work_dir.cleanup()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_process(command, env=None):
    """Runs a command; returns (exit status, stdout, stderr, peak RSS in KiB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (process.returncode, out.read().decode(), err.read().decode(), usage.ru_maxrss)


def engage_command(engage, threads, statements, options=()):
    """The command line that times `statements` in one engage process, and its environment."""
    env = dict(os.environ, TOKIO_WORKER_THREADS=str(threads))
    command = [engage, "--target-partitions", str(threads), "--format", "csv", *options,
               "-c", "\\timing on"]
    for sql in statements:
        command += ["-c", sql]
    return command, env


def timed_results(out):
    """The times and the result rows (split into cells) engage printed, in statement order."""
    times = [float(t) for t in re.findall(r"^\d+ rows? in ([\d.]+) s$", out, re.M)]
    rows = [line.split(",") for line in out.splitlines()
            if line and not line.startswith(("grp,", "Timing is")) and " in " not in line]
    return times, rows


def run_engage(engage, threads, runs, sql, cluster=None, options=()):
    """Times `sql` in one engage process (with extra command-line `options`); on `cluster` (a
    LocalCluster) if given, adding the cluster's processes' peak memory to the client's."""
    command, env = engage_command(engage, threads, [sql] * (1 + runs), options)
    if cluster:
        command[1:1] = ["--cluster", cluster.address]
        cluster.reset_peaks()
        measured = run_engage_command(command, env)
        measured.peak_rss_kib += cluster.peak_kib()
        return measured
    return run_engage_command(command, env)


def run_engage_command(command, env):
    status, out, err, rss = run_process(command, env)
    if status != 0:
        return Measurement([], rss, None, err.strip() or out.strip())
    times, rows = timed_results(out)
    return Measurement(times[1:], rss, rows[-1])


def error_line(text):
    """The line of an engine's error output that says what went wrong."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    named = [line for line in lines if "Error" in line or "Exception" in line]
    return (named or lines or ["failed without a message"])[-1]


def run_python_engine(python, engine, threads, runs, sql):
    command = [python, HERE / "engine_runner.py", engine, str(threads), "1", str(runs), sql]
    status, out, err, rss = run_process(command)
    if status != 0:
        return Measurement([], rss, None, error_line(err or out))
    report = json.loads(out)
    return Measurement(report["times"], rss, report["rows"][0])


def idle_rss(engage, python, engine, threads, cluster):
    """Peak memory of the engine doing nothing, to tell the query's own memory apart."""
    if engine in ("ours", "datafusion", "cluster"):
        return run_engage(engage, threads, 1, "SELECT 1 AS grp",
                          cluster if engine == "cluster" else None).peak_rss_kib
    return run_python_engine(python, engine.split(":")[0], threads, 1, "SELECT 1").peak_rss_kib


def same_result(a, b):
    try:
        return all(abs(float(x) - float(y)) <= 1e-6 * max(1.0, abs(float(x)))
                   for x, y in zip(a, b, strict=True))
    except (TypeError, ValueError):
        return a == b


# ---------------------------------------------------------------------------------------------
# Report


def seconds(m):
    return "error" if m is None or m.error else f"{m.median:.3f} s"


def megabytes(kib):
    return f"{kib / 1024:.0f} MB"


def machine_description():
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        kib = int(next(line.split()[1] for line in open("/proc/meminfo")
                       if line.startswith("MemTotal")))
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
            f"{rustc}; DataFusion 55.2 (engage, release build), DuckDB {DUCKDB_VERSION}, "
            f"chDB {CHDB_VERSION} (PyPI)")


def ratio(numerator, denominator):
    if not numerator or not denominator or numerator.error or denominator.error:
        return None
    return numerator.median / denominator.median


def targets(results):
    """The speed goals (issue 16's thresholds, the cluster's of issue 15), each as (goal,
    measured, holds)."""
    def get(query, engine):
        return results.get(query, {}).get(engine)

    def fastest(query, engines):
        found = [m for e, m in results.get(query, {}).items()
                 if e.split(":")[0] in engines and m and not m.error]
        return min(found, key=lambda m: m.median) if found else None

    goals = []

    def goal(text, value, holds, fmt="{:.2f}×"):
        if value is not None:
            goals.append((text, fmt.format(value), holds(value)))

    floor = get("avg_by_segment", "datafusion")
    for metric in ("nps", "csat", "ces"):
        ours = get(f"{metric}_by_segment", "ours")
        goal(f"{metric} by segment ≤ 1.10 × DataFusion avg(score) by segment",
             ratio(ours, floor), lambda r: r <= 1.10)
        if metric != "ces":
            goal(f"{metric} by segment ≥ 2 × faster than the DataFusion CASE query",
                 ratio(get(f"{metric}_by_segment", "datafusion"), ours), lambda r: r >= 2)
    goal("nps ungrouped faster than DuckDB's CASE query",
         ratio(get("nps", "duckdb"), get("nps", "ours")), lambda r: r > 1, "{:.2f}× faster")
    ours = get("stickiness", "ours")
    for engine in ("duckdb", "chdb"):
        goal(f"stickiness ≥ 3 × faster than {engine} (its fastest exact form)",
             ratio(fastest("stickiness", [engine]), ours), lambda r: r >= 3)
    duck = fastest("stickiness", ["duckdb"])
    if ours and duck and not ours.error:
        goal("stickiness peak memory ≤ 1.5 × DuckDB's (above each idle process)",
             ours.query_kib / max(duck.query_kib, 1), lambda r: r <= 1.5)
    for name, text in (("engagement_score_alone", "engagement_score by user"),
                       ("engagement_score", "engagement_score + tier by user")):
        goal(f"{text} ≤ 1.10 × DataFusion count(*) by user",
             ratio(get(name, "ours"), get("count_by_user", "datafusion")), lambda r: r <= 1.10)
    goal("engagement_score + tier by user faster than DuckDB's CASE-sum",
         ratio(get("engagement_score", "duckdb"), get("engagement_score", "ours")),
         lambda r: r > 1, "{:.2f}× faster")
    for name, text in (("stickiness", "stickiness by segment and month"),
                       ("engagement_score", "engagement_score by user")):
        goal(f"{text} on a cluster ≤ 2 × embedded",
             ratio(get(name, "cluster"), get(name, "ours")), lambda r: r <= 2)
    return goals


def report(args, results, engines):
    columns = [e for e in ["ours", "datafusion", "duckdb", "duckdb:distinct pairs", "chdb",
                           "cluster"]
               if e.split(":")[0] in engines]
    title = {"ours": "ours", "datafusion": "DataFusion SQL", "duckdb": "DuckDB",
             "duckdb:distinct pairs": "DuckDB (distinct pairs)", "chdb": "chDB",
             "cluster": "ours on a cluster"}
    lines = ["| query | " + " | ".join(title[c] for c in columns) + " |",
             "|---|" + "---|" * len(columns)]
    memory_lines = list(lines)
    notes = []
    for name, (description, _) in QUERIES.items():
        if name not in results:
            continue
        row, memory_row = [description], [description]
        ours = results[name].get("ours")
        reference = None
        for column in columns:
            m = results[name].get(column)
            if m is None:
                row.append("—")
                memory_row.append("—")
                continue
            if m.error:
                row.append("error")
                memory_row.append("—")
                notes.append(f"{description}, {title[column]}: {m.error}")
                continue
            cell = seconds(m)
            if ours and not ours.error and column != "ours":
                cell += f" ({m.median / ours.median:.2f}×)"
            if reference is None:
                reference = m.rows
            elif not same_result(reference, m.rows):
                cell += " ≠"
                notes.append(f"{description}, {title[column]}: result {m.rows} differs from "
                             f"{reference}")
            row.append(cell)
            memory_row.append(f"{megabytes(m.peak_rss_kib)} ({megabytes(m.query_kib)})")
        lines.append("| " + " | ".join(row) + " |")
        memory_lines.append("| " + " | ".join(memory_row) + " |")

    goal_lines = goal_table(targets(results))
    sizes = (f"{args.survey_rows:,} survey rows / {args.segments:,} segments; "
             f"{args.customers:,} customers; {args.events:,} events / {args.users:,} users / "
             f"{args.days} days / {args.event_segments} segments")
    command = rerun_command()
    text = f"""# Benchmarks

Measured {datetime.date.today().isoformat()} with

    {command.strip()}

**Machine**: {machine_description()}.

**Data** (Parquet, one file per table, generated by the harness with `engage`): {sizes}.

**Method**: {args.threads} threads for every engine (DataFusion: `--target-partitions` and
`TOKIO_WORKER_THREADS`; DuckDB: `SET threads`; chDB: `max_threads`); each engine and query in a
fresh process, one warm-up run, then the median of {args.runs} timed runs of the query alone
(planning included, process start excluded). Every query is wrapped in `SELECT count(*),
sum(value)` so no engine pays for printing results; the sums are compared across engines (≠ marks
a mismatch). In parentheses: the time relative to ours (above 1 = ours is faster).

**Cluster**: "ours on a cluster" runs our queries through `engage --cluster` on a Ballista
cluster on this machine: `engage scheduler` and two `engage executor --concurrent-tasks 1`, each
executor pinned to one core with one runtime thread (so the cluster has the {args.threads} cores the
embedded engine has), shuffling through its work directory and Arrow Flight on loopback. Its
memory is the client's peak plus each cluster process's peak during the query (reset before
each query; the executors keep what earlier queries allocated).

## Time

{chr(10).join(lines)}

## Peak memory

Peak resident memory of the process (in parentheses: above the same engine's idle process, i.e.
the query's own memory).

{chr(10).join(memory_lines)}

## Goals

{chr(10).join(goal_lines)}
"""
    if notes:
        text += "\n## Notes\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"
    return text


ANALYSIS_HEADING = "## Analysis"
EVENT_LOGS_HEADING = "## Event logs"


def event_logs_report(args, results):
    """The event-log section: retention, lifecycle and the funnel against the fastest exact
    hand-written SQL on DataFusion and DuckDB, and the funnel against chDB's windowFunnel
    (issue 18's goals: ≥ 2 × faster than the fastest SQL, peak memory not above DuckDB's;
    issue 19's: ≥ 2 × faster than DuckDB's SQL and faster than chDB)."""
    title = {"ours": "ours", "datafusion": "DataFusion SQL", "duckdb": "DuckDB",
             "chdb": "chDB"}
    lines, memory_lines, notes = relative_tables(results, EVENT_LOG_QUERIES, title)
    goals = []
    for name, (description, _) in EVENT_LOG_QUERIES.items():
        measured = results.get(name)
        if not measured:
            continue
        ours = measured.get("ours")
        others = [m for e, m in measured.items()
                  if e in ("datafusion", "duckdb") and m and not m.error]
        if ours and not ours.error and others:
            fastest = min(others, key=lambda m: m.median)
            speedup = fastest.median / ours.median
            goals.append((f"{description} ≥ 2 × faster than the fastest hand-written SQL",
                          f"{speedup:.2f}×", speedup >= 2))
            chdb = measured.get("chdb")
            if chdb and not chdb.error:
                speedup = chdb.median / ours.median
                goals.append((f"{description} faster than chDB", f"{speedup:.2f}×",
                              speedup > 1))
            duck = measured.get("duckdb")
            if duck and not duck.error:
                goals.append((f"{description}: peak memory not above DuckDB's (above each idle "
                              f"process)", f"{megabytes(ours.query_kib)} vs "
                              f"{megabytes(duck.query_kib)}", ours.query_kib <= duck.query_kib))
    goal_lines = goal_table(goals)
    command = rerun_command()
    text = f"""{EVENT_LOGS_HEADING}

Measured {datetime.date.today().isoformat()} with `{command.strip()}`: {args.events:,} events
of {args.users:,} users over {args.days} days, and a users table with each user's signup time;
{args.threads} threads, each query in a fresh process, the median of {args.runs} runs after a
warm-up. Ours: `retention(user_id, event_time, INTERVAL '7 days', 12, signup_time)` over
`users LEFT JOIN events` grouped by signup week, and `lifecycle(user_id, event_time, 'week')`
over all events. Retention by events: `retention(user_id, event_time, INTERVAL '7 days', 12,
event_name = 'integration_setup', event_name = 'export')` by segment, from the events alone; by
hand, each user's first setup, the distinct (user, week) pairs of their exports in integer
microseconds and the weeks each has completed by the segment's last setup or export; chDB:
ClickHouse's `retention(cond…)` per user over the events joined to each user's first setup
(the first condition the setup itself, one per week for the exports); ours reads the same
`WHERE event_name IN ('integration_setup', 'export')` as the SQL by hand (rows that are
neither are left out anyway). sequence_count: `sequence_count('(?1)(?2)', event_time,
event_name = 'login', event_name = 'export')` per (segment, user) and summed, over the same
WHERE; by hand, one window pass over each user's instants (rows at one instant one event,
their flags merged), an export right after a login counted unless that login's instant was the
export of the pair before; chDB: `sequenceCount('(?1)(?2)')` per (segment, user). The hand-written SQL computes the same numbers (the checksums agree; ≠ marks
a mismatch): for retention, the join, each cohort's last event, the distinct (user, week since
signup) pairs in integer microseconds and the weeks each user has completed; for lifecycle,
`lag`/`lead` over each user's distinct active weeks (integer week numbers). The funnel:
`funnel(user_id, event_time, INTERVAL '1 day', …)` by segment over login → view_dashboard →
create_report → export; by hand, for each login the earliest next step within the day after
it, step by step (self-joins with `min`, in integer microseconds), then the users reaching each
step; chDB: `windowFunnel(window, 'strict_increase')` per (segment, user), then the users per
level. The sequence: `sequence_match('(?1)(?t<=86400)(?2)', event_time, login, export)` per
(segment, user) over the login and export rows, then the users matching by segment; by hand,
each export's latest earlier login in one window pass (`RANGE … 1 PRECEDING`); chDB:
`sequenceMatch` over integer microseconds. Sessions: a page-view log of {args.events:,} views (each user's views in 8 visits of up
to 20 minutes, no session id); ours: `session_summary(user_id, viewed_at, INTERVAL '30
minutes')` by segment, its bounce rate, pages per session and average length (one aggregate;
`bounce_rate`, `pages_per_session` and `avg_session_duration` side by side each make the
sessions again), and per URL `page_summary(user_id, viewed_at, url, INTERVAL '30 minutes')`
unnested, its time on page and exit rate (ours, window functions: `time_on_page` and
`session_exit` over `PARTITION BY user_id ORDER BY viewed_at`, grouped by URL); by hand, the
fastest form we found: one `lag`/`lead` pass over each user's views in integer
microseconds (a view opens a session after more than 30 minutes; a session's length is the sum
of its inner gaps), then one aggregation. In parentheses: the time relative to ours; — where an
engine has no such query.
"""
    return text + relative_tables_text(lines, memory_lines, goal_lines, notes)


def report_text(path):
    """An existing report's text, or "" where there is none."""
    try:
        return path.read_text()
    except OSError:
        return ""


def kept_analysis(previous):
    """The hand-written analysis (profiles, what a goal would take) at the end of a previous
    report, from its heading on: a new run replaces the tables, not the explanation of them."""
    start = previous.find("\n" + ANALYSIS_HEADING)
    return "" if start < 0 else previous[start:]


def kept_shapes(previous, heading=SHAPES_HEADING):
    """A measured section of a previous report (--shapes and --event-logs runs write them),
    kept when the main tables are measured again."""
    span = shapes_section(previous, heading)
    return previous[span[0]:span[1]] if span else ""


def run_all(args, names, engines, engage, python, data, cluster, queries=QUERIES):
    """{query name: {variant: Measurement}}; the cluster runs the "ours" queries."""
    idle = {}
    results = {}
    for name in names:
        description, variants = queries[name]
        if "ours" in variants:
            variants = dict(variants, cluster=variants["ours"])
        results[name] = {}
        for variant, sql in variants.items():
            engine = variant.split(":")[0]
            if engine not in engines:
                continue
            step(f"{description}: {variant}")
            sql = sql.format(**table_sql(engine, data))
            if engine in ("ours", "datafusion"):
                m = run_engage(engage, args.threads, args.runs, sql)
            elif engine == "cluster":
                m = run_engage(engage, args.threads, args.runs, sql, cluster)
            else:
                m = run_python_engine(python, engine, args.threads, args.runs, sql)
            if engine not in idle:
                idle[engine] = idle_rss(engage, python, engine, args.threads, cluster)
            m.query_kib = max(m.peak_rss_kib - idle[engine], 0)
            results[name][variant] = m
            print(f"    {seconds(m)}, peak {megabytes(m.peak_rss_kib)}"
                  + (f": {m.error}" if m.error else ""), file=sys.stderr, flush=True)
    return results


def main():
    args = arguments()
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - {"ours", "datafusion", "duckdb", "chdb", "cluster", "python"}
    if unknown:
        sys.exit(f"unknown engines: {', '.join(sorted(unknown))}")
    if args.python:
        engines = [e for e in engines if e in ("ours", "python", "duckdb")] + \
            (["python"] if "python" not in engines else [])
    if args.rollups:
        import rollups
        known = rollups.QUERIES
    else:
        known = None
    known = known or (EVENT_LOG_QUERIES if args.event_logs else
             PYTHON_QUERIES if args.python else QUERIES)
    names = [q.strip() for q in args.queries.split(",") if q.strip()] or list(known)
    unknown = set(names) - set(known)
    if unknown:
        sys.exit(f"unknown queries: {', '.join(sorted(unknown))}; known: {', '.join(known)}")

    engage = build_engage(args, engines)
    if args.shapes:
        args.engage_path = engage
        section = shapes_report(args, run_shapes(args, engage))
        print(section)
        previous = report_text(args.output) or "# Benchmarks\n"
        args.output.write_text(with_shapes_section(previous, section))
        step(f"wrote the data-shapes section of {args.output}")
        return
    python = virtual_env() if {"duckdb", "chdb", "python"} & set(engines) else None
    if "python" in engines:
        install_python_package(args, python)
    data = generate_data(args, engage)
    warm_up(engage, args.threads, data)
    if args.python:
        results = run_all(args, names, engines, engage, python, data, None, PYTHON_QUERIES)
        section = python_report(args, results)
        print(section)
        previous = report_text(args.output) or "# Benchmarks\n"
        args.output.write_text(with_shapes_section(previous, section, PYTHON_HEADING))
        step(f"wrote the Python section of {args.output}")
        return
    if args.rollups:
        rollups.prepare(args, engage, data)
        results = rollups.run(args, engage, python, data, names)
        section = rollups.report(args, results, rollups.storage(python, data, args) if python else [])
        print(section)
        previous = report_text(args.output) or "# Benchmarks\n"
        args.output.write_text(with_shapes_section(previous, section, rollups.ROLLUPS_HEADING))
        step(f"wrote the rollups section of {args.output}")
        return
    if args.cluster_security:
        import cluster_security
        results = cluster_security.run(args, engage, data)
        section = cluster_security.report(args, results)
        print(section)
        previous = report_text(args.output) or "# Benchmarks\n"
        args.output.write_text(with_shapes_section(
            previous, section, cluster_security.CLUSTER_SECURITY_HEADING))
        step(f"wrote the cluster-security section of {args.output}")
        return
    if args.event_logs:
        results = run_all(args, names, [e for e in engines if e != "cluster"],
                          engage, python, data, None, EVENT_LOG_QUERIES)
        section = event_logs_report(args, results)
        print(section)
        previous = report_text(args.output) or "# Benchmarks\n"
        args.output.write_text(with_shapes_section(previous, section, EVENT_LOGS_HEADING))
        step(f"wrote the event-logs section of {args.output}")
        return
    cluster = LocalCluster(engage) if "cluster" in engines else None
    try:
        results = run_all(args, names, engines, engage, python, data, cluster)
    finally:
        if cluster:
            cluster.stop()
    text = report(args, results, engines)
    print(text)
    previous = report_text(args.output)
    text += kept_analysis(previous)
    # The other runs' sections (rollups.py and cluster_security.py name theirs).
    for heading in (SHAPES_HEADING, EVENT_LOGS_HEADING, PYTHON_HEADING,
                    "## Stored states and sketches", "## Cluster security"):
        section = kept_shapes(previous, heading)
        if section:
            text = with_shapes_section(text, section, heading)
    args.output.write_text(text)
    step(f"wrote {args.output}")


if __name__ == "__main__":
    main()
