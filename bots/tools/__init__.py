"""The tools the persona agents call, each defined once with the personas allowed to call it.

:mod:`bots.tools.registry` holds them; an agent takes :func:`~bots.tools.registry.tools_for`
its persona and calls them through :meth:`~bots.tools.registry.ToolRegistry.invoke`, which
refuses a tool outside the persona's set whatever the conversation asked for.
"""
