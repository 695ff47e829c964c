-- Marketing and product report of the bundled sample data: campaigns, website sessions,
-- activation, feature adoption and customer lifetime value.
-- Run from the repository root:  cargo run --bin engage -- -f sql/marketing.sql

CREATE EXTERNAL TABLE campaigns STORED AS CSV LOCATION 'examples/data/campaigns.csv'
  OPTIONS ('format.has_header' 'true');
CREATE EXTERNAL TABLE page_views STORED AS PARQUET LOCATION 'examples/data/page_views.parquet';
CREATE EXTERNAL TABLE users STORED AS PARQUET LOCATION 'examples/data/users.parquet';
CREATE EXTERNAL TABLE events STORED AS PARQUET LOCATION 'examples/data/events.parquet';
CREATE EXTERNAL TABLE orders STORED AS PARQUET LOCATION 'examples/data/orders.parquet';
CREATE EXTERNAL TABLE customers STORED AS CSV LOCATION 'examples/data/customers.csv'
  OPTIONS ('format.has_header' 'true');

-- Campaign delivery: click-through rate, and for social posts the engagement rate
-- ((likes + shares + comments) / impressions), both in %.
SELECT campaign, channel,
       sum(impressions)                                               AS impressions,
       sum(clicks)                                                    AS clicks,
       round(ctr(clicks, impressions), 2)                             AS ctr_pct,
       round(engagement_rate(likes + shares + comments, impressions), 2) AS engagement_rate_pct
FROM campaigns
GROUP BY campaign, channel
ORDER BY ctr_pct DESC;

-- Website sessions by landing channel and device: bounce rate (% single-page sessions),
-- pages per session and average session length in minutes.
SELECT channel, device,
       count(DISTINCT session_id)                                  AS sessions,
       round(bounce_rate(session_id), 1)                           AS bounce_pct,
       round(pages_per_session(session_id), 2)                     AS pages_per_session,
       round(avg_session_duration(session_id, viewed_at) / 60, 1)  AS avg_minutes
FROM page_views
GROUP BY channel, device
ORDER BY channel, device;

-- Activation: % of each month's signups who came back within their first week, by
-- acquisition channel. The outer join keeps users without any page view in the denominator.
SELECT u.acquisition_channel,
       to_char(u.signup_time, '%Y-%m')                                           AS signup_month,
       count(DISTINCT u.user_id)                                                 AS signups,
       round(first_week_active_rate(u.user_id, v.viewed_at, u.signup_time), 1)   AS first_week_active_pct
FROM users u LEFT JOIN page_views v ON v.user_id = u.user_id AND v.viewed_at > u.signup_time
GROUP BY u.acquisition_channel, signup_month
ORDER BY u.acquisition_channel, signup_month;

-- Feature adoption: % of each segment's active users who used a feature at least once.
SELECT segment,
       count(DISTINCT user_id)                                                  AS active_users,
       round(feature_adoption(user_id, event_name = 'export'), 1)               AS export_pct,
       round(feature_adoption(user_id, event_name = 'invite_colleague'), 1)     AS invite_pct,
       round(feature_adoption(user_id, event_name = 'integration_setup'), 1)    AS integration_pct
FROM events
GROUP BY segment
ORDER BY segment;

-- Customer lifetime value by plan over a 3-year lifespan: average order value × purchases
-- per customer per year × 3, with the two factors shown beside it.
SELECT c.plan,
       count(DISTINCT o.customer_id)                                                        AS buying_customers,
       round(avg(o.amount), 2)                                                              AS avg_order_value,
       round(count(*) / CAST(count(DISTINCT o.customer_id) AS DOUBLE)
             / ((max(CAST(o.ordered_at AS DATE)) - min(CAST(o.ordered_at AS DATE)) + 1) / 365.25), 2) AS purchases_per_year,
       round(clv(o.amount, o.customer_id, o.ordered_at, 3), 2)                              AS clv_3_years
FROM orders o JOIN customers c ON c.customer_id = o.customer_id
GROUP BY c.plan
ORDER BY clv_3_years DESC;
