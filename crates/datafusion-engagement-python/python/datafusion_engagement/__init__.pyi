"""Customer-engagement metrics for Python DataFusion (type stubs, written by
`python -m datafusion_engagement.stubs` from the functions' documentation)."""

from datafusion import AggregateUDF, ScalarUDF, SessionContext, WindowUDF

__version__: str

class IncompatibleDataFusion(ImportError): ...

def register(ctx: SessionContext, *, keep_sort_keys_after_unnest: bool = True) -> None:
    """Registers every aggregate, scalar and window function of the pack on ``ctx`` (and, by default,
    removes the optimizer rule that drops ORDER BY keys after ``unnest``)."""

def aggregate_functions() -> list[str]:
    """The names of the pack's aggregate functions."""

def state_functions() -> list[str]:
    """The names of the stored-state functions: ``f_state``, ``f_merge`` and ``f_union`` of
    every aggregate ``f``."""

def scalar_functions() -> list[str]:
    """The names of the pack's scalar functions."""

def window_functions() -> list[str]:
    """The names of the pack's window functions."""

def nps() -> AggregateUDF:
    """Returns the ``nps`` function as a ``datafusion.AggregateUDF``.

    Net Promoter Score of 0–10 "how likely are you to recommend us" answers: 100 × (promoters (9–10) − detractors (0–6)) / responses, a DOUBLE from −100 to 100. With a weight column, shares are of the total weight instead of the count. Rows with a NULL score or weight are skipped; a group without scores (or with total weight 0) gives NULL. A score that is not a whole number from 0 to 10, or a negative, NaN or infinite weight, is an error.

    SQL: nps(score [, weight])

    Args:
        score: Answer on the 0–10 scale: any integer, floating point or DECIMAL column.
        weight: Optional survey weight of the answer: a number of at least 0.

    Example:
        SELECT segment, nps(nps_score) AS nps
        FROM responses
        GROUP BY segment;

        -- weighted to the customer base
        SELECT nps(nps_score, survey_weight) FROM responses;
    """

def csat() -> AggregateUDF:
    """Returns the ``csat`` function as a ``datafusion.AggregateUDF``.

    Customer Satisfaction score: the percentage of answers in the top two boxes (score ≥ max_score − 1) of a 0…max_score scale, a DOUBLE from 0 to 100. With a weight column, the share of the total weight. Rows with a NULL score or weight are skipped; a group without scores (or with total weight 0) gives NULL. A score that is not a whole number from 0 to max_score, or a negative, NaN or infinite weight, is an error.

    SQL: csat(score [, max_score [, weight]])

    Args:
        score: Answer from 0 to max_score: any integer, floating point or DECIMAL column.
        max_score: Top of the scale, a whole-number constant of at least 2. Default 5.
        weight: Optional survey weight of the answer: a number of at least 0.

    Example:
        SELECT channel, csat(csat_score) AS csat
        FROM responses
        GROUP BY channel;

        -- a 1–10 scale: 9 and 10 are satisfied
        SELECT csat(score, 10) FROM ratings;

        -- weighted answers on the default 0–5 scale
        SELECT csat(csat_score, 5, survey_weight) FROM responses;
    """

def ces() -> AggregateUDF:
    """Returns the ``ces`` function as a ``datafusion.AggregateUDF``.

    Customer Effort Score: the mean answer on a 1…max_score scale (default 1–7), a DOUBLE; with a weight column, the weighted mean. Rows with a NULL score or weight are skipped; a group without scores (or with total weight 0) gives NULL. A score that is not a whole number from 1 to max_score, or a negative, NaN or infinite weight, is an error.

    SQL: ces(score [, max_score [, weight]])

    Args:
        score: Answer from 1 to max_score: any integer, floating point or DECIMAL column.
        max_score: Top of the scale, a whole-number constant of at least 2. Default 7.
        weight: Optional survey weight of the answer: a number of at least 0.

    Example:
        SELECT channel, round(ces(ces_score), 2) AS ces
        FROM responses
        GROUP BY channel;

        -- a 1–5 scale
        SELECT ces(score, 5) FROM effort_survey;

        -- weighted answers on the default 1–7 scale
        SELECT ces(ces_score, 7, survey_weight) FROM responses;
    """

def churn_rate() -> AggregateUDF:
    """Returns the ``churn_rate`` function as a ``datafusion.AggregateUDF``.

    Churn rate: the percentage of customers active at the start of the period who are not active at its end, 100 × count(start AND NOT end) / count(start), a DOUBLE from 0 to 100. Rows with either input NULL are skipped; a group with no customer active at start gives NULL.

    SQL: churn_rate(active_at_start, active_at_end)

    Args:
        active_at_start: BOOLEAN: the customer was active when the period began.
        active_at_end: BOOLEAN: the customer was active when the period ended.

    Example:
        SELECT plan, churn_rate(active_at_start, active_at_end) AS churn
        FROM customers
        GROUP BY plan;
    """

def retention_rate() -> AggregateUDF:
    """Returns the ``retention_rate`` function as a ``datafusion.AggregateUDF``.

    Customer retention rate: the percentage of customers active at the start of the period who are still active at its end, 100 × count(start AND end) / count(start), a DOUBLE from 0 to 100. The articles' (customers at end − new customers) / customers at start gives the same number only when the new customers counted are those still active at the end (new customers who left during the period make it lower). Rows with either input NULL are skipped; a group with no customer active at start gives NULL.

    SQL: retention_rate(active_at_start, active_at_end)

    Args:
        active_at_start: BOOLEAN: the customer was active when the period began.
        active_at_end: BOOLEAN: the customer was active when the period ended.

    Example:
        SELECT plan, retention_rate(active_at_start, active_at_end) AS retention
        FROM customers
        GROUP BY plan;
    """

def stickiness() -> AggregateUDF:
    """Returns the ``stickiness`` function as a ``datafusion.AggregateUDF``.

    Stickiness (DAU/MAU) as a percentage: 100 × distinct (user, day) pairs / (days × distinct users), where day is the calendar date of event_time in its own time zone (the day date_trunc('day', event_time) gives; naive timestamps as they show). With period ('day', 'week' from Monday, 'month', 'quarter' or 'year', in the same zone), days are all the days of the whole periods from the one holding the group's first active day to the one holding its last: a user active on 4 days of June reads 4 / 30 = 13.3 %, as DAU/MAU for June. Without period, days are the observed span from the group's first to its last active day, which reads higher for small groups and partial months. Either way a day without activity counts as DAU 0. Exact: no sampling. Rows with a NULL input are skipped; a group without activity gives NULL. Group by month with period 'month' for the classic monthly DAU/MAU.

    SQL: stickiness(user_id, event_time [, period])

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the user was active: a TIMESTAMP of any unit and zone, or a DATE.
        period: Optional: the calendar period whose whole days are the denominator, the constant 'day', 'week', 'month', 'quarter' or 'year'. Without it, the days from the group's first to its last active day.

    Example:
        SELECT segment, date_trunc('month', event_time) AS month,
               stickiness(user_id, event_time, 'month') AS dau_mau
        FROM events
        GROUP BY segment, month;

        -- days and months in New York time
        SELECT date_trunc('month', event_time AT TIME ZONE 'America/New_York') AS month,
               stickiness(user_id, event_time AT TIME ZONE 'America/New_York', 'month') AS dau_mau
        FROM events
        GROUP BY month;
    """

def stickiness_distribution() -> AggregateUDF:
    """Returns the ``stickiness_distribution`` function as a ``datafusion.AggregateUDF``.

    How sticky the group's users are, as PostHog's stickiness chart shows it: how many of them were active on exactly 1, 2, … N calendar days of the group's events (with unit 'week' or 'month': weeks starting Monday, months; in the event times' own zone as date_trunc gives them). Returns one row per count from 1 to the most any user has, rows without users included: {active_periods, users, share}, share being 100 × users / the group's users. Restrict the period with WHERE (the last 30 days) or GROUP BY it (per month). Rows with a NULL user_id or event_time are skipped; a group without activity gives NULL.

    SQL: stickiness_distribution(user_id, event_time [, unit])

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the user was active: a TIMESTAMP of any unit and zone, or a DATE.
        unit: Optional: what is counted, the constant 'day' (the default), 'week' or 'month'.

    Example:
        -- users by the number of days they were active in June
        SELECT d['active_periods'] AS days, d['users'] AS users, round(d['share'], 1) AS pct
        FROM (SELECT unnest(stickiness_distribution(user_id, event_time)) AS d
              FROM events WHERE event_time >= '2026-06-01' AND event_time < '2026-07-01');
    """

def engagement_score() -> AggregateUDF:
    """Returns the ``engagement_score`` function as a ``datafusion.AggregateUDF``.

    Weighted engagement score: the sum over the group's rows of the weight of each row's event, a DOUBLE. Events not listed in weights count 0; NULL events are skipped; a group without events gives NULL. Weights may be negative or fractional. Pair with engagement_tier to label the result.

    SQL: engagement_score(event, weights)

    Args:
        event: Event name: a string column (Utf8, LargeUtf8, Utf8View or dictionary).
        weights: Constant event weights: a string 'event=weight, …' or a MAP literal from event to number. Each event may be listed once; weights must be finite numbers.

    Example:
        SELECT user_id,
               engagement_score(event_name, 'login=1, invite_colleague=5, support_ticket=-3') AS score
        FROM events
        GROUP BY user_id;

        SELECT engagement_score(event_name, MAP {'login': 1, 'export': 2.5}) FROM events;
    """

def ctr() -> AggregateUDF:
    """Returns the ``ctr`` function as a ``datafusion.AggregateUDF``.

    Click-through rate: 100 × Σclicks / Σimpressions over numeric count columns, a DOUBLE. With one BOOLEAN argument each row is one impression and the result is the percentage of true rows. Rows with a NULL input are skipped; a group with no impressions gives NULL; a negative, NaN or infinite count is an error.

    SQL: ctr(clicks, impressions)

    Args:
        clicks: Number of clicks in the row (any numeric type).
        impressions: Number of impressions in the row (any numeric type).
        clicked: BOOLEAN: this impression was clicked (one-argument form).

    Example:
        SELECT campaign, ctr(clicks, impressions) AS ctr_pct
        FROM ad_stats
        GROUP BY campaign;

        SELECT placement, ctr(clicked) FROM impressions GROUP BY placement;
    """

def engagement_rate() -> AggregateUDF:
    """Returns the ``engagement_rate`` function as a ``datafusion.AggregateUDF``.

    Engagement rate of social posts: 100 × Σinteractions / Σreach, a DOUBLE, where interactions are likes + shares + comments and reach is impressions or followers. Rows with a NULL input are skipped; a group with no reach gives NULL; a negative, NaN or infinite count is an error.

    SQL: engagement_rate(interactions, reach)

    Args:
        interactions: Interactions with the post (any numeric type).
        reach: Impressions or followers the post reached (any numeric type).

    Example:
        SELECT channel, engagement_rate(likes + shares + comments, impressions) AS rate_pct
        FROM posts
        GROUP BY channel;
    """

def nps_summary() -> AggregateUDF:
    """Returns the ``nps_summary`` function as a ``datafusion.AggregateUDF``.

    Net Promoter Score with the numbers to judge it by: a STRUCT {nps, responses, promoters, passives, detractors, std_error, ci_low, ci_high}. nps is as for `nps`; the counts are respondents (not weighted); std_error is 100 × √((p + d − (p − d)²) / n) for the (weighted) shares p of promoters and d of detractors, where n is the number of answers or, with weights, Kish's effective sample size (Σw)² / Σw²; ci_low and ci_high are the normal-approximation 95 % interval nps ± 1.96 × std_error (not clipped to ±100). A group without scores gives NULL; total weight 0 gives NULL nps and interval. NULLs and errors as for `nps`.

    SQL: nps_summary(score [, weight])

    Args:
        score: Answer on the 0–10 scale: any integer, floating point or DECIMAL column.
        weight: Optional survey weight of the answer: a number of at least 0.

    Example:
        SELECT segment, s.nps, s.responses, s.ci_low, s.ci_high
        FROM (SELECT segment, nps_summary(nps_score) AS s FROM responses GROUP BY segment);

        -- one field
        SELECT nps_summary(nps_score, survey_weight)['std_error'] FROM responses;
    """

def csat_summary() -> AggregateUDF:
    """Returns the ``csat_summary`` function as a ``datafusion.AggregateUDF``.

    CSAT with the numbers to judge it by: a STRUCT {csat, responses, satisfied, std_error, ci_low, ci_high}. csat is as for `csat`; the counts are respondents (not weighted); std_error is 100 × √(p (1 − p) / n) for the (weighted) satisfied share p, where n is the number of answers or, with weights, Kish's effective sample size (Σw)² / Σw²; ci_low and ci_high are the normal-approximation 95 % interval csat ± 1.96 × std_error (not clipped to 0–100). A group without scores gives NULL; total weight 0 gives NULL csat and interval. NULLs and errors as for `csat`.

    SQL: csat_summary(score [, max_score [, weight]])

    Args:
        score: Answer from 0 to max_score: any integer, floating point or DECIMAL column.
        max_score: Top of the scale, a whole-number constant of at least 2. Default 5.
        weight: Optional survey weight of the answer: a number of at least 0.

    Example:
        SELECT channel, csat_summary(csat_score) AS s
        FROM responses
        GROUP BY channel;

        -- weighted, on the default 0–5 scale
        SELECT csat_summary(csat_score, 5, survey_weight)['ci_low'] FROM responses;
    """

def ces_summary() -> AggregateUDF:
    """Returns the ``ces_summary`` function as a ``datafusion.AggregateUDF``.

    CES with the numbers to judge it by: a STRUCT {ces, responses, std_error, ci_low, ci_high}. ces is the (weighted) mean as for `ces`; responses counts respondents (not weighted); std_error is s / √n, with s the sample standard deviation of the answers and n the number of answers or, with weights, Kish's effective sample size (Σw)² / Σw² (s then uses the weighted spread times n / (n − 1)); ci_low and ci_high are the normal-approximation 95 % interval ces ± 1.96 × std_error. std_error and the interval are NULL for fewer than two answers. A group without scores gives NULL. NULLs and errors as for `ces`.

    SQL: ces_summary(score [, max_score [, weight]])

    Args:
        score: Answer from 1 to max_score: any integer, floating point or DECIMAL column.
        max_score: Top of the scale, a whole-number constant of at least 2. Default 7.
        weight: Optional survey weight of the answer: a number of at least 0.

    Example:
        SELECT channel, ces_summary(ces_score) AS s
        FROM responses
        GROUP BY channel;
    """

def avg_resolution_time() -> AggregateUDF:
    """Returns the ``avg_resolution_time`` function as a ``datafusion.AggregateUDF``.

    Average resolution time: the mean number of seconds from opened_at to resolved_at over resolved tickets, a DOUBLE. Unresolved tickets (NULL resolved_at) and rows with a NULL opened_at are skipped; a group without resolved tickets gives NULL. A ticket resolved before it was opened is an error. Naive timestamps are read as UTC, dates as midnight; precision is one microsecond.

    SQL: avg_resolution_time(opened_at, resolved_at)

    Args:
        opened_at: When the ticket was opened: a TIMESTAMP of any unit and zone, or a DATE.
        resolved_at: When it was resolved, NULL while open: a TIMESTAMP or DATE.

    Example:
        SELECT priority, avg_resolution_time(opened_at, resolved_at) / 3600 AS hours
        FROM tickets
        GROUP BY priority;
    """

