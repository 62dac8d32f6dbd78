"""Urgency and legal keywords on word boundaries, and the entities agents look for."""

from __future__ import annotations

from tickets.triage.signals import extract


def test_sue_is_not_found_inside_issue() -> None:
    signals = extract("I have an issue with my tissue box order")
    assert signals.legal_hits == []
    assert signals.legal_score == 0.0


def test_legal_terms_are_found_case_insensitively_with_weights() -> None:
    signals = extract("If this is not fixed my LAWYER will file a lawsuit and I'll report it under GDPR.")
    terms = [term for term, _ in signals.legal_hits]
    assert set(terms) == {"lawyer", "lawsuit", "gdpr"}
    assert terms[0] == "lawsuit"  # strongest first
    assert signals.legal_score == 1.0


def test_urgency_terms_and_score() -> None:
    signals = extract("Total outage: the site is down for all users in production")
    terms = dict(signals.urgency_hits)
    assert terms["outage"] == 0.9
    assert "all users" in terms and "production" in terms
    assert 0.9 < signals.urgency_score <= 1.0
    assert extract("How do I change my avatar?").urgency_score == 0.0


def test_phrases_match_across_extra_whitespace() -> None:
    assert ("data loss", 0.9) in extract("we had  DATA\nloss last night").urgency_hits


def test_custom_keyword_maps_replace_the_defaults() -> None:
    signals = extract("The boiler exploded, call the regulator", urgency_keywords={"boiler": 0.7}, legal_keywords={"regulator": 0.4})
    assert signals.urgency_hits == [("boiler", 0.7)]
    assert signals.legal_hits == [("regulator", 0.4)]


def test_entities_are_extracted() -> None:
    text = (
        "Order 12345 was billed on invoice INV-2024-001 for $1,250.00 and again €35.00. "
        "Write to jane.doe@example.com or ops@acme.example. The app shows E-1042, then HTTP 500. "
        "See https://status.example.com/incidents/42. My account number is 55201983."
    )
    entities = extract(text).entities
    assert entities["order_numbers"] == ["12345"]
    assert entities["invoice_numbers"] == ["INV-2024-001"]
    assert entities["amounts"] == ["$1,250.00", "€35.00"]
    assert entities["emails"] == ["jane.doe@example.com", "ops@acme.example"]
    assert entities["error_codes"] == ["E-1042", "HTTP 500"]
    assert entities["urls"] == ["https://status.example.com/incidents/42"]
    assert entities["account_numbers"] == ["55201983"]


def test_only_found_entity_kinds_are_present() -> None:
    assert extract("Where is my order #88231?").entities == {"order_numbers": ["88231"]}
    assert extract("Nothing to see here.").entities == {}


def test_inflections_and_phrases_that_real_threats_use() -> None:
    assert [t for t, _ in extract("Their attorneys will be in touch.").legal_hits] == ["attorney"]
    assert "disputing the charge" in dict(extract("I am disputing the charge with my bank.").legal_hits)
    assert dict(extract("Our counsel has been informed.").legal_hits)
    assert extract("The lawsuits are piling up").legal_score == 1.0


def test_other_languages_have_their_legal_and_urgency_terms() -> None:
    assert dict(extract("Unsere Anwälte melden sich bei Ihnen.").legal_hits)
    assert dict(extract("Vamos a emprender acciones legales.").legal_hits)
    assert dict(extract("Nous allons vous envoyer une mise en demeure.").legal_hits)
    assert dict(extract("Vou registrar no Procon.").legal_hits)
    assert extract("Totaler Ausfall seit heute früh").urgency_score >= 0.9


def test_a_name_and_a_negated_urgency_are_not_signals() -> None:
    assert extract("We spoke to Sue from your sales team.").legal_hits == []
    assert dict(extract("Sue them if you must.").legal_hits)  # at the start of a sentence it is a verb
    assert extract("Just a question, not urgent at all.").urgency_hits == []
    assert dict(extract("This is urgent.").urgency_hits)


def test_impact_reads_the_event_and_its_scope_in_one_sentence() -> None:
    wide = extract("Hi, just flagging that none of our 400 users can log in since this morning. Thanks")
    assert wide.impact == "wide"
    assert extract("Your update wiped our production database.").impact == "wide"
    assert extract("The reporting page is down.").impact == "severe"
    assert extract("Todos los usuarios: la plataforma está caída.").impact == "wide"
    # a count and a verb in different sentences, or a routine change, are not an incident
    assert extract("We removed 12 seats on March 4th. Does the invoice change?").impact == ""
    assert extract("The export button is missing. We are 40 people.").impact == ""
    assert extract("Someone logged in and our API key was leaked.").impact == "wide"  # a security incident is wide


