-- Nightly rollup: one day of events and survey answers into stored states, one Parquet file per
-- kind and day. Re-running a day replaces that day's files, so a day is never counted twice.
--
--   engage --var day=2026-07-01 --var lake=examples/data --var states=states -f sql/rollup_daily.sql
--
-- sql/rollup_report.sql reads the monthly metrics back from the states alone. Each state column is
-- written by an aggregate's _state form with the aggregate's own arguments, and read by its
-- _merge form (or combined by _union into weekly or monthly states to store again).
--
-- The files are written with LZ4 (LZ4_RAW) instead of DataFusion's default zstd: a report reads
-- one small file per day, and zstd sets up a decoder of its own for every column of every file
-- (most of a 90-day report's time, BENCHMARKS.md). The HLL sketches are stored uncompressed:
-- their registers barely shrink with LZ4 and are read fastest as they are.

CREATE EXTERNAL TABLE IF NOT EXISTS events STORED AS PARQUET LOCATION '${lake}/events.parquet';
CREATE EXTERNAL TABLE IF NOT EXISTS responses STORED AS PARQUET LOCATION '${lake}/responses.parquet';

-- Activity per segment: stickiness (DAU/MAU by calendar month), active days per user (MAU), the
-- weekly retention curve of the segment's users from their first activity, and an HLL sketch of
-- the day's active users (a few kB, whatever the users: approximate MAU and DAU/MAU, and readable
-- by DataSketches in Spark, Druid or Python; HLL_8, twice HLL_4's size, is read and united 2.7
-- times faster, which the month's DAU/MAU does for every day).
COPY (
  SELECT segment,
         stickiness_state(user_id, event_time, 'month') AS stickiness,
         hll_sketch(user_id, 12, 'HLL_8') AS active_users,
         stickiness_distribution_state(user_id, event_time) AS active_days,
         retention_state(user_id, event_time, INTERVAL '7 days', 8) AS retention,
         count(*) AS events
  FROM events
  WHERE event_time >= TIMESTAMP '${day}T00:00:00Z'
    AND event_time < TIMESTAMP '${day}T00:00:00Z' + INTERVAL '1 day'
  GROUP BY segment
) TO '${states}/events/day=${day}/states.parquet'
  OPTIONS ('format.compression' 'lz4_raw', 'format.compression::active_users' 'uncompressed');

-- Survey answers per segment: NPS, CSAT and CES.
COPY (
  SELECT segment,
         nps_state(nps_score) AS nps,
         csat_state(csat_score) AS csat,
         ces_state(ces_score) AS ces,
         count(*) AS answers
  FROM responses
  WHERE response_date = DATE '${day}'
  GROUP BY segment
) TO '${states}/survey/day=${day}/states.parquet'
  OPTIONS ('format.compression' 'lz4_raw');
