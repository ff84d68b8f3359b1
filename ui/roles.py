"""Who may call which endpoints: one API key per role, checked on every request of that role.

Regulators' risk queries and reports, and later the duty officers' emergency tools, are not
for the public: each role has its own key, sent as ``X-API-Key`` (or ``Authorization:
Bearer …``). Keys come from ``CITYAGENT_API_KEYS``; without it the service generates one key
per role once, keeps them in ``<var_dir>/api_keys.json`` readable by the owner only, and says
where, so a fresh demo is protected without a key written in the code.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, get_args

from fastapi import Header
from pydantic import SecretStr

from kg.errors import ConfigurationError, NotAuthenticatedError, RoleForbiddenError
from kg.settings import Settings

log = logging.getLogger(__name__)

Role = Literal["regulator", "duty_officer"]
ROLES: tuple[Role, ...] = get_args(Role)
ROLE_ZH: dict[Role, str] = {"regulator": "金融监管", "duty_officer": "应急值班"}
KEYS_FILE = "api_keys.json"


class RoleKeys:
    """The key of each role; compares keys in constant time."""

    def __init__(self, keys: dict[Role, SecretStr], origin: str) -> None:
        """Hold ``keys`` (one per role); ``origin`` says where they came from, for messages."""
        self._keys = keys
        self.origin = origin

    def role_of(self, key: str) -> Role | None:
        """The role whose key ``key`` is, or None."""
        for role, secret in self._keys.items():
            if secrets.compare_digest(key.encode(), secret.get_secret_value().encode()):
                return role
        return None

    def check(self, key: str | None, role: Role) -> None:
        """Let ``key`` through for ``role``; NotAuthenticatedError or RoleForbiddenError if not."""
        if not key:
            raise NotAuthenticatedError(
                f"需要「{ROLE_ZH[role]}」角色的 API 密钥（请求头 X-API-Key）；密钥见 {self.origin}")
        holder = self.role_of(key)
        if holder is None:
            raise NotAuthenticatedError("API 密钥无效")
        if holder != role:
            raise RoleForbiddenError(
                f"「{ROLE_ZH[holder]}」角色无权访问「{ROLE_ZH[role]}」的接口")

    def key_of(self, role: Role) -> str:
        """The key of ``role`` (for the in-process web app and the tests)."""
        return self._keys[role].get_secret_value()


def load_role_keys(settings: Settings) -> RoleKeys:
    """The configured keys, else those kept in the var folder (made on first use).

    Raises ConfigurationError for a configured role that does not exist or an empty key.
    """
    if settings.api_keys is not None:
        unknown = set(settings.api_keys) - set(ROLES)
        if unknown or any(not k.get_secret_value() for k in settings.api_keys.values()):
            raise ConfigurationError(
                f"CITYAGENT_API_KEYS: roles must be among {', '.join(ROLES)} with non-empty keys")
        keys: dict[Role, SecretStr] = {r: settings.api_keys[r] for r in ROLES
                                       if r in settings.api_keys}
        return RoleKeys(keys, "CITYAGENT_API_KEYS")
    path = settings.var_dir / KEYS_FILE
    return RoleKeys(_kept_keys(path), str(path))


def _kept_keys(path: Path) -> dict[Role, SecretStr]:
    stored: dict[str, str] = {}
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"{path}: unreadable API keys ({exc})") from exc
    missing = [r for r in ROLES if not stored.get(r)]
    if missing:
        stored.update({r: secrets.token_urlsafe(24) for r in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(stored, out, ensure_ascii=False, indent=2)
        log.info("API keys for %s written to %s", ", ".join(missing), path)
    return {r: SecretStr(stored[r]) for r in ROLES}


def require_role(keys: RoleKeys, role: Role) -> Callable[..., None]:
    """A FastAPI dependency that lets only ``role``'s key through."""

    def check(
        x_api_key: Annotated[str | None, Header(description="角色的 API 密钥")] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> None:
        bearer = authorization[7:].strip() if authorization and authorization.lower().startswith(
            "bearer ") else None
        keys.check(x_api_key or bearer, role)

    return check
