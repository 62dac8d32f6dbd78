"""Importing a django-helpdesk database: its tables in a throwaway schema of the test PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from django.core.management import CommandError, call_command

from imports import runner
from imports.models import ImportedTicket
from tests.conftest import database_url_for_subprocess

pytestmark = pytest.mark.django_db

SCHEMA = """
CREATE SCHEMA helpdesk_src;
SET search_path TO helpdesk_src;
CREATE TABLE auth_user (id serial PRIMARY KEY, username varchar(150) NOT NULL, email varchar(254) NOT NULL DEFAULT '',
                        first_name varchar(150) NOT NULL DEFAULT '', last_name varchar(150) NOT NULL DEFAULT '');
CREATE TABLE helpdesk_queue (id serial PRIMARY KEY, title varchar(100) NOT NULL, slug varchar(50) NOT NULL,
                             email_address varchar(254));
CREATE TABLE helpdesk_ticket (id serial PRIMARY KEY, title varchar(200) NOT NULL, queue_id int NOT NULL REFERENCES helpdesk_queue,
    created timestamptz NOT NULL, modified timestamptz NOT NULL, submitter_email varchar(254), assigned_to_id int REFERENCES auth_user,
    status int NOT NULL DEFAULT 1, on_hold boolean NOT NULL DEFAULT false, description text, resolution text,
    priority int NOT NULL DEFAULT 3, due_date timestamptz, last_escalation timestamptz, secret_key varchar(36),
    kbitem_id int, merged_to_id int);
CREATE TABLE helpdesk_followup (id serial PRIMARY KEY, ticket_id int NOT NULL REFERENCES helpdesk_ticket, date timestamptz NOT NULL,
    title varchar(200), comment text, public boolean NOT NULL DEFAULT false, user_id int REFERENCES auth_user,
    new_status int, message_id varchar(256), time_spent interval);
INSERT INTO auth_user (id, username, email, first_name, last_name) VALUES
    (1, 'olga', 'olga@ourdesk.example', 'Olga', 'Novak'), (2, 'sam', 'sam@ourdesk.example', 'Sam', 'Reed');
INSERT INTO helpdesk_queue (id, title, slug) VALUES (1, 'IT Support', 'it'), (2, 'Facilities', 'facilities');
INSERT INTO helpdesk_ticket (id, title, queue_id, created, modified, submitter_email, assigned_to_id, status, priority, description)
VALUES
    (10, 'Printer on floor 3 jams', 2, '2026-03-02 09:00+00', '2026-03-02 10:00+00', 'pat@client.example', 2, 4, 3,
     'The printer by the kitchen jams on every second page.'),
    (11, 'VPN drops every hour', 1, '2026-03-03 08:00+00', '2026-03-03 08:00+00', 'Lin@Client.example', 1, 1, 1,
     'Since the update the VPN disconnects every hour.'),
    (12, 'No submitter', 1, '2026-03-03 08:00+00', '2026-03-03 08:00+00', '', NULL, 1, 3, 'Anonymous?'),
    (13, 'Unknown status', 1, '2026-03-03 08:00+00', '2026-03-03 08:00+00', 'pat@client.example', NULL, 7, 3, 'x');
INSERT INTO helpdesk_followup (ticket_id, date, title, comment, public, user_id, new_status) VALUES
    (10, '2026-03-02 09:20+00', 'Comment', 'Facilities will look at it before noon.', true, 2, NULL),
    (10, '2026-03-02 09:25+00', 'Comment', 'Spare drum is in the basement.', false, 2, NULL),
    (10, '2026-03-02 09:40+00', 'Comment', 'Thanks, it works again!', true, NULL, NULL),
    (10, '2026-03-02 09:50+00', 'Resolved', 'Drum replaced.', true, 2, 3),
    (10, '2026-03-02 10:00+00', 'Closed', '', true, 2, 4);
"""


@pytest.fixture
def helpdesk_url() -> Iterator[str]:
    base = database_url_for_subprocess()
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS helpdesk_src CASCADE")
        connection.execute(SCHEMA)
    yield f"{base}?options=-csearch_path%3Dhelpdesk_src"
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute("DROP SCHEMA helpdesk_src CASCADE")


def test_a_django_helpdesk_database_is_imported_through_its_url(helpdesk_url: str) -> None:
    report = runner.run("helpdesk", url=helpdesk_url)
    assert (report.created, report.failed) == (2, 2)
    printer: Any = ImportedTicket.objects.get(source="helpdesk", external_id="10").ticket
    assert printer.status == "closed" and printer.team.name == "Facilities" and printer.priority == 2
    assert printer.assignee.user.email == "sam@ourdesk.example" and printer.customer.email == "pat@client.example"
    assert printer.resolved_at == datetime(2026, 3, 2, 9, 50, tzinfo=UTC) and printer.closed_at == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert printer.first_response_at == datetime(2026, 3, 2, 9, 20, tzinfo=UTC)
    kinds = list(printer.interactions.order_by("created_at").values_list("author_kind", "is_internal"))
    assert kinds == [("customer", False), ("agent", False), ("agent", True), ("customer", False), ("agent", False)]
    vpn: Any = ImportedTicket.objects.get(source="helpdesk", external_id="11").ticket
    assert vpn.status == "assigned" and vpn.priority == 0 and vpn.customer.email == "lin@client.example"
    assert {(e.line, e.reason) for e in report.errors} == {(12, "submitter_email: missing"), (13, "status: unknown 7")}
    assert runner.run("helpdesk", url=helpdesk_url).unchanged == 2


def test_an_unreachable_or_unknown_database_url_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="postgresql:// or sqlite:///"):
        call_command("import_tickets", "mysql://x/y", "--format", "helpdesk")
    with pytest.raises(CommandError, match="helpdesk: "):
        call_command("import_tickets", "postgresql://nobody@127.0.0.1:1/none", "--format", "helpdesk")
