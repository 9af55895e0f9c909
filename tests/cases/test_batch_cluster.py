"""A large batch through a real django-q2 cluster on PostgreSQL: accepted with 202, processed
by ``manage.py qcluster`` (a separate process, committed data), and the partner's webhook
hears ``report.batch.completed``. Slow: run with ``-m slow`` (part of the full suite)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from cases.models import Organisation, Report, ReportBatch
from disclosure.notifications.models import WebhookSubscription
from tests import sarif_logs
from tests.api.conftest import token_client
from tests.disclosure.notifications.conftest import Receiver, receiver  # noqa: F401
from tests.disclosure.notifications.test_qcluster import _start_cluster, _stop
from tests.factories import make_organisation, make_user

FINDINGS = 120


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_large_sarif_log_is_processed_by_the_task_cluster_and_the_partner_told(
    receiver: Receiver,  # noqa: F811
    settings: Any,
) -> None:
    settings.REPORT_BATCH_INLINE_MAX = 50
    receiver.expect = 1
    org = make_organisation(Organisation.Kind.PARTNER)
    partner = make_user(organisation=org)
    WebhookSubscription.objects.create(
        organisation=org, url=receiver.url, event_types=["report.batch.completed"]
    )
    response = token_client(partner).post(
        f"/api/v1/reports/sarif/?organisation={org.slug}",
        data=json.dumps(sarif_logs.log(FINDINGS)),
        content_type="application/json",
    )
    assert response.status_code == 202, response.json()
    batch_id = response.json()["id"]
    assert ReportBatch.objects.get(pk=batch_id).status == "queued"

    cluster = _start_cluster()
    try:
        waiting = threading.Event()
        for _ in range(1200):  # up to 120 s
            if ReportBatch.objects.filter(pk=batch_id, status="done").exists():
                break
            waiting.wait(0.1)
        assert receiver.done.wait(timeout=60), "no webhook for the finished batch"
        assert cluster.poll() is None, "the cluster died"
    finally:
        _stop(cluster)

    batch = ReportBatch.objects.get(pk=batch_id)
    assert batch.status == "done" and batch.processed == FINDINGS
    assert batch.created_count == FINDINGS and batch.findings == []
    assert Report.objects.filter(reporter=partner).count() == FINDINGS
    (hook,) = [r["json"] for r in receiver.requests]
    assert hook["type"] == "report.batch.completed"
    assert hook["data"] == {"batch_id": batch_id}
    status = token_client(partner).get(f"/api/v1/reports/batches/{batch_id}/").json()
    assert status["counts"] == {"created": FINDINGS, "already_submitted": 0, "rejected": 0}
    assert status["progress"] == 100 and len(status["results"]) == FINDINGS
