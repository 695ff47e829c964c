"""Customer-engagement metrics for Python DataFusion.

``register(ctx)`` adds every function of the pack to a ``datafusion.SessionContext``; each
function is also here on its own (``nps()``, ``stickiness()``, …) as a ``datafusion.AggregateUDF``,
``ScalarUDF`` or ``WindowUDF`` (``sessionize()``, …) for ``ctx.register_udaf`` and the DataFrame
API::

    from datafusion import SessionContext, col
    import datafusion_engagement as engagement

    ctx = SessionContext()
    engagement.register(ctx)
    ctx.sql("SELECT segment, nps(score) FROM 'responses.parquet' GROUP BY segment")

    nps = engagement.nps()
    ctx.read_parquet("responses.parquet").aggregate([col("segment")], [nps(col("score"))])

The functions run in the pack's compiled kernels (grouped accumulators included), handed to
DataFusion through its FFI; they need the ``datafusion`` package of the DataFusion major version
they were built with.
"""

from __future__ import annotations

import datafusion
from datafusion import AggregateUDF, ScalarUDF, WindowUDF

from . import _internal
from ._docs import function_docstring

__version__: str = _internal.__version__

__all__ = ["register", "aggregate_functions", "state_functions", "scalar_functions", "window_functions",
           "IncompatibleDataFusion"]


class IncompatibleDataFusion(ImportError):
    """The installed ``datafusion`` package has another major version than the one the pack
    was built with; the functions' FFI structs would not match."""


def _check_datafusion_version() -> None:
    built_with = _internal.datafusion_version()
    major = built_with.split(".")[0]
    installed = getattr(datafusion, "__version__", "unknown")
    if installed.split(".")[0] != major:
        raise IncompatibleDataFusion(
            f"datafusion_engagement {__version__} was built with DataFusion {built_with} and "
            f"works with the `datafusion` Python package {major}.x only, but datafusion "
            f"{installed} is installed; install 'datafusion>={major},<{int(major) + 1}'"
        )


def _aggregate(name: str) -> AggregateUDF:
    _check_datafusion_version()
    return AggregateUDF.from_pycapsule(_AGGREGATES_AND_STATES[name])


def _scalar(name: str) -> ScalarUDF:
    _check_datafusion_version()
    return ScalarUDF.from_pycapsule(_SCALARS[name])


def _window(name: str) -> WindowUDF:
    _check_datafusion_version()
    return WindowUDF.from_pycapsule(_WINDOWS[name])


def register(ctx: datafusion.SessionContext, *, keep_sort_keys_after_unnest: bool = True) -> None:
    """Registers every aggregate (with its stored-state functions ``f_state``, ``f_merge`` and
    ``f_union``), scalar and window function of the pack on ``ctx``, replacing functions
    of the same name. Raises ``IncompatibleDataFusion`` if the installed ``datafusion`` package
    has another major version than the pack was built with.

    With ``keep_sort_keys_after_unnest`` (the default), also removes DataFusion's
    ``eliminate_duplicated_expr`` optimizer rule from ``ctx``: DataFusion 55 drops an ``ORDER BY``
    key on the rows ``unnest`` makes of a list result (``ORDER BY segment, s['step']`` after
    ``unnest(funnel(…)) AS s``), so the rows of ``retention``, ``lifecycle`` and ``funnel`` would
    come out in any order (apache/datafusion PR #24787). The rule only removes repeated sort
    keys otherwise; the ``engage`` shell removes it too."""
    _check_datafusion_version()
    for name in _AGGREGATES:
        ctx.register_udaf(_aggregate(name))
    for name in _STATES:
        ctx.register_udaf(_aggregate(name))
    for name in _SCALARS:
        ctx.register_udf(_scalar(name))
    for name in _WINDOWS:
        ctx.register_udwf(_window(name))
    if keep_sort_keys_after_unnest:
        ctx.remove_optimizer_rule("eliminate_duplicated_expr")


def aggregate_functions() -> list[str]:
    """The names of the pack's aggregate functions."""
    return list(_AGGREGATES)


def state_functions() -> list[str]:
    """The names of the stored-state functions: ``f_state``, ``f_merge`` and ``f_union`` of
    every aggregate ``f``."""
    return list(_STATES)


def scalar_functions() -> list[str]:
    """The names of the pack's scalar functions."""
    return list(_SCALARS)


def window_functions() -> list[str]:
    """The names of the pack's window functions."""
    return list(_WINDOWS)


def _define(name: str, factory, docstring: str, returns: str) -> None:
    def function():
        return factory(name)

    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    function.__doc__ = function_docstring(name, returns, docstring)
    globals()[name] = function
    __all__.append(name)


# One factory per function, named as in SQL, with the function's own documentation.
_AGGREGATES = {function.name: function for function in _internal.aggregate_functions()}
_STATES = {function.name: function for function in _internal.state_functions()}
_AGGREGATES_AND_STATES = {**_AGGREGATES, **_STATES}
_SCALARS = {function.name: function for function in _internal.scalar_functions()}
_WINDOWS = {function.name: function for function in _internal.window_functions()}
for _name, _function in _AGGREGATES_AND_STATES.items():
    _define(_name, _aggregate, _function.docstring, "AggregateUDF")
for _name, _function in _SCALARS.items():
    _define(_name, _scalar, _function.docstring, "ScalarUDF")
for _name, _function in _WINDOWS.items():
    _define(_name, _window, _function.docstring, "WindowUDF")
del _name, _function
