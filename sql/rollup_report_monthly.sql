-- Finished months from the monthly states of sql/rollup_monthly.sql alone: the numbers of
-- sql/rollup_report.sql for those months, from one file a month.
--
--   engage --var states=states -f sql/rollup_report_monthly.sql

CREATE EXTERNAL TABLE IF NOT EXISTS event_months STORED AS PARQUET LOCATION '${states}/events_monthly/';
CREATE EXTERNAL TABLE IF NOT EXISTS survey_months STORED AS PARQUET LOCATION '${states}/survey_monthly/';

-- Monthly stickiness by segment
-- DAU/MAU: average daily active users over the month's active users, over the whole calendar month.
SELECT CAST(month || '-01' AS TIMESTAMP) AS month, segment,
       round(stickiness_merge(stickiness), 2) AS dau_mau_pct
FROM event_months
GROUP BY 1, 2 ORDER BY 1, 2;

-- Monthly active users by segment
-- Users active on at least one day of the month, with the average number of active days.
SELECT month, segment, sum(d['users']) AS mau,
       round(CAST(sum(d['users'] * d['active_periods']) AS DOUBLE) / sum(d['users']), 2) AS active_days_per_user
FROM (SELECT CAST(month || '-01' AS TIMESTAMP) AS month, segment,
             unnest(stickiness_distribution_merge(active_days)) AS d
      FROM event_months GROUP BY 1, 2)
GROUP BY 1, 2 ORDER BY 1, 2;

-- Monthly survey scores by segment
-- NPS, CSAT and CES of the month's answers.
SELECT CAST(month || '-01' AS TIMESTAMP) AS month, segment, sum(answers) AS answers,
       round(nps_merge(nps), 2) AS nps, round(csat_merge(csat), 2) AS csat_pct,
       round(ces_merge(ces), 2) AS ces
FROM survey_months
GROUP BY 1, 2 ORDER BY 1, 2;

-- Approximate monthly active users and DAU/MAU from the HLL sketches
-- A few kB per month and segment however many users: within about 1.6 % (two standard errors 3.3 %).
SELECT CAST(month || '-01' AS TIMESTAMP) AS month, segment,
       round(hll_estimate(hll_union(active_users))) AS approx_mau,
       round(approx_stickiness_merge(active_users_by_day), 2) AS approx_dau_mau_pct
FROM event_months
GROUP BY 1, 2 ORDER BY 1, 2;