def test_matching_stays_linear_on_a_long_message() -> None:
    import time

    def best_of_three(words: int) -> float:
        text = "word " * words + "our lawyers"
        timings = []
        for n in range(3):
            started = time.perf_counter()
            found = extract(f"{text} {n}")
            timings.append(time.perf_counter() - started)
            assert dict(found.legal_hits)
        return min(timings)

    small, large = best_of_three(500), best_of_three(8000)
    assert large < 16 * 3 * small + 0.01  # 16 times the text: linear, with room for a loaded machine (quadratic would be 256)
    assert large < 1.0


def test_a_threat_to_leave_or_a_repeated_complaint_is_a_churn_signal() -> None:
    assert extract("This is the third time I write. We will not renew.").churn_score >= 0.8
    assert dict(extract("Wir prüfen Alternativen.").churn_hits)
    assert extract("Thanks, the export works now.").churn_score == 0.0


def test_churn_said_in_a_sentence_is_found_not_only_as_a_fixed_phrase() -> None:
    said = {
        "ultimatum": "If the export isn't fixed by Thursday we'll cancel the remaining 25 licences.",
        "another vendor": "Honestly we are close to moving our team to a different provider.",
        "recommend the other": "I will be recommending the other vendor to our board on Monday.",
        "ordinal contact": "This is my third message about the same invoice.",
        "ignored": "Nobody from your side has replied since the 4th.",
        "automated only": "All we got back was an automated acknowledgement.",
        "time without answer": "Two weeks with no answer on a billing question.",
        "chased": "I've chased this three times through chat.",
        "wants it higher": "Please have a supervisor call me about how this was handled.",
    }
    for case, text in said.items():
        found = extract(text)
        assert found.churn_score >= 0.5, (case, found.churn_hits)


def test_ordinary_requests_with_the_same_words_are_not_churn() -> None:
    calm = (
        "Please cancel my subscription at the end of the month, thanks for everything.",
        "We moved to another office last week; please update our billing address.",
        "Is there a second email address field on the contact form?",
        "Our manager asked me to request an invoice copy.",
        "We have been customers for two years and love the product.",
    )
    for text in calm:
        assert extract(text).churn_score == 0.0, (text, extract(text).churn_hits)


def test_someone_else_acting_in_the_account_is_a_security_incident() -> None:
    found = extract("An admin invite was sent from our account at 2 am. None of us did that, and we did not authorize it.")
    assert found.impact == "wide" and "none of us did" in found.severe_hits
    assert extract("Can we get an alert for suspicious sign-ins?").impact == ""


def test_another_customers_data_in_front_of_this_one_is_a_security_incident_in_several_languages() -> None:
    exposures = (
        "If I change the number at the end of the payslip URL I can see payslips from other companies.",
        "After logging in I landed on a dashboard that wasn't mine.",
        "The confirmation e-mail had someone else's name and phone number on it.",
        "El correo de confirmación traía el nombre, la dirección y el teléfono de otra persona.",
        "Les e-mails de confirmation contiennent les données d'un autre client.",
        "In der Bestätigung stehen Name und Adresse eines anderen Kunden.",
        "Na confirmação aparecem os dados de outro cliente.",
    )
    for text in exposures:
        found = extract(text)
        assert found.impact == "wide" and "another customer's data shown" in found.severe_hits, text
    ordinary = (
        "I bought it as a gift for someone else's birthday, can I get a refund?",
        "Please add a way for managers to see other users' calendars.",
        "Can I transfer the account to someone else?",
        "We moved from another company's tool last year; can you import our contacts?",
        "A nota fiscal saiu com o CNPJ de outra empresa, podem emitir de novo?",
    )
    for text in ordinary:
        assert "another customer's data shown" not in extract(text).severe_hits, text


def test_nobody_can_is_wide_in_italian_and_dutch_and_with_the_verb_first() -> None:
    for text in (
        "Da stamattina nessuno dei nostri docenti riesce ad avviare le lezioni.",
        "Niemand kan meer inloggen sinds vanochtend.",
        "Sinds de update kan niemand van ons team inloggen.",
        "Seit dem Update kann niemand mehr Rechnungen verschicken.",
        "Geen enkele kassa kan betalingen verwerken.",
    ):
        assert extract(text).impact == "wide", text
    for text in ("Das kann keiner wissen.", "Ich kann keine Rechnung finden, wo ist sie?", "Nessuno ha risposto alla mia email."):
        assert extract(text).impact == "", text


