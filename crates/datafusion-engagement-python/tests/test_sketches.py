"""HLL and theta sketches against Apache DataSketches for Python (the `datasketches` package,
DataSketches' C++ library): the sketches the pack writes are read there with the same
estimates, the same values sketched there give the same sketch as here, and sketches written
there are united, intersected and estimated here."""

from __future__ import annotations

import datasketches
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import DATA, new_context


def events_by_segment() -> dict[str, list[int]]:
    table = pq.read_table(DATA / "events.parquet", columns=["user_id", "segment"])
    users: dict[str, list[int]] = {}
    for user, segment in zip(table["user_id"].to_pylist(), table["segment"].to_pylist()):
        users.setdefault(segment, []).append(user)
    return users


def python_hll(values, lg_k=12):
    sketch = datasketches.hll_sketch(lg_k)
    for value in values:
        sketch.update(value)
    return sketch


def same_registers(a, b) -> bool:
    """Whether two HLL sketches hold the same registers (or coupons), whatever estimator state
    they carry: a union with the other changes nothing that a union with itself does not."""
    def united(x, y):
        union = datasketches.hll_union(max(x.lg_config_k, y.lg_config_k))
        union.update(x)
        union.update(y)
        return union.get_result(datasketches.tgt_hll_type.HLL_8)
    return (united(a, b).get_estimate() == united(b, b).get_estimate() == united(a, a).get_estimate()
            and united(a, b).get_estimate() == united(b, a).get_estimate())


def composite(sketch) -> float:
    """DataSketches' composite estimate of an HLL sketch (the one of any sketch marked as built
    by merging, which the pack's sketches are): from its registers alone."""
    data = bytearray(sketch.serialize_compact())
    if data[0] == 10:  # HLL mode: set the out-of-order flag
        data[5] |= 0x10
    return datasketches.hll_sketch.deserialize(bytes(data)).get_estimate()


def python_theta(values, lg_k=12):
    sketch = datasketches.update_theta_sketch(lg_k)
    for value in values:
        sketch.update(value)
    return sketch.compact()


@pytest.mark.parametrize("as_text", [False, True], ids=["integer ids", "string ids"])
def test_our_sketches_equal_datasketches_own(ctx, as_text):
    """Each segment's sketch of its users, written by us and read by DataSketches: the same
    registers (HLL) or hashes (theta) as DataSketches' own sketch of the same values, and the
    same estimate read here and there. (An HLL sketch built in one piece carries DataSketches'
    HIP estimate; one united from partial sketches, as a partitioned aggregation gives, the
    union's.)"""
    user = "concat('u', user_id)" if as_text else "user_id"
    rows = ctx.sql(f"""
        SELECT segment, hll_sketch({user}) AS hll, hll_estimate(hll_sketch({user})) AS hll_estimate,
               theta_sketch({user}) AS theta, theta_estimate(theta_sketch({user})) AS theta_estimate,
               hll_sketch({user}, 5) AS small, hll_sketch({user}, 12, 'HLL_8') AS wide
        FROM events GROUP BY segment ORDER BY segment""").to_pylist()
    users = events_by_segment()
    assert len(rows) == len(users)
    for row in rows:
        values = [f"u{u}" if as_text else u for u in users[row["segment"]]]
        ours = datasketches.hll_sketch.deserialize(row["hll"])
        theirs = python_hll(values)
        assert ours.lg_config_k == 12
        assert same_registers(ours, theirs)
        assert row["hll_estimate"] == ours.get_estimate() == composite(theirs)
        assert ours.get_lower_bound(2) <= len(set(values)) <= ours.get_upper_bound(2)
        wide = datasketches.hll_sketch.deserialize(row["wide"])
        assert wide.tgt_type == datasketches.tgt_hll_type.HLL_8 and same_registers(wide, theirs)
        assert wide.get_estimate() == ours.get_estimate()
        assert len(row["wide"]) >= len(row["hll"])
        small = datasketches.hll_sketch.deserialize(row["small"])
        assert small.lg_config_k == 5 and same_registers(small, python_hll(values, 5))
        ours_theta = datasketches.compact_theta_sketch.deserialize(row["theta"])
        assert ours_theta.get_estimate() == python_theta(values).get_estimate() == len(set(values))
        assert row["theta_estimate"] == ours_theta.get_estimate()