def feature_adoption() -> AggregateUDF:
    """Returns the ``feature_adoption`` function as a ``datafusion.AggregateUDF``.

    Feature adoption: 100 × distinct users with at least one row where used_feature is true / distinct users, a DOUBLE from 0 to 100. Exact. Rows with a NULL user_id are skipped; a NULL used_feature counts the user as not adopting. A group without users gives NULL.

    SQL: feature_adoption(user_id, used_feature)

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        used_feature: BOOLEAN: this row is a use of the feature.

    Example:
        SELECT plan, feature_adoption(user_id, event_name = 'export') AS export_adoption
        FROM events
        GROUP BY plan;
    """

def first_week_active_rate() -> AggregateUDF:
    """Returns the ``first_week_active_rate`` function as a ``datafusion.AggregateUDF``.

    First-week activation: 100 × distinct users with an event in (signup_time, signup_time + 7 days] / distinct users, a DOUBLE from 0 to 100. Exact. Each row is judged by its own signup_time. Rows with a NULL user_id or signup_time are skipped; a row with a NULL event_time (a user without events, from an outer join) counts the user as not active. A group without users gives NULL.

    SQL: first_week_active_rate(user_id, event_time, signup_time)

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the user was active: a TIMESTAMP of any unit and zone, or a DATE.
        signup_time: When the user signed up: a TIMESTAMP or DATE.

    Example:
        SELECT date_trunc('month', u.signup_time) AS cohort,
               first_week_active_rate(u.user_id, e.event_time, u.signup_time) AS activated
        FROM users u LEFT JOIN events e ON e.user_id = u.user_id
        GROUP BY cohort;
    """

def bounce_rate() -> AggregateUDF:
    """Returns the ``bounce_rate`` function as a ``datafusion.AggregateUDF``.

    Bounce rate: 100 × sessions with exactly one row / sessions, where each row is a page view, a DOUBLE from 0 to 100. Exact. Rows with a NULL session_id are skipped; a group without sessions gives NULL. A session split across groups counts in each group with its rows there. From a raw event log, without a session id: with user_id, event_time and gap, each user's events in time order make the sessions, a new one when the next event comes more than gap after the one before or (with max_length) would make the session last longer than max_length — the sessions sessionize() numbers. Every row is a page view, two at one instant too. Exact across partitions; rows with a NULL user_id or event_time are skipped.

    SQL: bounce_rate(session_id) or bounce_rate(user_id, event_time, gap [, max_length])

    Args:
        session_id | user_id: Session identifier, or in the raw-log form the user identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: In the raw-log form: when the page was viewed, a TIMESTAMP of any unit and zone, or a DATE.
        gap: How long a pause ends a session: a constant positive INTERVAL. A gap of more than this between two events starts a new session; exactly this much does not.
        max_length: Optional: the longest a session may last from its first event, a constant positive INTERVAL; an event later than that starts a new session.

    Example:
        SELECT landing_page, bounce_rate(session_id) AS bounce
        FROM page_views
        GROUP BY landing_page;

        -- from a raw log: sessions end after 30 minutes without a view
        SELECT channel, bounce_rate(user_id, viewed_at, INTERVAL '30 minutes') AS bounce
        FROM page_views
        GROUP BY channel;
    """

def pages_per_session() -> AggregateUDF:
    """Returns the ``pages_per_session`` function as a ``datafusion.AggregateUDF``.

    Pages per session: rows / distinct sessions, where each row is a page view, a DOUBLE of at least 1. Exact. Rows with a NULL session_id are skipped; a group without sessions gives NULL. From a raw event log, without a session id: with user_id, event_time and gap, each user's events in time order make the sessions, a new one when the next event comes more than gap after the one before or (with max_length) would make the session last longer than max_length — the sessions sessionize() numbers. Every row is a page view, two at one instant too. Exact across partitions; rows with a NULL user_id or event_time are skipped.

    SQL: pages_per_session(session_id) or pages_per_session(user_id, event_time, gap [, max_length])

    Args:
        session_id | user_id: Session identifier, or in the raw-log form the user identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: In the raw-log form: when the page was viewed, a TIMESTAMP of any unit and zone, or a DATE.
        gap: How long a pause ends a session: a constant positive INTERVAL. A gap of more than this between two events starts a new session; exactly this much does not.
        max_length: Optional: the longest a session may last from its first event, a constant positive INTERVAL; an event later than that starts a new session.

    Example:
        SELECT device, pages_per_session(session_id) AS pages
        FROM page_views
        GROUP BY device;

        -- from a raw log: sessions end after 30 minutes without a view
        SELECT device, pages_per_session(user_id, viewed_at, INTERVAL '30 minutes') AS pages
        FROM page_views
        GROUP BY device;
    """

def avg_session_duration() -> AggregateUDF:
    """Returns the ``avg_session_duration`` function as a ``datafusion.AggregateUDF``.

    Average session duration: the mean over sessions of (last − first event_time) in seconds, a DOUBLE; a single-event session lasts 0 seconds. Exact, to the microsecond. Rows with a NULL input are skipped; a group without sessions gives NULL. Naive timestamps are read as UTC, dates as midnight. From a raw event log, without a session id: with user_id, event_time and gap, each user's events in time order make the sessions, a new one when the next event comes more than gap after the one before or (with max_length) would make the session last longer than max_length — the sessions sessionize() numbers. Every row is a page view, two at one instant too. Exact across partitions; rows with a NULL user_id or event_time are skipped.

    SQL: avg_session_duration(session_id, event_time) or avg_session_duration(user_id, event_time, gap [, max_length])

    Args:
        session_id | user_id: Session identifier, or in the raw-log form the user identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the event happened: a TIMESTAMP of any unit and zone, or a DATE.
        gap: How long a pause ends a session: a constant positive INTERVAL. A gap of more than this between two events starts a new session; exactly this much does not.
        max_length: Optional: the longest a session may last from its first event, a constant positive INTERVAL; an event later than that starts a new session.

    Example:
        SELECT device, avg_session_duration(session_id, viewed_at) / 60 AS minutes
        FROM page_views
        GROUP BY device;

        -- from a raw log: sessions end after 30 minutes without a view
        SELECT device, avg_session_duration(user_id, viewed_at, INTERVAL '30 minutes') / 60 AS minutes
        FROM page_views
        GROUP BY device;
    """

def session_summary() -> AggregateUDF:
    """Returns the ``session_summary`` function as a ``datafusion.AggregateUDF``.

    The sessions of a raw event log and what they add up to, in one aggregate: {sessions, page_views, bounce_rate, pages_per_session, avg_session_duration} — the numbers bounce_rate, pages_per_session and avg_session_duration give from the same arguments (in %, pages and seconds), for the cost of one of them. From a raw event log, without a session id: with user_id, event_time and gap, each user's events in time order make the sessions, a new one when the next event comes more than gap after the one before or (with max_length) would make the session last longer than max_length — the sessions sessionize() numbers. Every row is a page view, two at one instant too. Exact across partitions; rows with a NULL user_id or event_time are skipped. A group without rows gives NULL.

    SQL: session_summary(user_id, event_time, gap [, max_length])

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the page was viewed: a TIMESTAMP of any unit and zone, or a DATE.
        gap: How long a pause ends a session: a constant positive INTERVAL. A gap of more than this between two events starts a new session; exactly this much does not.
        max_length: Optional: the longest a session may last from its first event, a constant positive INTERVAL; an event later than that starts a new session.

    Example:
        SELECT channel, s['sessions'] AS sessions, s['bounce_rate'] AS bounce_pct,
               s['pages_per_session'] AS pages, s['avg_session_duration'] / 60 AS minutes
        FROM (SELECT channel, session_summary(user_id, viewed_at, INTERVAL '30 minutes') AS s
              FROM page_views GROUP BY channel);
    """

def page_summary() -> AggregateUDF:
    """Returns the ``page_summary`` function as a ``datafusion.AggregateUDF``.

    Per page of a raw page-view log: a list with a row per page, {page, views, entrances, exits, bounces, exit_rate, bounce_rate, avg_time_on_page}, the most viewed first (ties by page). Each user's views in time order make the sessions as sessionize() makes them: a new one when a view comes more than gap (default 30 minutes) after the one before, or (with max_length) would make the session last longer than max_length. A view's time on page is the time to the next view of its session (time_on_page()); the last view of a session is an exit and has none. exit_rate = exits / views and bounce_rate = bounces / entrances (sessions of one view / sessions that started on the page), in %; avg_time_on_page in seconds over the views that have a next one, as web analytics tools report it. Views at one instant each count, in page order. Group by anything but the page (a page's numbers depend on the views around it) and unnest the list for a row per page. Exact across partitions; rows with a NULL user_id, event_time or page are skipped; a group without rows gives NULL.

    SQL: page_summary(user_id, event_time, page [, gap [, max_length]])

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the page was viewed: a TIMESTAMP of any unit and zone, or a DATE.
        page: The page viewed (a URL or a page name): a string column (Utf8, LargeUtf8, Utf8View or dictionary).
        gap: How long a pause ends a session: a constant positive INTERVAL. A gap of more than this between two events starts a new session; exactly this much does not.
        max_length: Optional: the longest a session may last from its first event, a constant positive INTERVAL; an event later than that starts a new session.

    Example:
        SELECT p.page, p.views, p.exit_rate, p.avg_time_on_page
        FROM (SELECT unnest(page_summary(user_id, viewed_at, url)) AS p FROM page_views)
        ORDER BY p.views DESC LIMIT 10;
    """

def clv() -> AggregateUDF:
    """Returns the ``clv`` function as a ``datafusion.AggregateUDF``.

    Customer lifetime value: average order value × purchases per customer per year × lifespan_years = Σorder_value / distinct customers / years × lifespan_years, a DOUBLE. With period ('day', 'week' from Monday, 'month', 'quarter' or 'year'), years are the whole calendar periods from the group's first order's to its last order's, counted in years (a month is 1/12, a week 7/365.25): 12 monthly orders of 100 in one calendar year give 100 × 12 × 1 = 1200 with lifespan 1 and period 'year'. Without period, years are the observed span: (last − first order date + 1) / 365.25 days, so n orders a month apart span n − 1 months and read higher (1308 in that example). Order dates are calendar dates of order_time in its own time zone (as date_trunc('day', order_time) gives them). Rows with a NULL order_value, customer_id or order_time are skipped; a group without orders gives NULL. A NaN or infinite order_value is an error; negative values (refunds) count.

    SQL: clv(order_value, customer_id, order_time, lifespan_years [, period])

    Args:
        order_value: Value of the order: any integer, floating point or DECIMAL column.
        customer_id: Customer identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        order_time: When the order was placed: a TIMESTAMP of any unit and zone, or a DATE.
        lifespan_years: Expected customer lifespan in years: a positive numeric constant.
        period: Optional: the calendar period the purchase frequency counts whole periods of, the constant 'day', 'week', 'month', 'quarter' or 'year'. Without it, the observed span from first to last order.

    Example:
        -- purchases per year over the calendar years the orders fall in
        SELECT region, clv(amount, customer_id, ordered_at, 3, 'year') AS clv_3y
        FROM orders
        GROUP BY region;
    """

def retention() -> AggregateUDF:
    """Returns the ``retention`` function as a ``datafusion.AggregateUDF``.

    The retention curve of the group's users, exact, from an event log. Each user's period k (0 to periods) is the window [start + k × period, start + (k + 1) × period), where start is start_time (a signup time, say), or the user's first event meeting start_condition, or without either the user's first event in the group; months step by calendar month and days by local day in the event times' zone, as DataFusion adds intervals (start + INTERVAL '2 months' for period 2 of a month). With start_condition and return_condition ("did A, came back to do B", from the event log alone), only users with a start event are counted and only events meeting return_condition are returns (the start event too, if it meets it), and rows meeting neither count for nothing but their group's having a result; otherwise every event is a return. A user is retained in period k when they have an event in that period. Returns one row per period: {period, users, retained, rate}, rate = 100 × retained / users. periods may instead be brackets of periods after period 0, a constant string such as '1, 2-7, 8-30' (Amplitude's custom brackets): a row per bracket, period 0 first, each row's period the bracket's first, retained by a return in any period of the bracket. A user whose period (or bracket) has not ended by the group's last start or return event (its last event, without conditions) is not counted in it (a young cohort does not read as churn); a user with a start but no events (a NULL event_time from a LEFT JOIN) counts as not retained; events before the start are ignored. Rows with a NULL user_id are skipped; a NULL condition is false; the earliest start of a user counts, and a user without a start_time (NULL in every row) starts at their first event. A group without users (with conditions: without rows) gives NULL. Read it wide with r[k + 1]['rate'], or long with UNNEST.

    SQL: retention(user_id, event_time, period, periods [, start_time | , start_condition, return_condition])

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the user was active: a TIMESTAMP of any unit and zone, or a DATE.
        period: The length of a period: a constant positive INTERVAL, such as INTERVAL '1 day', '7 days' or '1 month'.
        periods: How many periods follow period 0, a constant from 1 to 1000; or brackets of the periods after period 0, a constant string such as '1, 2-7, 8-30' (increasing, without overlaps, up to period 1000).
        start_time: Optional: when each user's period 0 starts (signup time); a column of the same kind as event_time.
        start_condition, return_condition: Optional, instead of start_time: BOOLEAN conditions such as event_name = 'signup' and event_name = 'purchase'. A user's start is their first event meeting start_condition; their returns are the events meeting return_condition.

    Example:
        -- weekly signup cohorts over 12 weeks, wide: one column per week
        SELECT date_trunc('week', u.signup_time) AS cohort,
               retention(e.user_id, e.event_time, INTERVAL '7 days', 12, u.signup_time) AS r
        FROM users u LEFT JOIN events e ON e.user_id = u.user_id
        GROUP BY cohort ORDER BY cohort;
        -- then r[2]['rate'] is week 1's rate

        -- long: a row per (cohort, period)
        SELECT cohort, p['period'] AS period, p['users'] AS users, p['rate'] AS rate
        FROM (SELECT cohort, unnest(r) AS p FROM cohorts);

        -- from the event log alone: users who signed up and came back to buy, on day 1,
        -- days 2 to 7 and days 8 to 30
        SELECT retention(user_id, event_time, INTERVAL '1 day', '1, 2-7, 8-30',
               event_name = 'signup', event_name = 'purchase') FROM events;
    """

