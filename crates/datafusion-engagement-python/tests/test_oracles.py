"""Sessions from a raw log judged by DuckDB itself: on random page-view logs (clustered views,
ties, gaps of exactly the threshold, NULL times), every view's session number, time on page,
entry and exit flags from the pack's window functions, and each segment's sessions, bounce
rate, pages per session and average length from `session_summary`, and each segment's
per-page views, entrances, exits, bounces, rates and time on page from `page_summary`, equal
DuckDB's answer to the usual SQL (`lag` marks a view more than `gap` after the previous one, a
running sum numbers the sessions), user by user."""

from __future__ import annotations

import datetime as dt
import math
import random

import duckdb
import pyarrow as pa
import pytest

from conftest import new_context

BASE = dt.datetime(2026, 3, 1, 9, 0, 0)


def random_log(seed: int, users: int = 30, views: int = 800) -> pa.Table:
    """Views bunched in visits of a few minutes, some exactly 30 or 10 minutes apart, some at
    the same instant, a few without a time."""
    rnd = random.Random(seed)
    ids, user_ids, times, pages = [], [], [], []
    for view in range(views):
        minutes = rnd.choice([rnd.randrange(0, 240), 10 * rnd.randrange(0, 24), 30 * rnd.randrange(0, 8)])
        seconds = rnd.choice([0, 0, rnd.randrange(60)])
        at = BASE + dt.timedelta(days=rnd.randrange(3), minutes=minutes, seconds=seconds,
                                 microseconds=rnd.choice([0, 0, 1]))
        ids.append(view)
        user_ids.append(f"u{rnd.randrange(users)}")
        times.append(None if rnd.random() < 0.02 else at)
        pages.append(f"/p{rnd.randrange(6)}")
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "user_id": pa.array(user_ids, pa.string()),
        "viewed_at": pa.array(times, pa.timestamp("us")),
        "page": pa.array(pages, pa.string()),
    })


def ours(log: pa.Table, sql: str) -> list[dict]:
    ctx = new_context()
    ctx.register_record_batches("log", [log.to_batches()])
    return ctx.sql(sql).to_arrow_table().to_pylist()


def duck(log: pa.Table, sql: str) -> list[dict]:
    con = duckdb.connect()
    con.register("log", log)
    return con.sql(sql).to_arrow_table().to_pylist()


def duckdb_views(gap_minutes: int, order: str = "viewed_at, id") -> str:
    """Each view's session, seconds to the next view of its session, entry and exit, by the
    usual SQL in DuckDB (views of one time in id order, as the pack's ORDER BY below has them,
    or in another `order`)."""
    gap = f"INTERVAL '{gap_minutes} minutes'"
    return f"""
        WITH neighbours AS (
          SELECT id, user_id, viewed_at, page, lag(viewed_at) OVER w AS previous, lead(viewed_at) OVER w AS next
          FROM log WHERE viewed_at IS NOT NULL
          WINDOW w AS (PARTITION BY user_id ORDER BY {order})),
        flagged AS (
          SELECT *, previous IS NULL OR viewed_at - previous > {gap} AS opens,
                 next IS NULL OR next - viewed_at > {gap} AS closes
          FROM neighbours)
        SELECT id,
               sum(CASE WHEN opens THEN 1 ELSE 0 END)
                 OVER (PARTITION BY user_id ORDER BY {order} ROWS UNBOUNDED PRECEDING) AS session,
               CASE WHEN NOT closes THEN (epoch_us(next) - epoch_us(viewed_at)) / 1e6 END AS seconds,
               opens AS is_entry, closes AS is_exit
        FROM flagged ORDER BY id"""


def pack_views(gap_minutes: int) -> str:
    gap = f"INTERVAL '{gap_minutes} minutes'"
    return f"""
        SELECT id, sessionize(viewed_at, {gap}) OVER w AS session,
               time_on_page(viewed_at, {gap}) OVER w AS seconds,
               session_entry(viewed_at, {gap}) OVER w AS is_entry,
               session_exit(viewed_at, {gap}) OVER w AS is_exit
        FROM log WHERE viewed_at IS NOT NULL
        WINDOW w AS (PARTITION BY user_id ORDER BY viewed_at, id) ORDER BY id"""


