-- Marketing and product report of the bundled sample data: campaigns, email click-to-open
-- rates, social follower growth, website sessions, activation, feature adoption and customer
-- lifetime value.
-- Run from the repository root:  cargo run --bin engage -- -f sql/marketing.sql

CREATE EXTERNAL TABLE campaigns STORED AS CSV LOCATION 'examples/data/campaigns.csv'
  OPTIONS ('format.has_header' 'true');
CREATE EXTERNAL TABLE page_views STORED AS PARQUET LOCATION 'examples/data/page_views.parquet';
CREATE EXTERNAL TABLE users STORED AS PARQUET LOCATION 'examples/data/users.parquet';
CREATE EXTERNAL TABLE events STORED AS PARQUET LOCATION 'examples/data/events.parquet';
CREATE EXTERNAL TABLE orders STORED AS PARQUET LOCATION 'examples/data/orders.parquet';
CREATE EXTERNAL TABLE customers STORED AS CSV LOCATION 'examples/data/customers.csv'
  OPTIONS ('format.has_header' 'true');
CREATE EXTERNAL TABLE email_events STORED AS PARQUET LOCATION 'examples/data/email_events.parquet';
CREATE EXTERNAL TABLE social_followers STORED AS CSV LOCATION 'examples/data/social_followers.csv'
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

-- Email campaigns: open rate (% of delivered), click-through rate (% of delivered) and
-- click-to-open rate (% of openers who clicked), each recipient counted once. A click without a
-- recorded open (images blocked) counts the recipient as an opener too.
SELECT campaign,
       count(DISTINCT recipient_id) FILTER (WHERE event = 'delivered')                  AS delivered,
       round(feature_adoption(recipient_id, event IN ('open', 'click')), 1)             AS open_pct,
       round(feature_adoption(recipient_id, event = 'click'), 1)                        AS click_pct,
       round(feature_adoption(recipient_id, event = 'click') FILTER (WHERE event IN ('open', 'click')), 1) AS click_to_open_pct
FROM email_events
GROUP BY campaign
ORDER BY click_to_open_pct DESC;

-- Social follower growth per month and platform: followers at the end of the month, and the
-- growth over the month in % of the count at the end of the month before (or the first day).
SELECT platform, month, end_followers,
       round(100.0 * (end_followers - start_followers) / start_followers, 2) AS growth_pct
FROM (SELECT platform, to_char(day, '%Y-%m') AS month,
             last_value(followers ORDER BY day)  AS end_followers,
             coalesce(lag(last_value(followers ORDER BY day)) OVER (PARTITION BY platform ORDER BY to_char(day, '%Y-%m')),
                      first_value(followers ORDER BY day)) AS start_followers
      FROM social_followers
      GROUP BY platform, month)
ORDER BY platform, month;

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
-- per customer per year × 3, with the two factors shown beside it. Purchases per year count the
-- whole calendar months the orders fall in (24: October 2024 to September 2026).
SELECT c.plan,
       count(DISTINCT o.customer_id)                                                        AS buying_customers,
       round(avg(o.amount), 2)                                                              AS avg_order_value,
       round(count(*) / CAST(count(DISTINCT o.customer_id) AS DOUBLE)
             / ((date_part('year', max(o.ordered_at)) * 12 + date_part('month', max(o.ordered_at))
                 - date_part('year', min(o.ordered_at)) * 12 - date_part('month', min(o.ordered_at)) + 1) / 12.0), 2) AS purchases_per_year,
       round(clv(o.amount, o.customer_id, o.ordered_at, 3, 'month'), 2)                     AS clv_3_years
FROM orders o JOIN customers c ON c.customer_id = o.customer_id
GROUP BY c.plan
ORDER BY clv_3_years DESC;
