"""Airflow notifiers for link alerts."""

from __future__ import annotations

from airflow.providers.http.notifications.http import HttpNotifier


class WebhookNotifier(HttpNotifier):
    """The provider's ``HttpNotifier`` without Jinja rendering of the payload.

    Alert payloads carry URLs from crawled sites, i.e. untrusted text; rendering them as
    templates would let a page named ``{{ conn... }}`` read Airflow secrets into the webhook.
    Only the connection id, endpoint and headers stay templated.
    """

    template_fields = ("http_conn_id", "endpoint", "headers")
