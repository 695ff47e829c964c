"""The Python API: the DataFrame API, errors, several contexts, the version guard, pandas and
Arrow, documentation and the type stubs."""

from __future__ import annotations

import inspect
from pathlib import Path

import datafusion
import pyarrow as pa
import pytest
from datafusion import AggregateUDF, ScalarUDF, WindowUDF, col, lit
from datafusion.expr import Window

import datafusion_engagement
from conftest import DATA, new_context

from test_functions import assert_same


def test_dataframe_api_equals_sql(ctx):
    nps = datafusion_engagement.nps()
    csat = datafusion_engagement.csat()
    tier = datafusion_engagement.engagement_tier()
    frame = (
        ctx.read_parquet(str(DATA / "responses.parquet"))
        .aggregate(
            [col("segment")],
            [
                nps(col("nps_score")).alias("nps"),
                # A constant argument (max_score) and a FILTER.
                csat(col("csat_score"), lit(5)).filter(col("channel") == lit("email")).build().alias("csat"),
            ],
        )
        .select(col("segment"), col("nps"), col("csat"), tier(col("nps") + lit(50.0)).alias("tier"))
        .sort(col("segment").sort())
    )
    sql = ctx.sql(
        """SELECT segment, nps(nps_score) AS nps,
                  csat(csat_score, 5) FILTER (WHERE channel = 'email') AS csat,
                  engagement_tier(nps(nps_score) + 50.0) AS tier
           FROM responses GROUP BY segment ORDER BY segment"""
    )
    assert_same(frame.to_arrow_table().to_pylist(), sql.to_arrow_table().to_pylist())
    assert frame.count() == 4


def test_functions_are_datafusion_udfs():
    for name in datafusion_engagement.aggregate_functions():
        function = getattr(datafusion_engagement, name)()
        assert isinstance(function, AggregateUDF)
        assert function.name == name
    for name in datafusion_engagement.scalar_functions():
        function = getattr(datafusion_engagement, name)()
        assert isinstance(function, ScalarUDF)
    for name in datafusion_engagement.window_functions():
        function = getattr(datafusion_engagement, name)()
        assert isinstance(function, WindowUDF)
        assert function.name == name
    assert "nps" in datafusion_engagement.aggregate_functions()
    assert "engagement_tier" in datafusion_engagement.scalar_functions()
    assert "sessionize" in datafusion_engagement.window_functions()


def test_window_functions_in_the_dataframe_api():
    """sessionize and time_on_page over a window built in Python equal the SQL."""
    ctx = datafusion.SessionContext()
    datafusion_engagement.register(ctx)
    ctx.register_parquet("page_views", str(DATA / "page_views.parquet"))
    window = Window(partition_by=[col("user_id")], order_by=[col("viewed_at"), col("page")])
    frame = (
        ctx.table("page_views")
        .select(
            col("user_id"), col("viewed_at"), col("page"),
            datafusion_engagement.sessionize()(col("viewed_at")).over(window).alias("session"),
            datafusion_engagement.time_on_page()(col("viewed_at")).over(window).alias("seconds"),
        )
        .sort(col("user_id"), col("viewed_at"), col("page"))
    )
    sql = ctx.sql(
        """SELECT user_id, viewed_at, page, sessionize(viewed_at) OVER w AS session,
                  time_on_page(viewed_at) OVER w AS seconds
           FROM page_views WINDOW w AS (PARTITION BY user_id ORDER BY viewed_at, page)
           ORDER BY user_id, viewed_at, page"""
    )
    rows = frame.to_arrow_table().to_pylist()
    assert_same(rows, sql.to_arrow_table().to_pylist())
    assert max(row["session"] for row in rows) > 1


def test_register_udaf_one_function():
    ctx = datafusion.SessionContext()
    ctx.register_udaf(datafusion_engagement.nps())
    result = ctx.sql("SELECT nps(s) AS nps FROM (VALUES (10), (9), (0), (8)) t(s)").to_pylist()
    assert result == [{"nps": 25.0}]
    with pytest.raises(Exception, match="csat"):
        ctx.sql("SELECT csat(s) FROM (VALUES (1)) t(s)").collect()


