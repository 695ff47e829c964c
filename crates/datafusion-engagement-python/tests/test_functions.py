"""Every function of the pack from Python DataFusion equals the `engage` shell's result on the
sample data: SQL with constants, FILTER and window frames, and the report files of `sql/`."""

from __future__ import annotations

import math
import re

import pytest

import datafusion_engagement

from conftest import REPOSITORY, new_context

# One or more queries per function, over the sample tables (see conftest.TABLES). Each names
# the functions it calls in `uses`, so that a function without a query here fails the suite.
QUERIES = {
    "survey": """
        SELECT segment,
               nps(nps_score) AS nps, nps(nps_score, survey_weight) AS nps_weighted,
               nps(nps_score) FILTER (WHERE channel = 'email') AS nps_email,
               csat(csat_score) AS csat, csat(csat_score, 5, survey_weight) AS csat_weighted,
               ces(ces_score) AS ces, ces(ces_score, 7) FILTER (WHERE channel <> 'email') AS ces_7
        FROM responses GROUP BY segment ORDER BY segment""",
    "survey summaries": """
        SELECT channel, nps_summary(nps_score) AS nps, csat_summary(csat_score, 5) AS csat,
               ces_summary(ces_score, 7, survey_weight) AS ces
        FROM responses GROUP BY channel ORDER BY channel""",
    "survey over everything": """
        SELECT nps(nps_score) AS nps, csat(csat_score) AS csat, ces(ces_score) AS ces,
               nps_summary(nps_score)['ci_low'] AS ci_low FROM responses""",
    "survey in a sliding window frame": """
        SELECT response_date,
               nps(nps_score) OVER (ORDER BY response_date, respondent_id
                                    ROWS BETWEEN 49 PRECEDING AND CURRENT ROW) AS rolling_nps,
               csat(csat_score) OVER (PARTITION BY segment ORDER BY response_date, respondent_id) AS running_csat
        FROM responses ORDER BY response_date, respondent_id LIMIT 500""",
    "scalars": """
        SELECT nps_group(nps_score) AS answer, count(*) AS answers,
               engagement_tier(avg(csat_score) * 20.0) AS tier,
               benchmark_band('csat', csat(csat_score)) AS csat_band
        FROM responses GROUP BY answer ORDER BY answer""",
    "churn and retention flags": """
        SELECT plan, churn_rate(active_at_start, active_at_end) AS churn,
               retention_rate(active_at_start, active_at_end) AS retention,
               churn_rate(active_at_start, active_at_end) FILTER (WHERE segment = 'startup') AS startup_churn
        FROM customers GROUP BY plan ORDER BY plan""",
    "stickiness": """
        SELECT segment, to_char(event_time, '%Y-%m') AS month, stickiness(user_id, event_time) AS dau_mau,
               stickiness(DISTINCT user_id, event_time) AS same,
               stickiness(user_id, event_time, 'month') AS whole_month
        FROM events GROUP BY segment, month ORDER BY segment, month""",
    "engagement score": """
        SELECT user_id,
               engagement_score(event_name, 'login=1, view_dashboard=2, create_report=5, export=3') AS score,
               engagement_score(event_name, MAP {'login': 1.5, 'export': -2}) AS mapped,
               engagement_tier(engagement_score(event_name, 'login=1, create_report=5, export=3')) AS tier
        FROM events GROUP BY user_id ORDER BY user_id""",
    "campaigns": """
        SELECT campaign, ctr(clicks, impressions) AS ctr, ctr(clicks > 100) AS busy_days,
               engagement_rate(coalesce(likes, 0) + coalesce(shares, 0) + coalesce(comments, 0), impressions) AS engagement
        FROM campaigns GROUP BY campaign ORDER BY campaign""",
    "adoption": """
        SELECT segment, feature_adoption(user_id, event_name = 'export') AS exporting
        FROM events GROUP BY segment ORDER BY segment""",
    "first week": """
        SELECT u.acquisition_channel, first_week_active_rate(u.user_id, e.event_time, u.signup_time) AS rate
        FROM users u LEFT JOIN events e USING (user_id)
        GROUP BY u.acquisition_channel ORDER BY u.acquisition_channel""",
    "sessions": """
        SELECT device, bounce_rate(session_id) AS bounce, pages_per_session(session_id) AS pages,
               avg_session_duration(session_id, viewed_at) AS seconds,
               bounce_rate(session_id) FILTER (WHERE channel = 'organic') AS organic_bounce
        FROM page_views GROUP BY device ORDER BY device""",
    "sessions from the raw log": """
        SELECT channel, bounce_rate(user_id, viewed_at, INTERVAL '30 minutes') AS bounce,
               pages_per_session(user_id, viewed_at, INTERVAL '30 minutes') AS pages,
               avg_session_duration(user_id, viewed_at, INTERVAL '30 minutes', INTERVAL '2 hours') AS seconds,
               session_summary(user_id, viewed_at, INTERVAL '30 minutes')['sessions'] AS sessions
        FROM page_views GROUP BY channel ORDER BY channel""",
    "time on page and exit rate": """
        SELECT page, count(*) AS views, avg(seconds) AS time_on_page,
               100 * avg(CAST(is_exit AS DOUBLE)) AS exit_rate, count(*) FILTER (WHERE is_entry) AS entrances,
               max(session) AS most_sessions
        FROM (SELECT page, time_on_page(viewed_at) OVER w AS seconds, session_exit(viewed_at) OVER w AS is_exit,
                     session_entry(viewed_at, INTERVAL '30 minutes') OVER w AS is_entry,
                     sessionize(viewed_at, INTERVAL '30 minutes', INTERVAL '1 hour') OVER w AS session
              FROM page_views WINDOW w AS (PARTITION BY user_id ORDER BY viewed_at, page))
        GROUP BY page ORDER BY page""",
    "pages from the raw log": """
        SELECT p['page'] AS page, p['views'] AS views, p['entrances'] AS entrances, p['exit_rate'] AS exit_rate,
               p['bounce_rate'] AS bounce_rate, p['avg_time_on_page'] AS time_on_page
        FROM (SELECT unnest(page_summary(user_id, viewed_at, page)) AS p FROM page_views)
        ORDER BY page""",
    "tickets": """
        SELECT priority, avg_resolution_time(opened_at, resolved_at) AS seconds,
               csat(csat_score) AS csat, ces(ces_score) AS ces
        FROM tickets GROUP BY priority ORDER BY priority""",
    "lifetime value": """
        SELECT clv(amount, customer_id, ordered_at, 3) AS clv,
               clv(amount, customer_id, ordered_at, 3, 'year') AS clv_calendar_years,
               clv(amount, customer_id, ordered_at, 1.5) FILTER (WHERE amount > 50) AS large_orders
        FROM orders""",
    "retention": """
        SELECT date_trunc('week', u.signup_time) AS cohort,
               retention(u.user_id, v.viewed_at, INTERVAL '7 days', 8, u.signup_time) AS bounded,
               unbounded_retention(u.user_id, v.viewed_at, INTERVAL '7 days', 8, u.signup_time) AS unbounded,
               retention(u.user_id, v.viewed_at, INTERVAL '1 month', 2) AS monthly
        FROM users u LEFT JOIN page_views v USING (user_id)
        GROUP BY cohort ORDER BY cohort""",
    "lifecycle": """
        SELECT CAST(w['period_start'] AS VARCHAR) AS week, w['active'] AS active, w['new'] AS new,
               w['returning'] AS returning_users, w['resurrecting'] AS resurrecting,
               w['dormant'] AS dormant, w['churn_rate'] AS churn
        FROM (SELECT unnest(lifecycle(user_id, event_time, 'week')) AS w FROM events)
        ORDER BY week""",
    "funnels": """
        SELECT device,
               funnel(user_id, event_time, INTERVAL '1 day', event_name = 'view_product',
                      event_name = 'add_to_cart', event_name = 'choose_delivery', event_name = 'pay') AS steps
        FROM shop_events GROUP BY device ORDER BY device""",
    "funnel times": """
        SELECT t['step'] AS step, t['users'] AS users, t['median_seconds'] AS median_seconds,
               t['p90_seconds'] AS p90_seconds
        FROM (SELECT unnest(funnel_conversion_times(user_id, event_time, INTERVAL '1 day',
                      event_name = 'view_product', event_name = 'add_to_cart', event_name = 'pay',
                      'exclude 2-3', event_name = 'view_product')) AS t
              FROM shop_events)
        ORDER BY step""",
    "funnel histogram": """
        SELECT b['from_seconds'] AS from_seconds, b['users'] AS users
        FROM (SELECT unnest(funnel_conversion_histogram(user_id, event_time, INTERVAL '1 day',
                      event_name = 'view_product', event_name = 'pay')) AS b
              FROM shop_events)
        ORDER BY from_seconds""",
    "funnel levels": """
        SELECT level, count(*) AS users
        FROM (SELECT user_id,
                     window_funnel(INTERVAL '1 hour', event_time, event_name = 'view_product',
                                   event_name = 'add_to_cart', event_name = 'pay') AS level
              FROM shop_events GROUP BY user_id)
        GROUP BY level ORDER BY level""",
    "stickiness distribution": """
        SELECT segment, stickiness_distribution(user_id, event_time) AS days,
               stickiness_distribution(user_id, event_time, 'week') AS weeks
        FROM events GROUP BY segment ORDER BY segment""",
    "sequences": """
        SELECT device, count(*) FILTER (WHERE paid_soon) AS users_paying_soon, sum(carts) AS carts_then_pay
        FROM (SELECT device, user_id,
                     sequence_match('(?1)(?t<=3600)(?2)', event_time, event_name = 'view_product',
                                    event_name = 'pay') AS paid_soon,
                     sequence_count('(?1).*(?2)', event_time, event_name = 'add_to_cart',
                                    event_name = 'pay') AS carts
              FROM shop_events GROUP BY device, user_id)
        GROUP BY device ORDER BY device""",
    "next event": """
        SELECT after_cart, count(*) AS users
        FROM (SELECT user_id,
                     sequence_next_node('forward', 'first_match', event_time, event_name, true,
                                        event_name = 'add_to_cart') AS after_cart
              FROM shop_events GROUP BY user_id)
        GROUP BY after_cart ORDER BY after_cart NULLS FIRST""",
    "paths": """
        SELECT l['step'] AS step, l['event'] AS event, l['next_event'] AS next_event, l['users'] AS users
        FROM (SELECT unnest(paths(user_id, event_time, event_name, event_name = 'view_product', 2)) AS l
              FROM shop_events)
        ORDER BY step, users DESC, event, next_event NULLS LAST""",
    "funnel modes": """
        SELECT device,
               funnel(user_id, event_time, INTERVAL '1 day', event_name = 'view_product',
                      event_name = 'add_to_cart', event_name = 'choose_delivery', event_name = 'pay',
                      'strict_order') AS in_order,
               funnel(user_id, event_time, INTERVAL '1 day', event_name = 'view_product',
                      event_name = 'add_to_cart', event_name = 'choose_delivery', event_name = 'pay',
                      'strict_deduplication') AS no_repeats
        FROM shop_events GROUP BY device ORDER BY device""",
    "sketches": """
        SELECT segment, hll_estimate(hll_union(h)) AS hll, hll_estimate(hll_sketch(segment)) AS one,
               theta_estimate(theta_union(t)) AS theta, theta_estimate(theta_intersection(t)) AS every_day,
               theta_estimate(theta_a_not_b(theta_union(t), theta_union(t) FILTER (WHERE d > DATE '2026-08-01'))) AS left_early,
               approx_stickiness(d, h, 'month') AS dau_mau
        FROM (SELECT segment, CAST(event_time AS DATE) AS d, hll_sketch(user_id) AS h, theta_sketch(user_id, 10) AS t
              FROM events GROUP BY 1, 2)
        GROUP BY segment ORDER BY segment""",
}


