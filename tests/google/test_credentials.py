"""Google-style connection extras, the GOOGLE_APPLICATION_CREDENTIALS fallback, overrides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linkwarehouse.google.credentials import (
    ADC_ENV,
    ENDPOINT_ENV,
    GoogleAccess,
    access_from_connection,
    access_from_extras,
)
from linkwarehouse.google.errors import GoogleCredentialsError
from linkwarehouse.google.services import GA4_SCOPES

from .conftest import key_json

PREFIX = "extra__google_cloud_platform__"


@pytest.fixture
def key(key_info: dict[str, Any]) -> dict[str, Any]:
    return json.loads(key_json(key_info))


@pytest.fixture
def key_file(tmp_path: Path, key: dict[str, Any]) -> Path:
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(key))
    return path


@pytest.mark.parametrize(
    ("name", "as_text", "source"),
    [
        ("keyfile_dict", True, "connection 'g' keyfile_dict"),
        ("keyfile_dict", False, "connection 'g' keyfile_dict"),
        (PREFIX + "keyfile_dict", True, "connection 'g' keyfile_dict"),
        ("key_path", None, "connection 'g' key_path"),
        (PREFIX + "key_path", None, "connection 'g' key_path"),
    ],
)
def test_connection_extras(
    name: str, as_text: bool | None, source: str, key: dict[str, Any], key_file: Path
) -> None:
    value: Any = str(key_file) if as_text is None else (json.dumps(key) if as_text else key)
    access = access_from_extras({name: value}, "connection 'g'", environ={ADC_ENV: "/nowhere.json"})
    assert access.source == source
    assert access.load_key() == key
    credentials = access.credentials(GA4_SCOPES)
    assert credentials.service_account_email == key["client_email"]
    assert credentials._token_uri == "https://oauth2.googleapis.com/token"


def test_prefixed_and_plain_extras_and_overrides(key: dict[str, Any], key_file: Path) -> None:
    extras = {
        PREFIX + "key_path": str(key_file),
        PREFIX + "api_endpoint": "http://127.0.0.1:9/",
        "token_uri": "http://127.0.0.1:9/token",
    }
    access = access_from_extras(extras, "connection 'g'", environ={})
    assert access.client_options() == {"api_endpoint": "http://127.0.0.1:9/"}
    assert access.credentials(GA4_SCOPES)._token_uri == "http://127.0.0.1:9/token"
    env_only = access_from_extras({"key_path": str(key_file)}, "c", environ={ENDPOINT_ENV: "http://e/"})
    assert env_only.api_endpoint == "http://e/" and env_only.token_uri is None
    assert access_from_extras({"key_path": str(key_file)}, "c", environ={}).client_options() is None


def test_falls_back_to_application_default_credentials_file(key: dict[str, Any], key_file: Path) -> None:
    access = access_from_extras({"project": "x"}, "connection 'g'", environ={ADC_ENV: str(key_file)})
    assert access.source == f"{ADC_ENV} (no key in connection 'g')"
    assert access.load_key() == key


def test_no_key_anywhere_names_the_connection_and_the_variable() -> None:
    with pytest.raises(GoogleCredentialsError) as err:
        access_from_extras({}, "connection 'g'", environ={})
    assert str(err.value) == (
        f"connection 'g': no keyfile_dict or key_path in the connection extras and {ADC_ENV} is not set"
    )


@pytest.mark.parametrize(
    ("extras", "message"),
    [
        ({"keyfile_dict": '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIE'},
         "connection 'g' keyfile_dict: the key is not valid JSON (line 1)"),
        ({"keyfile_dict": "[1, 2]"}, "connection 'g' keyfile_dict: the key must be a JSON object"),
        ({"key_path": "/does/not/exist.json"},
         "connection 'g' key_path: cannot read key file /does/not/exist.json: No such file or directory"),
    ],
)  # fmt: skip
def test_unusable_keys_are_named_not_shown(extras: dict[str, str], message: str) -> None:
    with pytest.raises(GoogleCredentialsError) as err:
        access_from_extras(extras, "connection 'g'", environ={}).load_key()
    assert str(err.value) == message


def test_a_broken_key_never_echoes_its_material(key: dict[str, Any]) -> None:
    broken = {**key, "private_key": key["private_key"].replace("A", "*")}
    access = access_from_extras({"keyfile_dict": broken}, "connection 'g'", environ={})
    with pytest.raises(GoogleCredentialsError) as err:
        access.credentials(GA4_SCOPES)
    assert str(err.value).startswith("connection 'g' keyfile_dict: not a usable Google key (")
    assert "PRIVATE KEY" not in str(err.value) and key["private_key"][40:80] not in str(err.value)
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_repr_hides_the_key(key: dict[str, Any]) -> None:
    access = GoogleAccess("connection 'g' keyfile_dict", key_info=key)
    assert "private_key" not in repr(access) and key["private_key_id"] not in repr(access)


def test_airflow_connection_from_environment(
    monkeypatch: pytest.MonkeyPatch, key: dict[str, Any], key_file: Path
) -> None:
    conn = {
        "conn_type": "google_cloud_platform",
        "extra": {"keyfile_dict": json.dumps(key), "api_endpoint": "http://h/"},
    }
    monkeypatch.setenv("AIRFLOW_CONN_GOOGLE_TEST", json.dumps(conn))
    access = access_from_connection("google_test", environ={})
    assert (access.source, access.api_endpoint) == ("connection 'google_test' keyfile_dict", "http://h/")
    assert access.load_key() == key
    fallback = access_from_connection("google_missing", environ={ADC_ENV: str(key_file)})
    assert fallback.source == f"{ADC_ENV} (no key in connection 'google_missing')"
