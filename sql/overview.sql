-- Engagement overview of the bundled sample data.
-- Run from the repository root:  cargo run --bin engage -- -f sql/overview.sql

CREATE EXTERNAL TABLE responses STORED AS PARQUET LOCATION 'examples/data/responses.parquet';
CREATE EXTERNAL TABLE customers STORED AS CSV LOCATION 'examples/data/customers.csv'
  OPTIONS ('format.has_header' 'true');
CREATE EXTERNAL TABLE events STORED AS PARQUET LOCATION 'examples/data/events.parquet';

-- Survey metrics by segment: NPS (−100…100), CSAT (% top-2 box of 1–5), CES (mean of 1–7).
SELECT segment,
       count(*)                   AS responses,
       round(nps(nps_score), 1)   AS nps,
       round(csat(csat_score), 1) AS csat_pct,
       round(ces(ces_score), 2)   AS ces
FROM responses
GROUP BY segment
ORDER BY segment;

-- Churn and retention over the quarter, by plan.
SELECT plan,
       count(*) FILTER (WHERE active_at_start)                    AS customers_at_start,
       round(churn_rate(active_at_start, active_at_end), 1)       AS churn_pct,
       round(retention_rate(active_at_start, active_at_end), 1)   AS retention_pct
FROM customers
GROUP BY plan
ORDER BY customers_at_start DESC;

-- Monthly stickiness (DAU/MAU, %) by segment: the month's distinct active (user, day) pairs
-- over all its days × its active users.
SELECT segment,
       to_char(event_time, '%Y-%m')                          AS month,
       count(DISTINCT user_id)                               AS monthly_active_users,
       round(stickiness(user_id, event_time, 'month'), 1)    AS dau_mau_pct
FROM events
GROUP BY segment, month
ORDER BY segment, month;

-- User activity rate: each month's active users (any product event) as a % of the paying
-- customers (a plan other than free, active at the end of the quarter).
SELECT month, active_users, paying_customers,
       round(100.0 * active_users / paying_customers, 1) AS activity_rate_pct
FROM (SELECT to_char(event_time, '%Y-%m') AS month, count(DISTINCT user_id) AS active_users
      FROM events GROUP BY month)
CROSS JOIN (SELECT count(*) AS paying_customers FROM customers WHERE plan <> 'free' AND active_at_end)
ORDER BY month;

-- Each user's engagement over the quarter: one weight per kind of event.
CREATE VIEW user_scores AS
SELECT user_id, segment,
       engagement_score(event_name,
         'login=0.2, view_dashboard=0.2, create_report=1.5, export=1, invite_colleague=3, integration_setup=4, support_ticket=-2') AS score
FROM events
GROUP BY user_id, segment;

-- Users per engagement tier, by segment.
SELECT segment, engagement_tier(score) AS tier, count(*) AS users, round(avg(score), 1) AS avg_score
FROM user_scores
GROUP BY segment, tier
ORDER BY segment, min(score);

-- The 20 most engaged users of the quarter, with their tier.
SELECT user_id, segment, round(score, 1) AS score, engagement_tier(score) AS tier
FROM user_scores
ORDER BY score DESC, user_id
LIMIT 20;
