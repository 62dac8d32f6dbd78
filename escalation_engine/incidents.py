"""Multi-customer incidents: a burst of similar tickets from different customers opens one P0 parent.

When a ticket is triaged, its category's tickets from the last ``INCIDENT_WINDOW_MINUTES``
are compared with it (TF-IDF cosine on the subject and the customer's own words: quoted
threads and signatures left out, as triage reads them). If ``INCIDENT_MIN_CUSTOMERS``
different customers wrote similar tickets, one parent incident (P0, tag ``incident``) is
opened — or the open one for that category is reused — and the similar tickets are linked
to it. The category row is locked while deciding, so two workers never open two parents.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from sklearn.feature_extraction.text import HashingVectorizer

from escalation_engine import sla
from escalation_engine.models import Escalation
from tickets.models import OPEN_STATUSES, Category, Customer, Priority, Ticket, TicketEvent, TicketStatus
from tickets.triage.analysis import MAX_TRIAGE_CHARS
from tickets.triage.text import customer_text

INCIDENT_CUSTOMER_EMAIL = "incidents@escalation.invalid"
MAX_COMPARED = 300
VECTOR_CACHE_SIZE = 20_000

# Term counts of ticket texts (subject + the customer's words; they do not change afterwards),
# hashed so no vocabulary has to be fitted: a ticket's text is tokenised once per worker
# process, not once for every later ticket of its category it is compared with.
_COUNTER = HashingVectorizer(ngram_range=(1, 2), stop_words="english", alternate_sign=False, norm=None, n_features=2**20)
Counts = tuple[np.ndarray, np.ndarray]  # hashed term ids, their counts
_vectors: OrderedDict[int, Counts] = OrderedDict()
_vectors_lock = threading.Lock()


def _term_counts(ids: list[int], texts_of: Callable[[list[int]], dict[int, str]]) -> list[Counts]:
    """Hashed term counts of these tickets, from the per-process cache; ``texts_of`` reads the others."""
    with _vectors_lock:
        found = {pk: _vectors[pk] for pk in ids if pk in _vectors}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        texts = texts_of(missing)
        matrix = _COUNTER.transform([texts.get(pk, "") for pk in missing]).tocsr()
        with _vectors_lock:
            for i, pk in enumerate(missing):
                row = slice(matrix.indptr[i], matrix.indptr[i + 1])
                found[pk] = _vectors[pk] = (matrix.indices[row].copy(), matrix.data[row].copy())
            while len(_vectors) > VECTOR_CACHE_SIZE:
                _vectors.popitem(last=False)
    return [found[pk] for pk in ids]


def tfidf_cosines(rows: list[Counts], index: int) -> np.ndarray:
    """Cosine of row ``index`` with every row, TF-IDF weighted with the IDF of these rows.

    What ``TfidfVectorizer(sublinear_tf=True)`` and ``cosine_similarity`` compute (tf 1 + ln n,
    smooth idf, unit rows), on the few thousand terms the rows use instead of 2^20 columns.
    """
    lengths = np.array([len(terms) for terms, _ in rows], dtype=np.int64)
    vocabulary, columns = np.unique(np.concatenate([terms for terms, _ in rows]), return_inverse=True)
    counts = np.concatenate([values for _, values in rows])
    row_of = np.repeat(np.arange(len(rows)), lengths)
    idf = np.log((1 + len(rows)) / (1 + np.bincount(columns, minlength=len(vocabulary)))) + 1.0
    weights = (1.0 + np.log(counts)) * idf[columns]
    norms = np.sqrt(np.bincount(row_of, weights=weights**2, minlength=len(rows)))
    query = np.zeros(len(vocabulary))
    start = int(lengths[:index].sum())
    query[columns[start : start + lengths[index]]] = weights[start : start + lengths[index]]
    dots = np.bincount(row_of, weights=weights * query[columns], minlength=len(rows))
    with np.errstate(divide="ignore", invalid="ignore"):
        cosines = dots / (norms * norms[index])
    return np.nan_to_num(cosines, nan=0.0, posinf=0.0)


def similar_recent(ticket: Ticket, *, now: datetime) -> list[tuple[int, int, int | None]]:
    """Recent open tickets of the same category that read like this one (including it).

    Returns ``(id, customer_id, incident_id)``. Similarity is TF-IDF cosine over word
    uni- and bigrams, the IDF taken from the compared tickets themselves.
    """
    window = now - timedelta(minutes=settings.INCIDENT_WINDOW_MINUTES)
    recent: list[tuple[int, int, int | None]] = list(
        Ticket.objects.filter(category_id=ticket.category_id or 0, created_at__gte=window, is_incident=False, status__in=OPEN_STATUSES)
        .order_by("-created_at")
        .values_list("id", "customer_id", "incident_id")[:MAX_COMPARED]
    )
    if ticket.pk not in {pk for pk, _, _ in recent}:
        recent.append((ticket.pk, ticket.customer_id, ticket.incident_id))
    if len(recent) < settings.INCIDENT_MIN_CUSTOMERS:
        return []

    def texts_of(ids: list[int]) -> dict[int, str]:
        rows = Ticket.objects.filter(pk__in=ids).values_list("id", "subject", "body")
        # The customer's own words: a quoted auto-reply or a shared signature template is not the same problem.
        return {pk: f"{subject} {customer_text(body)[:MAX_TRIAGE_CHARS]}" for pk, subject, body in rows}

    counts = _term_counts([pk for pk, _, _ in recent], texts_of)
    index = next(i for i, (pk, _, _) in enumerate(recent) if pk == ticket.pk)
    scores = tfidf_cosines(counts, index)
    return [row for row, score in zip(recent, scores, strict=True) if score >= settings.INCIDENT_SIMILARITY]


def detect_burst(*, ticket_id: int, now: datetime, ticket: Ticket | None = None) -> Ticket | None:
    """Open or extend an incident if this ticket is part of a burst; returns the parent incident.

    Pass ``ticket`` when the caller has just saved it, to spare the load.
    """
    if ticket is None or ticket.pk != ticket_id:
        ticket = Ticket.objects.filter(pk=ticket_id).select_related("category").first()
    if ticket is None or ticket.category_id is None or ticket.is_incident or ticket.incident_id:
        return None
    similar = similar_recent(ticket, now=now)
    if len({customer_id for _, customer_id, _ in similar}) < settings.INCIDENT_MIN_CUSTOMERS:
        return None
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=ticket.category_id)  # one decider per category
        since = now - timedelta(minutes=settings.INCIDENT_WINDOW_MINUTES) - timedelta(hours=6)
        parent = (
            Ticket.objects.filter(is_incident=True, category=category, status__in=OPEN_STATUSES, created_at__gte=since)
            .order_by("-created_at")
            .first()
        )
        if parent is None:
            system, _ = Customer.objects.get_or_create(email=INCIDENT_CUSTOMER_EMAIL, defaults={"name": "Multiple customers"})
            parent = Ticket.objects.create(
                subject=f"Incident: {ticket.subject}"[:300],
                body=(
                    f"{len(similar)} similar {category.name} tickets from different customers "
                    f"within {settings.INCIDENT_WINDOW_MINUTES} minutes."
                ),
                customer=system,
                category=category,
                team=ticket.team,
                priority=Priority.P0,
                status=TicketStatus.TRIAGED,
                created_at=now,
                triaged_at=now,
                is_incident=True,
                tags=["incident"],
                next_check_at=now,
            )
            sla.apply_start(parent, now=now)  # the incident itself is answered against the P0 policy
            parent.next_check_at = now  # and checked for escalation at once
            parent.save(update_fields=sla.SLA_FIELDS)
            TicketEvent.objects.create(ticket=parent, kind="incident_opened", detail={"first_ticket": ticket.pk, "tickets": len(similar)})
        # Rows another worker holds (its own triage of that ticket) are skipped, never waited for:
        # that worker links its ticket itself when it gets here, and nobody waits in a circle.
        candidates = [pk for pk, _, incident_id in similar if incident_id is None]
        free = Ticket.objects.filter(pk__in=candidates, incident__isnull=True).order_by("pk")
        if connection.features.has_select_for_update_skip_locked:
            free = free.select_for_update(skip_locked=True)
        children = list(free.values_list("pk", flat=True))
        Ticket.objects.filter(pk__in=children).update(incident=parent, next_check_at=now)
        if children:
            Ticket.objects.filter(pk=parent.pk).update(next_check_at=now)  # its escalation counts the customers hit
        TicketEvent.objects.bulk_create(
            [TicketEvent(ticket_id=pk, kind="linked_to_incident", detail={"incident": parent.pk}) for pk in children]
        )
        _fold_escalations(parent, [*children, ticket.pk] if ticket.pk not in children else children, now=now)
    return parent


def _fold_escalations(parent: Ticket, children: list[int], *, now: datetime) -> None:
    """A report that escalated on its own before the burst was seen (a P0 outage) hands its open escalation to the
    incident: supervisors get one escalation per incident, its history (notifications, actions) kept."""
    opened = Escalation.objects.filter(ticket_id__in=children, status=Escalation.Status.OPEN).order_by("created_at")
    open_children = list(opened.values_list("pk", "ticket_id"))
    if not open_children:
        return
    rest = open_children
    if not Escalation.objects.filter(ticket=parent, status=Escalation.Status.OPEN).exists():
        (moved, source), rest = open_children[0], open_children[1:]
        Escalation.objects.filter(pk=moved).update(ticket=parent)
        TicketEvent.objects.create(ticket=parent, kind="escalation_folded", detail={"escalation": moved, "from_ticket": source})
    if rest:
        Escalation.objects.filter(pk__in=[pk for pk, _ in rest]).update(
            status=Escalation.Status.DEESCALATED, decided_at=now, decision_reason=f"Part of incident #{parent.pk}, escalated there."
        )
        detail = {"incident": parent.pk}
        TicketEvent.objects.bulk_create(
            [TicketEvent(ticket_id=source, kind="escalation_folded", detail={**detail, "escalation": pk}) for pk, source in rest]
        )


def forget(ticket_ids: list[int]) -> None:
    """Drop these tickets' cached term counts (their text was erased); other processes drop theirs as the cache turns over."""
    with _vectors_lock:
        for pk in ticket_ids:
            _vectors.pop(pk, None)
