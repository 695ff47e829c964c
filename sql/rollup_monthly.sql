-- Monthly compaction: a finished month's daily states (sql/rollup_daily.sql) united into one
-- row per segment, one Parquet file per month, as ClickHouse merges its daily parts. A report on
-- finished months then reads 1 file a month instead of 30 (sql/rollup_report_monthly.sql: NPS
-- by month and segment 105 times faster than over the raw rows, BENCHMARKS.md). The daily files
-- stay, so a month can be compacted again after a day of it was re-run. Written as
-- sql/rollup_daily.sql writes the days (LZ4, the sketches uncompressed).
--
--   engage --var month=2026-07 --var states=states -f sql/rollup_monthly.sql

CREATE EXTERNAL TABLE IF NOT EXISTS event_states STORED AS PARQUET LOCATION '${states}/events/';
CREATE EXTERNAL TABLE IF NOT EXISTS survey_states STORED AS PARQUET LOCATION '${states}/survey/';

-- Activity per segment: each _union is one state standing for the month's daily states; the
-- daily HLL sketches are kept day by day in approx_stickiness's own state (DAU/MAU needs each
-- day's users).
COPY (
  SELECT segment,
         stickiness_union(stickiness) AS stickiness,
         stickiness_distribution_union(active_days) AS active_days,
         retention_union(retention) AS retention,
         hll_union(active_users, 12, 'HLL_8') AS active_users,
         approx_stickiness_state(CAST(day AS DATE), active_users, 'month') AS active_users_by_day,
         sum(events) AS events
  FROM event_states
  WHERE day LIKE '${month}-%'
  GROUP BY segment
) TO '${states}/events_monthly/month=${month}/states.parquet'
  OPTIONS ('format.compression' 'lz4_raw', 'format.compression::active_users' 'uncompressed');

-- Survey answers per segment.
COPY (
  SELECT segment,
         nps_union(nps) AS nps,
         csat_union(csat) AS csat,
         ces_union(ces) AS ces,
         sum(answers) AS answers
  FROM survey_states
  WHERE day LIKE '${month}-%'
  GROUP BY segment
) TO '${states}/survey_monthly/month=${month}/states.parquet'
  OPTIONS ('format.compression' 'lz4_raw');