def same(a, b, where):
    if a is None and b is None:
        return
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), \
            f"{where}: {a} vs {b}"
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("gap_minutes", [30, 10])
def test_window_functions_equal_duckdb(seed, gap_minutes):
    log = random_log(seed)
    mine, theirs = ours(log, pack_views(gap_minutes)), duck(log, duckdb_views(gap_minutes))
    assert len(mine) == len(theirs) > 700
    for row, expected in zip(mine, theirs):
        for column in expected:
            same(row[column], expected[column], f"seed {seed}, view {expected['id']}, {column}")
    # The logs are not trivial: sessions of several views and gaps of exactly the threshold.
    assert max(r["session"] for r in theirs) > 3
    assert any(r["is_entry"] is False for r in theirs)


@pytest.mark.parametrize("seed", range(6))
def test_session_summary_equals_duckdb(seed):
    log = random_log(seed + 100)
    segment = "CAST(substr(user_id, 2) AS INT) % 3"
    mine = ours(log, f"""
        SELECT segment, s['sessions'] AS sessions, s['page_views'] AS views, s['bounce_rate'] AS bounce,
               s['pages_per_session'] AS pages, s['avg_session_duration'] AS seconds
        FROM (SELECT {segment} AS segment, session_summary(user_id, viewed_at, INTERVAL '30 minutes') AS s
              FROM log GROUP BY segment)
        ORDER BY segment""")
    theirs = duck(log, f"""
        WITH views AS ({duckdb_views(30)}),
        sessions AS (
          SELECT {segment} AS segment, l.user_id, v.session, count(*) AS views,
                 epoch_us(max(l.viewed_at)) - epoch_us(min(l.viewed_at)) AS span
          FROM views v JOIN log l USING (id) GROUP BY segment, l.user_id, v.session)
        SELECT segment, count(*) AS sessions, sum(views) AS views,
               100.0 * avg(CASE WHEN views = 1 THEN 1 ELSE 0 END) AS bounce,
               avg(views) AS pages, avg(span) / 1e6 AS seconds
        FROM sessions GROUP BY segment ORDER BY segment""")
    assert len(mine) == len(theirs) == 3
    for row, expected in zip(mine, theirs):
        for column in expected:
            same(row[column], expected[column], f"seed {seed}, segment {expected['segment']}, {column}")


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("gap_minutes", [30, 10])
def test_page_summary_equals_duckdb(seed, gap_minutes):
    log = random_log(seed + 200)
    segment = "CAST(substr(user_id, 2) AS INT) % 3"
    mine = ours(log, f"""
        SELECT segment, p['page'] AS page, p['views'] AS views, p['entrances'] AS entrances,
               p['exits'] AS exits, p['bounces'] AS bounces, p['exit_rate'] AS exit_rate,
               p['bounce_rate'] AS bounce_rate, p['avg_time_on_page'] AS seconds
        FROM (SELECT segment, unnest(page_summary(user_id, viewed_at, page, INTERVAL '{gap_minutes} minutes')) AS p
              FROM (SELECT {segment} AS segment, * FROM log) GROUP BY segment)
        ORDER BY segment, page""")
    # Views at one instant in page order, as page_summary takes them.
    theirs = duck(log, f"""
        WITH views AS ({duckdb_views(gap_minutes, "viewed_at, page, id")})
        SELECT {segment} AS segment, l.page, count(*) AS views,
               sum(CAST(is_entry AS INT)) AS entrances, sum(CAST(is_exit AS INT)) AS exits,
               sum(CAST(is_entry AND is_exit AS INT)) AS bounces,
               100.0 * avg(CAST(is_exit AS INT)) AS exit_rate,
               100.0 * sum(CAST(is_entry AND is_exit AS INT)) / nullif(sum(CAST(is_entry AS INT)), 0) AS bounce_rate,
               avg(seconds) AS seconds
        FROM views v JOIN log l USING (id) GROUP BY segment, l.page ORDER BY segment, page""")
    assert len(mine) == len(theirs) == 18
    for row, expected in zip(mine, theirs):
        for column in expected:
            same(row[column], expected[column],
                 f"seed {seed}, segment {expected['segment']}, page {expected['page']}, {column}")
    # Pages that land sessions and pages only ever left from.
    assert any(r["entrances"] > 0 for r in theirs) and any(r["exits"] > 0 for r in theirs)
