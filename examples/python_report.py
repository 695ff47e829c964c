"""The pack from Python DataFusion: NPS by segment in SQL, stickiness by segment and month with
the DataFrame API, and the results handed to pandas and Arrow.

    pip install ./crates/datafusion-engagement-python
    python examples/python_report.py
"""

from pathlib import Path

from datafusion import SessionContext, col, functions as f, lit

import datafusion_engagement

DATA = Path(__file__).resolve().parent / "data"

ctx = SessionContext()
datafusion_engagement.register(ctx)
ctx.register_parquet("responses", str(DATA / "responses.parquet"))

# SQL: NPS with its 95 % confidence interval, by segment.
nps_by_segment = ctx.sql(
    """SELECT segment, round(nps(nps_score), 1) AS nps,
              round(nps_summary(nps_score)['ci_low'], 1) AS ci_low,
              round(nps_summary(nps_score)['ci_high'], 1) AS ci_high
       FROM responses GROUP BY segment ORDER BY segment"""
)
print(nps_by_segment.to_pandas().to_string(index=False))

# The DataFrame API: each function is a datafusion.AggregateUDF to call on expressions.
stickiness = datafusion_engagement.stickiness()
monthly = (
    ctx.read_parquet(str(DATA / "events.parquet"))
    .with_column("month", f.to_char(col("event_time"), lit("%Y-%m")))
    .aggregate(
        [col("segment"), col("month")],
        [stickiness(col("user_id"), col("event_time")).alias("dau_mau_pct")],
    )
    .sort(col("segment").sort(), col("month").sort())
)
table = monthly.to_arrow_table()  # an Arrow table, for Polars, DuckDB, Parquet writers …
print(table.to_pandas().pivot(index="segment", columns="month", values="dau_mau_pct").round(1))