def every_function() -> set[str]:
    return (set(datafusion_engagement.aggregate_functions()) | set(datafusion_engagement.scalar_functions())
            | set(datafusion_engagement.window_functions()))


def called_functions(sql: str) -> set[str]:
    names = every_function()
    return {name for name in names if re.search(rf"\b{name}\s*\(", sql)}


def test_every_function_has_a_query():
    covered = set().union(*(called_functions(sql) for sql in QUERIES.values()))
    every = every_function()
    assert every - covered == set(), "functions without a query in QUERIES"


def assert_same(ours: list, theirs: list, where: str = "result"):
    """Equal values; floats to 1e-9 (partial sums may be added in another order)."""
    assert type(ours) is type(theirs) or {type(ours), type(theirs)} <= {int, float}, (
        f"{where}: {ours!r} vs {theirs!r}"
    )
    if isinstance(ours, float):
        assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9), f"{where}: {ours} vs {theirs}"
    elif isinstance(ours, dict):
        assert ours.keys() == theirs.keys(), where
        for key in ours:
            assert_same(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(ours, list):
        assert len(ours) == len(theirs), f"{where}: {len(ours)} vs {len(theirs)} entries"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
    else:
        assert ours == theirs, f"{where}: {ours!r} vs {theirs!r}"


@pytest.mark.parametrize("name", QUERIES)
def test_sql_equals_the_shell(ctx, engage, name):
    sql = QUERIES[name]
    python = ctx.sql(sql).to_arrow_table()
    shell = engage(sql)
    assert python.column_names == shell.column_names
    assert python.num_rows > 0
    assert_same(python.to_pylist(), shell.to_pylist(), name)


def report_statements(path):
    """The statements of a report file: split at `;` outside quotes and comments."""
    statements, current, quote = [], [], None
    text = path.read_text()
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif char == ";":
            statements.append("".join(current).strip())
            current = []
            i += 1
            continue
        current.append(char)
        i += 1
    statements.append("".join(current).strip())
    return [s for s in statements if s]


REPORTS = sorted((REPOSITORY / "sql").glob("*.sql"))



@pytest.fixture(scope="session")
def report_variables(tmp_path_factory):
    """The `--var` values of the nightly-job reports: three days of states written from Python
    by sql/rollup_daily.sql, which sql/rollup_report.sql then reads, and their July compacted by
    sql/rollup_monthly.sql, which sql/rollup_report_monthly.sql reads."""
    variables = {"lake": str(REPOSITORY / "examples" / "data"),
                 "states": str(tmp_path_factory.mktemp("states"))}
    ctx = new_context()
    for day in ["2026-07-30", "2026-07-31", "2026-08-01"]:
        for statement in report_statements(REPOSITORY / "sql" / "rollup_daily.sql"):
            ctx.sql(substitute(statement, {**variables, "day": day})).collect()
    # July compacted, for sql/rollup_report_monthly.sql.
    ctx = new_context()
    for statement in report_statements(REPOSITORY / "sql" / "rollup_monthly.sql"):
        ctx.sql(substitute(statement, {**variables, "month": "2026-07"})).collect()
    return {**variables, "day": "2026-08-02", "month": "2026-07"}


def substitute(statement: str, variables: dict[str, str]) -> str:
    """`${NAME}` replaced, as `engage --var NAME=VALUE` does."""
    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: variables[m.group(1)], statement)


@pytest.mark.parametrize("report", REPORTS, ids=[r.name for r in REPORTS])
def test_reports_equal_the_shell(engage, report, report_variables):
    """Each report of `sql/` runs from Python as from `engage`, query by query (the reports'
    tables are relative to the repository root, as `engage -f` runs them; a nightly job's
    `${NAME}` as its `--var` gives it)."""
    statements = [substitute(s, report_variables) for s in report_statements(report)]
    if not any(re.match(r"(?is)^\s*(SELECT|WITH)\b", s) for s in statements):
        # A job that only writes: what it wrote from Python is read by the report after it.
        ctx = new_context()
        for statement in statements:
            ctx.sql(statement).collect()
        return
    ctx = new_context()
    compared = 0
    for index, statement in enumerate(statements):
        result = ctx.sql(statement.replace("'examples/", f"'{REPOSITORY}/examples/"))
        if not re.match(r"(?is)^\s*(SELECT|WITH)\b", statement):
            continue
        python = result.to_arrow_table()
        shell = engage(*statements[: index + 1], tables=False)
        assert_same(python.to_pylist(), shell.to_pylist(), f"{report.name} statement {index + 1}")
        compared += 1
    assert compared > 0