@pytest.mark.parametrize(
    "sql, message",
    [
        ("SELECT nps(s) FROM (VALUES (11)) t(s)", "nps: score 11 is not valid: expected a whole number from 0 to 10"),
        # Grouped: the message crosses back from the pack's own batch callback.
        ("SELECT g, nps(s) FROM (VALUES (1, 9), (2, 11)) t(g, s) GROUP BY g", "nps: score 11 is not valid"),
        ("SELECT ctr(c, i) FROM (VALUES (-1, 5)) t(c, i)", "ctr: clicks -1 is not valid"),
        ("SELECT csat(s, 1) FROM (VALUES (1)) t(s)", "csat: max_score"),
        ("SELECT csat(s, m) FROM (VALUES (1, 5)) t(s, m)", "csat: max_score must be a constant"),
        ("SELECT engagement_score(e, w) FROM (VALUES ('a', 'a=1')) t(e, w)", "engagement_score: weights must be a constant"),
        # As written: without the cast to a dictionary that the pack's coercion adds.
        (
            "SELECT lifecycle(u, t, p) FROM (VALUES (1, TIMESTAMP '2024-01-01 00:00:00', 'week')) x(u, t, p)",
            "lifecycle: period must be a constant, got p@2, which",
        ),
        ("SELECT engagement_score(e, 'login=x') FROM (VALUES ('a')) t(e)", "engagement_score"),
        ("SELECT nps(s) FROM (VALUES ('ten')) t(s)", "nps: score must be a number"),
        ("SELECT nps(DISTINCT s), count(*) FROM (VALUES (1)) t(s)", "nps does not support DISTINCT"),
        (
            "SELECT retention(u, t, INTERVAL '0 days', 3) FROM (VALUES (1, TIMESTAMP '2024-01-01 00:00:00')) x(u, t)",
            "retention",
        ),
        ("SELECT window_funnel(INTERVAL '1 day', t) FROM (VALUES (TIMESTAMP '2024-01-01 00:00:00')) x(t)", "window_funnel"),
    ],
)
def test_bad_input_raises_the_packs_message(ctx, sql, message):
    with pytest.raises(Exception, match=message.replace("(", r"\(")) as raised:
        ctx.sql(sql).collect()
    assert "panic" not in str(raised.value).lower()


def test_a_lone_distinct_call_is_rewritten_by_datafusion(ctx):
    """Known difference from the shell: DataFusion's optimizer turns a query whose only
    aggregates are `f(DISTINCT x)` of one column into an aggregate over the distinct values
    before the function is asked (the FFI gives a foreign function no say in planning), so the
    metric is computed over the distinct values, as SQL defines DISTINCT, instead of being
    refused. Anywhere else DISTINCT reaches the function, which refuses it (above)."""
    rows = ctx.sql("SELECT nps(DISTINCT s) AS a FROM (VALUES (10), (10), (0)) t(s)").to_pylist()
    assert rows == [{"a": 0.0}]


def test_distinct_where_it_changes_nothing(ctx):
    rows = ctx.sql(
        "SELECT stickiness(DISTINCT u, t) AS a, stickiness(u, t) AS b FROM (VALUES "
        "(1, TIMESTAMP '2024-01-01 10:00:00'), (1, TIMESTAMP '2024-01-01 10:00:00'), (2, TIMESTAMP '2024-01-02 10:00:00')) x(u, t)"
    ).to_pylist()
    assert rows == [{"a": 50.0, "b": 50.0}]


def test_grouped_batches_reach_the_packs_accumulators(ctx):
    """A grouped query hands its batches to the pack's grouped accumulators, through the
    pack's own batch callbacks (which read the group indices in place), in both the partial
    and the final aggregation; so does a function registered on its own."""
    from datafusion_engagement import _internal

    updates, merges = _internal.grouped_batches_taken()
    by_segment = "SELECT segment, nps(nps_score) AS nps FROM responses GROUP BY segment ORDER BY segment"
    rows = ctx.sql(by_segment).to_pylist()
    assert len(rows) > 1
    after_updates, after_merges = _internal.grouped_batches_taken()
    assert after_updates > updates
    assert after_merges > merges

    alone = datafusion.SessionContext(datafusion.SessionConfig().with_target_partitions(2))
    alone.register_udaf(datafusion_engagement.nps())
    grouped = alone.sql("SELECT g, nps(s) AS nps FROM (VALUES (1, 10), (1, 0), (2, 9)) t(g, s) GROUP BY g ORDER BY g")
    assert grouped.to_pylist() == [{"g": 1, "nps": 0.0}, {"g": 2, "nps": 100.0}]
    assert _internal.grouped_batches_taken()[0] > after_updates


def test_a_weights_string_is_broadcast_as_a_dictionary(ctx):
    """The weights string reaches the accumulator as a dictionary literal (one value and a key
    per row) rather than a copy of the string per row: the pack asks for it through type
    coercion, which the FFI carries."""
    frame = ctx.sql(
        "SELECT u, engagement_score(e, 'login=1, export=2') AS s "
        "FROM (VALUES (1, 'login'), (2, 'export')) t(u, e) GROUP BY u ORDER BY u"
    )
    assert 'Dictionary(Int32, Utf8("login=1, export=2"))' in frame.optimized_logical_plan().display_indent()
    assert frame.to_pylist() == [{"u": 1, "s": 1.0}, {"u": 2, "s": 2.0}]


