"""Upgrading a database from before knowledge articles moved to the help centre keeps every article and link."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("helpcenter", "0002_roles"), ("tickets", "0012_interaction_signals")]


def migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate the test database to ``targets``; returns the model state there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_the_move() -> Iterator[Any]:
    yield migrate(BEFORE)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # the database every other test expects


def test_articles_votes_deflections_and_auto_reply_links_survive_the_upgrade(before_the_move: Any) -> None:
    old = before_the_move
    content_type = old.get_model("contenttypes", "ContentType").objects.get(app_label="tickets", model="knowledgearticle")
    permission = old.get_model("auth", "Permission").objects.get(content_type=content_type, codename="change_knowledgearticle")
    editor = old.get_model("auth", "User").objects.create(username="editor")
    editor.user_permissions.add(permission)
    category = old.get_model("tickets", "Category").objects.create(slug="billing", name="Billing")
    article_model = old.get_model("tickets", "KnowledgeArticle")
    invoice = article_model.objects.create(title="Download an invoice", slug="invoice", body="Billing → Invoices.", category=category)
    reset = article_model.objects.create(title="Reset your password", slug="reset-password", body="Forgot password.")
    customer = old.get_model("tickets", "Customer").objects.create(email="ann@example.com", name="Ann")
    ticket = old.get_model("tickets", "Ticket").objects.create(
        customer=customer, subject="Reset", body="No mail.", auto_reply_article=reset
    )
    old.get_model("helpcenter", "ArticleVote").objects.create(article=invoice, voter="v1", helpful=True)
    old.get_model("helpcenter", "Deflection").objects.create(article=reset, subject="Reset")

    new = migrate([("helpcenter", "0003_knowledgearticle_from_tickets"), ("tickets", "0013_knowledgearticle_to_helpcenter")])

    articles = new.get_model("helpcenter", "KnowledgeArticle").objects
    assert sorted(articles.values_list("pk", "slug", "category__slug")) == [
        (invoice.pk, "invoice", "billing"),
        (reset.pk, "reset-password", None),
    ]
    assert new.get_model("tickets", "Ticket").objects.get(pk=ticket.pk).auto_reply_article.slug == "reset-password"
    assert list(new.get_model("helpcenter", "ArticleVote").objects.values_list("article__slug", flat=True)) == ["invoice"]
    assert list(new.get_model("helpcenter", "Deflection").objects.values_list("article__slug", flat=True)) == ["reset-password"]
    moved = new.get_model("contenttypes", "ContentType").objects.filter(model="knowledgearticle")
    assert list(moved.values_list("pk", "app_label")) == [(content_type.pk, "helpcenter")]  # the same row: permissions stay attached
    granted = new.get_model("auth", "User").objects.get(pk=editor.pk).user_permissions.get()
    assert (granted.content_type.app_label, granted.codename) == ("helpcenter", "change_knowledgearticle")
