-- Retention, lifecycle and churn from the event logs of the bundled sample data.
-- Run from the repository root:  cargo run --bin engage -- -f sql/retention.sql

CREATE EXTERNAL TABLE users STORED AS PARQUET LOCATION 'examples/data/users.parquet';
CREATE EXTERNAL TABLE page_views STORED AS PARQUET LOCATION 'examples/data/page_views.parquet';
CREATE EXTERNAL TABLE events STORED AS PARQUET LOCATION 'examples/data/events.parquet';
CREATE EXTERNAL TABLE orders STORED AS PARQUET LOCATION 'examples/data/orders.parquet';
CREATE EXTERNAL TABLE customers STORED AS CSV LOCATION 'examples/data/customers.csv'
  OPTIONS ('format.has_header' 'true');

-- Weekly signup cohorts of website users over 12 weeks from their signup. A cohort's later
-- weeks stay empty (NULL) until they have ended for its users: young cohorts are not churn.
CREATE VIEW cohorts AS
SELECT date_trunc('week', u.signup_time) AS cohort,
       retention(u.user_id, v.viewed_at, INTERVAL '7 days', 12, u.signup_time) AS weeks
FROM users u LEFT JOIN page_views v ON v.user_id = u.user_id
GROUP BY cohort;

-- Weekly cohort retention: one row per cohort, the share of its users who came back in
-- week 1, 2, … 12 (%).
SELECT CAST(cohort AS DATE) AS cohort,
       weeks[1]['users'] AS users,
       round(weeks[2]['rate'], 1) AS w1,  round(weeks[3]['rate'], 1) AS w2,
       round(weeks[4]['rate'], 1) AS w3,  round(weeks[5]['rate'], 1) AS w4,
       round(weeks[6]['rate'], 1) AS w5,  round(weeks[7]['rate'], 1) AS w6,
       round(weeks[8]['rate'], 1) AS w7,  round(weeks[9]['rate'], 1) AS w8,
       round(weeks[10]['rate'], 1) AS w9, round(weeks[11]['rate'], 1) AS w10,
       round(weeks[12]['rate'], 1) AS w11, round(weeks[13]['rate'], 1) AS w12
FROM cohorts
ORDER BY cohort;

-- The first cohorts' curves: one row per (cohort, week) counted so far, for charts and
-- further SQL.
-- chart: line x=week y=retained_pct series=cohort
SELECT CAST(cohort AS DATE) AS cohort, w['period'] AS week, w['users'] AS users,
       w['retained'] AS retained, round(w['rate'], 1) AS retained_pct
FROM (SELECT cohort, unnest(weeks) AS w FROM cohorts)
WHERE w['users'] > 0
ORDER BY cohort, week
LIMIT 20;

-- The curve over all users by acquisition channel, week k or any later week ("unbounded").
SELECT u.acquisition_channel,
       round(unbounded_retention(u.user_id, v.viewed_at, INTERVAL '7 days', 8, u.signup_time)[2]['rate'], 1) AS back_after_week_1,
       round(unbounded_retention(u.user_id, v.viewed_at, INTERVAL '7 days', 8, u.signup_time)[5]['rate'], 1) AS back_after_week_4,
       round(retention(u.user_id, v.viewed_at, INTERVAL '7 days', 8, u.signup_time)[5]['rate'], 1) AS active_in_week_4
FROM users u LEFT JOIN page_views v ON v.user_id = u.user_id
GROUP BY u.acquisition_channel
ORDER BY u.acquisition_channel;

-- Retention by events, from the event log alone: users who set up an integration and came back
-- to export, per segment, in week 1, weeks 2 to 4 and weeks 5 to 8 after their first setup
-- (custom brackets: a bracket counts a user once all its weeks have passed).
-- chart: bar x=segment y=week_1_pct,weeks_2_4_pct,weeks_5_8_pct
SELECT segment, r[1]['users'] AS users, round(r[2]['rate'], 1) AS week_1_pct,
       round(r[3]['rate'], 1) AS weeks_2_4_pct, round(r[4]['rate'], 1) AS weeks_5_8_pct
FROM (SELECT segment, retention(user_id, event_time, INTERVAL '7 days', '1, 2-4, 5-8',
               event_name = 'integration_setup', event_name = 'export') AS r
      FROM events GROUP BY segment)
ORDER BY segment;

-- Product lifecycle by week: new, returning, resurrecting and dormant users. The data ends on
-- Wednesday 30 September, so the last week is short and its dormant count high.
SELECT w['period_start'] AS week, w['active'] AS active, w['new'] AS new,
       w['returning'] AS "returning", w['resurrecting'] AS resurrecting, w['dormant'] AS dormant,
       round(w['churn_rate'], 1) AS churn_pct, round(w['retention_rate'], 1) AS retention_pct
FROM (SELECT unnest(lifecycle(user_id, event_time, 'week')) AS w FROM events)
ORDER BY week;

-- Monthly churn computed from orders, by plan (a customer is active in a month with an order,
-- and churned in a month without one after a month with one), next to the quarter's churn from
-- the snapshot flags (active at the start and at the end of July–September 2026). Ordering
-- less than monthly counts as churn here, so the order-based rates run far above the flags'.
CREATE VIEW monthly AS
SELECT c.plan, unnest(lifecycle(o.customer_id, o.ordered_at, 'month', CAST(c.signup_date AS TIMESTAMP))) AS m
FROM orders o JOIN customers c ON c.customer_id = o.customer_id
GROUP BY c.plan;

-- Monthly churn from orders against the quarter's churn from the flags, by plan.
SELECT f.plan, f.jul_churn_pct, f.aug_churn_pct, f.sep_churn_pct,
       round(s.churn, 1) AS flags_quarterly_churn_pct
FROM (SELECT plan,
             round(max(m['churn_rate']) FILTER (WHERE m['period_start'] = DATE '2026-07-01'), 1) AS jul_churn_pct,
             round(max(m['churn_rate']) FILTER (WHERE m['period_start'] = DATE '2026-08-01'), 1) AS aug_churn_pct,
             round(max(m['churn_rate']) FILTER (WHERE m['period_start'] = DATE '2026-09-01'), 1) AS sep_churn_pct
      FROM monthly GROUP BY plan) f
JOIN (SELECT plan, churn_rate(active_at_start, active_at_end) AS churn FROM customers GROUP BY plan) s
  ON s.plan = f.plan
ORDER BY f.plan;