def unbounded_retention() -> AggregateUDF:
    """Returns the ``unbounded_retention`` function as a ``datafusion.AggregateUDF``.

    The retention curve of the group's users, exact, from an event log. Each user's period k (0 to periods) is the window [start + k × period, start + (k + 1) × period), where start is start_time (a signup time, say), or the user's first event meeting start_condition, or without either the user's first event in the group; months step by calendar month and days by local day in the event times' zone, as DataFusion adds intervals (start + INTERVAL '2 months' for period 2 of a month). With start_condition and return_condition ("did A, came back to do B", from the event log alone), only users with a start event are counted and only events meeting return_condition are returns (the start event too, if it meets it), and rows meeting neither count for nothing but their group's having a result; otherwise every event is a return. A user is retained in period k when they have an event in period k or any later one, even past the last period reported (Amplitude's "unbounded", PostHog's "on or after"): each user's retained periods run from 0 without a gap. Returns one row per period: {period, users, retained, rate}, rate = 100 × retained / users. periods may instead be brackets of periods after period 0, a constant string such as '1, 2-7, 8-30' (Amplitude's custom brackets): a row per bracket, period 0 first, each row's period the bracket's first, retained by a return in any period of the bracket. A user whose period (or bracket) has not ended by the group's last start or return event (its last event, without conditions) is not counted in it (a young cohort does not read as churn); a user with a start but no events (a NULL event_time from a LEFT JOIN) counts as not retained; events before the start are ignored. Rows with a NULL user_id are skipped; a NULL condition is false; the earliest start of a user counts, and a user without a start_time (NULL in every row) starts at their first event. A group without users (with conditions: without rows) gives NULL. Read it wide with r[k + 1]['rate'], or long with UNNEST.

    SQL: unbounded_retention(user_id, event_time, period, periods [, start_time | , start_condition, return_condition])

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the user was active: a TIMESTAMP of any unit and zone, or a DATE.
        period: The length of a period: a constant positive INTERVAL, such as INTERVAL '1 day', '7 days' or '1 month'.
        periods: How many periods follow period 0, a constant from 1 to 1000; or brackets of the periods after period 0, a constant string such as '1, 2-7, 8-30' (increasing, without overlaps, up to period 1000).
        start_time: Optional: when each user's period 0 starts (signup time); a column of the same kind as event_time.
        start_condition, return_condition: Optional, instead of start_time: BOOLEAN conditions such as event_name = 'signup' and event_name = 'purchase'. A user's start is their first event meeting start_condition; their returns are the events meeting return_condition.

    Example:
        -- weekly signup cohorts over 12 weeks, wide: one column per week
        SELECT date_trunc('week', u.signup_time) AS cohort,
               unbounded_retention(e.user_id, e.event_time, INTERVAL '7 days', 12, u.signup_time) AS r
        FROM users u LEFT JOIN events e ON e.user_id = u.user_id
        GROUP BY cohort ORDER BY cohort;
        -- then r[2]['rate'] is week 1's rate

        -- long: a row per (cohort, period)
        SELECT cohort, p['period'] AS period, p['users'] AS users, p['rate'] AS rate
        FROM (SELECT cohort, unnest(r) AS p FROM cohorts);

        -- from the event log alone: users who signed up and came back to buy, on day 1,
        -- days 2 to 7 and days 8 to 30
        SELECT unbounded_retention(user_id, event_time, INTERVAL '1 day', '1, 2-7, 8-30',
               event_name = 'signup', event_name = 'purchase') FROM events;
    """

def window_funnel() -> AggregateUDF:
    """Returns the ``window_funnel`` function as a ``datafusion.AggregateUDF``.

    How far through a funnel the group got, typically grouped by user: the steps reached by a chain of events meeting step_1, step_2, … in that order, each strictly later than the one before, all at most window after the first (inclusive). Returns 0 to n (up to 32 steps). A NULL condition is false; an event meeting several steps may serve as any one of them; rows with a NULL event_time are skipped, and a group without any row gives NULL. The level is ClickHouse's windowFunnel(window, 'strict_increase', mode, …) with the same modes, evaluated as ClickHouse does: one pass over the group's events in time order (at one time: rows meeting no step first, then the steps in order) that keeps the latest chain of each step, a step-1 event starting one afresh. Where events share a time that can miss a chain (A, then A and B at one time: 1); 'strict_once' keeps every chain, as in ClickHouse, and gives the longest (2). Modes, constant strings after the steps: 'strict_order' ends the pass at a row meeting no step, or at an event of a step whose previous step has not been reached (A-B-D-C reaches 2); with 'allow_reentry' such events are skipped instead, so only rows meeting no step end it. 'strict_deduplication' ends the pass at an event of a step already reached, other than step 1 (A-B-C-B-D reaches 3; a repeated row is a step met again). A-B-A-C reaches 3 under either: A again restarts the chain. 'longest_walk', ours, judges by the best attempt instead of the first: without a strict mode the longest chain (as 'strict_once'); with one, the longest walk from any step-1 event through the times of the group's later step events, within the window, taking the next step wherever its event comes and stopping where the mode forbids (strict_order: an event of any step but the one just reached; strict_deduplication: an event of a step already reached; rows meeting no step and events at the time of the walk's last step never stop it). A visitor interrupted on Monday who converts on Tuesday reaches the last step with 'longest_walk' and stays where Monday's attempt ended without it. 'strict_increase' is accepted and changes nothing: steps are always strictly later. Exclusions, after the steps: the constant string 'exclude a-b' (or 'exclude', between step 1 and the last step) followed by a BOOLEAN condition, up to 16 of them. An event meeting the condition strictly after a chain's step-a event and before its step-b event ends that chain: the steps it reached count, and it goes no further (view, remove_from_cart, pay with 'exclude 1-3', event_name = 'remove_from_cart': step 1 only; a later view starts a chain of its own). Mixpanel's exclusion steps; PostHog drops such a user from the whole funnel instead. Times are compared to the microsecond.

    SQL: window_funnel(window, event_time, step_1, …, step_n [, mode, …] [, 'exclude a-b', condition, …])

    Args:
        window: How long a chain may take from its first event: a constant positive INTERVAL such as INTERVAL '1 day'.
        event_time: When the event happened: a TIMESTAMP of any unit and zone, or a DATE.
        step_1, …, step_n: The steps' conditions, BOOLEAN expressions such as event_name = 'cart'; 1 to 32 of them.
        mode: Optional, after the steps, as constant strings: 'strict_order', 'strict_deduplication' (one or both), 'allow_reentry' (with 'strict_order'), 'longest_walk', 'strict_increase' or 'strict_once'.
        'exclude a-b', condition: Optional, after the steps: an exclusion, the constant string 'exclude a-b' (or 'exclude') and a BOOLEAN condition such as event_name = 'remove_from_cart'; up to 16.

    Example:
        -- users per funnel level: view, then cart, then payment within a day
        SELECT level, count(*) AS users
        FROM (SELECT user_id,
                     window_funnel(INTERVAL '1 day', event_time,
                                   event_name = 'view', event_name = 'cart', event_name = 'pay') AS level
              FROM events GROUP BY user_id)
        GROUP BY level ORDER BY level;
        -- the same, with no other step's event between two steps of the best attempt
        SELECT user_id, window_funnel(INTERVAL '1 day', event_time, event_name = 'view',
               event_name = 'cart', event_name = 'pay', 'strict_order', 'longest_walk') AS level
        FROM events GROUP BY user_id;
    """

def funnel() -> AggregateUDF:
    """Returns the ``funnel`` function as a ``datafusion.AggregateUDF``.

    The conversion funnel of the group's users, exact. A user reaches step k when their window_funnel level, with the same modes, is k or more: events meeting step_1, …, step_k in that order, each strictly later than the one before, all at most window after the first (inclusive). Returns one row per step (up to 32): {step, users, dropped_off, conversion_from_previous, conversion_from_first}: the users reaching the step, those of the step before who did not (0 for step 1), and 100 × users / the previous step's users and / step 1's users (100 for step 1, NULL when the step before has no users). funnel_conversion_times and funnel_conversion_histogram give how long the users took. A user's events may be split over any partitions and batches. A NULL condition is false; rows with a NULL user_id or event_time are skipped; a group without any row gives NULL. The level is ClickHouse's windowFunnel(window, 'strict_increase', mode, …) with the same modes, evaluated as ClickHouse does: one pass over the group's events in time order (at one time: rows meeting no step first, then the steps in order) that keeps the latest chain of each step, a step-1 event starting one afresh. Where events share a time that can miss a chain (A, then A and B at one time: 1); 'strict_once' keeps every chain, as in ClickHouse, and gives the longest (2). Modes, constant strings after the steps: 'strict_order' ends the pass at a row meeting no step, or at an event of a step whose previous step has not been reached (A-B-D-C reaches 2); with 'allow_reentry' such events are skipped instead, so only rows meeting no step end it. 'strict_deduplication' ends the pass at an event of a step already reached, other than step 1 (A-B-C-B-D reaches 3; a repeated row is a step met again). A-B-A-C reaches 3 under either: A again restarts the chain. 'longest_walk', ours, judges by the best attempt instead of the first: without a strict mode the longest chain (as 'strict_once'); with one, the longest walk from any step-1 event through the times of the group's later step events, within the window, taking the next step wherever its event comes and stopping where the mode forbids (strict_order: an event of any step but the one just reached; strict_deduplication: an event of a step already reached; rows meeting no step and events at the time of the walk's last step never stop it). A visitor interrupted on Monday who converts on Tuesday reaches the last step with 'longest_walk' and stays where Monday's attempt ended without it. 'strict_increase' is accepted and changes nothing: steps are always strictly later. Exclusions, after the steps: the constant string 'exclude a-b' (or 'exclude', between step 1 and the last step) followed by a BOOLEAN condition, up to 16 of them. An event meeting the condition strictly after a chain's step-a event and before its step-b event ends that chain: the steps it reached count, and it goes no further (view, remove_from_cart, pay with 'exclude 1-3', event_name = 'remove_from_cart': step 1 only; a later view starts a chain of its own). Mixpanel's exclusion steps; PostHog drops such a user from the whole funnel instead.

    SQL: funnel(user_id, event_time, window, step_1, …, step_n [, mode, …] [, 'exclude a-b', condition, …])

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the event happened: a TIMESTAMP of any unit and zone, or a DATE.
        window: How long a user's chain may take from its first event: a constant positive INTERVAL such as INTERVAL '1 day'.
        step_1, …, step_n: The steps' conditions, BOOLEAN expressions such as event_name = 'cart'; 1 to 32 of them.
        mode: Optional, after the steps, as constant strings: 'strict_order', 'strict_deduplication' (one or both), 'allow_reentry' (with 'strict_order'), 'longest_walk', 'strict_increase' or 'strict_once'.
        'exclude a-b', condition: Optional, after the steps: an exclusion, the constant string 'exclude a-b' (or 'exclude') and a BOOLEAN condition such as event_name = 'remove_from_cart'; up to 16.

    Example:
        -- a 4-step funnel by segment, within a day of the view
        SELECT segment, funnel(user_id, event_time, INTERVAL '1 day',
               event_name = 'view', event_name = 'cart', event_name = 'checkout',
               event_name = 'pay') AS f
        FROM events GROUP BY segment;
        -- long: a row per (segment, step)
        SELECT segment, s['step'] AS step, s['users'] AS users,
               s['conversion_from_first'] AS conversion
        FROM (SELECT segment, unnest(f) AS s FROM funnels);
    """

def funnel_conversion_times() -> AggregateUDF:
    """Returns the ``funnel_conversion_times`` function as a ``datafusion.AggregateUDF``.

    How long the group's users take to convert, exact: for each step of the funnel (as funnel's, same arguments), the seconds from step 1 to the step of each user reaching it. A user's time to step k is taken on the chain that first reached step k: from its step-1 event to its step-k event (of several chains reaching it at once, the one started last). Returns one row per step (up to 32): {step, users, avg_seconds, min_seconds, p25_seconds, median_seconds, p75_seconds, p90_seconds, max_seconds}, users as funnel counts them; the quantiles interpolate as percentile_cont and median do; NULL for a step no user reached (step 1's times are 0). funnel_conversion_histogram gives the distribution. A NULL condition is false; rows with a NULL user_id or event_time are skipped; a group without any row gives NULL. The level is ClickHouse's windowFunnel(window, 'strict_increase', mode, …) with the same modes, evaluated as ClickHouse does: one pass over the group's events in time order (at one time: rows meeting no step first, then the steps in order) that keeps the latest chain of each step, a step-1 event starting one afresh. Where events share a time that can miss a chain (A, then A and B at one time: 1); 'strict_once' keeps every chain, as in ClickHouse, and gives the longest (2). Modes, constant strings after the steps: 'strict_order' ends the pass at a row meeting no step, or at an event of a step whose previous step has not been reached (A-B-D-C reaches 2); with 'allow_reentry' such events are skipped instead, so only rows meeting no step end it. 'strict_deduplication' ends the pass at an event of a step already reached, other than step 1 (A-B-C-B-D reaches 3; a repeated row is a step met again). A-B-A-C reaches 3 under either: A again restarts the chain. 'longest_walk', ours, judges by the best attempt instead of the first: without a strict mode the longest chain (as 'strict_once'); with one, the longest walk from any step-1 event through the times of the group's later step events, within the window, taking the next step wherever its event comes and stopping where the mode forbids (strict_order: an event of any step but the one just reached; strict_deduplication: an event of a step already reached; rows meeting no step and events at the time of the walk's last step never stop it). A visitor interrupted on Monday who converts on Tuesday reaches the last step with 'longest_walk' and stays where Monday's attempt ended without it. 'strict_increase' is accepted and changes nothing: steps are always strictly later. Exclusions, after the steps: the constant string 'exclude a-b' (or 'exclude', between step 1 and the last step) followed by a BOOLEAN condition, up to 16 of them. An event meeting the condition strictly after a chain's step-a event and before its step-b event ends that chain: the steps it reached count, and it goes no further (view, remove_from_cart, pay with 'exclude 1-3', event_name = 'remove_from_cart': step 1 only; a later view starts a chain of its own). Mixpanel's exclusion steps; PostHog drops such a user from the whole funnel instead.

    SQL: funnel_conversion_times(user_id, event_time, window, step_1, …, step_n [, mode, …] [, 'exclude a-b', condition, …])

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the event happened: a TIMESTAMP of any unit and zone, or a DATE.
        window: How long a user's chain may take from its first event: a constant positive INTERVAL such as INTERVAL '1 day'.
        step_1, …, step_n: The steps' conditions, BOOLEAN expressions such as event_name = 'cart'; 1 to 32 of them.
        mode: Optional, after the steps, as constant strings: 'strict_order', 'strict_deduplication' (one or both), 'allow_reentry' (with 'strict_order'), 'longest_walk', 'strict_increase' or 'strict_once'.
        'exclude a-b', condition: Optional, after the steps: an exclusion, the constant string 'exclude a-b' (or 'exclude') and a BOOLEAN condition such as event_name = 'remove_from_cart'; up to 16.

    Example:
        -- median and 90th percentile time from the view to each step
        SELECT s['step'] AS step, s['users'] AS users,
               s['median_seconds'] AS median, s['p90_seconds'] AS p90
        FROM (SELECT unnest(funnel_conversion_times(user_id, event_time,
               INTERVAL '1 day', event_name = 'view', event_name = 'cart',
               event_name = 'pay')) AS s FROM events);
    """

