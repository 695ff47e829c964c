"""The funnel and sequence functions judged by ClickHouse itself (chDB, ClickHouse in-process):
on random event logs (ties, rows meeting no step, rows meeting two steps, repeated rows, steps
exactly one window apart), every user's result from the pack equals ClickHouse's built-in's.

ClickHouse's `windowFunnel` is called with 'strict_increase' added to each mode: the pack's
steps are always strictly later than the one before."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import chdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import new_context

BASE = dt.datetime(2026, 3, 2, 0, 0, 0)
EVENTS = ["view", "cart", "checkout", "pay", "search", "help"]
STEPS = "e = 'view', e = 'cart' OR also_cart, e = 'checkout', e = 'pay'"


def random_log(seed: int, users: int = 120, events: int = 2400, window_seconds: int = 3600) -> pa.Table:
    """Events over three days, bunched in visits; a few at one instant, a few exactly one
    window after another event of the user, a few repeated row for row."""
    rnd = random.Random(seed)
    rows: list[tuple[str, dt.datetime, str, bool]] = []
    for _ in range(events):
        user = f"u{rnd.randrange(users)}"
        seconds = rnd.choice([rnd.randrange(3 * 86400), rnd.randrange(3 * 24) * 3600 + rnd.randrange(600)])
        at = BASE + dt.timedelta(seconds=seconds)
        event = rnd.choices(EVENTS, weights=[5, 4, 3, 2, 2, 1])[0]
        rows.append((user, at, event, rnd.random() < 0.05))
        roll = rnd.random()
        if roll < 0.05:
            rows.append((user, at, rnd.choice(EVENTS), False))  # another event at the instant
        elif roll < 0.08:
            rows.append((user, at + dt.timedelta(seconds=window_seconds), rnd.choice(EVENTS), False))
        elif roll < 0.10:
            rows.append(rows[-1])  # the same row twice
    rnd.shuffle(rows)
    return table_of(rows)


def table_of(rows: list[tuple[str, dt.datetime, str, bool]]) -> pa.Table:
    user_ids, times, names, also_cart = zip(*rows)
    return pa.table({
        "user_id": pa.array(user_ids, pa.string()),
        "t": pa.array(times, pa.timestamp("us")),
        "e": pa.array(names, pa.string()),
        "also_cart": pa.array(also_cart, pa.bool_()),
    })


def ours(log: pa.Table, sql: str) -> dict[str, tuple]:
    ctx = new_context()
    # Small batches: each user's events spread over partitions and merges.
    ctx.register_record_batches("log", [log.to_batches(max_chunksize=97)])
    return {row[0]: tuple(row[1:]) for row in _rows(ctx.sql(sql).to_arrow_table())}


def clickhouse(path: Path, sql: str) -> dict[str, tuple]:
    table = chdb.query(sql.replace("log", f"file('{path}', Parquet)"), "ArrowStream")
    result = pa.ipc.open_stream(table.bytes()).read_all()
    return {row[0]: tuple(row[1:]) for row in _rows(result)}


def _rows(table: pa.Table) -> list[tuple]:
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return list(zip(*columns))


def same_per_user(ours_result: dict, theirs: dict, what: str) -> None:
    assert ours_result.keys() == theirs.keys(), what
    differ = {u: (ours_result[u], theirs[u]) for u in ours_result if ours_result[u] != theirs[u]}
    assert not differ, f"{what}: {len(differ)} of {len(theirs)} users differ (ours, ClickHouse): {dict(list(differ.items())[:5])}"


def mode_args(modes: list[str]) -> str:
    return "".join(f", '{mode}'" for mode in modes)


def write(log: pa.Table, tmp_path: Path) -> Path:
    path = tmp_path / "log.parquet"
    pq.write_table(log, path)
    return path


MODES = [
    [],
    ["strict_order"],
    ["strict_deduplication"],
    ["strict_order", "strict_deduplication"],
    ["strict_order", "allow_reentry"],
    ["strict_order", "allow_reentry", "strict_deduplication"],
    ["strict_once"],
    ["strict_order", "strict_once"],
    ["strict_deduplication", "strict_once"],
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("window_seconds", [3600, 86400])
@pytest.mark.parametrize("modes", MODES, ids=lambda m: "+".join(m) or "default")
def test_window_funnel_equals_clickhouse(seed, window_seconds, modes, tmp_path):
    log = random_log(seed, window_seconds=window_seconds)
    path = write(log, tmp_path)
    ours_modes, ch_modes = mode_args(modes), mode_args(modes + ["strict_increase"])
    mine = ours(log, f"""
        SELECT user_id, window_funnel(INTERVAL '{window_seconds} seconds', t, {STEPS}{ours_modes})
        FROM log GROUP BY user_id""")
    theirs = clickhouse(path, f"""
        SELECT user_id, toInt64(windowFunnel({window_seconds * 1_000_000}{ch_modes})(
                 toUInt64(toUnixTimestamp64Micro(t)), {STEPS}))
        FROM log GROUP BY user_id""")
    same_per_user(mine, theirs, f"window_funnel {modes}, window {window_seconds} s, seed {seed}")


@pytest.mark.parametrize("modes", MODES, ids=lambda m: "+".join(m) or "default")
def test_funnel_counts_users_of_clickhouses_levels(modes, tmp_path):
    """`funnel` by group: the users whose ClickHouse level reaches each step."""
    log = random_log(7)
    path = write(log, tmp_path)
    ours_modes, ch_modes = mode_args(modes), mode_args(modes + ["strict_increase"])
    mine = ours(log, f"""
        SELECT substr(user_id, 1, 2) AS g, funnel(user_id, t, INTERVAL '1 hour', {STEPS}{ours_modes}) AS f
        FROM log GROUP BY g""")
    theirs = clickhouse(path, f"""
        SELECT g, groupArray(users) FROM (
          SELECT g, step, countIf(level >= step) AS users FROM (
            SELECT substring(user_id, 1, 2) AS g, user_id,
                   windowFunnel(3600000000{ch_modes})(toUInt64(toUnixTimestamp64Micro(t)), {STEPS}) AS level
            FROM log GROUP BY g, user_id) ARRAY JOIN [1, 2, 3, 4] AS step
          GROUP BY g, step ORDER BY g, step)
        GROUP BY g""")
    mine = {g: (tuple(step["users"] for step in f),) for g, (f,) in mine.items()}
    same_per_user(mine, {g: (tuple(users),) for g, (users,) in theirs.items()}, f"funnel {modes}")


@pytest.mark.parametrize("seed", range(4))
def test_longest_walk_takes_the_best_attempt(seed):
    """'longest_walk' judges each attempt from a step-1 event on its own, where ClickHouse's
    pass ends at the first interruption: further where a later attempt converts, less where
    step 1 comes back within an attempt (A-B-A-C: the walk from the first A stops at the
    second, 2; the pass restarts there and C still extends the first chain, 3). Without a
    strict mode it is every chain kept, as 'strict_once'."""
    log = random_log(seed, window_seconds=86400)
    calls = {
        name: f"window_funnel(INTERVAL '1 day', t, {STEPS}{mode_args(modes)})"
        for name, modes in {
            "order": ["strict_order"], "order_walk": ["strict_order", "longest_walk"],
            "dedup": ["strict_deduplication"], "dedup_walk": ["strict_deduplication", "longest_walk"],
            "once": ["strict_once"], "walk": ["longest_walk"],
        }.items()
    }
    levels = ours(log, f"SELECT user_id, {', '.join(f'{c} AS {n}' for n, c in calls.items())} FROM log GROUP BY user_id")
    assert all(walk == once for *_, once, walk in levels.values())
    # On a log of three days, both happen.
    for strict, walked in [(0, 1), (2, 3)]:
        assert any(level[walked] > level[strict] for level in levels.values())
        assert any(level[walked] < level[strict] for level in levels.values())


def sequence_log(seed: int, users: int = 120, events: int = 3000) -> pa.Table:
    """Events over three days, bunched in visits, rows meeting no condition among them, and
    no two rows of a user at one instant: ClickHouse orders such rows arbitrarily, where the
    pack makes them one event."""
    rnd = random.Random(seed)
    taken: set[tuple[str, int]] = set()
    rows: list[tuple[str, dt.datetime, str, bool]] = []
    for _ in range(events):
        user = f"u{rnd.randrange(users)}"
        seconds = rnd.choice([rnd.randrange(3 * 86400), rnd.randrange(3 * 24) * 3600 + rnd.randrange(900)])
        if (user, seconds) in taken:
            continue
        taken.add((user, seconds))
        event = rnd.choices(EVENTS, weights=[5, 4, 3, 2, 2, 1])[0]
        rows.append((user, BASE + dt.timedelta(seconds=seconds), event, rnd.random() < 0.05))
    rnd.shuffle(rows)
    return table_of(rows)


PATTERNS = [
    "", ".", "(?1)", "(?1)(?2)", "(?1).*(?2)", "(?1).*(?2).*(?3)", "(?1).(?2)", "(?3)..(?1)",
    "(?1)(?t<=3600)(?2)", "(?1).*(?t<=3600)(?4)", "(?2)(?t>600)(?3)", "(?1)(?t>=60)(?2)(?t<1800)(?4)",
    "(?1)(?t<10)(?1)", "(?2)(?t==0)(?2)", "(?t<=5)(?1)", "(?1).*(?t>=86400)(?1)", "(?1)(?2)(?3)(?4)",
]


@pytest.mark.parametrize("seed", range(3))
def test_sequence_match_and_count_equal_clickhouse(seed, tmp_path):
    log = sequence_log(seed)
    path = write(log, tmp_path)
    calls = [(f"m{i}", "sequence_match", "sequenceMatch", p) for i, p in enumerate(PATTERNS)] + [
        (f"c{i}", "sequence_count", "sequenceCount", p) for i, p in enumerate(PATTERNS)]
    mine = ours(log, "SELECT user_id, " + ", ".join(
        f"CAST({ours_name}('{p}', t, {STEPS}) AS BIGINT) AS {n}" for n, ours_name, _, p in calls) + " FROM log GROUP BY user_id")
    theirs = clickhouse(path, "SELECT user_id, " + ", ".join(
        f"toInt64({ch_name}('{p}')(toDateTime(t), {STEPS})) AS {n}" for n, _, ch_name, p in calls) + " FROM log GROUP BY user_id")
    assert mine.keys() == theirs.keys()
    for i, (_, name, _, pattern) in enumerate(calls):
        differ = {u: (mine[u][i], theirs[u][i]) for u in mine if mine[u][i] != theirs[u][i]}
        assert not differ, f"{name}('{pattern}'), seed {seed}: {len(differ)} of {len(mine)} users differ (ours, ClickHouse): {dict(list(differ.items())[:5])}"
    # Most patterns tell users apart: true for some, false for others.
    telling = [pattern for i, (_, name, _, pattern) in enumerate(calls)
               if name == "sequence_match" and 0 < sum(row[i] for row in mine.values()) < len(mine)]
    assert len(telling) >= 10, telling


# (direction, base, base_condition, chain events) of sequence_next_node.
NEXT_NODE_CALLS = [
    ("forward", "head", "true", []),
    ("forward", "head", "true", ["view"]),
    ("forward", "head", "e <> 'help'", ["view", "cart"]),
    ("forward", "head", "true", ["view", "search"]),
    ("backward", "tail", "true", []),
    ("backward", "tail", "true", ["pay"]),
    ("backward", "tail", "e <> 'search'", ["pay", "checkout"]),
    ("forward", "first_match", "true", ["view"]),
    ("forward", "first_match", "e <> 'help'", ["view", "cart"]),
    ("forward", "first_match", "true", ["cart", "cart"]),
    ("forward", "last_match", "true", ["view"]),
    ("forward", "last_match", "true", ["search", "view"]),
    ("backward", "first_match", "true", ["cart"]),
    ("backward", "first_match", "true", ["cart", "view"]),
    ("backward", "last_match", "true", ["pay"]),
    ("backward", "last_match", "true", ["pay", "checkout", "cart"]),
]


@pytest.mark.parametrize("seed", range(4))
def test_sequence_next_node_equals_clickhouse(seed, tmp_path):
    """Logs with rows at one instant (ClickHouse orders them by event, as the pack does) and
    rows repeated row for row; conditions only on the event, so that rows of one time and one
    event meet the same ones, whose order ClickHouse leaves to the order they came in."""
    log = random_log(seed)
    path = write(log, tmp_path)

    def chain(events: list[str]) -> str:
        return "".join(f", e = '{event}'" for event in events)

    mine = ours(log, "SELECT user_id, " + ", ".join(
        f"sequence_next_node('{d}', '{b}', t, e, {c}{chain(events)}) AS n{i}"
        for i, (d, b, c, events) in enumerate(NEXT_NODE_CALLS)) + " FROM log GROUP BY user_id")
    theirs = clickhouse(path, "SELECT user_id, " + ", ".join(
        f"sequenceNextNode('{d}', '{b}')(toDateTime(t), e, toUInt8({c}){chain(events)}) AS n{i}"
        for i, (d, b, c, events) in enumerate(NEXT_NODE_CALLS))
        + " FROM log GROUP BY user_id SETTINGS allow_experimental_funnel_functions = 1")
    assert mine.keys() == theirs.keys()
    for i, call in enumerate(NEXT_NODE_CALLS):
        differ = {u: (mine[u][i], theirs[u][i]) for u in mine if mine[u][i] != theirs[u][i]}
        assert not differ, f"sequence_next_node{call}, seed {seed}: {len(differ)} of {len(mine)} users differ (ours, ClickHouse): {dict(list(differ.items())[:5])}"
    # Every call finds nodes, and most find none for some users too.
    found = [sum(row[i] is not None for row in mine.values()) for i in range(len(NEXT_NODE_CALLS))]
    assert all(found), found
    assert sum(n < len(mine) for n in found) >= len(found) // 2, found


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("unbounded", [False, True], ids=["n_day", "on_or_after"])
def test_retention_by_events_equals_clickhouses_retention(seed, unbounded, tmp_path):
    """Retention from the event log alone, per user, against ClickHouse's `retention(cond…)`:
    its first condition the user's start row (first view), condition k + 2 a payment in period
    k of 6 hours from it (or, on or after, in period k or later). A period counts when the
    user's last view or payment has passed its end, as the pack counts it; brackets of periods (0, 1,
    2-3, 4-6) are read from the same conditions."""
    log = random_log(seed)
    path = write(log, tmp_path)
    hours, brackets = 6, [(0, 0), (1, 1), (2, 3), (4, 6)]
    function = "unbounded_retention" if unbounded else "retention"
    mine = ours(log, f"""
        SELECT user_id, {function}(user_id, t, INTERVAL '{hours} hours', '1, 2-3, 4-6',
                                   e = 'view', e = 'pay') AS r
        FROM log GROUP BY user_id""")

    def returns_in(first: int, last: int) -> str:
        since = f"l.t >= s.start + toIntervalHour({hours * first})"
        until = "" if unbounded else f" AND l.t < s.start + toIntervalHour({hours * (last + 1)})"
        return f"l.e = 'pay' AND {since}{until}"

    conditions = ", ".join(["l.e = 'view' AND l.t = s.start"] + [returns_in(f, l) for f, l in brackets])
    theirs = clickhouse(path, f"""
        SELECT l.user_id, retention({conditions}) AS r, any(s.start), any(s.last)
        FROM log AS l JOIN (SELECT user_id, minIf(t, e = 'view') AS start,
                                   maxIf(t, e IN ('view', 'pay')) AS last
                            FROM log GROUP BY user_id HAVING countIf(e = 'view') > 0) AS s
          ON l.user_id = s.user_id
        GROUP BY l.user_id""")
    expected = {}
    for user, (r, start, last) in theirs.items():
        over = [last >= start + dt.timedelta(hours=hours * (b_last + 1)) for _, b_last in brackets]
        expected[user] = (tuple((int(o), r[i + 1] if o else 0) for i, o in enumerate(over)),)
    got = {u: (tuple((p["users"], p["retained"]) for p in r),) for u, (r,) in mine.items() if u in expected}
    same_per_user(got, expected, f"{function} by events, seed {seed}")
    # Users without a view are in no cohort; most started users are counted in some bracket,
    # and some retained.
    assert all(p["users"] == 0 for u, (r,) in mine.items() if u not in expected for p in r)
    assert sum(any(c for c, _ in v[0][1:]) for v in expected.values()) > len(expected) // 2
    assert any(k for v in expected.values() for _, k in v[0][1:])
