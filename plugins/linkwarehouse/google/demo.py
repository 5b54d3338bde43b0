"""The Google stand-in wired up for the demo: one call gives a server, a key and a connection.

``start_demo_google(site_base_url, state_dir)`` starts :class:`GoogleStandIn` with demand
derived from the demo site generator (:func:`~linkwarehouse.google.standin_data.demo_model`),
writes a freshly generated service-account key (``token_uri`` -> the stand-in, mode 0600) and
returns what the pipeline needs: the Airflow connection (``AIRFLOW_CONN_<ID>`` value) and the
``ga4:`` / ``gsc:`` blocks for the site's config. The real clients and the real JWT grant run
against it; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from linkwarehouse.google.standin import GoogleStandIn
from linkwarehouse.google.standin_data import SiteModel, demo_model

DEMO_PROPERTY_ID = "123456789"
DEMO_CONN_ID = "google_cloud_default"


@dataclass
class DemoGoogle:
    """A running stand-in plus the key file and the ids the demo site's config must use."""

    server: GoogleStandIn
    key_path: Path
    property_id: str
    site_url: str
    model: SiteModel

    def connection(self) -> str:
        """The ``AIRFLOW_CONN_<ID>`` JSON: a Google-style connection pointing at the stand-in."""
        extra = {"key_path": str(self.key_path), "api_endpoint": self.server.base_url}
        return json.dumps({"conn_type": "google_cloud_platform", "extra": extra})

    def env(self, conn_id: str = DEMO_CONN_ID) -> dict[str, str]:
        """Environment for Airflow processes that run the ``ga4_``/``gsc_`` DAGs."""
        return {f"AIRFLOW_CONN_{conn_id.upper()}": self.connection()}

    def site_config(self, conn_id: str = DEMO_CONN_ID, data_state: str = "all") -> dict[str, Any]:
        """``ga4:`` and ``gsc:`` blocks for the demo site in ``sites.yaml``."""
        return {
            "ga4": {"property_id": self.property_id, "conn_id": conn_id},
            "gsc": {"site_url": self.site_url, "conn_id": conn_id, "data_state": data_state},
        }

    def orphans_with_demand(self) -> list[str]:
        """Paths with traffic and impressions that the crawl cannot reach by links."""
        return sorted(page.path for page in self.model.pages if not page.reachable)

    def striking_distance(self) -> list[str]:
        """Paths whose typical Google position is 11-20 (many impressions, few clicks)."""
        return sorted(page.path for page in self.model.pages if page.striking_distance and page.indexable)

    def stop(self) -> None:
        self.server.stop()
        self.key_path.unlink(missing_ok=True)

    def __enter__(self) -> DemoGoogle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_demo_google(
    site_base_url: str,
    state_dir: str | Path,
    *,
    model: SiteModel | None = None,
    property_id: str = DEMO_PROPERTY_ID,
    site_url: str | None = None,
    today: date | None = None,
) -> DemoGoogle:
    """Start the stand-in for the demo site served at ``site_base_url``; stop it with ``.stop()``.

    ``site_url`` defaults to the URL-prefix property ``site_base_url``; ``model`` defaults to
    :func:`demo_model` (the demo generator's pages). The key goes to
    ``<state_dir>/google/service-account.json``.
    """
    base = site_base_url if site_base_url.endswith("/") else site_base_url + "/"
    model = model or demo_model(base)
    gsc_site = site_url or base
    server = GoogleStandIn(ga4={property_id: model}, gsc={gsc_site: model}, today=today).start()
    try:
        key_path = Path(state_dir) / "google" / "service-account.json"
        server.create_service_account(key_path)
    except BaseException:
        server.stop()
        raise
    return DemoGoogle(server, key_path, property_id, gsc_site, model)
