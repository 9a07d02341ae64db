"""Two agents (or an agent and a worker) racing the same cap: exactly the cap passes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from compliance.models import CompliancePolicy, ContactAttempt, ContactDecision, DncList
from compliance.services import contact_attempt_start
from tests.factories import CartFactory, CustomerFactory, StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)
AT = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # 10:00 in New York
PHONE = "+12125550100"


def test_concurrent_attempts_never_exceed_the_cap():
    # given a cap of 3 calls per 24 hours and no minimum gap
    store = StoreFactory()
    CompliancePolicy.objects.create(store=store, max_calls_per_24h=3, min_gap_between_calls=timedelta(0))
    DncList.objects.create(name="national", kind="national", last_full_import_at=AT - timedelta(days=1))
    customer = CustomerFactory(store=store, phone=PHONE, region="NY")
    CartFactory(store=store, customer=customer, platform_created_at=AT - timedelta(hours=1))
    results: list = []
    barrier = threading.Barrier(8)

    def agent(n: int) -> None:
        try:
            barrier.wait()
            decision, attempt = contact_attempt_start(channel="voice", store=store, phone=PHONE,
                                                      requester=f"agent:{n}", at=AT + timedelta(seconds=n))
            results.append((decision.allowed, decision.reasons, attempt is not None))
        finally:
            connection.close()

    # when 8 agents try at once
    threads = [threading.Thread(target=agent, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then exactly 3 attempts pass and every decision is audited
    assert sum(1 for allowed, _, _ in results if allowed) == 3
    assert all(reasons == ("frequency_cap_24h",) for allowed, reasons, _ in results if not allowed)
    assert ContactAttempt.objects.count() == 3
    assert ContactDecision.objects.count() == 8