def test_two_contexts_in_one_process():
    first, second = new_context(), new_context()
    query = "SELECT nps(s) AS nps FROM (VALUES (10), (0)) t(s)"
    assert first.sql(query).to_pylist() == [{"nps": 0.0}]
    assert second.sql(query).to_pylist() == [{"nps": 0.0}]
    # The first context still works once the second has run.
    assert first.sql("SELECT ces(s) AS ces FROM (VALUES (2), (4)) t(s)").to_pylist() == [{"ces": 3.0}]


def test_registering_twice():
    ctx = new_context()
    datafusion_engagement.register(ctx)
    ctx.register_udaf(datafusion_engagement.nps())
    assert ctx.sql("SELECT nps(s) AS nps FROM (VALUES (9), (9), (5)) t(s)").to_pylist() == [
        {"nps": pytest.approx(100 / 3)}
    ]


def test_version_guard(monkeypatch):
    monkeypatch.setattr(datafusion, "__version__", "54.1.0")
    with pytest.raises(datafusion_engagement.IncompatibleDataFusion, match=r"datafusion 54\.1\.0 is installed.*55"):
        datafusion_engagement.register(datafusion.SessionContext())
    with pytest.raises(datafusion_engagement.IncompatibleDataFusion):
        datafusion_engagement.nps()


def test_installed_versions_match():
    # The package metadata pins the major version the extension is built with.
    built_with = datafusion_engagement._internal.datafusion_version()
    assert datafusion.__version__.split(".")[0] == built_with.split(".")[0]
    from importlib.metadata import requires

    assert any(
        r.replace(" ", "").startswith(f"datafusion>={built_with.split('.')[0]},<")
        or r.replace(" ", "").startswith(f"datafusion<{int(built_with.split('.')[0]) + 1},>=")
        for r in requires("datafusion-engagement")
    )


def test_pandas_and_arrow_hand_off():
    pandas = pytest.importorskip("pandas")
    ctx = new_context()
    frame = pandas.DataFrame(
        {"segment": ["a", "a", "a", "b", "b"], "score": [10, 9, 3, 7, 10], "weight": [1.0, 1.0, 2.0, 1.0, 1.0]}
    )
    ctx.from_pandas(frame, name="answers")
    result = ctx.sql(
        "SELECT segment, nps(score) AS nps, nps(score, weight) AS weighted FROM answers GROUP BY segment ORDER BY segment"
    ).to_pandas()
    assert list(result["segment"]) == ["a", "b"]
    assert result["nps"].tolist() == pytest.approx([100 / 3, 50.0])
    assert result["weighted"].tolist() == pytest.approx([0.0, 50.0])
    # Arrow in, Arrow out, with a Utf8View and a dictionary column.
    table = pa.table(
        {
            "user": pa.array(["u1", "u1", "u2"], pa.string_view()),
            "event": pa.array(["login", "export", "login"]).dictionary_encode(),
        }
    )
    ctx.from_arrow(table, name="log")
    scores = ctx.sql(
        "SELECT user, engagement_score(event, 'login=1, export=4') AS score FROM log GROUP BY user ORDER BY user"
    ).to_arrow_table()
    assert scores.column("score").to_pylist() == [5.0, 1.0]


def test_docstrings_come_from_the_documentation():
    doc = datafusion_engagement.nps.__doc__
    assert "Net Promoter Score" in doc
    assert "nps(score" in doc
    assert "survey_weight" in doc  # the SQL example
    for name in (datafusion_engagement.aggregate_functions() + datafusion_engagement.scalar_functions()
                 + datafusion_engagement.window_functions()):
        function = getattr(datafusion_engagement, name)
        assert len(function.__doc__) > 80, name
        assert inspect.signature(function).parameters == {}


STUBS = Path(datafusion_engagement.__file__).with_name("__init__.pyi")


def test_type_stubs_are_current():
    """The committed `.pyi` is what `python -m datafusion_engagement.stubs` writes from the
    functions' documentation; run that to update it."""
    from datafusion_engagement import stubs

    assert STUBS.exists(), f"missing {STUBS}"
    assert STUBS.read_text() == stubs.render(), "run: python -m datafusion_engagement.stubs"
    compile(STUBS.read_text(), str(STUBS), "exec")


def test_the_example_script_runs():
    """examples/python_report.py prints NPS by segment and the stickiness table."""
    import subprocess
    import sys

    from conftest import REPOSITORY

    finished = subprocess.run(
        [sys.executable, str(REPOSITORY / "examples" / "python_report.py")], capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr
    assert "enterprise   7.6" in finished.stdout
    assert "2026-09" in finished.stdout
