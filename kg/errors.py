"""The one exception tree of CityAgent.

Every error the project raises on purpose derives from :class:`CityAgentError`, so callers
(the CLI, the REST API) can turn any of them into a clear message, a non-zero exit code or
a 4xx answer. Each error carries a short stable ``code`` next to its message.
"""

from __future__ import annotations

from pydantic import ValidationError


class CityAgentError(Exception):
    """Root of every error CityAgent raises on purpose."""

    code = "E000"
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class ConfigurationError(CityAgentError):
    """The settings or the machine lack something that is needed (Java, Maven, a path)."""

    code = "E001"
    http_status = 500


class Neo4jServerError(CityAgentError):
    """The local Neo4j server could not be built, started, reached or stopped."""

    code = "E010"
    http_status = 503


class GraphUnavailableError(CityAgentError):
    """The graph database cannot be reached right now."""

    code = "E011"
    http_status = 503


class GraphQueryError(CityAgentError):
    """Neo4j refused a query (syntax, constraint, limits); the message carries Neo4j's reason."""

    code = "E012"


class OntologyError(CityAgentError):
    """A label, relationship type or property the ontology lacks, or a value of the wrong type."""

    code = "E020"


class DataValidationError(CityAgentError):
    """Input data (a file, a row, a request) is malformed; the message names what is wrong."""

    code = "E030"


class MissingNodeError(DataValidationError):
    """A relationship names an endpoint that is not in the graph."""

    code = "E031"


class RdfFormatError(DataValidationError):
    """An RDF file cannot be parsed or does not follow the ontology."""

    code = "E032"


class ModelUnavailableError(CityAgentError):
    """A trained model the request needs is not installed or cannot be loaded."""

    code = "E050"
    http_status = 503


class LLMUnavailableError(CityAgentError):
    """The LLM server cannot be started, reached, or answered with something unusable."""

    code = "E070"
    http_status = 503


class NotFoundError(CityAgentError):
    """A requested entity does not exist."""

    code = "E040"
    http_status = 404


class NotAuthenticatedError(CityAgentError):
    """A request for a role's endpoint came without a key, or with one nobody holds."""

    code = "E060"
    http_status = 401


class RoleForbiddenError(CityAgentError):
    """A valid key of one role asked for an endpoint of another role."""

    code = "E061"
    http_status = 403


def validation_problems(exc: ValidationError) -> str:
    """A pydantic validation error as one line naming each bad field, for the user."""
    return "；".join(f"{'.'.join(str(p) for p in e['loc']) or '参数'}：{e['msg']}"
                    for e in exc.errors())
