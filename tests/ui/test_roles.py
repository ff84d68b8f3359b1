"""Role keys: configured, or generated once into the var folder for the owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from kg.errors import ConfigurationError, NotAuthenticatedError, RoleForbiddenError
from kg.settings import Settings
from ui.roles import KEYS_FILE, load_role_keys


def test_generated_keys_are_kept_private_and_stable(tmp_path: Path) -> None:
    keys = load_role_keys(Settings(var_dir=tmp_path))
    path = tmp_path / KEYS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and keys.origin == str(path)
    again = load_role_keys(Settings(var_dir=tmp_path))
    assert again.key_of("regulator") == keys.key_of("regulator") != keys.key_of("duty_officer")
    keys.check(keys.key_of("regulator"), "regulator")
    with pytest.raises(RoleForbiddenError, match="应急值班"):
        keys.check(keys.key_of("duty_officer"), "regulator")
    with pytest.raises(NotAuthenticatedError, match="X-API-Key"):
        keys.check(None, "regulator")


def test_configured_keys_win_and_bad_ones_are_named(tmp_path: Path) -> None:
    keys = load_role_keys(Settings(var_dir=tmp_path, api_keys={"regulator": SecretStr("r")}))
    assert keys.role_of("r") == "regulator" and not (tmp_path / KEYS_FILE).exists()
    with pytest.raises(ConfigurationError, match="CITYAGENT_API_KEYS"):
        load_role_keys(Settings(var_dir=tmp_path, api_keys={"mayor": SecretStr("m")}))
    with pytest.raises(ConfigurationError, match="CITYAGENT_API_KEYS"):
        load_role_keys(Settings(var_dir=tmp_path, api_keys={"regulator": SecretStr("")}))
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / KEYS_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="unreadable"):
        load_role_keys(Settings(var_dir=tmp_path / "broken"))
