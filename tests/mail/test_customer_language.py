"""Automatic mail in the customer's language: templates, catalogues, the acknowledgement, auto-reply and survey."""

import ast
import gettext
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from analytics.models import SatisfactionSurvey
from foundation.customer_mail import mail_language, render_mail
from foundation.models import OutboxMessage
from helpcenter.models import KnowledgeArticle
from pipeline.new_ticket import triage_ticket
from tests.factories import CategoryFactory, CustomerFactory, TicketFactory
from tickets.models import Ticket
from tickets.selectors import customer_language
from tickets.services import change_status, receive_contact

pytestmark = [pytest.mark.django_db, pytest.mark.travel(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))]

LOCALE = Path(settings.BASE_DIR) / "locale"
TEMPLATES = Path(settings.BASE_DIR) / "templates" / "mail"
TRANSLATED = ["de", "es", "fr", "pt"]
CONTEXT = {
    "ticket_id": 42, "subject": "Invoice", "name": "Ana", "status_url": "https://desk.example.com/t/x/",
    "yes_url": "https://y", "no_url": "https://n", "draft": "Article text.", "url": "https://desk.example.com/portal/x",
    "valid_minutes": 15, "resolve_after_days": 3, "max_age_days": 14,
    "ratings": [{"number": n, "stars": "★" * n, "url": f"https://s/{n}"} for n in range(5, 0, -1)],
}  # fmt: skip

GERMAN = (
    "Guten Tag,\n\nseit dem Update von gestern kann ich mich nicht mehr in mein Konto einloggen. "
    "Das Passwort habe ich zweimal zurückgesetzt, aber die Anmeldung schlägt immer noch fehl. "
    "Können Sie mir bitte helfen?\n\nVielen Dank und freundliche Grüße\nJonas Becker"
)


