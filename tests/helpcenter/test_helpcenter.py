"""Help centre: ranked search (PostgreSQL), sanitised markdown, votes, drafts, content gaps."""

from typing import Any

import pytest
from django.test import Client

from helpcenter import search
from helpcenter.models import ArticleVote, KnowledgeArticle, SearchLog
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kb() -> dict[str, KnowledgeArticle]:
    access = CategoryFactory.create(slug="account_access", name="Account access")
    return {
        "reset": KnowledgeArticle.objects.create(
            title="Reset your password", slug="reset-password", category=access,
            body="Choose **Forgot password** on the sign-in page. The password reset e-mail arrives within minutes.",
        ),
        "twofa": KnowledgeArticle.objects.create(
            title="Two-factor codes", slug="two-factor", category=access,
            body="Codes come by SMS. If you changed your phone, you may also need a new password.",
        ),
        "invoice": KnowledgeArticle.objects.create(title="Download an invoice", slug="invoice", body="Billing → Invoices → PDF."),
        "draft": KnowledgeArticle.objects.create(
            title="Password policy (draft)", slug="password-policy", body="password password password", is_published=False
        ),
    }  # fmt: skip


def test_search_ranks_title_matches_first_and_hides_drafts(kb: dict[str, KnowledgeArticle]) -> None:
    assert [a.slug for a in search.search("password")] == ["reset-password", "two-factor"]
    assert [a.slug for a in search.search("invoice pdf")] == ["invoice"]
    assert search.search("quantum entanglement") == []
    assert list(SearchLog.objects.order_by("id").values_list("query", "results")) == [
        ("password", 2), ("invoice pdf", 1), ("quantum entanglement", 0),
    ]  # fmt: skip


def test_search_page_escapes_the_query_and_logs_it(kb: dict[str, KnowledgeArticle]) -> None:
    page = Client().get("/help/search/", {"q": "<script>alert(1)</script> password"})
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; password" in page.text and "<script>alert(1)" not in page.text
    assert SearchLog.objects.get().query == "<script>alert(1)</script> password"


def test_home_category_and_article_pages(kb: dict[str, KnowledgeArticle]) -> None:
    client = Client()
    home = client.get("/help/").text
    assert "Account access" in home and "Reset your password" in home and "Password policy" not in home
    assert "Two-factor codes" in client.get("/help/category/account_access/").text
    article = client.get("/help/article/reset-password/")
    assert article.status_code == 200 and "<strong>Forgot password</strong>" in article.text
    assert client.get("/help/article/password-policy/").status_code == 404  # drafts are not public
    assert client.get("/help/category/nothing-here/").status_code == 404


def test_markdown_is_sanitised(kb: dict[str, KnowledgeArticle]) -> None:
    KnowledgeArticle.objects.create(
        title="Tricky", slug="tricky",
        body='# Heading\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2)) <img src=x onerror="alert(3)">\n\n'
             '<a href="https://example.com" onclick="alert(4)">ok</a> <iframe src="https://evil"></iframe>',
    )  # fmt: skip
    html = Client().get("/help/article/tricky/").text
    body = html.split('<div class="article-body">')[1].split("</div>")[0]
    for bad in ("<script", "javascript:", "onerror", "onclick", "<iframe", "<img"):
        assert bad not in body, bad
    assert '<a href="https://example.com" rel="noopener noreferrer">ok</a>' in body


def test_votes_count_once_per_visitor_and_can_change(kb: dict[str, KnowledgeArticle]) -> None:
    article = kb["reset"]
    visitor, other = Client(), Client()
    for _ in range(2):
        response = visitor.post("/help/article/reset-password/vote", {"helpful": "yes"})
        assert response.status_code == 302 and response["Location"].endswith("?voted=yes")
    other.post("/help/article/reset-password/vote", {"helpful": "no"})
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (1, 1)
    visitor.post("/help/article/reset-password/vote", {"helpful": "no"})
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count, ArticleVote.objects.count()) == (0, 2, 2)
    assert visitor.post("/help/article/reset-password/vote", {"helpful": "maybe"}).status_code == 400
    assert Client(enforce_csrf_checks=True).post("/help/article/reset-password/vote", {"helpful": "yes"}).status_code == 403
    assert visitor.post("/help/article/password-policy/vote", {"helpful": "yes"}).status_code == 404


def test_admin_sees_vote_counts_read_only(kb: dict[str, KnowledgeArticle], make_user: Any) -> None:
    client = Client()
    client.force_login(make_user(role="admin"))
    page = client.get(f"/admin/helpcenter/knowledgearticle/{kb['reset'].pk}/change/").text
    assert 'name="helpful_count"' not in page and "Helpful count" in page
