"""Organization view: only for a customer admin of an admin-created organization with a verified domain."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from portal.models import Organization, OrganizationAdmin, OrganizationDomain
from tests.factories import CustomerFactory, InteractionFactory, TicketFactory
from tests.portal.conftest import portal_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(db: None) -> dict[str, Any]:
    organization = Organization.objects.create(name="Acme")
    domain = OrganizationDomain.objects.create(organization=organization, domain="acme.example", verified_at=timezone.now())
    boss = CustomerFactory.create(email="boss@acme.example", organization="Acme")
    OrganizationAdmin.objects.create(organization=organization, customer=boss)
    colleague = CustomerFactory.create(email="dev@acme.example")
    ticket = TicketFactory.create(customer=colleague, subject="Build server down", status="triaged")
    InteractionFactory.create(ticket=ticket, author_kind="agent", body="We restarted it.")
    InteractionFactory.create(ticket=ticket, author_kind="agent", body="internal: flaky disk", is_internal=True)
    # Says "Acme" in the free-text organization, but writes from elsewhere: not a member.
    pretender = CustomerFactory.create(email="someone@acme-lookalike.example", organization="Acme")
    TicketFactory.create(customer=pretender, subject="Pretender's ticket")
    return {"organization": organization, "domain": domain, "boss": boss, "colleague": colleague, "ticket": ticket, "pretender": pretender}


def test_a_customer_admin_sees_the_tickets_of_everyone_at_the_verified_domain(
    acme: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = portal_client(acme["boss"])
    assert "Everyone's requests at Acme" in client.get("/portal/").text
    assert "Everyone's requests" not in portal_client(acme["colleague"]).get("/portal/").text
    with django_assert_max_num_queries(6):
        page = client.get("/portal/organization")
    assert page.status_code == 200
    assert "Build server down" in page.text and "dev@acme.example" in page.text and "We restarted it." in page.text
    assert "flaky disk" not in page.text and "Pretender" not in page.text


def test_without_a_verified_domain_there_is_no_organization_view(acme: dict[str, Any]) -> None:
    OrganizationDomain.objects.filter(pk=acme["domain"].pk).update(verified_at=None)
    response = portal_client(acme["boss"]).get("/portal/organization")
    assert response.status_code == 403 and "Build server down" not in response.text


def test_a_member_who_is_no_customer_admin_has_no_organization_view(acme: dict[str, Any]) -> None:
    response = portal_client(acme["colleague"]).get("/portal/organization")
    assert response.status_code == 403


def test_the_free_text_organization_never_grants_anything(acme: dict[str, Any]) -> None:
    # Even made a customer admin by mistake, an address outside the verified domains opens nothing.
    OrganizationAdmin.objects.create(organization=acme["organization"], customer=acme["pretender"])
    client = portal_client(acme["pretender"])
    assert client.get("/portal/organization").status_code == 403
    assert client.get(f"/portal/tickets/{acme['ticket'].pk}").status_code == 404
    # And a customer admin opens a member's ticket only through the organization list, not by id.
    assert portal_client(acme["boss"]).get(f"/portal/tickets/{acme['ticket'].pk}").status_code == 404


def test_another_organizations_admin_sees_none_of_acme(acme: dict[str, Any]) -> None:
    other = Organization.objects.create(name="Globex")
    OrganizationDomain.objects.create(organization=other, domain="globex.example", verified_at=timezone.now())
    admin = CustomerFactory.create(email="chief@globex.example")
    OrganizationAdmin.objects.create(organization=other, customer=admin)
    page = portal_client(admin).get("/portal/organization")
    assert page.status_code == 200 and "Build server down" not in page.text and "Nobody at Globex" in page.text


@pytest.mark.parametrize("domain", ["gmail.com", "not-a-domain", "a@b.example"])
def test_a_free_mail_or_malformed_domain_cannot_belong_to_an_organization(domain: str) -> None:
    with pytest.raises(ValidationError):
        OrganizationDomain(organization=Organization.objects.create(name=f"Org {domain}"), domain=domain).full_clean()


def test_admin_verifies_a_domain_and_records_who(admin_client: Client, admin_user: Any) -> None:
    domain = OrganizationDomain.objects.create(organization=Organization.objects.create(name="Initech"), domain="initech.example")
    response = admin_client.post("/admin/portal/organizationdomain/", {"action": "verify", "_selected_action": [domain.pk]}, follow=True)
    assert response.status_code == 200
    domain.refresh_from_db()
    assert domain.verified_at is not None and domain.verified_by == admin_user
