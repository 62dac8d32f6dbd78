"""The customer's own words: what triage reads in an e-mail."""

from tickets.triage.text import customer_text


def test_quoted_threads_in_several_languages_are_cut() -> None:
    for header in ("On Tue, 3 Mar 2026 at 10:02, Support <help@example.com> wrote:", "Am 03.03.2026 um 10:02 schrieb Support:",
                   "El mar, 3 mar 2026 a las 10:02, Soporte escribió:", "Le mar. 3 mars 2026 à 10:02, Support a écrit :",
                   "Em ter., 3 de mar. de 2026 às 10:02, Suporte escreveu:", "-----Original Message-----",
                   "---------- Forwarded message ---------\nFrom: Acme Support <help@example.com>"):  # fmt: skip
        body = f"The export is broken again.\n\n{header}\nYour invoice INV-2231 is attached, refund processed."
        assert customer_text(body) == "The export is broken again.", header


def test_signatures_disclaimers_and_inline_quotes_go() -> None:
    body = "Hi,\n> old question\nthe app crashes on start.\n--\nAnna Berg\nCTO, Acme\n"
    assert customer_text(body) == "Hi,\nthe app crashes on start."
    body = "Please refund order 8812.\n\nThis e-mail is confidential and intended only for the addressee."
    assert customer_text(body) == "Please refund order 8812."
    assert customer_text("Danke!\n\nVon meinem iPhone gesendet") == "Danke!"


def test_a_reply_written_below_the_quote_is_kept() -> None:
    body = "On Mon, Support wrote:\n> Does the export work now?\nNo, it still fails with E-4012."
    assert "E-4012" in customer_text(body)


def test_a_forwarded_report_under_a_short_cover_note_is_read_but_not_under_a_long_one() -> None:
    report = (
        "---------- Forwarded message ---------\nFrom: Jess Okafor <jess@festival.example>\nDate: Fri, 6 Mar 2026 at 10:11\n"
        "Subject: Payment page not loading\nTo: Sam <sam@festival.example>\n\n"
        "The payment page has been spinning for everyone since 10:02. Nobody can check out.\n\nJess\n--\nJess Okafor, Ticketing"
    )
    short = customer_text(f"See below, please treat as urgent.\n\nSam\n\n{report}")
    assert short == (
        "See below, please treat as urgent.\n\nSam\n\n"
        "The payment page has been spinning for everyone since 10:02. Nobody can check out.\n\nJess"
    )
    note = "Our onsale is live now. " * 10  # 50 words: the customer said it themselves
    assert customer_text(f"{note}\n\n{report}") == note.strip()
    german = (
        "Siehe unten, bitte dringend.\n\n---------- Weitergeleitete Nachricht ---------\nVon: Lager <lager@firma.example>\n"
        "Betreff: Scanner\n\nKein Scanner im Lager funktioniert."
    )
    assert customer_text(german).endswith("Kein Scanner im Lager funktioniert.")
    # A chain of forward headers with nothing in between ends at once.
    assert customer_text("Hello there,\n" + "---------- Forwarded message ---------\n" * 20_000 + "x") == "Hello there,"
