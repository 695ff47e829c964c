"""Runs one query on DuckDB, chDB or Python DataFusion with our functions (`python`) in this
process and reports its timings as JSON.

Started by compare.py with the Python of the harness's own virtual environment, one process
per (engine, query), so that the process's peak memory belongs to that query alone.

    engine_runner.py ENGINE THREADS WARMUP RUNS SQL
"""

import json
import sys
import time


def duckdb_runner(threads):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    return lambda sql: con.execute(sql).fetchall()


def chdb_runner(threads):
    from chdb import session

    sess = session.Session()

    def run(sql):
        # ClickHouse takes per-query settings after the query.
        result = sess.query(f"{sql} SETTINGS max_threads = {threads}", "JSONCompact")
        return json.loads(result.bytes())["data"]

    return run


def python_runner(threads):
    """Our functions from Python DataFusion: the `datafusion` wheel with the
    `datafusion_engagement` package registered, paths as tables as in the shell."""
    import datafusion
    import datafusion_engagement

    ctx = datafusion.SessionContext(
        datafusion.SessionConfig().with_target_partitions(threads)
    ).enable_url_table()
    datafusion_engagement.register(ctx)
    return lambda sql: [tuple(row.values()) for row in ctx.sql(sql).to_pylist()]


def main():
    engine, threads, warmup, runs, sql = sys.argv[1:]
    threads, warmup, runs = int(threads), int(warmup), int(runs)
    runners = {"duckdb": duckdb_runner, "chdb": chdb_runner, "python": python_runner}
    run = runners[engine](threads)
    for _ in range(warmup):
        run(sql)
    times = []
    rows = None
    for _ in range(runs):
        started = time.perf_counter()
        rows = run(sql)
        times.append(time.perf_counter() - started)
    print(json.dumps({"times": times, "rows": [list(map(str, row)) for row in rows]}))


if __name__ == "__main__":
    main()
