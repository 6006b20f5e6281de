"""One settings table: defaults, environment variables, CLI flags, and clear errors for bad values."""

from __future__ import annotations

import pytest
from conftest import run_cli

from clustergraph.errors import SettingsError
from clustergraph.settings import SETTINGS, Settings, load_settings


def test_defaults_come_from_the_table() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert {s.name for s in SETTINGS} == set(Settings.__dataclass_fields__)


def test_environment_then_overrides() -> None:
    env = {"CLUSTERGRAPH_TIME_LIMIT": "3.5", "CLUSTERGRAPH_CORS": "off", "CLUSTERGRAPH_ROW_CAP": "50"}
    settings = load_settings({"row_cap": 7, "port": None}, environ=env)
    assert (settings.time_limit, settings.cors, settings.row_cap, settings.port) == (3.5, False, 7, 8000)


@pytest.mark.parametrize(
    ("env", "overrides", "needle"),
    [
        ({"CLUSTERGRAPH_ROW_CAP": "many"}, {}, "environment variable CLUSTERGRAPH_ROW_CAP"),
        ({}, {"time_limit": "-1"}, "--time-limit"),
        ({}, {"cors": "maybe"}, "expected true or false"),
        ({}, {"workers": 0}, "workers must be at least 1"),
        ({}, {"base_iri": "https://example.org/x"}, "must end with '/'"),
        ({}, {"colour": "red"}, "unknown setting"),
    ],
)
def test_bad_values_name_the_setting(env: dict, overrides: dict, needle: str) -> None:
    with pytest.raises(SettingsError, match=needle):
        load_settings(overrides, environ=env)


def test_public_items_mask_the_token() -> None:
    items = dict((s.name, v) for s, v in Settings(write_token="secret").public_items())
    assert items["write_token"] == "(set)" and "secret" not in str(items)


def test_serve_help_lists_every_setting_flag_and_env_var() -> None:
    result = run_cli("serve", "--help")
    assert result.returncode == 0
    for setting in SETTINGS:
        if setting.name != "write_token":
            assert setting.flag in result.stdout, setting.flag
        assert setting.env_var in result.stdout, setting.env_var


def test_serve_refuses_a_bad_setting_with_exit_2(tmp_path) -> None:
    result = run_cli("serve", "--store", str(tmp_path), "--row-cap", "-3")
    assert result.returncode == 2
    assert "row_cap" in result.stderr
