"""Docstrings of the function factories, shared by the package and its stubs."""


def function_docstring(name: str, returns: str, docstring: str) -> str:
    """The docstring of a function's factory: what it returns, then its SQL documentation."""
    return f"Returns the ``{name}`` function as a ``datafusion.{returns}``.\n\n{docstring}"
