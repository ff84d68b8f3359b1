"""The regulators' risk graph: named, parameterised, read-only risk-linkage queries.

Modules: ``equity`` (penetration to ultimate holders, circular shareholding), ``parties``
(related parties), ``guarantees`` (chains and circles), ``contagion`` (exposure to a risk
event), ``funds`` (fund exposure), ``cycles`` and ``graph`` (shared helpers), ``registry``
(the named queries with their Chinese titles).
"""

from kg.risk.registry import RISK_QUERIES, RiskQuery, get_query, run_query

__all__ = ["RISK_QUERIES", "RiskQuery", "get_query", "run_query"]