def funnel_conversion_histogram() -> AggregateUDF:
    """Returns the ``funnel_conversion_histogram`` function as a ``datafusion.AggregateUDF``.

    The distribution of the group's times to convert, exact: for steps 2 to n of the funnel (as funnel's, same arguments), how many users reached the step within each bucket of seconds from step 1, the times taken as funnel_conversion_times takes them. The buckets are fixed, so that groups compare bucket by bucket: from 0, 10 seconds, 1 minute, 5 minutes, 15 minutes, 1 hour, 6 hours, 1 day, 7 days and 30 days, each up to the next (exclusive); only those starting within the window are listed, the last of them open (it holds every longer time). Returns one row per step and bucket: {step, from_seconds, to_seconds, users, share}, to_seconds NULL for the open bucket, share = 100 × users / the users reaching the step (NULL when none does). A NULL condition is false; rows with a NULL user_id or event_time are skipped; a group without any row gives NULL. The level is ClickHouse's windowFunnel(window, 'strict_increase', mode, …) with the same modes, evaluated as ClickHouse does: one pass over the group's events in time order (at one time: rows meeting no step first, then the steps in order) that keeps the latest chain of each step, a step-1 event starting one afresh. Where events share a time that can miss a chain (A, then A and B at one time: 1); 'strict_once' keeps every chain, as in ClickHouse, and gives the longest (2). Modes, constant strings after the steps: 'strict_order' ends the pass at a row meeting no step, or at an event of a step whose previous step has not been reached (A-B-D-C reaches 2); with 'allow_reentry' such events are skipped instead, so only rows meeting no step end it. 'strict_deduplication' ends the pass at an event of a step already reached, other than step 1 (A-B-C-B-D reaches 3; a repeated row is a step met again). A-B-A-C reaches 3 under either: A again restarts the chain. 'longest_walk', ours, judges by the best attempt instead of the first: without a strict mode the longest chain (as 'strict_once'); with one, the longest walk from any step-1 event through the times of the group's later step events, within the window, taking the next step wherever its event comes and stopping where the mode forbids (strict_order: an event of any step but the one just reached; strict_deduplication: an event of a step already reached; rows meeting no step and events at the time of the walk's last step never stop it). A visitor interrupted on Monday who converts on Tuesday reaches the last step with 'longest_walk' and stays where Monday's attempt ended without it. 'strict_increase' is accepted and changes nothing: steps are always strictly later. Exclusions, after the steps: the constant string 'exclude a-b' (or 'exclude', between step 1 and the last step) followed by a BOOLEAN condition, up to 16 of them. An event meeting the condition strictly after a chain's step-a event and before its step-b event ends that chain: the steps it reached count, and it goes no further (view, remove_from_cart, pay with 'exclude 1-3', event_name = 'remove_from_cart': step 1 only; a later view starts a chain of its own). Mixpanel's exclusion steps; PostHog drops such a user from the whole funnel instead.

    SQL: funnel_conversion_histogram(user_id, event_time, window, step_1, …, step_n [, mode, …] [, 'exclude a-b', condition, …])

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the event happened: a TIMESTAMP of any unit and zone, or a DATE.
        window: How long a user's chain may take from its first event: a constant positive INTERVAL such as INTERVAL '1 day'.
        step_1, …, step_n: The steps' conditions, BOOLEAN expressions such as event_name = 'cart'; 1 to 32 of them.
        mode: Optional, after the steps, as constant strings: 'strict_order', 'strict_deduplication' (one or both), 'allow_reentry' (with 'strict_order'), 'longest_walk', 'strict_increase' or 'strict_once'.
        'exclude a-b', condition: Optional, after the steps: an exclusion, the constant string 'exclude a-b' (or 'exclude') and a BOOLEAN condition such as event_name = 'remove_from_cart'; up to 16.

    Example:
        -- how long visitors take from the view to the payment
        SELECT b['from_seconds'] AS from_seconds, b['to_seconds'] AS to_seconds,
               b['users'] AS users, b['share'] AS share
        FROM (SELECT unnest(funnel_conversion_histogram(user_id, event_time,
               INTERVAL '1 day', event_name = 'view', event_name = 'pay')) AS b
              FROM events);
    """

def sequence_match() -> AggregateUDF:
    """Returns the ``sequence_match`` function as a ``datafusion.AggregateUDF``.

    Whether the group's events, in time order, match the pattern, typically grouped by user: ClickHouse's sequenceMatch(pattern)(event_time, condition_1, …). The pattern is ClickHouse's: (?N) an event meeting condition N; . any one event; .* any events, none included; (?t op S) between the events matched before and after it, S whole seconds apart by op (<, <=, >, >=, ==). The pattern may match anywhere in the group's events, in time order. Events are the rows meeting at least one condition (a NULL condition is false); rows of a group at one instant make one event, meeting every condition any of them meets. A group whose rows meet no condition matches only a pattern that needs no event; a group without any row gives NULL.

    SQL: sequence_match(pattern, event_time, condition_1, …, condition_n)

    Args:
        pattern: A constant string in ClickHouse's pattern grammar, such as '(?1).*(?t<=3600)(?2)'.
        event_time: When the event happened: a TIMESTAMP of any unit and zone, or a DATE.
        condition_1, …, condition_n: The conditions the pattern names as (?1), (?2), …: BOOLEAN expressions such as event_name = 'cart'; 1 to 32 of them.

    Example:
        -- users who viewed, then paid within an hour of the view
        SELECT count(*) FILTER (WHERE converted) AS users
        FROM (SELECT user_id,
                     sequence_match('(?1)(?t<=3600)(?2)', event_time,
                                    event_name = 'view', event_name = 'pay') AS converted
              FROM events GROUP BY user_id);
    """

def sequence_count() -> AggregateUDF:
    """Returns the ``sequence_count`` function as a ``datafusion.AggregateUDF``.

    How many times the group's events, in time order, match the pattern without overlapping (each search starts after the last event of the match before), typically grouped by user: ClickHouse's sequenceCount(pattern)(event_time, condition_1, …). The pattern is ClickHouse's: (?N) an event meeting condition N; . any one event; .* any events, none included; (?t op S) between the events matched before and after it, S whole seconds apart by op (<, <=, >, >=, ==). The pattern may match anywhere in the group's events, in time order. Events are the rows meeting at least one condition (a NULL condition is false); rows of a group at one instant make one event, meeting every condition any of them meets. A group whose rows meet no condition gives 0; a group without any row gives NULL.

    SQL: sequence_count(pattern, event_time, condition_1, …, condition_n)

    Args:
        pattern: A constant string in ClickHouse's pattern grammar, such as '(?1).*(?t<=3600)(?2)'.
        event_time: When the event happened: a TIMESTAMP of any unit and zone, or a DATE.
        condition_1, …, condition_n: The conditions the pattern names as (?1), (?2), …: BOOLEAN expressions such as event_name = 'cart'; 1 to 32 of them.

    Example:
        -- searches followed by a purchase within 10 minutes, per user
        SELECT user_id,
               sequence_count('(?1)(?t<=600)(?2)', event_time,
                              event_name = 'search', event_name = 'purchase') AS converting_searches
        FROM events GROUP BY user_id;
    """

def sequence_next_node() -> AggregateUDF:
    """Returns the ``sequence_next_node`` function as a ``datafusion.AggregateUDF``.

    The event that comes after (or before) a chain of events, typically grouped by user: ClickHouse's sequenceNextNode(direction, base)(event_time, event, base_condition, event_1, …). The group's rows in order of time, then event, are its nodes. base picks the base node: 'head' the first node, 'tail' the last, either only if it meets base_condition; 'first_match' ('last_match') the first (last) node meeting base_condition and event_1. From the base, the nodes must meet event_1, event_2, … one after another ('forward') or one before another ('backward'); the result is the event of the node past that chain, NULL when the chain breaks or no node is left. Without chain events ('head' or 'tail' only) it is the base's own event. Every row is a node, two at one time too; rows of one time and one event go in order of the conditions they meet, so that the result does not depend on how the engine splits the rows (ClickHouse keeps them as they came, and compares whole seconds). Rows with a NULL event_time or event are skipped; a NULL condition is false; a group without rows gives NULL.

    SQL: sequence_next_node(direction, base, event_time, event, base_condition, event_1, …, event_n)

    Args:
        direction: A constant: 'forward' (the chain runs to later nodes, the result follows it) or 'backward' (to earlier nodes, the result precedes it).
        base: A constant: 'head' (forward only), 'tail' (backward only), 'first_match' or 'last_match'.
        event_time: When the event happened: a TIMESTAMP of any unit and zone, or a DATE.
        event: What the result reports of a node: a string column such as a page or an event name (Utf8, LargeUtf8, Utf8View or dictionary).
        base_condition: BOOLEAN: whether a node may be the base, such as country = 'DE' or true.
        event_1, …, event_n: BOOLEAN conditions the chain's nodes meet in turn from the base, the base itself meeting event_1; 0 to 64 of them (at least one with 'first_match' or 'last_match').

    Example:
        -- where users went after Home, then Gift: the most frequent next pages
        SELECT next_page, count(*) AS users
        FROM (SELECT user_id,
                     sequence_next_node('forward', 'first_match', viewed_at, page, true,
                                        page = 'Home', page = 'Gift') AS next_page
              FROM page_views GROUP BY user_id)
        WHERE next_page IS NOT NULL
        GROUP BY next_page ORDER BY users DESC LIMIT 10;
    """

def paths() -> AggregateUDF:
    """Returns the ``paths`` function as a ``datafusion.AggregateUDF``.

    Where users go after a start event, step by step: the links of a flow (Sankey) diagram, as PostHog's and Amplitude's paths show them. Each user's path is their first event meeting start_condition and the steps events after it, in order of time, then event (every row is an event, two at one time too). Returns a list with a row per link, {step, event, next_event, users, share}: the users who went from event to next_event at that step (step 1 from the start event), next_event NULL for the users whose path ends at event; share = 100 × users / the group's users with a start event. Rows go by step, then the most users first, then events. Restrict the events with WHERE or FILTER (pages only, a period), unnest the list for a row per link; the HTML reports draw it as a flow. Rows with a NULL user_id, event_time or event are skipped; a NULL start_condition is false; a group without a start event gives NULL.

    SQL: paths(user_id, event_time, event, start_condition, steps)

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the event happened: a TIMESTAMP of any unit and zone, or a DATE.
        event: What a path goes through: a string column such as a page or an event name (Utf8, LargeUtf8, Utf8View or dictionary).
        start_condition: BOOLEAN: the events a path may start at, such as page = '/home'; each user's first one starts their path.
        steps: A constant whole number from 1 to 100: how many events after the start each path follows.

    Example:
        -- the three pages after the home page, by how many users went each way
        SELECT l['step'] AS step, l['event'] AS page, l['next_event'] AS next_page, l['users'] AS users
        FROM (SELECT unnest(paths(user_id, viewed_at, page, page = '/home', 3)) AS l
              FROM page_views);
    """

def lifecycle() -> AggregateUDF:
    """Returns the ``lifecycle`` function as a ``datafusion.AggregateUDF``.

    The group's users per calendar period ('day', 'week' starting Monday, or 'month', in the event times' own zone as date_trunc gives them), from the group's first to its last active period. Returns one row per period: {period_start, active, new, returning, resurrecting, dormant, churn_rate, retention_rate}. A user is new in their first active period (with signup_time: in the period of their signup, and activity before it is ignored), returning when also active in the previous period, resurrecting when not active in the previous period but known before, and dormant in the period after their last active one of a run. churn_rate = 100 × dormant / active in the previous period; retention_rate = 100 × returning / active in the previous period (NULL for the first period). Rows with a NULL user_id or event_time are skipped; a group without activity gives NULL.

    SQL: lifecycle(user_id, event_time, period [, signup_time])

    Args:
        user_id: User identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).
        event_time: When the user was active: a TIMESTAMP of any unit and zone, or a DATE.
        period: The calendar period: the constant 'day', 'week' or 'month'.
        signup_time: Optional: when each user signed up; decides "new" instead of the first event seen.

    Example:
        -- weekly lifecycle, long: one row per week
        SELECT w['period_start'] AS week, w['new'] AS new, w['returning'] AS returning,
               w['resurrecting'] AS resurrecting, w['dormant'] AS dormant, w['churn_rate'] AS churn
        FROM (SELECT unnest(lifecycle(user_id, event_time, 'week')) AS w FROM events);

        -- monthly churn by segment, new users from their signup
        SELECT segment, lifecycle(e.user_id, e.event_time, 'month', u.signup_time) AS months
        FROM events e JOIN users u USING (user_id)
        GROUP BY segment;
    """

def hll_sketch() -> AggregateUDF:
    """Returns the ``hll_sketch`` function as a ``datafusion.AggregateUDF``.

    An Apache DataSketches HLL sketch of the group's distinct values (BINARY, DataSketches' serialized form, HLL_4 unless type says otherwise): store daily sketches, then hll_union and hll_estimate give the distinct users of any span without the events. DataSketches in Java, C++ and Python (and Druid, Spark, Hive) read it, and hll_union reads theirs: values are hashed as DataSketches hashes them (an integer as a 64-bit long, a string as its UTF-8 bytes; empty strings and NULLs are skipped). The relative standard error is about 1.04 / sqrt(2^lg_k): 1.6 % at the default lg_k 12. A group without values gives NULL.

    SQL: hll_sketch(value [, lg_k [, type]])

    Args:
        value: What to count distinct values of: an integer or string column (a user id).
        lg_k: Optional: log2 of the number of registers, a constant from 4 to 21 (default 12).
        type: Optional: the register width of the sketch written, the constant 'HLL_4' (the default, DataSketches' own and the smallest), 'HLL_6' or 'HLL_8' (twice HLL_4's size, and the fastest to read and unite: for sketches that are read often, such as approx_stickiness's daily ones).

    Example:
        -- daily sketches of the active users, per segment
        COPY (SELECT segment, CAST(event_time AS DATE) AS day, hll_sketch(user_id) AS users
              FROM events GROUP BY 1, 2) TO 'sketches/' STORED AS PARQUET;
        -- monthly active users from them
        SELECT date_trunc('month', day) AS month, segment, hll_estimate(hll_union(users)) AS mau
        FROM 'sketches/' GROUP BY 1, 2;
    """

def hll_union() -> AggregateUDF:
    """Returns the ``hll_union`` function as a ``datafusion.AggregateUDF``.

    The union of the group's HLL sketches (written by hll_sketch, or by DataSketches anywhere): one sketch of every value any of them saw, to store again or to read with hll_estimate. Sketches of different lg_k unite at the smallest of them and lg_k. NULL sketches are skipped; a group with none gives NULL; bytes that are not an HLL sketch are an error.

    SQL: hll_union(sketch [, lg_k [, type]])

    Args:
        sketch: A BINARY HLL sketch.
        lg_k: Optional: the largest lg_k of the union, a constant from 4 to 21 (default 12).
        type: Optional: the register width of the sketch written, the constant 'HLL_4' (the default, DataSketches' own and the smallest), 'HLL_6' or 'HLL_8' (twice HLL_4's size, and the fastest to read and unite: for sketches that are read often, such as approx_stickiness's daily ones).

    Example:
        SELECT segment, hll_estimate(hll_union(users)) AS active_users
        FROM 'sketches/' WHERE day >= '2026-07-01' GROUP BY segment;
    """

def theta_sketch() -> AggregateUDF:
    """Returns the ``theta_sketch`` function as a ``datafusion.AggregateUDF``.

    An Apache DataSketches theta sketch of the group's distinct values (BINARY, DataSketches' serialized compact form). Unlike HLL, theta sketches intersect and subtract: theta_intersection and theta_a_not_b answer "active this month and last" or "active last month but not this one" from stored sketches. Exact up to 2^lg_k distinct values; beyond, the relative standard error is about 1 / sqrt(2^lg_k): 1.6 % at the default lg_k 12. Values are hashed as DataSketches hashes them (an integer as a 64-bit long, a string as its UTF-8 bytes; empty strings and NULLs are skipped). A group without values gives NULL.

    SQL: theta_sketch(value [, lg_k])

    Args:
        value: What to count distinct values of: an integer or string column (a user id).
        lg_k: Optional: log2 of the number of hashes kept, a constant from 5 to 26 (default 12).

    Example:
        SELECT date_trunc('month', event_time) AS month, theta_sketch(user_id) AS users
        FROM events GROUP BY 1;
    """

