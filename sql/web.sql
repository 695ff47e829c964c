-- Web analytics report of the bundled raw page-view log (examples/data/clickstream.parquet:
-- visitor, time, URL, referrer, scroll depth, and no session id): sessions made from the log
-- with the web analytics convention (a new session after 30 minutes without a view), bounce
-- rate, pages per session, session length, time on page, exit rate, landing pages and
-- scroll depth.
-- Run from the repository root:  cargo run --bin engage -- -f sql/web.sql

CREATE EXTERNAL TABLE clickstream STORED AS PARQUET LOCATION 'examples/data/clickstream.parquet';

-- Each view with its session (numbered per visitor by sessionize) and the session's traffic
-- source (the first view's referrer). The URL without campaign parameters is the page.
CREATE VIEW session_views AS
SELECT visitor_id, viewed_at, page, scroll_depth, session_id,
       first_value(coalesce(referrer, 'direct')) OVER s AS source
FROM (SELECT visitor_id, viewed_at, split_part(url, '?', 1) AS page, scroll_depth, referrer,
             visitor_id || '-' || sessionize(viewed_at) OVER (PARTITION BY visitor_id ORDER BY viewed_at) AS session_id
      FROM clickstream)
WINDOW s AS (PARTITION BY session_id ORDER BY viewed_at ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING);

-- Sessions by traffic source, straight from the raw log: bounce rate (% one-view sessions),
-- pages per session and average session length in minutes.
SELECT source,
       count(DISTINCT session_id)                                                AS sessions,
       round(bounce_rate(visitor_id, viewed_at, INTERVAL '30 minutes'), 1)        AS bounce_pct,
       round(pages_per_session(visitor_id, viewed_at, INTERVAL '30 minutes'), 2)  AS pages_per_session,
       round(avg_session_duration(visitor_id, viewed_at, INTERVAL '30 minutes') / 60, 1) AS avg_minutes
FROM session_views
GROUP BY source
ORDER BY sessions DESC;

-- How the session gap changes the numbers: the same log cut at 15, 30 and 60 minutes.
SELECT gap_minutes, bounce_pct, pages_per_session
FROM (SELECT 15 AS gap_minutes,
             round(bounce_rate(visitor_id, viewed_at, INTERVAL '15 minutes'), 1)       AS bounce_pct,
             round(pages_per_session(visitor_id, viewed_at, INTERVAL '15 minutes'), 2) AS pages_per_session
      FROM clickstream
      UNION ALL
      SELECT 30, round(bounce_rate(visitor_id, viewed_at, INTERVAL '30 minutes'), 1),
             round(pages_per_session(visitor_id, viewed_at, INTERVAL '30 minutes'), 2)
      FROM clickstream
      UNION ALL
      SELECT 60, round(bounce_rate(visitor_id, viewed_at, INTERVAL '60 minutes'), 1),
             round(pages_per_session(visitor_id, viewed_at, INTERVAL '60 minutes'), 2)
      FROM clickstream)
ORDER BY gap_minutes;

-- Per page, straight from the raw log: views, landings (sessions that started on the page) and
-- their bounce rate, exit rate (% of the page's views that ended their session) and time on
-- page (seconds to the next view of the same session: a session's last view has none, as web
-- analytics tools count it). The URL without campaign parameters is the page.
SELECT p.page AS page, p.views AS views, p.entrances AS landings,
       round(p.bounce_rate, 1)      AS bounce_pct,
       round(p.exit_rate, 1)        AS exit_pct,
       round(p.avg_time_on_page, 1) AS avg_seconds_on_page
FROM (SELECT unnest(page_summary(visitor_id, viewed_at, split_part(url, '?', 1))) AS p FROM clickstream)
ORDER BY p.views DESC;

-- Scroll depth per page: how far down readers got on average (%), and the % of tracked views
-- that reached three quarters of the page.
SELECT split_part(url, '?', 1)                                              AS page,
       count(scroll_depth)                                                  AS tracked_views,
       round(avg(scroll_depth), 1)                                          AS avg_scroll_pct,
       round(100.0 * count(*) FILTER (WHERE scroll_depth >= 75) / count(scroll_depth), 1) AS reached_75_pct
FROM clickstream
GROUP BY page
ORDER BY avg_scroll_pct DESC;

-- Paths from the home page: the three pages each visitor saw after their first view of it, and
-- how many visitors went each way (NULL: the visitor left there), drawn as a flow.
-- chart: flow step=step from=page to=next_page value=visitors
SELECT l['step'] AS step, l['event'] AS page, l['next_event'] AS next_page,
       l['users'] AS visitors, round(l['share'], 1) AS share_pct
FROM (SELECT unnest(paths(visitor_id, viewed_at, split_part(url, '?', 1),
                          split_part(url, '?', 1) = '/', 3)) AS l
      FROM clickstream);
