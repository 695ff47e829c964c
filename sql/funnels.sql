-- Conversion funnels from the shop events of the bundled sample data: product view, cart,
-- delivery choice, payment — in that order, each step strictly later, within a day of the view.
-- Run from the repository root:  cargo run --bin engage -- -f sql/funnels.sql

CREATE EXTERNAL TABLE shop_events STORED AS PARQUET LOCATION 'examples/data/shop_events.parquet';
CREATE EXTERNAL TABLE users STORED AS PARQUET LOCATION 'examples/data/users.parquet';

-- The whole funnel: one row per step, with the users lost since the step before and the
-- conversion from the step before and from the first (%).
-- chart: bar x=step y=from_view_pct,from_previous_pct
SELECT s['step'] AS step, s['users'] AS users, s['dropped_off'] AS dropped_off,
       round(s['conversion_from_previous'], 1) AS from_previous_pct,
       round(s['conversion_from_first'], 1) AS from_view_pct
FROM (SELECT unnest(funnel(user_id, event_time, INTERVAL '1 day',
        event_name = 'view_product', event_name = 'add_to_cart',
        event_name = 'choose_delivery', event_name = 'pay')) AS s
      FROM shop_events)
ORDER BY step;

-- Modes: the same funnel when no other step's event may come between two steps of an attempt
-- ('strict_order'), and when a step already reached may not come again
-- ('strict_deduplication'), each user judged by their best attempt ('longest_walk': without
-- it, as in ClickHouse, the first interruption ends the user's whole funnel): users reaching
-- each step under each.
-- chart: bar x=step y=users,users_strict_order,users_no_repeat
SELECT k AS step, f[k]['users'] AS users, o[k]['users'] AS users_strict_order,
       d[k]['users'] AS users_no_repeat
FROM (SELECT funnel(user_id, event_time, INTERVAL '1 day', event_name = 'view_product',
               event_name = 'add_to_cart', event_name = 'choose_delivery', event_name = 'pay') AS f,
             funnel(user_id, event_time, INTERVAL '1 day', event_name = 'view_product',
               event_name = 'add_to_cart', event_name = 'choose_delivery', event_name = 'pay',
               'strict_order', 'longest_walk') AS o,
             funnel(user_id, event_time, INTERVAL '1 day', event_name = 'view_product',
               event_name = 'add_to_cart', event_name = 'choose_delivery', event_name = 'pay',
               'strict_deduplication', 'longest_walk') AS d
      FROM shop_events)
CROSS JOIN (VALUES (1), (2), (3), (4)) AS steps(k)
ORDER BY step;

-- How long it takes: minutes from the product view to each step, median and 90th percentile
-- of the users reaching it.
-- chart: bar x=step y=median_minutes,p90_minutes
SELECT t['step'] AS step, t['users'] AS users,
       round(t['median_seconds'] / 60, 1) AS median_minutes,
       round(t['p90_seconds'] / 60, 1) AS p90_minutes,
       round(t['avg_seconds'] / 60, 1) AS avg_minutes
FROM (SELECT unnest(funnel_conversion_times(user_id, event_time, INTERVAL '1 day',
        event_name = 'view_product', event_name = 'add_to_cart',
        event_name = 'choose_delivery', event_name = 'pay')) AS t
      FROM shop_events)
ORDER BY step;

-- The time from the view to the payment, as a histogram: payers per bucket (fixed buckets,
-- the last open).
-- chart: bar x=time_to_pay y=payers
SELECT concat(b['from_seconds'], ' s', coalesce(' to ' || b['to_seconds'] || ' s', ' and more'))
         AS time_to_pay,
       b['users'] AS payers, round(b['share'], 1) AS share_pct
FROM (SELECT unnest(funnel_conversion_histogram(user_id, event_time, INTERVAL '1 day',
        event_name = 'view_product', event_name = 'pay')) AS b
      FROM shop_events)
ORDER BY b['from_seconds'];

-- Exclusions: straight from the cart to the payment, without browsing again — a product view
-- between the cart (step 2) and the payment (step 4) ends that attempt.
-- chart: bar x=step y=users,users_without_browsing_again
SELECT k AS step, f[k]['users'] AS users, x[k]['users'] AS users_without_browsing_again
FROM (SELECT funnel(user_id, event_time, INTERVAL '1 day', event_name = 'view_product',
               event_name = 'add_to_cart', event_name = 'choose_delivery', event_name = 'pay') AS f,
             funnel(user_id, event_time, INTERVAL '1 day', event_name = 'view_product',
               event_name = 'add_to_cart', event_name = 'choose_delivery', event_name = 'pay',
               'exclude 2-4', event_name = 'view_product') AS x
      FROM shop_events)
CROSS JOIN (VALUES (1), (2), (3), (4)) AS steps(k)
ORDER BY step;

-- Wide, by device: a column per step.
CREATE VIEW by_device AS
SELECT device, funnel(user_id, event_time, INTERVAL '1 day',
         event_name = 'view_product', event_name = 'add_to_cart',
         event_name = 'choose_delivery', event_name = 'pay') AS f
FROM shop_events GROUP BY device;

-- The funnel by device: users reaching each step, and the share of viewers who paid (%).
-- chart: bar x=device y=viewed,carted,delivery,paid
SELECT device, f[1]['users'] AS viewed, f[2]['users'] AS carted, f[3]['users'] AS delivery,
       f[4]['users'] AS paid, round(f[4]['conversion_from_first'], 1) AS paid_pct
FROM by_device
ORDER BY device;

-- Where each user stopped: users per funnel level (0: shop events but no product view).
-- chart: bar x=level y=users
SELECT level, count(*) AS users
FROM (SELECT user_id, window_funnel(INTERVAL '1 day', event_time,
        event_name = 'view_product', event_name = 'add_to_cart',
        event_name = 'choose_delivery', event_name = 'pay') AS level
      FROM shop_events GROUP BY user_id)
GROUP BY level
ORDER BY level;

-- The window matters: the same funnel within an hour, a day and a week, by acquisition channel.
SELECT u.acquisition_channel AS channel,
       round(funnel(e.user_id, e.event_time, INTERVAL '1 hour', e.event_name = 'view_product',
               e.event_name = 'add_to_cart', e.event_name = 'choose_delivery',
               e.event_name = 'pay')[4]['conversion_from_first'], 1) AS paid_within_hour_pct,
       round(funnel(e.user_id, e.event_time, INTERVAL '1 day', e.event_name = 'view_product',
               e.event_name = 'add_to_cart', e.event_name = 'choose_delivery',
               e.event_name = 'pay')[4]['conversion_from_first'], 1) AS paid_within_day_pct,
       round(funnel(e.user_id, e.event_time, INTERVAL '7 days', e.event_name = 'view_product',
               e.event_name = 'add_to_cart', e.event_name = 'choose_delivery',
               e.event_name = 'pay')[4]['conversion_from_first'], 1) AS paid_within_week_pct
FROM shop_events e JOIN users u ON u.user_id = e.user_id
GROUP BY channel
ORDER BY channel;

-- Month by month: the share of viewers reaching each step (chains counted in the month of
-- their events).
-- chart: line x=month y=from_view_pct series=step
SELECT CAST(month AS DATE) AS month, s['step'] AS step, s['users'] AS users,
       round(s['conversion_from_first'], 1) AS from_view_pct
FROM (SELECT date_trunc('month', event_time) AS month,
             unnest(funnel(user_id, event_time, INTERVAL '1 day',
               event_name = 'view_product', event_name = 'add_to_cart',
               event_name = 'choose_delivery', event_name = 'pay')) AS s
      FROM shop_events GROUP BY month)
ORDER BY month, step;