def theta_union() -> AggregateUDF:
    """Returns the ``theta_union`` function as a ``datafusion.AggregateUDF``.

    The union of the group's theta sketches (written by theta_sketch, or by DataSketches anywhere): one sketch of every value any of them saw. NULL sketches are skipped; a group with none gives NULL; bytes that are not a theta sketch are an error.

    SQL: theta_union(sketch [, lg_k])

    Args:
        sketch: A BINARY theta sketch.
        lg_k: Optional: log2 of the number of hashes the union keeps, a constant from 5 to 26 (default 12).

    Example:
        SELECT segment, theta_estimate(theta_union(users)) AS active_users
        FROM 'sketches/' GROUP BY segment;
    """

def theta_intersection() -> AggregateUDF:
    """Returns the ``theta_intersection`` function as a ``datafusion.AggregateUDF``.

    The intersection of the group's theta sketches: a sketch of the values every one of them saw, such as the users active in each of two months (the rows of both months in one group). NULL sketches are skipped; a group with none gives NULL; bytes that are not a theta sketch are an error. Its estimate's error is relative to the largest sketch, not to the intersection: a small overlap of large sets is read with less precision.

    SQL: theta_intersection(sketch)

    Args:
        sketch: A BINARY theta sketch.

    Example:
        -- users active both in July and in August
        SELECT theta_estimate(theta_intersection(users)) AS kept
        FROM monthly_sketches WHERE month IN ('2026-07', '2026-08');
    """

def approx_stickiness() -> AggregateUDF:
    """Returns the ``approx_stickiness`` function as a ``datafusion.AggregateUDF``.

    Stickiness (DAU/MAU) as a percentage from stored daily HLL sketches of the active users, without the events: 100 × the sum over days of each day's distinct users / (days × the distinct users of all the days), the sketches of one day united first (so rows per segment can be read together). days and period as stickiness has them: with period ('day', 'week', 'month', 'quarter' or 'year'), all the days of the whole periods from the first day's to the last day's; without, the span from the first to the last day. Within the sketches' error: each estimate about 1.6 % at lg_k 12, and the ratio's error at most their sum. NULL days or sketches are skipped; a group without any gives NULL.

    SQL: approx_stickiness(day, sketch [, period])

    Args:
        day: The day the sketch's users were active: a DATE, or a TIMESTAMP (its calendar day).
        sketch: A BINARY HLL sketch of that day's active users, from hll_sketch or DataSketches.
        period: Optional: the calendar period whose whole days are the denominator, the constant 'day', 'week', 'month', 'quarter' or 'year'. Without it, the days from the first to the last day.

    Example:
        -- monthly DAU/MAU by segment from daily sketches (sql/rollup_report.sql)
        SELECT date_trunc('month', day) AS month, segment,
               approx_stickiness(day, users, 'month') AS dau_mau
        FROM daily_sketches GROUP BY 1, 2;
    """

