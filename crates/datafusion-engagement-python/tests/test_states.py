"""Stored states through Python DataFusion (the real `datafusion` wheel, over the FFI): daily
states written to Parquet by `f_state` and read back by `f_merge` equal `f` over the rows, and
`f_union` combines them; a state of another function is refused."""

from __future__ import annotations

import math

import pytest

import datafusion_engagement

from conftest import new_context

# (function, its arguments, the table, the day column): each function monthly by segment (by
# user for engagement_score, by channel for the page views).
CALLS = [
    ("nps", "nps_score, survey_weight", "responses", "response_date"),
    ("csat_summary", "csat_score, 5", "responses", "response_date"),
    ("stickiness", "user_id, event_time, 'month'", "events", "CAST(event_time AS DATE)"),
    ("engagement_score", "event_name, 'login=1, create_report=5, export=3'", "events",
     "CAST(event_time AS DATE)"),
    ("retention", "user_id, event_time, INTERVAL '7 days', 6", "events", "CAST(event_time AS DATE)"),
    ("funnel", "user_id, event_time, INTERVAL '7 days', event_name = 'login', "
               "event_name = 'create_report'", "events", "CAST(event_time AS DATE)"),
    ("bounce_rate", "user_id, viewed_at, INTERVAL '30 minutes'", "page_views", "CAST(viewed_at AS DATE)"),
]


def rows(ctx, sql):
    return ctx.sql(sql).to_pylist()


def same(got, expected):
    if isinstance(expected, float) and isinstance(got, float):
        return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, dict) and isinstance(got, dict):
        return got.keys() == expected.keys() and all(same(got[k], expected[k]) for k in expected)
    if isinstance(expected, list) and isinstance(got, list):
        return len(got) == len(expected) and all(same(a, b) for a, b in zip(got, expected))
    return got == expected


@pytest.mark.parametrize("function, arguments, table, day", CALLS, ids=[c[0] for c in CALLS])
def test_monthly_from_daily_states_equals_the_rows(ctx, tmp_path, function, arguments, table, day):
    group = {"engagement_score": "user_id", "bounce_rate": "channel"}.get(function, "segment")
    states = tmp_path / "states"
    ctx.sql(f"""
        COPY (SELECT {day} AS day, {group} AS g, {function}_state({arguments}) AS state
              FROM {table} GROUP BY 1, 2)
        TO '{states}/' STORED AS PARQUET""").collect()
    reader = new_context()
    reader.sql(f"CREATE EXTERNAL TABLE states STORED AS PARQUET LOCATION '{states}/'").collect()
    expected = rows(ctx, f"""
        SELECT date_trunc('month', {day}) AS month, {group} AS g, {function}({arguments}) AS r
        FROM {table} GROUP BY 1, 2 ORDER BY 1, 2""")
    merged = rows(reader, """
        SELECT date_trunc('month', day) AS month, g, {f}_merge(state) AS r
        FROM states GROUP BY 1, 2 ORDER BY 1, 2""".format(f=function))
    unioned = rows(reader, """
        SELECT month, g, {f}_merge(state) AS r FROM (
            SELECT date_trunc('month', day) AS month, g, extract(day FROM day) % 2 AS half,
                   {f}_union(state) AS state
            FROM states GROUP BY 1, 2, 3)
        GROUP BY 1, 2 ORDER BY 1, 2""".format(f=function))
    assert len(expected) > 1
    assert same(merged, expected), (merged[:3], expected[:3])
    assert same(unioned, expected), (unioned[:3], expected[:3])


def test_a_state_of_another_function_is_refused(ctx):
    with pytest.raises(Exception, match=r"csat_merge: the state's fields \(weight, net_promoters\) are not "
                                        r"those csat_state writes"):
        ctx.sql("SELECT csat_merge(s) FROM (SELECT nps_state(nps_score) AS s FROM responses)").collect()


def test_state_functions_are_listed_and_documented():
    names = datafusion_engagement.state_functions()
    assert {"nps_state", "nps_merge", "nps_union", "funnel_state"} <= set(names)
    assert len(names) == 3 * len(datafusion_engagement.aggregate_functions())
    assert "nps_merge" in datafusion_engagement.nps_merge.__doc__