def test_sketches_written_by_datasketches_are_combined_here(tmp_path):
    """Sketches built in Python, stored in Parquet, united, intersected and subtracted by the
    pack: the same estimates as DataSketches' own union, intersection and a-not-b."""
    users = events_by_segment()
    segments = sorted(users)
    table = pa.table({
        "segment": segments,
        "hll": [python_hll(users[s]).serialize_compact() for s in segments],
        "theta": [python_theta(users[s]).serialize() for s in segments],
        # Half of each segment's users, and the other half: a union that overlaps.
        "theta_half": [python_theta(users[s][::2]).serialize() for s in segments],
    })
    pq.write_table(table, tmp_path / "sketches.parquet")
    ctx = new_context()
    ctx.sql(f"CREATE EXTERNAL TABLE sketches STORED AS PARQUET LOCATION '{tmp_path / 'sketches.parquet'}'").collect()
    row = ctx.sql("""
        SELECT hll_estimate(hll_union(hll)) AS hll, theta_estimate(theta_union(theta)) AS theta,
               theta_estimate(theta_intersection(theta)) AS everywhere,
               theta_estimate(theta_intersection(theta) FILTER (WHERE segment = 'smb')) AS smb
        FROM sketches""").to_pylist()[0]
    union = datasketches.hll_union(12)
    for s in segments:
        union.update(python_hll(users[s]))
    ours = ctx.sql("SELECT hll_union(hll) AS u FROM sketches").to_pylist()[0]["u"]
    assert same_registers(datasketches.hll_sketch.deserialize(ours), union.get_result())
    # The same registers, and the same composite estimate (DataSketches' C++ union reports its
    # own HIP-based estimate, within the error bound of it).
    assert row["hll"] == composite(union.get_result())
    assert row["hll"] == pytest.approx(union.get_estimate(), rel=2 * 0.0163)
    everyone = {u for s in segments for u in users[s]}
    assert row["theta"] == len(everyone)
    intersection = datasketches.theta_intersection()
    for s in segments:
        intersection.update(python_theta(users[s]))
    assert row["everywhere"] == intersection.get_result().get_estimate()
    assert row["smb"] == len(set(users["smb"]))
    differences = ctx.sql("""
        SELECT segment, theta_estimate(theta_a_not_b(theta, theta_half)) AS rest
        FROM sketches ORDER BY segment""").to_pylist()
    for difference in differences:
        s = difference["segment"]
        assert difference["rest"] == len(set(users[s]) - set(users[s][::2]))
        a_not_b = datasketches.theta_a_not_b().compute(python_theta(users[s]), python_theta(users[s][::2]))
        assert difference["rest"] == a_not_b.get_estimate()


def test_a_million_users_within_datasketches_bounds(ctx):
    """On 1M distinct users the estimates are within DataSketches' own 2-standard-deviation
    bounds (HLL lg_k 12: about 1.6 % relative standard error)."""
    row = ctx.sql("""
        SELECT hll_sketch(value) AS hll, theta_sketch(value) AS theta,
               hll_sketch(concat('user-', value)) AS hll_text
        FROM range(1000000)""").to_pylist()[0]
    for sketch in (datasketches.hll_sketch.deserialize(row["hll"]),
                   datasketches.hll_sketch.deserialize(row["hll_text"]),
                   datasketches.compact_theta_sketch.deserialize(row["theta"])):
        assert sketch.get_lower_bound(2) <= 1_000_000 <= sketch.get_upper_bound(2)
        assert abs(sketch.get_estimate() - 1_000_000) / 1_000_000 < 2 * 0.0163


def test_bad_sketches_are_refused_with_the_functions_name(ctx):
    with pytest.raises(Exception, match="hll_union: cannot read an HLL sketch from 3 bytes"):
        ctx.sql("SELECT hll_union(X'010203')").collect()
    with pytest.raises(Exception, match="hll_sketch: lg_k must be from 4 to 21"):
        ctx.sql("SELECT hll_sketch(user_id, 30) FROM events").collect()