def parse_po(text: str) -> dict[str | tuple[str, str], list[str]]:
    """msgid (or (msgid, msgid_plural)) → msgstr forms; a small reader for the test, enough for our catalogues."""
    entries: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if current:
                entries.append(current)
            current, key = {}, ""
        elif line.startswith("#"):
            continue
        elif match := re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line):
            key = match.group(1)
            current[key] = ast.literal_eval(match.group(2))
        else:
            current[key] += ast.literal_eval(line)
    result: dict[str | tuple[str, str], list[str]] = {}
    for entry in entries:
        if not entry.get("msgid"):
            continue
        if "msgid_plural" in entry:
            result[(entry["msgid"], entry["msgid_plural"])] = [entry["msgstr[0]"], entry["msgstr[1]"]]
        else:
            result[entry["msgid"]] = [entry["msgstr"]]
    return result


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_catalogue_is_compiled_from_its_po_file_and_complete(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    entries = parse_po((folder / "django.po").read_text(encoding="utf-8"))
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert entries
    for msgid, forms in entries.items():
        assert all(forms), f"{language}: untranslated {msgid!r}"
        if isinstance(msgid, tuple):
            assert [compiled.ngettext(*msgid, 1), compiled.ngettext(*msgid, 5)] == forms, f"{language}: stale .mo for {msgid!r}"
        else:
            assert compiled.gettext(msgid) == forms[0], f"{language}: stale .mo for {msgid!r} (run manage.py compilemessages)"
        placeholders = set(re.findall(r"%\((\w+)\)s", msgid if isinstance(msgid, str) else msgid[1]))
        assert all(set(re.findall(r"%\((\w+)\)s", form)) <= placeholders for form in forms)


@pytest.mark.parametrize("template", sorted({p.name.removesuffix("_subject.txt") for p in TEMPLATES.glob("*_subject.txt")}))
def test_every_mail_template_reads_differently_in_every_translated_language(template: str) -> None:
    english = render_mail(template, language="en", context=CONTEXT)
    assert english.language == "en" and "{%" not in english.body and "\n" not in english.subject
    for language in TRANSLATED:
        translated = render_mail(template, language=language, context=CONTEXT)
        assert translated.language == language
        assert translated.body != english.body, f"{template} has no {language} body"
        if template != "auto_reply":  # the auto-reply's subject is "Re: [#n] <the customer's subject>" in every language
            assert translated.subject != english.subject, f"{template} has no {language} subject"
        assert "https://desk.example.com" in translated.body or template == "auto_reply"


def test_untranslated_or_unknown_languages_fall_back_to_english() -> None:
    assert [mail_language(code) for code in ("de", "DE", "pt-BR", "pt_PT", "it", "", None, "xx-yy")] == [
        "de", "de", "pt", "pt", "en", "en", "en", "en",
    ]  # fmt: skip
    italian = render_mail("acknowledgement", language="it", context=CONTEXT)
    assert italian.language == "en" and italian.body.startswith("Hello Ana,") and italian.headers["Content-Language"] == "en"


def test_a_spanish_web_form_ticket_is_acknowledged_once_in_spanish(django_capture_on_commit_callbacks: Any) -> None:
    body = "Hola, desde ayer no puedo descargar la factura de noviembre en PDF. ¿Me la pueden enviar por correo? Gracias."
    with django_capture_on_commit_callbacks(execute=True):
        result = receive_contact(channel="web_form", customer_email="lucia@example.es", customer_name="Lucía", subject="Factura", body=body)
    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert ticket.language == "es"
    message = OutboxMessage.objects.get(kind="acknowledgement")
    assert message.dedupe_key == f"acknowledgement:{ticket.pk}" and message.recipient == "lucia@example.es"
    assert message.subject == f"[#{ticket.pk}] Hemos recibido su solicitud: Factura"
    assert message.body.startswith("Hola, Lucía:") and "Un cordial saludo," in message.body
    assert message.headers["Content-Language"] == "es" and message.headers["Auto-Submitted"] == "auto-replied"
    assert message.headers["Reply-To"] and message.status == "sent" and len(mail.outbox) == 1
    triage_ticket(ticket_id=ticket.pk, force=True)  # triaged again: nothing new is sent
    assert OutboxMessage.objects.filter(kind="acknowledgement").count() == 1


def test_phone_tickets_and_auto_replied_ones_get_no_acknowledgement(django_capture_on_commit_callbacks: Any) -> None:
    category = CategoryFactory.create(slug="account_access", name="Account access", allow_auto_reply=True)
    KnowledgeArticle.objects.create(
        title="Passwort zurücksetzen", slug="reset", category=category,
        body="Wählen Sie auf der Anmeldeseite Passwort vergessen; die E-Mail zum Zurücksetzen kommt in wenigen Minuten.",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        receive_contact(channel="phone", customer_email="caller@example.com", subject="Called about billing", body="Wants a refund.")
        answered = receive_contact(
            channel="email", customer_email="jonas@example.de", subject="Passwort zurücksetzen funktioniert nicht", body=GERMAN
        ).ticket
    assert not OutboxMessage.objects.filter(kind="acknowledgement").exists()
    auto_reply = OutboxMessage.objects.get(kind="auto_reply")
    assert auto_reply.ref_id == answered.pk and auto_reply.headers["Content-Language"] == "de"
    assert "Hat Ihnen das weitergeholfen?" in auto_reply.body and "Ja, mein Problem ist gelöst:" in auto_reply.body


def test_the_survey_is_written_in_the_tickets_language(django_capture_on_commit_callbacks: Any) -> None:
    ticket = TicketFactory.create(status="triaged", language="pt", subject="Fatura duplicada", customer=CustomerFactory.create(name="João"))
    with django_capture_on_commit_callbacks(execute=True):
        change_status(ticket=ticket, status="resolved", by=None)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    message = OutboxMessage.objects.get(dedupe_key=f"survey:{survey.pk}")
    assert message.subject == f"[#{ticket.pk}] Como nos saímos?"
    assert message.body.startswith("Olá, João,") and "foi resolvida" in message.body and "O link vale por 14 dias." in message.body
    assert message.body.count("http") >= 6  # five ratings and the status page


def test_mail_about_a_customer_uses_their_latest_detected_language() -> None:
    customer = CustomerFactory.create()
    assert customer_language(customer.pk) == ""
    TicketFactory.create(customer=customer, language="fr", created_at=datetime(2026, 11, 1, tzinfo=UTC))
    TicketFactory.create(customer=customer, language="", created_at=datetime(2026, 11, 20, tzinfo=UTC))
    assert customer_language(customer.pk) == "fr"
    portal = render_mail("portal_link", language=customer_language(customer.pk), context=CONTEXT)
    assert portal.subject == "Votre lien de connexion" and "15 minutes" in portal.body
