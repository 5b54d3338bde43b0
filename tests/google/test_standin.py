"""The stand-in's REST shapes, OAuth grant, fault bodies, determinism, and its demo data."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from linkwarehouse.google import jobs
from linkwarehouse.google.credentials import GoogleAccess
from linkwarehouse.google.demo import start_demo_google
from linkwarehouse.google.errors import ErrorKind, GoogleApiError, RetryPolicy
from linkwarehouse.google.ga4 import extract_ga4_day
from linkwarehouse.google.services import ga4_service
from linkwarehouse.google.standin import Fault, GoogleStandIn, new_service_account_key
from linkwarehouse.google.standin_data import MISSING_PATH, SiteModel, demo_model
from linkwarehouse.settings import Settings

from .conftest import DAY, EMAIL, GSC_SITE, PROPERTY, TODAY, read_partition

GA4_PATH = f"v1beta/properties/{PROPERTY}:runReport"
GSC_PATH = "webmasters/v3/sites/sc-domain%3A127.0.0.1/searchAnalytics/query"
GA4_BODY = {
    "dateRanges": [{"startDate": DAY, "endDate": DAY}],
    "dimensions": [{"name": "hostName"}, {"name": "pagePath"}],
    "metrics": [{"name": "sessions"}],
    "limit": "2",
}
GSC_BODY = {"startDate": DAY, "endDate": DAY, "dimensions": ["page"], "rowLimit": 2}
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
EXHAUSTED, DENIED, LIMITS = "RESOURCE_EXHAUSTED", "PERMISSION_DENIED", "usageLimits"
UNAVAILABLE = "The service is currently unavailable."
HOURLY = "Exhausted property tokens per hour. These quota tokens will return in under an hour."
PER_MINUTE = (
    "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service "
    "'searchconsole.googleapis.com' for consumer 'project_number:000000000000'."
)


def ga4(message: str, code: int, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


def gsc(message: str, code: int, status: str, reason: str, domain: str = "global") -> dict[str, Any]:
    errors = [{"message": message, "domain": domain, "reason": reason}]
    return {"error": {"code": code, "message": message, "errors": errors, "status": status}}


def post(server: GoogleStandIn, path: str, body: Any, token: str | None = None) -> tuple[int, bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(server.base_url + path, data=data, method="POST")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_api_calls_need_a_token(standin: GoogleStandIn) -> None:
    status, body = post(standin, GA4_PATH, GA4_BODY, token="ya29.guessed")
    assert status == 401
    message = json.loads(body)["error"]
    assert message == {"code": 401, "message": UNAUTHENTICATED, "status": "UNAUTHENTICATED"}
    status, body = post(standin, GSC_PATH, GSC_BODY)
    assert status == 401 and json.loads(body)["error"]["errors"][0]["reason"] == "authError"


@pytest.mark.parametrize(
    ("fault", "path", "body", "status", "expected"),
    [
        ("429", GA4_PATH, GA4_BODY, 429, ga4("Exhausted concurrent requests quota.", 429, EXHAUSTED)),
        ("quota", GA4_PATH, GA4_BODY, 429, ga4(HOURLY, 429, EXHAUSTED)),
        ("500", GA4_PATH, GA4_BODY, 500, ga4("Internal error encountered.", 500, "INTERNAL")),
        ("quota", GSC_PATH, GSC_BODY, 403, gsc("Quota Exceeded", 403, DENIED, "quotaExceeded", LIMITS)),
        ("429", GSC_PATH, GSC_BODY, 429, gsc(PER_MINUTE, 429, EXHAUSTED, "rateLimitExceeded")),
        ("503", GSC_PATH, GSC_BODY, 503, gsc(UNAVAILABLE, 503, "UNAVAILABLE", "backendError")),
    ],
)  # fmt: skip
def test_fault_bodies(
    standin_factory, model: SiteModel, fault: str, path: str, body: dict, status: int, expected: dict
) -> None:
    server = standin_factory(
        ga4={PROPERTY: model}, gsc={GSC_SITE: model}, require_auth=False, faults={2: fault}
    )
    assert post(server, path, body)[0] == 200
    assert post(server, path, body) == (status, json.dumps(expected).encode())
    assert post(server, path, body)[0] == 200
    assert [(c.number, c.fault, c.status) for c in server.calls] == [
        (1, None, 200),
        (2, fault, status),
        (3, None, 200),
    ]


def test_malformed_is_a_truncated_200(standin_factory, model: SiteModel) -> None:
    server = standin_factory(ga4={PROPERTY: model}, require_auth=False, faults=lambda call: "malformed")
    status, body = post(server, GA4_PATH, GA4_BODY)
    assert status == 200 and body.startswith(b'{"dimensionHeaders": [{"name": "hostName"}')
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def test_unknown_fault_names_are_refused(standin_factory, model: SiteModel) -> None:
    server = standin_factory(ga4={PROPERTY: model}, require_auth=False)
    server.reset(faults={1: "teapot"})
    with pytest.raises(ValueError, match="unknown fault 'teapot'"):
        server.handle("/" + GA4_PATH, {}, json.dumps(GA4_BODY).encode())


def test_paths_methods_and_request_validation(standin_factory, model: SiteModel) -> None:
    server = standin_factory(ga4={PROPERTY: model}, gsc={GSC_SITE: model}, require_auth=False)
    assert post(server, "v1/nothing", {})[0] == 404
    assert post(server, "v1beta/properties/abc:runReport", GA4_BODY)[0] == 400
    bad_metric = {**GA4_BODY, "metrics": [{"name": "bounces"}]}
    status, body = post(server, GA4_PATH, bad_metric)
    assert status == 400 and json.loads(body)["error"]["message"].startswith(
        "Field bounces is not a valid metric."
    )
    status, body = post(server, GSC_PATH, {**GSC_BODY, "rowLimit": 25_001})
    assert status == 400 and "rowLimit must be between 1 and 25000" in json.loads(body)["error"]["message"]
    assert post(server, GSC_PATH, b"{not json")[0] == 400
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(server.base_url + GA4_PATH, timeout=10)
    assert err.value.code == 405


def test_data_is_deterministic(standin_factory, model: SiteModel) -> None:
    one = standin_factory(ga4={PROPERTY: model}, gsc={GSC_SITE: model}, require_auth=False)
    two = standin_factory(ga4={PROPERTY: model}, gsc={GSC_SITE: model}, require_auth=False)
    for path, body in ((GA4_PATH, GA4_BODY), (GSC_PATH, GSC_BODY)):
        assert post(one, path, body) == post(two, path, body)
    report = json.loads(post(one, GA4_PATH, GA4_BODY)[1])
    assert report["rowCount"] == 5 and len(report["rows"]) == 2
    # no orderBys: sorted by the first metric, descending, like runReport
    assert [row["dimensionValues"][1]["value"] for row in report["rows"]] == ["/", "/running/"]


def test_a_key_the_server_does_not_trust_fails_fast_naming_the_site(
    tmp_path: Path, standin: GoogleStandIn, site, policy: RetryPolicy
) -> None:
    stranger, _ = new_service_account_key(standin.token_uri, EMAIL)  # same account, other key
    access = GoogleAccess("connection 'g' keyfile_dict", stranger, api_endpoint=standin.base_url)
    with pytest.raises(GoogleApiError) as err:
        extract_ga4_day(site, DAY, service=ga4_service(access), lake_root=tmp_path, policy=policy)
    assert err.value.kind is ErrorKind.AUTH
    prefix = "ga4 site 'demo' property 123456 day 2026-11-20: token_refresh: "
    assert str(err.value).startswith(prefix + "('invalid_grant: Invalid JWT Signature.'")
    assert standin.calls == [] and standin.issued_tokens == []


def test_demo_model_matches_the_demo_site() -> None:
    from linkwarehouse.demo import build_site, compute_truth

    site = build_site()
    truth = compute_truth(site)
    model = demo_model("http://127.0.0.1:8765/")
    by_path = {page.path: page for page in model.pages}
    ok_pages = {p.path for p in site.pages.values() if p.is_html_ok and not site.is_disallowed(p.path)}
    assert set(by_path) == ok_pages | {MISSING_PATH}
    heaviest = sorted(model.pages, key=lambda p: -p.weight)[:12]
    assert {p.kind for p in heaviest} <= {"home", "category", "pillar", "guides", "shop"}
    assert heaviest[0].path == "/"
    unreachable = sorted(p.path for p in model.pages if not p.reachable)
    assert unreachable == sorted([*truth.orphans(), MISSING_PATH])
    assert set(site.planted.sitemap_only_orphans) < set(unreachable)
    assert all(by_path[path].weight >= 6.0 for path in unreachable)
    striking = [p for p in model.pages if p.striking_distance]
    assert 20 <= len(striking) <= 60 and all(p.impressions_boost == 12.0 for p in striking)
    assert not by_path[site.planted.noindex_meta].indexable
    for duplicate in site.planted.canonicalised:
        assert not by_path[duplicate].indexable

    rows = model.gsc_rows(DAY, ("page",), "final", TODAY)
    paths = {row.page.removeprefix("http://127.0.0.1:8765"): row for row in rows}
    assert all(paths[p].impressions > 0 for p in unreachable)
    strong = [paths[p.path] for p in striking if p.path in paths]
    assert all(10.0 <= row.position <= 21.0 for row in strong)
    assert sum(r.impressions for r in strong) / len(strong) > 3 * sum(r.impressions for r in rows) / len(rows)
    queries = model.gsc_rows(DAY, ("page", "query"), "final", TODAY)
    topic = by_path["/guides/marathon-training/"].topic
    assert topic and any(r.query == f"best {topic}" for r in queries)


def test_start_demo_google_serves_the_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = "http://127.0.0.1:8765/"
    with start_demo_google(base, tmp_path / "state", today=date(2026, 11, 27)) as demo:
        assert demo.key_path.stat().st_mode & 0o777 == 0o600
        assert demo.site_config() == {
            "ga4": {"property_id": "123456789", "conn_id": "google_cloud_default"},
            "gsc": {"site_url": base, "conn_id": "google_cloud_default", "data_state": "all"},
        }
        for name, value in demo.env().items():
            monkeypatch.setenv(name, value)
        config = tmp_path / "sites.yaml"
        config.write_text(
            json.dumps({"sites": [{"name": "demo", "start_urls": [base], **demo.site_config()}]})
        )
        settings = Settings(
            tmp_path, config, tmp_path / "lake", tmp_path / "wh", tmp_path / "dbt", tmp_path / "s"
        )
        days = jobs.window("ga4", "demo", "2026-11-27", settings)
        assert days == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"]
        jobs.extract_days("ga4", "demo", days[-1:], settings=settings)
        jobs.extract_days("gsc", "demo", days[-1:], settings=settings)
        orphans = set(demo.orphans_with_demand())
        striking = demo.striking_distance()
    assert not demo.key_path.exists()
    ga4 = {r["page_url"]: r for r in read_partition(tmp_path / "lake", "ga4_pages", days[-1])}
    assert all(ga4[base.rstrip("/") + path]["sessions"] > 0 for path in orphans)
    gsc = {r["page_url"]: r for r in read_partition(tmp_path / "lake", "gsc_pages", days[-1])}
    assert all(gsc[base.rstrip("/") + path]["impressions"] > 0 for path in orphans)
    assert len(striking) >= 20
    assert sum(1 for path in striking if gsc[base.rstrip("/") + path]["position"] > 10) >= len(striking) - 2


def gsc_date_body(start: str, end: str, data_state: str, dimensions: list[str] | None = None) -> dict:
    return {"startDate": start, "endDate": end, "dimensions": dimensions or ["date"],
            "dataState": data_state, "rowLimit": 100}  # fmt: skip


def test_search_console_freshness_metadata_follows_googles_rules(standin_factory, model: SiteModel) -> None:
    server = standin_factory(gsc={GSC_SITE: model}, require_auth=False)

    def query(body: dict) -> dict:
        status, raw = post(server, GSC_PATH, body)
        assert status == 200
        return json.loads(raw)

    fresh = query(gsc_date_body("2026-11-20", "2026-11-27", "all"))
    # Days until 11-24 are final, 11-25 and 11-26 fresh (partial), 11-27 ("today") has nothing yet.
    assert fresh["metadata"] == {"firstIncompleteDate": "2026-11-25"}
    assert fresh["responseAggregationType"] == "byProperty"
    assert [row["keys"] for row in fresh["rows"]] == [[f"2026-11-{d}"] for d in range(20, 27)]
    pages = model.gsc_rows("2026-11-25", ("page",), "all", TODAY)
    day = next(row for row in fresh["rows"] if row["keys"] == ["2026-11-25"])
    assert (day["clicks"], day["impressions"]) == (
        sum(r.clicks for r in pages),
        sum(r.impressions for r in pages),
    )
    # Only with dataState all, date among the dimensions, and a range that holds incomplete days.
    final = query(gsc_date_body("2026-11-20", "2026-11-27", "final"))
    assert "metadata" not in final and [row["keys"] for row in final["rows"]][-1] == ["2026-11-24"]
    assert "metadata" not in query(gsc_date_body("2026-11-20", "2026-11-24", "all"))
    assert "metadata" not in query(gsc_date_body("2026-11-25", "2026-11-25", "all", ["page"]))
    by_page = query(gsc_date_body("2026-11-25", "2026-11-26", "all", ["page", "date"]))
    assert by_page["metadata"] == {"firstIncompleteDate": "2026-11-25"}
    assert by_page["responseAggregationType"] == "byPage"
    assert {tuple(row["keys"][1:]) for row in by_page["rows"]} == {("2026-11-25",), ("2026-11-26",)}
    status, raw = post(server, GSC_PATH, gsc_date_body("2026-11-26", "2026-11-25", "all"))
    assert status == 400 and json.loads(raw)["error"]["message"] == "endDate must not be before startDate."


def test_faults_carry_retry_after_headers(standin_factory, model: SiteModel) -> None:
    when = "Fri, 27 Nov 2026 20:00:07 GMT"
    server = standin_factory(
        gsc={GSC_SITE: model}, require_auth=False, faults={1: Fault("quota", retry_after=when), 2: "429"}
    )
    headers = []
    for _ in range(3):
        request = urllib.request.Request(server.base_url + GSC_PATH, data=json.dumps(GSC_BODY).encode())
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                headers.append((response.status, response.headers.get("Retry-After")))
        except urllib.error.HTTPError as err:
            headers.append((err.code, err.headers.get("Retry-After")))
    assert headers == [(403, when), (429, None), (200, None)]
