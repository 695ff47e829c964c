"""Writes the package's type stubs (`__init__.pyi`) from the functions' documentation.

    python -m datafusion_engagement.stubs > python/datafusion_engagement/__init__.pyi

The test suite fails when the committed stubs differ from what this writes.
"""

from __future__ import annotations

import sys

from . import _internal
from ._docs import function_docstring

HEADER = '''"""Customer-engagement metrics for Python DataFusion (type stubs, written by
`python -m datafusion_engagement.stubs` from the functions' documentation)."""

from datafusion import AggregateUDF, ScalarUDF, SessionContext, WindowUDF

__version__: str

class IncompatibleDataFusion(ImportError): ...

def register(ctx: SessionContext, *, keep_sort_keys_after_unnest: bool = True) -> None:
    """Registers every aggregate, scalar and window function of the pack on ``ctx`` (and, by default,
    removes the optimizer rule that drops ORDER BY keys after ``unnest``)."""

def aggregate_functions() -> list[str]:
    """The names of the pack's aggregate functions."""

def state_functions() -> list[str]:
    """The names of the stored-state functions: ``f_state``, ``f_merge`` and ``f_union`` of
    every aggregate ``f``."""

def scalar_functions() -> list[str]:
    """The names of the pack's scalar functions."""

def window_functions() -> list[str]:
    """The names of the pack's window functions."""
'''


def _function(name: str, returns: str, docstring: str) -> str:
    body = function_docstring(name, returns, docstring).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = [f"    {line}" if line else "" for line in body.rstrip().splitlines()]
    return f'\ndef {name}() -> {returns}:\n    """' + "\n".join(lines).lstrip() + '\n    """\n'


def render() -> str:
    """The stub file's text."""
    parts = [HEADER]
    for function in _internal.aggregate_functions():
        parts.append(_function(function.name, "AggregateUDF", function.docstring))
    for function in _internal.state_functions():
        parts.append(_function(function.name, "AggregateUDF", function.docstring))
    for function in _internal.scalar_functions():
        parts.append(_function(function.name, "ScalarUDF", function.docstring))
    for function in _internal.window_functions():
        parts.append(_function(function.name, "WindowUDF", function.docstring))
    return "".join(parts)


if __name__ == "__main__":
    sys.stdout.write(render())