def test_a_whole_company_that_cannot_ship_is_wide_in_german_and_english() -> None:
    assert extract("Betroffen ist das komplette Unternehmen – wir können keine einzige Rechnung verschicken.").impact == "wide"
    assert extract("Since the update not a single order has gone out and nothing works in the warehouse.").impact == "wide"
    assert extract("Nothing works when I click the blue button, not a big deal.").impact == ""


def test_an_ongoing_stoppage_said_calmly_is_severe_and_wide_with_a_scope_nearby() -> None:
    calm = "Hi, since about 08:40 no new orders are coming through to the warehouse. All 30 of our stores are waiting on them."
    found = extract(calm)
    assert found.impact == "wide" and any(term.startswith("ongoing since") for term in found.severe_hits)
    assert extract("Seit dem letzten Update kommen keine Bestellungen mehr an.").impact == "severe"
    assert extract("Since the update I don't see the dark mode toggle.").impact == "severe"  # one person: P1 floor, not P0
    assert extract("We've been customers since 2019 and have no complaints.").impact == ""


def test_a_counted_or_universal_scope_that_cannot_work_is_wide() -> None:
    # a count with adjectives between it and the noun, thousands written with spaces, and a plain inability
    wide = extract("Since the migration our 85 remote agents can't open any conversation at all.")
    assert wide.impact == "wide" and any("85 remote agents" in term for term in wide.scope_hits)
    assert extract("Roughly 3 000 archived invoices were overwritten with blank PDFs last night.").impact == "wide"
    assert extract("Every open order in the warehouse was set to cancelled by the import.").impact == "wide"
    assert extract("Nos 120 conseillères ne voient plus leurs files d'attente depuis la mise à jour.").impact == "wide"
    assert extract("Unsere 60 Mitarbeitenden können sich nicht mehr anmelden.").impact == "wide"
    # the same words without an inability or a scope are not an incident
    assert extract("Our 85 agents love the new inbox; can we add a dark theme?").impact == ""
    assert extract("I can't find where to change my own signature.").impact == ""
    assert extract("We have 2,000 contacts; is there a limit on imports?").impact == ""


def test_a_chargeback_or_a_right_with_a_clock_said_in_a_sentence_is_legal() -> None:
    for text in (
        "I have asked my bank to reverse the payment for the second charge.",
        "If nobody answers by Monday we will take this up with our bank.",
        "Ich werde die Lastschrift bei meiner Bank zurückbuchen lassen.",
        "He pedido a mi banco la devolución del cargo.",
        "J'ai demandé à ma banque de faire opposition sur ce prélèvement.",
        "Vou contestar a cobrança no cartão.",
        "Under GDPR you have one month to send me a copy of my data.",
        "We reserve all rights regarding the lost orders.",
    ):
        assert extract(text).legal_score >= 0.6, text
    assert extract("My bank card expired, how do I add the new one?").legal_score == 0.0
    assert extract("Can I pay by bank transfer instead of card?").legal_score == 0.0


def test_repeated_contact_and_a_vendor_evaluation_are_churn_in_several_languages() -> None:
    for text in (
        "I have written to you four times about this invoice.",
        "We've asked three different people and got three answers.",
        "I've been trying to reach my account manager since October.",
        "We have started conversations with two other vendors.",
        "We are evaluating alternative providers for next year.",
        "Os he escrito tres veces y sigo sin respuesta.",
        "Ich habe das schon dreimal gemeldet.",
        "J'ai relancé trois fois votre service.",
        "Já escrevi quatro vezes sobre isso.",
    ):
        assert extract(text).churn_score >= 0.5, text
    assert extract("I wrote the macro myself and it works, thanks!").churn_score == 0.0


def test_service_about_to_be_lost_and_short_deadlines_are_urgency() -> None:
    suspended = extract("Your mail says the workspace will be suspended on Friday if the card isn't updated.")
    assert suspended.urgency_score >= 0.5
    assert extract("Das Konto wird am Montag gesperrt, bitte helfen Sie.").urgency_score >= 0.5
    assert extract("La cuenta será suspendida mañana.").urgency_score >= 0.5
    assert extract("We need an answer in the next hour, the launch is at 7pm.").urgency_score >= 0.4
    assert extract("Could you send it by end of day?").urgency_score >= 0.4
    assert extract("Our finance team closes the books on Thursday.").urgency_score > 0.0
    # a suspended *feature* the customer asks about, or a date far away, is not urgent
    assert extract("Is there a way to pause a project instead of deleting it?").urgency_score == 0.0
    assert extract("No rush, whenever you have a minute next month.").urgency_score == 0.0
