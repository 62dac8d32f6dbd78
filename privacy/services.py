"""Privacy requests: export everything stored about a customer, or erase it, each recorded without personal data.

``export_customer`` returns a ZIP: ``customer.json`` (every row of every source in
``privacy.sources.SOURCES``, field by field) and ``attachments/<id>-<name>`` (the files as
received). ``erase_customer`` applies each source's erasure in one transaction, then deletes the
attachment files once it commits; the customer row stays, pseudonymised, so tickets, surveys
and every figure built from them keep counting. Both write a ``PrivacyRequest`` (the customer's
row id, who, when, how many rows) and, when an admin user acted, an admin ``LogEntry``
(``foundation.audit``) whose text names no one.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from django.core import serializers
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from foundation.audit import CHANGE, log_change
from privacy.models import PrivacyRequest
from privacy.sources import SOURCES, Scope
from tickets.models import Attachment, Customer

FORMAT_VERSION = 1


def find_customer(email: str) -> Customer | None:
    return Customer.objects.filter(email__iexact=email.strip()).first()


def collect(customer: Customer) -> dict[str, Any]:
    """Everything stored about ``customer``, source by source, as JSON-ready rows (``serializers`` "python" format)."""
    scope = Scope.of(customer)
    data: dict[str, Any] = {"format": FORMAT_VERSION, "exported_at": timezone.now(), "customer_id": customer.pk}
    for source in SOURCES:
        if source.exported:
            data[source.name] = serializers.serialize("python", source.rows(scope).order_by("pk"))
    return data


def export_customer(*, customer: Customer, by: Any = None) -> bytes:
    """A ZIP with ``customer.json`` and the attachments' files; recorded as a privacy request."""
    data = collect(customer)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("customer.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for attachment in Attachment.objects.filter(pk__in=[row["pk"] for row in data["attachments"]]).order_by("pk"):
            if attachment.file and default_storage.exists(attachment.file.name):
                with default_storage.open(attachment.file.name, "rb") as handle:
                    archive.writestr(f"attachments/{attachment.pk}-{attachment.filename}", handle.read())
    counts = {name: len(rows) for name, rows in data.items() if isinstance(rows, list)}
    _record(PrivacyRequest.Kind.EXPORT, customer_id=customer.pk, by=by, counts=counts)
    return buffer.getvalue()


def erase_customer(*, customer: Customer, by: Any = None) -> PrivacyRequest:
    """Remove or pseudonymise every personal string of ``customer`` in every source (one transaction); returns the record."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        scope = Scope.of(customer)
        counts = {source.name: source.erase(source.rows(scope), scope) for source in SOURCES}
        record = _record(PrivacyRequest.Kind.ERASE, customer_id=customer.pk, by=by, counts=counts)
    return record


def _record(kind: str, *, customer_id: int, by: Any, counts: dict[str, int]) -> PrivacyRequest:
    user = by if getattr(by, "is_authenticated", False) else None
    record = PrivacyRequest.objects.create(kind=kind, customer_id=customer_id, by=user, counts=counts)
    if user is not None:
        verb = "Exported" if kind == PrivacyRequest.Kind.EXPORT else "Erased"
        log_change(user, record, action=CHANGE, message=f"{verb} customer {customer_id} (privacy request {record.pk}).")
    return record