def nps_state() -> AggregateUDF:
    """Returns the ``nps_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `nps` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `nps_merge` of stored states gives `nps` of all the rows behind them, exactly; `nps_union` combines them into one state. Takes `nps`'s arguments.

    SQL: nps_state(score [, weight])

    Example:
        COPY (SELECT day, segment, nps_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def nps_merge() -> AggregateUDF:
    """Returns the ``nps_merge`` function as a ``datafusion.AggregateUDF``.

    `nps` of all the rows behind stored states written by `nps_state`: `nps_merge(state) GROUP BY month` over daily states equals `nps(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: nps_merge(state)

    Args:
        state: A state written by `nps_state` or `nps_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, nps_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def nps_union() -> AggregateUDF:
    """Returns the ``nps_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `nps_state` (or `nps_union`): daily states into monthly ones, to store again. `nps_merge` finishes it.

    SQL: nps_union(state)

    Args:
        state: A state written by `nps_state` or `nps_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, nps_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def csat_state() -> AggregateUDF:
    """Returns the ``csat_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `csat` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `csat_merge` of stored states gives `csat` of all the rows behind them, exactly; `csat_union` combines them into one state. Takes `csat`'s arguments.

    SQL: csat_state(score [, max_score [, weight]])

    Example:
        COPY (SELECT day, segment, csat_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def csat_merge() -> AggregateUDF:
    """Returns the ``csat_merge`` function as a ``datafusion.AggregateUDF``.

    `csat` of all the rows behind stored states written by `csat_state`: `csat_merge(state) GROUP BY month` over daily states equals `csat(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: csat_merge(state)

    Args:
        state: A state written by `csat_state` or `csat_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, csat_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def csat_union() -> AggregateUDF:
    """Returns the ``csat_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `csat_state` (or `csat_union`): daily states into monthly ones, to store again. `csat_merge` finishes it.

    SQL: csat_union(state)

    Args:
        state: A state written by `csat_state` or `csat_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, csat_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def ces_state() -> AggregateUDF:
    """Returns the ``ces_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `ces` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `ces_merge` of stored states gives `ces` of all the rows behind them, exactly; `ces_union` combines them into one state. Takes `ces`'s arguments.

    SQL: ces_state(score [, max_score [, weight]])

    Example:
        COPY (SELECT day, segment, ces_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def ces_merge() -> AggregateUDF:
    """Returns the ``ces_merge`` function as a ``datafusion.AggregateUDF``.

    `ces` of all the rows behind stored states written by `ces_state`: `ces_merge(state) GROUP BY month` over daily states equals `ces(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: ces_merge(state)

    Args:
        state: A state written by `ces_state` or `ces_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, ces_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def ces_union() -> AggregateUDF:
    """Returns the ``ces_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `ces_state` (or `ces_union`): daily states into monthly ones, to store again. `ces_merge` finishes it.

    SQL: ces_union(state)

    Args:
        state: A state written by `ces_state` or `ces_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, ces_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def churn_rate_state() -> AggregateUDF:
    """Returns the ``churn_rate_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `churn_rate` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `churn_rate_merge` of stored states gives `churn_rate` of all the rows behind them, exactly; `churn_rate_union` combines them into one state. Takes `churn_rate`'s arguments.

    SQL: churn_rate_state(active_at_start, active_at_end)

    Example:
        COPY (SELECT day, segment, churn_rate_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def churn_rate_merge() -> AggregateUDF:
    """Returns the ``churn_rate_merge`` function as a ``datafusion.AggregateUDF``.

    `churn_rate` of all the rows behind stored states written by `churn_rate_state`: `churn_rate_merge(state) GROUP BY month` over daily states equals `churn_rate(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: churn_rate_merge(state)

    Args:
        state: A state written by `churn_rate_state` or `churn_rate_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, churn_rate_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def churn_rate_union() -> AggregateUDF:
    """Returns the ``churn_rate_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `churn_rate_state` (or `churn_rate_union`): daily states into monthly ones, to store again. `churn_rate_merge` finishes it.

    SQL: churn_rate_union(state)

    Args:
        state: A state written by `churn_rate_state` or `churn_rate_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, churn_rate_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def retention_rate_state() -> AggregateUDF:
    """Returns the ``retention_rate_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `retention_rate` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `retention_rate_merge` of stored states gives `retention_rate` of all the rows behind them, exactly; `retention_rate_union` combines them into one state. Takes `retention_rate`'s arguments.

    SQL: retention_rate_state(active_at_start, active_at_end)

    Example:
        COPY (SELECT day, segment, retention_rate_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def retention_rate_merge() -> AggregateUDF:
    """Returns the ``retention_rate_merge`` function as a ``datafusion.AggregateUDF``.

    `retention_rate` of all the rows behind stored states written by `retention_rate_state`: `retention_rate_merge(state) GROUP BY month` over daily states equals `retention_rate(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: retention_rate_merge(state)

    Args:
        state: A state written by `retention_rate_state` or `retention_rate_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, retention_rate_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def retention_rate_union() -> AggregateUDF:
    """Returns the ``retention_rate_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `retention_rate_state` (or `retention_rate_union`): daily states into monthly ones, to store again. `retention_rate_merge` finishes it.

    SQL: retention_rate_union(state)

    Args:
        state: A state written by `retention_rate_state` or `retention_rate_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, retention_rate_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def stickiness_state() -> AggregateUDF:
    """Returns the ``stickiness_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `stickiness` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `stickiness_merge` of stored states gives `stickiness` of all the rows behind them, exactly; `stickiness_union` combines them into one state. Takes `stickiness`'s arguments.

    SQL: stickiness_state(user_id, event_time [, period])

    Example:
        COPY (SELECT day, segment, stickiness_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def stickiness_merge() -> AggregateUDF:
    """Returns the ``stickiness_merge`` function as a ``datafusion.AggregateUDF``.

    `stickiness` of all the rows behind stored states written by `stickiness_state`: `stickiness_merge(state) GROUP BY month` over daily states equals `stickiness(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: stickiness_merge(state)

    Args:
        state: A state written by `stickiness_state` or `stickiness_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, stickiness_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def stickiness_union() -> AggregateUDF:
    """Returns the ``stickiness_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `stickiness_state` (or `stickiness_union`): daily states into monthly ones, to store again. `stickiness_merge` finishes it.

    SQL: stickiness_union(state)

    Args:
        state: A state written by `stickiness_state` or `stickiness_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, stickiness_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def stickiness_distribution_state() -> AggregateUDF:
    """Returns the ``stickiness_distribution_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `stickiness_distribution` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `stickiness_distribution_merge` of stored states gives `stickiness_distribution` of all the rows behind them, exactly; `stickiness_distribution_union` combines them into one state. Takes `stickiness_distribution`'s arguments.

    SQL: stickiness_distribution_state(user_id, event_time [, unit])

    Example:
        COPY (SELECT day, segment, stickiness_distribution_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def stickiness_distribution_merge() -> AggregateUDF:
    """Returns the ``stickiness_distribution_merge`` function as a ``datafusion.AggregateUDF``.

    `stickiness_distribution` of all the rows behind stored states written by `stickiness_distribution_state`: `stickiness_distribution_merge(state) GROUP BY month` over daily states equals `stickiness_distribution(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: stickiness_distribution_merge(state)

    Args:
        state: A state written by `stickiness_distribution_state` or `stickiness_distribution_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, stickiness_distribution_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def stickiness_distribution_union() -> AggregateUDF:
    """Returns the ``stickiness_distribution_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `stickiness_distribution_state` (or `stickiness_distribution_union`): daily states into monthly ones, to store again. `stickiness_distribution_merge` finishes it.

    SQL: stickiness_distribution_union(state)

    Args:
        state: A state written by `stickiness_distribution_state` or `stickiness_distribution_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, stickiness_distribution_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def engagement_score_state() -> AggregateUDF:
    """Returns the ``engagement_score_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `engagement_score` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `engagement_score_merge` of stored states gives `engagement_score` of all the rows behind them, exactly; `engagement_score_union` combines them into one state. Takes `engagement_score`'s arguments.

    SQL: engagement_score_state(event, weights)

    Example:
        COPY (SELECT day, segment, engagement_score_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def engagement_score_merge() -> AggregateUDF:
    """Returns the ``engagement_score_merge`` function as a ``datafusion.AggregateUDF``.

    `engagement_score` of all the rows behind stored states written by `engagement_score_state`: `engagement_score_merge(state) GROUP BY month` over daily states equals `engagement_score(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: engagement_score_merge(state)

    Args:
        state: A state written by `engagement_score_state` or `engagement_score_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, engagement_score_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def engagement_score_union() -> AggregateUDF:
    """Returns the ``engagement_score_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `engagement_score_state` (or `engagement_score_union`): daily states into monthly ones, to store again. `engagement_score_merge` finishes it.

    SQL: engagement_score_union(state)

    Args:
        state: A state written by `engagement_score_state` or `engagement_score_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, engagement_score_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def ctr_state() -> AggregateUDF:
    """Returns the ``ctr_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `ctr` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `ctr_merge` of stored states gives `ctr` of all the rows behind them, exactly; `ctr_union` combines them into one state. Takes `ctr`'s arguments.

    SQL: ctr_state(clicks, impressions)

    Example:
        COPY (SELECT day, segment, ctr_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def ctr_merge() -> AggregateUDF:
    """Returns the ``ctr_merge`` function as a ``datafusion.AggregateUDF``.

    `ctr` of all the rows behind stored states written by `ctr_state`: `ctr_merge(state) GROUP BY month` over daily states equals `ctr(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: ctr_merge(state)

    Args:
        state: A state written by `ctr_state` or `ctr_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, ctr_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def ctr_union() -> AggregateUDF:
    """Returns the ``ctr_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `ctr_state` (or `ctr_union`): daily states into monthly ones, to store again. `ctr_merge` finishes it.

    SQL: ctr_union(state)

    Args:
        state: A state written by `ctr_state` or `ctr_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, ctr_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def engagement_rate_state() -> AggregateUDF:
    """Returns the ``engagement_rate_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `engagement_rate` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `engagement_rate_merge` of stored states gives `engagement_rate` of all the rows behind them, exactly; `engagement_rate_union` combines them into one state. Takes `engagement_rate`'s arguments.

    SQL: engagement_rate_state(interactions, reach)

    Example:
        COPY (SELECT day, segment, engagement_rate_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def engagement_rate_merge() -> AggregateUDF:
    """Returns the ``engagement_rate_merge`` function as a ``datafusion.AggregateUDF``.

    `engagement_rate` of all the rows behind stored states written by `engagement_rate_state`: `engagement_rate_merge(state) GROUP BY month` over daily states equals `engagement_rate(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: engagement_rate_merge(state)

    Args:
        state: A state written by `engagement_rate_state` or `engagement_rate_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, engagement_rate_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def engagement_rate_union() -> AggregateUDF:
    """Returns the ``engagement_rate_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `engagement_rate_state` (or `engagement_rate_union`): daily states into monthly ones, to store again. `engagement_rate_merge` finishes it.

    SQL: engagement_rate_union(state)

    Args:
        state: A state written by `engagement_rate_state` or `engagement_rate_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, engagement_rate_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def nps_summary_state() -> AggregateUDF:
    """Returns the ``nps_summary_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `nps_summary` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `nps_summary_merge` of stored states gives `nps_summary` of all the rows behind them, exactly; `nps_summary_union` combines them into one state. Takes `nps_summary`'s arguments.

    SQL: nps_summary_state(score [, weight])

    Example:
        COPY (SELECT day, segment, nps_summary_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def nps_summary_merge() -> AggregateUDF:
    """Returns the ``nps_summary_merge`` function as a ``datafusion.AggregateUDF``.

    `nps_summary` of all the rows behind stored states written by `nps_summary_state`: `nps_summary_merge(state) GROUP BY month` over daily states equals `nps_summary(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: nps_summary_merge(state)

    Args:
        state: A state written by `nps_summary_state` or `nps_summary_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, nps_summary_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def nps_summary_union() -> AggregateUDF:
    """Returns the ``nps_summary_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `nps_summary_state` (or `nps_summary_union`): daily states into monthly ones, to store again. `nps_summary_merge` finishes it.

    SQL: nps_summary_union(state)

    Args:
        state: A state written by `nps_summary_state` or `nps_summary_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, nps_summary_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def csat_summary_state() -> AggregateUDF:
    """Returns the ``csat_summary_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `csat_summary` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `csat_summary_merge` of stored states gives `csat_summary` of all the rows behind them, exactly; `csat_summary_union` combines them into one state. Takes `csat_summary`'s arguments.

    SQL: csat_summary_state(score [, max_score [, weight]])

    Example:
        COPY (SELECT day, segment, csat_summary_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def csat_summary_merge() -> AggregateUDF:
    """Returns the ``csat_summary_merge`` function as a ``datafusion.AggregateUDF``.

    `csat_summary` of all the rows behind stored states written by `csat_summary_state`: `csat_summary_merge(state) GROUP BY month` over daily states equals `csat_summary(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: csat_summary_merge(state)

    Args:
        state: A state written by `csat_summary_state` or `csat_summary_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, csat_summary_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def csat_summary_union() -> AggregateUDF:
    """Returns the ``csat_summary_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `csat_summary_state` (or `csat_summary_union`): daily states into monthly ones, to store again. `csat_summary_merge` finishes it.

    SQL: csat_summary_union(state)

    Args:
        state: A state written by `csat_summary_state` or `csat_summary_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, csat_summary_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def ces_summary_state() -> AggregateUDF:
    """Returns the ``ces_summary_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `ces_summary` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `ces_summary_merge` of stored states gives `ces_summary` of all the rows behind them, exactly; `ces_summary_union` combines them into one state. Takes `ces_summary`'s arguments.

    SQL: ces_summary_state(score [, max_score [, weight]])

    Example:
        COPY (SELECT day, segment, ces_summary_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def ces_summary_merge() -> AggregateUDF:
    """Returns the ``ces_summary_merge`` function as a ``datafusion.AggregateUDF``.

    `ces_summary` of all the rows behind stored states written by `ces_summary_state`: `ces_summary_merge(state) GROUP BY month` over daily states equals `ces_summary(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: ces_summary_merge(state)

    Args:
        state: A state written by `ces_summary_state` or `ces_summary_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, ces_summary_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def ces_summary_union() -> AggregateUDF:
    """Returns the ``ces_summary_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `ces_summary_state` (or `ces_summary_union`): daily states into monthly ones, to store again. `ces_summary_merge` finishes it.

    SQL: ces_summary_union(state)

    Args:
        state: A state written by `ces_summary_state` or `ces_summary_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, ces_summary_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def avg_resolution_time_state() -> AggregateUDF:
    """Returns the ``avg_resolution_time_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `avg_resolution_time` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `avg_resolution_time_merge` of stored states gives `avg_resolution_time` of all the rows behind them, exactly; `avg_resolution_time_union` combines them into one state. Takes `avg_resolution_time`'s arguments.

    SQL: avg_resolution_time_state(opened_at, resolved_at)

    Example:
        COPY (SELECT day, segment, avg_resolution_time_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def avg_resolution_time_merge() -> AggregateUDF:
    """Returns the ``avg_resolution_time_merge`` function as a ``datafusion.AggregateUDF``.

    `avg_resolution_time` of all the rows behind stored states written by `avg_resolution_time_state`: `avg_resolution_time_merge(state) GROUP BY month` over daily states equals `avg_resolution_time(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: avg_resolution_time_merge(state)

    Args:
        state: A state written by `avg_resolution_time_state` or `avg_resolution_time_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, avg_resolution_time_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def avg_resolution_time_union() -> AggregateUDF:
    """Returns the ``avg_resolution_time_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `avg_resolution_time_state` (or `avg_resolution_time_union`): daily states into monthly ones, to store again. `avg_resolution_time_merge` finishes it.

    SQL: avg_resolution_time_union(state)

    Args:
        state: A state written by `avg_resolution_time_state` or `avg_resolution_time_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, avg_resolution_time_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def feature_adoption_state() -> AggregateUDF:
    """Returns the ``feature_adoption_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `feature_adoption` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `feature_adoption_merge` of stored states gives `feature_adoption` of all the rows behind them, exactly; `feature_adoption_union` combines them into one state. Takes `feature_adoption`'s arguments.

    SQL: feature_adoption_state(user_id, used_feature)

    Example:
        COPY (SELECT day, segment, feature_adoption_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def feature_adoption_merge() -> AggregateUDF:
    """Returns the ``feature_adoption_merge`` function as a ``datafusion.AggregateUDF``.

    `feature_adoption` of all the rows behind stored states written by `feature_adoption_state`: `feature_adoption_merge(state) GROUP BY month` over daily states equals `feature_adoption(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: feature_adoption_merge(state)

    Args:
        state: A state written by `feature_adoption_state` or `feature_adoption_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, feature_adoption_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def feature_adoption_union() -> AggregateUDF:
    """Returns the ``feature_adoption_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `feature_adoption_state` (or `feature_adoption_union`): daily states into monthly ones, to store again. `feature_adoption_merge` finishes it.

    SQL: feature_adoption_union(state)

    Args:
        state: A state written by `feature_adoption_state` or `feature_adoption_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, feature_adoption_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def first_week_active_rate_state() -> AggregateUDF:
    """Returns the ``first_week_active_rate_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `first_week_active_rate` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `first_week_active_rate_merge` of stored states gives `first_week_active_rate` of all the rows behind them, exactly; `first_week_active_rate_union` combines them into one state. Takes `first_week_active_rate`'s arguments.

    SQL: first_week_active_rate_state(user_id, event_time, signup_time)

    Example:
        COPY (SELECT day, segment, first_week_active_rate_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def first_week_active_rate_merge() -> AggregateUDF:
    """Returns the ``first_week_active_rate_merge`` function as a ``datafusion.AggregateUDF``.

    `first_week_active_rate` of all the rows behind stored states written by `first_week_active_rate_state`: `first_week_active_rate_merge(state) GROUP BY month` over daily states equals `first_week_active_rate(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: first_week_active_rate_merge(state)

    Args:
        state: A state written by `first_week_active_rate_state` or `first_week_active_rate_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, first_week_active_rate_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def first_week_active_rate_union() -> AggregateUDF:
    """Returns the ``first_week_active_rate_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `first_week_active_rate_state` (or `first_week_active_rate_union`): daily states into monthly ones, to store again. `first_week_active_rate_merge` finishes it.

    SQL: first_week_active_rate_union(state)

    Args:
        state: A state written by `first_week_active_rate_state` or `first_week_active_rate_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, first_week_active_rate_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def bounce_rate_state() -> AggregateUDF:
    """Returns the ``bounce_rate_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `bounce_rate` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `bounce_rate_merge` of stored states gives `bounce_rate` of all the rows behind them, exactly; `bounce_rate_union` combines them into one state. Takes `bounce_rate`'s arguments.

    SQL: bounce_rate_state(session_id) or bounce_rate(user_id, event_time, gap [, max_length])

    Example:
        COPY (SELECT day, segment, bounce_rate_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def bounce_rate_merge() -> AggregateUDF:
    """Returns the ``bounce_rate_merge`` function as a ``datafusion.AggregateUDF``.

    `bounce_rate` of all the rows behind stored states written by `bounce_rate_state`: `bounce_rate_merge(state) GROUP BY month` over daily states equals `bounce_rate(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: bounce_rate_merge(state)

    Args:
        state: A state written by `bounce_rate_state` or `bounce_rate_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, bounce_rate_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def bounce_rate_union() -> AggregateUDF:
    """Returns the ``bounce_rate_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `bounce_rate_state` (or `bounce_rate_union`): daily states into monthly ones, to store again. `bounce_rate_merge` finishes it.

    SQL: bounce_rate_union(state)

    Args:
        state: A state written by `bounce_rate_state` or `bounce_rate_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, bounce_rate_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def pages_per_session_state() -> AggregateUDF:
    """Returns the ``pages_per_session_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `pages_per_session` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `pages_per_session_merge` of stored states gives `pages_per_session` of all the rows behind them, exactly; `pages_per_session_union` combines them into one state. Takes `pages_per_session`'s arguments.

    SQL: pages_per_session_state(session_id) or pages_per_session(user_id, event_time, gap [, max_length])

    Example:
        COPY (SELECT day, segment, pages_per_session_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def pages_per_session_merge() -> AggregateUDF:
    """Returns the ``pages_per_session_merge`` function as a ``datafusion.AggregateUDF``.

    `pages_per_session` of all the rows behind stored states written by `pages_per_session_state`: `pages_per_session_merge(state) GROUP BY month` over daily states equals `pages_per_session(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: pages_per_session_merge(state)

    Args:
        state: A state written by `pages_per_session_state` or `pages_per_session_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, pages_per_session_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def pages_per_session_union() -> AggregateUDF:
    """Returns the ``pages_per_session_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `pages_per_session_state` (or `pages_per_session_union`): daily states into monthly ones, to store again. `pages_per_session_merge` finishes it.

    SQL: pages_per_session_union(state)

    Args:
        state: A state written by `pages_per_session_state` or `pages_per_session_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, pages_per_session_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def avg_session_duration_state() -> AggregateUDF:
    """Returns the ``avg_session_duration_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `avg_session_duration` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `avg_session_duration_merge` of stored states gives `avg_session_duration` of all the rows behind them, exactly; `avg_session_duration_union` combines them into one state. Takes `avg_session_duration`'s arguments.

    SQL: avg_session_duration_state(session_id, event_time) or avg_session_duration(user_id, event_time, gap [, max_length])

    Example:
        COPY (SELECT day, segment, avg_session_duration_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def avg_session_duration_merge() -> AggregateUDF:
    """Returns the ``avg_session_duration_merge`` function as a ``datafusion.AggregateUDF``.

    `avg_session_duration` of all the rows behind stored states written by `avg_session_duration_state`: `avg_session_duration_merge(state) GROUP BY month` over daily states equals `avg_session_duration(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: avg_session_duration_merge(state)

    Args:
        state: A state written by `avg_session_duration_state` or `avg_session_duration_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, avg_session_duration_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def avg_session_duration_union() -> AggregateUDF:
    """Returns the ``avg_session_duration_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `avg_session_duration_state` (or `avg_session_duration_union`): daily states into monthly ones, to store again. `avg_session_duration_merge` finishes it.

    SQL: avg_session_duration_union(state)

    Args:
        state: A state written by `avg_session_duration_state` or `avg_session_duration_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, avg_session_duration_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def session_summary_state() -> AggregateUDF:
    """Returns the ``session_summary_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `session_summary` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `session_summary_merge` of stored states gives `session_summary` of all the rows behind them, exactly; `session_summary_union` combines them into one state. Takes `session_summary`'s arguments.

    SQL: session_summary_state(user_id, event_time, gap [, max_length])

    Example:
        COPY (SELECT day, segment, session_summary_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def session_summary_merge() -> AggregateUDF:
    """Returns the ``session_summary_merge`` function as a ``datafusion.AggregateUDF``.

    `session_summary` of all the rows behind stored states written by `session_summary_state`: `session_summary_merge(state) GROUP BY month` over daily states equals `session_summary(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: session_summary_merge(state)

    Args:
        state: A state written by `session_summary_state` or `session_summary_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, session_summary_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def session_summary_union() -> AggregateUDF:
    """Returns the ``session_summary_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `session_summary_state` (or `session_summary_union`): daily states into monthly ones, to store again. `session_summary_merge` finishes it.

    SQL: session_summary_union(state)

    Args:
        state: A state written by `session_summary_state` or `session_summary_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, session_summary_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def page_summary_state() -> AggregateUDF:
    """Returns the ``page_summary_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `page_summary` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `page_summary_merge` of stored states gives `page_summary` of all the rows behind them, exactly; `page_summary_union` combines them into one state. Takes `page_summary`'s arguments.

    SQL: page_summary_state(user_id, event_time, page [, gap [, max_length]])

    Example:
        COPY (SELECT day, segment, page_summary_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def page_summary_merge() -> AggregateUDF:
    """Returns the ``page_summary_merge`` function as a ``datafusion.AggregateUDF``.

    `page_summary` of all the rows behind stored states written by `page_summary_state`: `page_summary_merge(state) GROUP BY month` over daily states equals `page_summary(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: page_summary_merge(state)

    Args:
        state: A state written by `page_summary_state` or `page_summary_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, page_summary_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def page_summary_union() -> AggregateUDF:
    """Returns the ``page_summary_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `page_summary_state` (or `page_summary_union`): daily states into monthly ones, to store again. `page_summary_merge` finishes it.

    SQL: page_summary_union(state)

    Args:
        state: A state written by `page_summary_state` or `page_summary_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, page_summary_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def clv_state() -> AggregateUDF:
    """Returns the ``clv_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `clv` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `clv_merge` of stored states gives `clv` of all the rows behind them, exactly; `clv_union` combines them into one state. Takes `clv`'s arguments.

    SQL: clv_state(order_value, customer_id, order_time, lifespan_years [, period])

    Example:
        COPY (SELECT day, segment, clv_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def clv_merge() -> AggregateUDF:
    """Returns the ``clv_merge`` function as a ``datafusion.AggregateUDF``.

    `clv` of all the rows behind stored states written by `clv_state`: `clv_merge(state) GROUP BY month` over daily states equals `clv(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: clv_merge(state)

    Args:
        state: A state written by `clv_state` or `clv_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, clv_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def clv_union() -> AggregateUDF:
    """Returns the ``clv_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `clv_state` (or `clv_union`): daily states into monthly ones, to store again. `clv_merge` finishes it.

    SQL: clv_union(state)

    Args:
        state: A state written by `clv_state` or `clv_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, clv_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def retention_state() -> AggregateUDF:
    """Returns the ``retention_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `retention` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `retention_merge` of stored states gives `retention` of all the rows behind them, exactly; `retention_union` combines them into one state. Takes `retention`'s arguments.

    SQL: retention_state(user_id, event_time, period, periods [, start_time | , start_condition, return_condition])

    Example:
        COPY (SELECT day, segment, retention_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def retention_merge() -> AggregateUDF:
    """Returns the ``retention_merge`` function as a ``datafusion.AggregateUDF``.

    `retention` of all the rows behind stored states written by `retention_state`: `retention_merge(state) GROUP BY month` over daily states equals `retention(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: retention_merge(state)

    Args:
        state: A state written by `retention_state` or `retention_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, retention_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def retention_union() -> AggregateUDF:
    """Returns the ``retention_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `retention_state` (or `retention_union`): daily states into monthly ones, to store again. `retention_merge` finishes it.

    SQL: retention_union(state)

    Args:
        state: A state written by `retention_state` or `retention_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, retention_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def unbounded_retention_state() -> AggregateUDF:
    """Returns the ``unbounded_retention_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `unbounded_retention` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `unbounded_retention_merge` of stored states gives `unbounded_retention` of all the rows behind them, exactly; `unbounded_retention_union` combines them into one state. Takes `unbounded_retention`'s arguments.

    SQL: unbounded_retention_state(user_id, event_time, period, periods [, start_time | , start_condition, return_condition])

    Example:
        COPY (SELECT day, segment, unbounded_retention_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def unbounded_retention_merge() -> AggregateUDF:
    """Returns the ``unbounded_retention_merge`` function as a ``datafusion.AggregateUDF``.

    `unbounded_retention` of all the rows behind stored states written by `unbounded_retention_state`: `unbounded_retention_merge(state) GROUP BY month` over daily states equals `unbounded_retention(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: unbounded_retention_merge(state)

    Args:
        state: A state written by `unbounded_retention_state` or `unbounded_retention_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, unbounded_retention_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def unbounded_retention_union() -> AggregateUDF:
    """Returns the ``unbounded_retention_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `unbounded_retention_state` (or `unbounded_retention_union`): daily states into monthly ones, to store again. `unbounded_retention_merge` finishes it.

    SQL: unbounded_retention_union(state)

    Args:
        state: A state written by `unbounded_retention_state` or `unbounded_retention_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, unbounded_retention_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def window_funnel_state() -> AggregateUDF:
    """Returns the ``window_funnel_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `window_funnel` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `window_funnel_merge` of stored states gives `window_funnel` of all the rows behind them, exactly; `window_funnel_union` combines them into one state. Takes `window_funnel`'s arguments.

    SQL: window_funnel_state(window, event_time, step_1, …, step_n [, mode, …] [, 'exclude a-b', condition, …])

    Example:
        COPY (SELECT day, segment, window_funnel_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def window_funnel_merge() -> AggregateUDF:
    """Returns the ``window_funnel_merge`` function as a ``datafusion.AggregateUDF``.

    `window_funnel` of all the rows behind stored states written by `window_funnel_state`: `window_funnel_merge(state) GROUP BY month` over daily states equals `window_funnel(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: window_funnel_merge(state)

    Args:
        state: A state written by `window_funnel_state` or `window_funnel_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, window_funnel_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def window_funnel_union() -> AggregateUDF:
    """Returns the ``window_funnel_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `window_funnel_state` (or `window_funnel_union`): daily states into monthly ones, to store again. `window_funnel_merge` finishes it.

    SQL: window_funnel_union(state)

    Args:
        state: A state written by `window_funnel_state` or `window_funnel_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, window_funnel_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def funnel_state() -> AggregateUDF:
    """Returns the ``funnel_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `funnel` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `funnel_merge` of stored states gives `funnel` of all the rows behind them, exactly; `funnel_union` combines them into one state. Takes `funnel`'s arguments.

    SQL: funnel_state(user_id, event_time, window, step_1, …, step_n [, mode, …] [, 'exclude a-b', condition, …])

    Example:
        COPY (SELECT day, segment, funnel_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def funnel_merge() -> AggregateUDF:
    """Returns the ``funnel_merge`` function as a ``datafusion.AggregateUDF``.

    `funnel` of all the rows behind stored states written by `funnel_state`: `funnel_merge(state) GROUP BY month` over daily states equals `funnel(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: funnel_merge(state)

    Args:
        state: A state written by `funnel_state` or `funnel_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, funnel_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def funnel_union() -> AggregateUDF:
    """Returns the ``funnel_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `funnel_state` (or `funnel_union`): daily states into monthly ones, to store again. `funnel_merge` finishes it.

    SQL: funnel_union(state)

    Args:
        state: A state written by `funnel_state` or `funnel_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, funnel_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def funnel_conversion_times_state() -> AggregateUDF:
    """Returns the ``funnel_conversion_times_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `funnel_conversion_times` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `funnel_conversion_times_merge` of stored states gives `funnel_conversion_times` of all the rows behind them, exactly; `funnel_conversion_times_union` combines them into one state. Takes `funnel_conversion_times`'s arguments.

    SQL: funnel_conversion_times_state(user_id, event_time, window, step_1, …, step_n [, mode, …] [, 'exclude a-b', condition, …])

    Example:
        COPY (SELECT day, segment, funnel_conversion_times_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def funnel_conversion_times_merge() -> AggregateUDF:
    """Returns the ``funnel_conversion_times_merge`` function as a ``datafusion.AggregateUDF``.

    `funnel_conversion_times` of all the rows behind stored states written by `funnel_conversion_times_state`: `funnel_conversion_times_merge(state) GROUP BY month` over daily states equals `funnel_conversion_times(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: funnel_conversion_times_merge(state)

    Args:
        state: A state written by `funnel_conversion_times_state` or `funnel_conversion_times_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, funnel_conversion_times_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def funnel_conversion_times_union() -> AggregateUDF:
    """Returns the ``funnel_conversion_times_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `funnel_conversion_times_state` (or `funnel_conversion_times_union`): daily states into monthly ones, to store again. `funnel_conversion_times_merge` finishes it.

    SQL: funnel_conversion_times_union(state)

    Args:
        state: A state written by `funnel_conversion_times_state` or `funnel_conversion_times_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, funnel_conversion_times_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def funnel_conversion_histogram_state() -> AggregateUDF:
    """Returns the ``funnel_conversion_histogram_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `funnel_conversion_histogram` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `funnel_conversion_histogram_merge` of stored states gives `funnel_conversion_histogram` of all the rows behind them, exactly; `funnel_conversion_histogram_union` combines them into one state. Takes `funnel_conversion_histogram`'s arguments.

    SQL: funnel_conversion_histogram_state(user_id, event_time, window, step_1, …, step_n [, mode, …] [, 'exclude a-b', condition, …])

    Example:
        COPY (SELECT day, segment, funnel_conversion_histogram_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def funnel_conversion_histogram_merge() -> AggregateUDF:
    """Returns the ``funnel_conversion_histogram_merge`` function as a ``datafusion.AggregateUDF``.

    `funnel_conversion_histogram` of all the rows behind stored states written by `funnel_conversion_histogram_state`: `funnel_conversion_histogram_merge(state) GROUP BY month` over daily states equals `funnel_conversion_histogram(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: funnel_conversion_histogram_merge(state)

    Args:
        state: A state written by `funnel_conversion_histogram_state` or `funnel_conversion_histogram_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, funnel_conversion_histogram_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def funnel_conversion_histogram_union() -> AggregateUDF:
    """Returns the ``funnel_conversion_histogram_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `funnel_conversion_histogram_state` (or `funnel_conversion_histogram_union`): daily states into monthly ones, to store again. `funnel_conversion_histogram_merge` finishes it.

    SQL: funnel_conversion_histogram_union(state)

    Args:
        state: A state written by `funnel_conversion_histogram_state` or `funnel_conversion_histogram_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, funnel_conversion_histogram_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def sequence_match_state() -> AggregateUDF:
    """Returns the ``sequence_match_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `sequence_match` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `sequence_match_merge` of stored states gives `sequence_match` of all the rows behind them, exactly; `sequence_match_union` combines them into one state. Takes `sequence_match`'s arguments.

    SQL: sequence_match_state(pattern, event_time, condition_1, …, condition_n)

    Example:
        COPY (SELECT day, segment, sequence_match_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def sequence_match_merge() -> AggregateUDF:
    """Returns the ``sequence_match_merge`` function as a ``datafusion.AggregateUDF``.

    `sequence_match` of all the rows behind stored states written by `sequence_match_state`: `sequence_match_merge(state) GROUP BY month` over daily states equals `sequence_match(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: sequence_match_merge(state)

    Args:
        state: A state written by `sequence_match_state` or `sequence_match_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, sequence_match_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def sequence_match_union() -> AggregateUDF:
    """Returns the ``sequence_match_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `sequence_match_state` (or `sequence_match_union`): daily states into monthly ones, to store again. `sequence_match_merge` finishes it.

    SQL: sequence_match_union(state)

    Args:
        state: A state written by `sequence_match_state` or `sequence_match_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, sequence_match_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def sequence_count_state() -> AggregateUDF:
    """Returns the ``sequence_count_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `sequence_count` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `sequence_count_merge` of stored states gives `sequence_count` of all the rows behind them, exactly; `sequence_count_union` combines them into one state. Takes `sequence_count`'s arguments.

    SQL: sequence_count_state(pattern, event_time, condition_1, …, condition_n)

    Example:
        COPY (SELECT day, segment, sequence_count_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def sequence_count_merge() -> AggregateUDF:
    """Returns the ``sequence_count_merge`` function as a ``datafusion.AggregateUDF``.

    `sequence_count` of all the rows behind stored states written by `sequence_count_state`: `sequence_count_merge(state) GROUP BY month` over daily states equals `sequence_count(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: sequence_count_merge(state)

    Args:
        state: A state written by `sequence_count_state` or `sequence_count_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, sequence_count_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def sequence_count_union() -> AggregateUDF:
    """Returns the ``sequence_count_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `sequence_count_state` (or `sequence_count_union`): daily states into monthly ones, to store again. `sequence_count_merge` finishes it.

    SQL: sequence_count_union(state)

    Args:
        state: A state written by `sequence_count_state` or `sequence_count_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, sequence_count_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def sequence_next_node_state() -> AggregateUDF:
    """Returns the ``sequence_next_node_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `sequence_next_node` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `sequence_next_node_merge` of stored states gives `sequence_next_node` of all the rows behind them, exactly; `sequence_next_node_union` combines them into one state. Takes `sequence_next_node`'s arguments.

    SQL: sequence_next_node_state(direction, base, event_time, event, base_condition, event_1, …, event_n)

    Example:
        COPY (SELECT day, segment, sequence_next_node_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def sequence_next_node_merge() -> AggregateUDF:
    """Returns the ``sequence_next_node_merge`` function as a ``datafusion.AggregateUDF``.

    `sequence_next_node` of all the rows behind stored states written by `sequence_next_node_state`: `sequence_next_node_merge(state) GROUP BY month` over daily states equals `sequence_next_node(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: sequence_next_node_merge(state)

    Args:
        state: A state written by `sequence_next_node_state` or `sequence_next_node_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, sequence_next_node_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def sequence_next_node_union() -> AggregateUDF:
    """Returns the ``sequence_next_node_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `sequence_next_node_state` (or `sequence_next_node_union`): daily states into monthly ones, to store again. `sequence_next_node_merge` finishes it.

    SQL: sequence_next_node_union(state)

    Args:
        state: A state written by `sequence_next_node_state` or `sequence_next_node_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, sequence_next_node_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def paths_state() -> AggregateUDF:
    """Returns the ``paths_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `paths` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `paths_merge` of stored states gives `paths` of all the rows behind them, exactly; `paths_union` combines them into one state. Takes `paths`'s arguments.

    SQL: paths_state(user_id, event_time, event, start_condition, steps)

    Example:
        COPY (SELECT day, segment, paths_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def paths_merge() -> AggregateUDF:
    """Returns the ``paths_merge`` function as a ``datafusion.AggregateUDF``.

    `paths` of all the rows behind stored states written by `paths_state`: `paths_merge(state) GROUP BY month` over daily states equals `paths(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: paths_merge(state)

    Args:
        state: A state written by `paths_state` or `paths_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, paths_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def paths_union() -> AggregateUDF:
    """Returns the ``paths_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `paths_state` (or `paths_union`): daily states into monthly ones, to store again. `paths_merge` finishes it.

    SQL: paths_union(state)

    Args:
        state: A state written by `paths_state` or `paths_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, paths_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def lifecycle_state() -> AggregateUDF:
    """Returns the ``lifecycle_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `lifecycle` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `lifecycle_merge` of stored states gives `lifecycle` of all the rows behind them, exactly; `lifecycle_union` combines them into one state. Takes `lifecycle`'s arguments.

    SQL: lifecycle_state(user_id, event_time, period [, signup_time])

    Example:
        COPY (SELECT day, segment, lifecycle_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def lifecycle_merge() -> AggregateUDF:
    """Returns the ``lifecycle_merge`` function as a ``datafusion.AggregateUDF``.

    `lifecycle` of all the rows behind stored states written by `lifecycle_state`: `lifecycle_merge(state) GROUP BY month` over daily states equals `lifecycle(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: lifecycle_merge(state)

    Args:
        state: A state written by `lifecycle_state` or `lifecycle_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, lifecycle_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def lifecycle_union() -> AggregateUDF:
    """Returns the ``lifecycle_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `lifecycle_state` (or `lifecycle_union`): daily states into monthly ones, to store again. `lifecycle_merge` finishes it.

    SQL: lifecycle_union(state)

    Args:
        state: A state written by `lifecycle_state` or `lifecycle_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, lifecycle_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def hll_sketch_state() -> AggregateUDF:
    """Returns the ``hll_sketch_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `hll_sketch` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `hll_sketch_merge` of stored states gives `hll_sketch` of all the rows behind them, exactly; `hll_sketch_union` combines them into one state. Takes `hll_sketch`'s arguments.

    SQL: hll_sketch_state(value [, lg_k [, type]])

    Example:
        COPY (SELECT day, segment, hll_sketch_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def hll_sketch_merge() -> AggregateUDF:
    """Returns the ``hll_sketch_merge`` function as a ``datafusion.AggregateUDF``.

    `hll_sketch` of all the rows behind stored states written by `hll_sketch_state`: `hll_sketch_merge(state) GROUP BY month` over daily states equals `hll_sketch(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: hll_sketch_merge(state)

    Args:
        state: A state written by `hll_sketch_state` or `hll_sketch_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, hll_sketch_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def hll_sketch_union() -> AggregateUDF:
    """Returns the ``hll_sketch_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `hll_sketch_state` (or `hll_sketch_union`): daily states into monthly ones, to store again. `hll_sketch_merge` finishes it.

    SQL: hll_sketch_union(state)

    Args:
        state: A state written by `hll_sketch_state` or `hll_sketch_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, hll_sketch_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def hll_union_state() -> AggregateUDF:
    """Returns the ``hll_union_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `hll_union` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `hll_union_merge` of stored states gives `hll_union` of all the rows behind them, exactly; `hll_union_union` combines them into one state. Takes `hll_union`'s arguments.

    SQL: hll_union_state(sketch [, lg_k [, type]])

    Example:
        COPY (SELECT day, segment, hll_union_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def hll_union_merge() -> AggregateUDF:
    """Returns the ``hll_union_merge`` function as a ``datafusion.AggregateUDF``.

    `hll_union` of all the rows behind stored states written by `hll_union_state`: `hll_union_merge(state) GROUP BY month` over daily states equals `hll_union(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: hll_union_merge(state)

    Args:
        state: A state written by `hll_union_state` or `hll_union_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, hll_union_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def hll_union_union() -> AggregateUDF:
    """Returns the ``hll_union_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `hll_union_state` (or `hll_union_union`): daily states into monthly ones, to store again. `hll_union_merge` finishes it.

    SQL: hll_union_union(state)

    Args:
        state: A state written by `hll_union_state` or `hll_union_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, hll_union_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def theta_sketch_state() -> AggregateUDF:
    """Returns the ``theta_sketch_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `theta_sketch` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `theta_sketch_merge` of stored states gives `theta_sketch` of all the rows behind them, exactly; `theta_sketch_union` combines them into one state. Takes `theta_sketch`'s arguments.

    SQL: theta_sketch_state(value [, lg_k])

    Example:
        COPY (SELECT day, segment, theta_sketch_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def theta_sketch_merge() -> AggregateUDF:
    """Returns the ``theta_sketch_merge`` function as a ``datafusion.AggregateUDF``.

    `theta_sketch` of all the rows behind stored states written by `theta_sketch_state`: `theta_sketch_merge(state) GROUP BY month` over daily states equals `theta_sketch(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: theta_sketch_merge(state)

    Args:
        state: A state written by `theta_sketch_state` or `theta_sketch_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, theta_sketch_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def theta_sketch_union() -> AggregateUDF:
    """Returns the ``theta_sketch_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `theta_sketch_state` (or `theta_sketch_union`): daily states into monthly ones, to store again. `theta_sketch_merge` finishes it.

    SQL: theta_sketch_union(state)

    Args:
        state: A state written by `theta_sketch_state` or `theta_sketch_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, theta_sketch_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def theta_union_state() -> AggregateUDF:
    """Returns the ``theta_union_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `theta_union` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `theta_union_merge` of stored states gives `theta_union` of all the rows behind them, exactly; `theta_union_union` combines them into one state. Takes `theta_union`'s arguments.

    SQL: theta_union_state(sketch [, lg_k])

    Example:
        COPY (SELECT day, segment, theta_union_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def theta_union_merge() -> AggregateUDF:
    """Returns the ``theta_union_merge`` function as a ``datafusion.AggregateUDF``.

    `theta_union` of all the rows behind stored states written by `theta_union_state`: `theta_union_merge(state) GROUP BY month` over daily states equals `theta_union(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: theta_union_merge(state)

    Args:
        state: A state written by `theta_union_state` or `theta_union_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, theta_union_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def theta_union_union() -> AggregateUDF:
    """Returns the ``theta_union_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `theta_union_state` (or `theta_union_union`): daily states into monthly ones, to store again. `theta_union_merge` finishes it.

    SQL: theta_union_union(state)

    Args:
        state: A state written by `theta_union_state` or `theta_union_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, theta_union_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def theta_intersection_state() -> AggregateUDF:
    """Returns the ``theta_intersection_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `theta_intersection` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `theta_intersection_merge` of stored states gives `theta_intersection` of all the rows behind them, exactly; `theta_intersection_union` combines them into one state. Takes `theta_intersection`'s arguments.

    SQL: theta_intersection_state(sketch)

    Example:
        COPY (SELECT day, segment, theta_intersection_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def theta_intersection_merge() -> AggregateUDF:
    """Returns the ``theta_intersection_merge`` function as a ``datafusion.AggregateUDF``.

    `theta_intersection` of all the rows behind stored states written by `theta_intersection_state`: `theta_intersection_merge(state) GROUP BY month` over daily states equals `theta_intersection(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: theta_intersection_merge(state)

    Args:
        state: A state written by `theta_intersection_state` or `theta_intersection_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, theta_intersection_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def theta_intersection_union() -> AggregateUDF:
    """Returns the ``theta_intersection_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `theta_intersection_state` (or `theta_intersection_union`): daily states into monthly ones, to store again. `theta_intersection_merge` finishes it.

    SQL: theta_intersection_union(state)

    Args:
        state: A state written by `theta_intersection_state` or `theta_intersection_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, theta_intersection_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def approx_stickiness_state() -> AggregateUDF:
    """Returns the ``approx_stickiness_state`` function as a ``datafusion.AggregateUDF``.

    The partial state of `approx_stickiness` over the rows, as a value a Parquet file can store: a STRUCT of `format` (1), `function`, `arguments` (the call's constants) and `state`. `approx_stickiness_merge` of stored states gives `approx_stickiness` of all the rows behind them, exactly; `approx_stickiness_union` combines them into one state. Takes `approx_stickiness`'s arguments.

    SQL: approx_stickiness_state(day, sketch [, period])

    Example:
        COPY (SELECT day, segment, approx_stickiness_state(…) AS state FROM events GROUP BY day, segment)
          TO 'states/' STORED AS PARQUET PARTITIONED BY (day);
    """

def approx_stickiness_merge() -> AggregateUDF:
    """Returns the ``approx_stickiness_merge`` function as a ``datafusion.AggregateUDF``.

    `approx_stickiness` of all the rows behind stored states written by `approx_stickiness_state`: `approx_stickiness_merge(state) GROUP BY month` over daily states equals `approx_stickiness(…) GROUP BY month` over the rows, exactly. NULL states are skipped; a group with none gives NULL. States of another format, another function or another call (other constants) are refused.

    SQL: approx_stickiness_merge(state)

    Args:
        state: A state written by `approx_stickiness_state` or `approx_stickiness_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, approx_stickiness_merge(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def approx_stickiness_union() -> AggregateUDF:
    """Returns the ``approx_stickiness_union`` function as a ``datafusion.AggregateUDF``.

    One state standing for all the rows behind stored states written by `approx_stickiness_state` (or `approx_stickiness_union`): daily states into monthly ones, to store again. `approx_stickiness_merge` finishes it.

    SQL: approx_stickiness_union(state)

    Args:
        state: A state written by `approx_stickiness_state` or `approx_stickiness_union`.

    Example:
        SELECT date_trunc('month', day) AS month, segment, approx_stickiness_union(state)
        FROM 'states/' GROUP BY 1, 2;
    """

def engagement_tier() -> ScalarUDF:
    """Returns the ``engagement_tier`` function as a ``datafusion.ScalarUDF``.

    Labels an engagement score: 'at_risk' (below 0), 'very_disengaged' (0 to 40), 'somewhat_engaged' (over 40 to 70), 'highly_engaged' (over 70 to 100), 'power_user' (over 100). NULL gives NULL; NaN or infinity is an error.

    SQL: engagement_tier(score)

    Args:
        score: An engagement score: any numeric expression.

    Example:
        SELECT user_id, engagement_tier(engagement_score(event_name, 'login=1, export=3')) AS tier
        FROM events
        GROUP BY user_id;
    """

def nps_group() -> ScalarUDF:
    """Returns the ``nps_group`` function as a ``datafusion.ScalarUDF``.

    The Net Promoter group of a 0–10 answer: 'promoter' (9–10), 'passive' (7–8) or 'detractor' (0–6). NULL gives NULL; a score that is not a whole number from 0 to 10 is an error.

    SQL: nps_group(score)

    Args:
        score: Answer on the 0–10 scale: any integer, floating point or DECIMAL expression.

    Example:
        SELECT nps_group(nps_score) AS nps_group, count(*) AS answers
        FROM responses
        GROUP BY 1;
    """

def benchmark_band() -> ScalarUDF:
    """Returns the ``benchmark_band`` function as a ``datafusion.ScalarUDF``.

    Where a metric's value stands against the benchmark the source articles give: the band's label, a string; NULL for a NULL value. Values are in the metric's own unit (percent for rates, NPS points, pages). The bands (nps: 'poor' ≤ 0, 'good' ≤ 20, 'great' ≤ 50, 'excellent' > 50; csat: 'low' < 75, 'typical' ≤ 85, 'high' > 85; churn_rate: 'low' < 2, 'healthy' ≤ 8, 'high' > 8; retention_rate: 'low' < 50, 'average' < 70, 'high' ≥ 70; stickiness: 'low' ≤ 13, 'good' > 13; bounce_rate: 'good' < 40, 'high' ≥ 40; pages_per_session: 'low' < 1.7, 'typical' ≤ 4, 'high' > 4; engagement_rate: 'low' < 1, 'good' ≤ 5, 'high' > 5). Where the articles disagree: NPS uses Bain's reading (above 0 good, above 20 great, above 50 excellent) rather than one industry's average; churn is the monthly 2–8 % of subscription businesses (annual churn reads higher); stickiness takes 13 %, about 4 active days in a 30-day month, the one threshold the articles share. Benchmarks vary by industry: a label is a first reading, not a verdict.

    SQL: benchmark_band(metric, value)

    Args:
        metric: The metric's name, a constant string: 'nps', 'csat', 'churn_rate', 'retention_rate', 'stickiness', 'bounce_rate', 'pages_per_session' or 'engagement_rate'.
        value: The metric's value: any numeric expression, such as the metric's own aggregate.

    Example:
        SELECT segment, nps(score) AS nps, benchmark_band('nps', nps(score)) AS band
        FROM responses
        GROUP BY segment;
    """

def hll_estimate() -> ScalarUDF:
    """Returns the ``hll_estimate`` function as a ``datafusion.ScalarUDF``.

    The number of distinct values an HLL sketch stands for (DataSketches' estimate, a DOUBLE): of one sketch from hll_sketch, or of a union from hll_union. NULL gives NULL; bytes that are not an HLL sketch are an error.

    SQL: hll_estimate(sketch)

    Args:
        sketch: A BINARY HLL sketch, from hll_sketch, hll_union or DataSketches.

    Example:
        SELECT month, hll_estimate(hll_union(users)) AS mau FROM daily_sketches GROUP BY month;
    """

def theta_estimate() -> ScalarUDF:
    """Returns the ``theta_estimate`` function as a ``datafusion.ScalarUDF``.

    The number of distinct values a theta sketch stands for (DataSketches' estimate, a DOUBLE): of one sketch from theta_sketch, or of a union from theta_union. NULL gives NULL; bytes that are not an theta sketch are an error.

    SQL: theta_estimate(sketch)

    Args:
        sketch: A BINARY theta sketch, from theta_sketch, theta_union or DataSketches.

    Example:
        SELECT month, theta_estimate(theta_union(users)) AS mau FROM daily_sketches GROUP BY month;
    """

def theta_a_not_b() -> ScalarUDF:
    """Returns the ``theta_a_not_b`` function as a ``datafusion.ScalarUDF``.

    A theta sketch of the values of sketch a that are not in sketch b: the users active last month but not this one (churned), or this month but not last (new or resurrected). theta_estimate reads it. NULL in either gives NULL; bytes that are not a theta sketch are an error.

    SQL: theta_a_not_b(a, b)

    Args:
        a: A BINARY theta sketch: the values kept.
        b: A BINARY theta sketch: the values taken out.

    Example:
        -- users active in July but not in August
        SELECT theta_estimate(theta_a_not_b(july.users, august.users)) AS churned
        FROM monthly july JOIN monthly august
          ON july.month = '2026-07' AND august.month = '2026-08';
    """

def sessionize() -> WindowUDF:
    """Returns the ``sessionize`` function as a ``datafusion.WindowUDF``.

    The session number of each event, a BIGINT from 1 within its window partition (a user), in time order. Rows are taken in time order within the partition (whatever the window's ORDER BY); a new session starts when an event comes more than gap (default 30 minutes) after the one before, or would make the session last longer than max_length from its first event. Times compare as DataFusion adds an INTERVAL to them, in the event times' own zone. Rows with a NULL event_time get NULL. Give a session an id across users with user_id || '-' || sessionize(…), or feed the raw log straight to bounce_rate, pages_per_session and avg_session_duration.

    SQL: sessionize(event_time [, gap [, max_length]]) OVER (PARTITION BY user_id ORDER BY event_time)

    Args:
        event_time: When the event happened: a TIMESTAMP of any unit and zone, or a DATE.
        gap: How long a pause ends a session: a constant positive INTERVAL. A gap of more than this between two events starts a new session; exactly this much does not.
        max_length: Optional: the longest a session may last from its first event, a constant positive INTERVAL; an event later than that starts a new session.

    Example:
        SELECT user_id, viewed_at, url,
               sessionize(viewed_at) OVER (PARTITION BY user_id ORDER BY viewed_at) AS session
        FROM page_views;

        -- sessions per user and day, 15 minutes of inactivity ending one
        SELECT user_id, count(DISTINCT session) AS sessions
        FROM (SELECT user_id, sessionize(viewed_at, INTERVAL '15 minutes')
                       OVER (PARTITION BY user_id ORDER BY viewed_at) AS session
              FROM page_views)
        GROUP BY user_id;
    """

def time_on_page() -> WindowUDF:
    """Returns the ``time_on_page`` function as a ``datafusion.WindowUDF``.

    Time on page: the seconds from each page view to the next view of the same session, a DOUBLE; NULL for the last view of a session (there is no next view to time it by, as web analytics tools count it) and for a NULL event_time. Two views at one instant: the first gets 0. Rows are taken in time order within the partition (whatever the window's ORDER BY); a new session starts when an event comes more than gap (default 30 minutes) after the one before, or would make the session last longer than max_length from its first event. Times compare as DataFusion adds an INTERVAL to them, in the event times' own zone. avg() of it by page is the average time on page.

    SQL: time_on_page(event_time [, gap [, max_length]]) OVER (PARTITION BY user_id ORDER BY event_time)

    Args:
        event_time: When the page was viewed: a TIMESTAMP of any unit and zone, or a DATE.
        gap: How long a pause ends a session: a constant positive INTERVAL. A gap of more than this between two events starts a new session; exactly this much does not.
        max_length: Optional: the longest a session may last from its first event, a constant positive INTERVAL; an event later than that starts a new session.

    Example:
        -- time on page and exit rate per URL, from a raw page-view log
        SELECT url, count(*) AS views,
               avg(seconds) AS avg_time_on_page,
               100 * avg(CAST(is_exit AS DOUBLE)) AS exit_rate
        FROM (SELECT url, time_on_page(viewed_at) OVER w AS seconds,
                     session_exit(viewed_at) OVER w AS is_exit
              FROM page_views
              WINDOW w AS (PARTITION BY user_id ORDER BY viewed_at))
        GROUP BY url;
    """

def session_entry() -> WindowUDF:
    """Returns the ``session_entry`` function as a ``datafusion.WindowUDF``.

    Whether each page view is the first of its session (its entry or landing page), a BOOLEAN; NULL for a NULL event_time. Of views at one instant, the first to come opens the session. Rows are taken in time order within the partition (whatever the window's ORDER BY); a new session starts when an event comes more than gap (default 30 minutes) after the one before, or would make the session last longer than max_length from its first event. Times compare as DataFusion adds an INTERVAL to them, in the event times' own zone. Entrances per page are count(*) FILTER (WHERE is_entry).

    SQL: session_entry(event_time [, gap [, max_length]]) OVER (PARTITION BY user_id ORDER BY event_time)

    Args:
        event_time: When the page was viewed: a TIMESTAMP of any unit and zone, or a DATE.
        gap: How long a pause ends a session: a constant positive INTERVAL. A gap of more than this between two events starts a new session; exactly this much does not.
        max_length: Optional: the longest a session may last from its first event, a constant positive INTERVAL; an event later than that starts a new session.

    Example:
        -- landing pages: entrances and their bounce rate
        SELECT url AS landing_page, count(*) AS entrances
        FROM (SELECT url, session_entry(viewed_at) OVER (PARTITION BY user_id ORDER BY viewed_at) AS is_entry
              FROM page_views)
        WHERE is_entry
        GROUP BY url ORDER BY entrances DESC;
    """

def session_exit() -> WindowUDF:
    """Returns the ``session_exit`` function as a ``datafusion.WindowUDF``.

    Whether each page view is the last of its session (the page the visitor left from), a BOOLEAN; NULL for a NULL event_time. Of views at one instant, the last to come ends the session. Rows are taken in time order within the partition (whatever the window's ORDER BY); a new session starts when an event comes more than gap (default 30 minutes) after the one before, or would make the session last longer than max_length from its first event. Times compare as DataFusion adds an INTERVAL to them, in the event times' own zone. A page's exit rate is 100 × its exits / its views: 100 * avg(CAST(is_exit AS DOUBLE)) by page.

    SQL: session_exit(event_time [, gap [, max_length]]) OVER (PARTITION BY user_id ORDER BY event_time)

    Args:
        event_time: When the page was viewed: a TIMESTAMP of any unit and zone, or a DATE.
        gap: How long a pause ends a session: a constant positive INTERVAL. A gap of more than this between two events starts a new session; exactly this much does not.
        max_length: Optional: the longest a session may last from its first event, a constant positive INTERVAL; an event later than that starts a new session.

    Example:
        -- exit rate per URL
        SELECT url, 100 * avg(CAST(is_exit AS DOUBLE)) AS exit_rate
        FROM (SELECT url, session_exit(viewed_at) OVER (PARTITION BY user_id ORDER BY viewed_at) AS is_exit
              FROM page_views)
        GROUP BY url;
    """
