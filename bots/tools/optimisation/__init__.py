"""Optimisation engines: emergency dispatch, evacuation, ticket balancing, portfolio, loans.

Each engine is a pure function ``solve(input) -> plan`` over typed pydantic models; every plan
carries the solver's objective next to a simple baseline's on the same input, so the gain of
optimising is always visible. :mod:`.instances` makes realistic random inputs for tests and
benchmarks, :mod:`.tools` wraps the engines as LangChain tools for the personas.
"""
