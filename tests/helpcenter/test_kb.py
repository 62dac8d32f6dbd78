"""Knowledge-base suggestions rank the matching article first and respect their limits."""

from __future__ import annotations

from helpcenter.kb import Article, ArticleIndex

ARTICLES = [
    Article(
        1,
        "Reset your password",
        "If you forgot your password, use the reset link on the login page. The email arrives within minutes.",
        "account_access",
    ),
    Article(2, "Download invoices", "Invoices and receipts are in Settings, Billing. You can download each invoice as PDF.", "billing"),
    Article(3, "Request a refund", "Refunds are possible within 30 days. Open the order and choose request refund.", "refund_request"),
    Article(4, "Export data to CSV", "Use the export button on any list to download a CSV file of your records.", "technical_support"),
    Article(
        5,
        "Invoice address and VAT",
        "Change the company name, address and VAT number printed on invoices in Billing settings.",
        "billing",
    ),
]


def test_the_matching_article_comes_first() -> None:
    index = ArticleIndex(ARTICLES)
    assert index.suggest("I forgot my password and the reset email never arrives")[0][0] == 1
    assert index.suggest("where can I download a PDF of my invoice?")[0][0] == 2
    assert index.suggest("how do I export my records as csv")[0][0] == 4


def test_scores_are_sorted_and_limited_by_top_and_min_score() -> None:
    index = ArticleIndex(ARTICLES)
    results = index.suggest("invoice billing address VAT download PDF", top=5, min_score=0.0)
    scores = [score for _, score in results]
    assert scores == sorted(scores, reverse=True)
    assert len(index.suggest("invoice billing address VAT download PDF", top=1)) == 1
    assert index.suggest("invoice", top=5, min_score=0.99) == []
    assert index.suggest("the weather in Lisbon is lovely") == []


def test_category_match_gets_a_small_boost() -> None:
    index = ArticleIndex(ARTICLES)
    text = "change the address on my invoice"
    plain = dict(index.suggest(text, top=5))
    boosted = dict(index.suggest(text, top=5, category="billing"))
    assert boosted[5] > plain[5]
    assert boosted[5] - plain[5] <= 0.05 + 1e-9


def test_empty_index_suggests_nothing() -> None:
    assert ArticleIndex([]).suggest("password") == []
    assert ArticleIndex([Article(9, "the", "and of", None)]).suggest("password") == []
