-- Monthly metrics from the daily states of sql/rollup_daily.sql alone: no raw event is read.
--
--   engage --var states=states -f sql/rollup_report.sql
--
-- Each _merge gives exactly what its aggregate gives over the raw rows of the same month.

-- The states, one Parquet file per day under day=YYYY-MM-DD/: the day is a column.
CREATE EXTERNAL TABLE IF NOT EXISTS event_states STORED AS PARQUET LOCATION '${states}/events/';
CREATE EXTERNAL TABLE IF NOT EXISTS survey_states STORED AS PARQUET LOCATION '${states}/survey/';

-- Monthly stickiness by segment
-- DAU/MAU: average daily active users over the month's active users, over the whole calendar month.
SELECT date_trunc('month', CAST(day AS DATE)) AS month, segment,
       round(stickiness_merge(stickiness), 2) AS dau_mau_pct
FROM event_states
GROUP BY 1, 2 ORDER BY 1, 2;

-- Monthly active users by segment
-- Users active on at least one day of the month, with the average number of active days.
SELECT month, segment, sum(d['users']) AS mau,
       round(CAST(sum(d['users'] * d['active_periods']) AS DOUBLE) / sum(d['users']), 2) AS active_days_per_user
FROM (SELECT date_trunc('month', CAST(day AS DATE)) AS month, segment,
             unnest(stickiness_distribution_merge(active_days)) AS d
      FROM event_states GROUP BY 1, 2)
GROUP BY 1, 2 ORDER BY 1, 2;

-- Weekly retention by segment
-- Share of the segment's users active again 1 to 8 weeks after their first activity, over every stored day.
SELECT segment, r['period'] AS week, r['users'] AS users, r['retained'] AS retained,
       round(r['rate'], 1) AS retention_pct
FROM (SELECT segment, unnest(retention_merge(retention)) AS r
      FROM event_states GROUP BY segment)
ORDER BY segment, week;

-- Monthly survey scores by segment
-- NPS, CSAT and CES of the month's answers.
SELECT date_trunc('month', CAST(day AS DATE)) AS month, segment, sum(answers) AS answers,
       round(nps_merge(nps), 2) AS nps, round(csat_merge(csat), 2) AS csat_pct,
       round(ces_merge(ces), 2) AS ces
FROM survey_states
GROUP BY 1, 2 ORDER BY 1, 2;

-- Approximate monthly active users and DAU/MAU from the daily HLL sketches
-- A few kB per day and segment however many users: within about 1.6 % (two standard errors 3.3 %).
SELECT date_trunc('month', CAST(day AS DATE)) AS month, segment,
       round(hll_estimate(hll_union(active_users))) AS approx_mau,
       round(approx_stickiness(CAST(day AS DATE), active_users, 'month'), 2) AS approx_dau_mau_pct
FROM event_states
GROUP BY 1, 2 ORDER BY 1, 2;
