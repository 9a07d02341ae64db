from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_ok_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_healthz_names_the_failed_part_with_503(client, monkeypatch):
    monkeypatch.setattr("config.health.broker_ok", lambda: False)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unavailable"}


def test_healthz_reports_an_unreachable_broker(client, settings):
    from config.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis+socket:///nonexistent/redis.sock"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original

    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
