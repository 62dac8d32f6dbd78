"""The project's own seed corpus: realistic support requests per category.

Written for this project (no external data). ``generate`` combines subject and body
templates with slot values, deterministically for a given seed, so demo data and the
default triage model's training set are reproducible. Pure Python: no Django imports.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    team: str
    subjects: tuple[str, ...]
    bodies: tuple[str, ...]


SLOTS: dict[str, tuple[str, ...]] = {
    "product": ("the mobile app", "the web dashboard", "the desktop client", "the API", "the reporting module", "the checkout page"),
    "amount": ("$19.99", "$49.00", "$120.50", "€35.00", "£75.20", "$1,250.00", "$9.99"),
    "plan": ("Starter", "Pro", "Business", "Enterprise", "Team"),
    "invoice": ("INV-20431", "INV-77812", "INV-10093", "INV-55120", "INV-39004"),
    "order": ("order 88231", "order 10452", "order 57710", "order 33019", "order 74410"),
    "days": ("two days", "three days", "a week", "since Monday", "ten days", "48 hours"),
    "browser": ("Chrome", "Firefox", "Safari", "Edge"),
    "device": ("iPhone 15", "Pixel 8", "Samsung Galaxy S23", "iPad", "MacBook", "Windows laptop"),
    "error": ("error 500", "a blank white screen", "'Something went wrong'", "a timeout", "error code E-1042", "a spinning loader"),
    "feature": ("dark mode", "bulk export to CSV", "single sign-on with Okta", "a Slack integration", "custom fields", "scheduled reports"),
    "carrier": ("UPS", "FedEx", "DHL", "the postal service"),
    "country": ("Germany", "Canada", "Australia", "the UK", "Japan"),
}

CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "billing",
        "Billing & invoices",
        "Billing",
        (
            "Question about invoice {invoice}",
            "I was charged twice this month",
            "Wrong amount on my invoice",
            "Need a copy of my invoice",
            "Billing address is wrong on {invoice}",
            "Unexpected charge of {amount}",
        ),
        (
            "Hi, I just looked at my statement and I was charged {amount} twice for the {plan} plan. Can you check invoice {invoice} and fix it?",
            "Hello, the invoice {invoice} shows {amount} but my plan is {plan}, which should cost less. Please explain the difference.",
            "Could you send me a PDF copy of invoice {invoice}? Our accounting team needs it for the quarter close.",
            "Our company name and VAT number are missing from the last invoice. Please reissue {invoice} with the correct billing details.",
            "I see an unexpected charge of {amount} on my card. I did not upgrade anything. What is this payment for?",
            "My credit card was billed {amount} even though I changed the payment method last week. Which card is on file now?",
        ),
    ),
    CategorySpec(
        "refund",
        "Refunds",
        "Billing",
        (
            "Refund request for {order}",
            "Please refund my last payment",
            "Still waiting for my refund",
            "Refund not received after {days}",
            "Cancel and refund the annual {plan} plan",
        ),
        (
            "I requested a refund for {order} {days} ago and the money is still not back on my card. When will I get my {amount}?",
            "I was billed {amount} for the annual {plan} plan by mistake. I only wanted monthly. Please refund the difference.",
            "The product arrived damaged, so I returned it. Can you process the refund of {amount} for {order}?",
            "You promised a refund {days} ago. I have not seen anything on my statement. Please confirm the refund was issued.",
            "I would like my money back for {order}; it does not do what was advertised.",
        ),
    ),
    CategorySpec(
        "account_access",
        "Login & account access",
        "Accounts",
        (
            "Can't log in to my account",
            "Password reset email never arrives",
            "Locked out after too many attempts",
            "Two-factor code not working",
            "How do I change the email on my account?",
            "Account disabled without notice",
        ),
        (
            "I cannot log in since {days}. I reset my password twice but {product} keeps saying the credentials are invalid.",
            "The password reset email never arrives. I checked spam. My username is the same as this email address.",
            "My account got locked after too many attempts and now I'm stuck. Please unlock it, I need access today.",
            "The two-factor authentication code from my authenticator app is always rejected on my {device}. I lost access.",
            "I changed jobs and need to move my login to a new email address. How do I update the account email?",
            "My account was disabled without any notice. I can no longer sign in to {product}. Why was it suspended?",
        ),
    ),
    CategorySpec(
        "technical_issue",
        "Technical problem",
        "Technical",
        (
            "{product} crashes on startup",
            "Getting {error} when I save",
            "Sync is not working on {device}",
            "Upload fails with {error}",
            "Feature stopped working after the update",
            "Page won't load in {browser}",
        ),
        (
            "Since the last update {product} crashes every time I open it on my {device}. I reinstalled it but nothing changed.",
            "Whenever I click save I get {error}. This started {days} ago and I lose my changes every time.",
            "Data entered on my {device} is not syncing to {product}. The last successful sync was {days} ago.",
            "Uploading a file larger than 10 MB fails with {error}. Smaller files are fine. I am using {browser}.",
            "After the update the export button does nothing. No error, no file. Tried {browser} and the desktop client.",
            "The settings page shows {error} in {browser}. Clearing the cache did not help. Other pages load fine.",
        ),
    ),
    CategorySpec(
        "outage",
        "Outage & performance",
        "Technical",
        (
            "{product} is down",
            "Everything is extremely slow today",
            "Service unavailable for all our users",
            "API returning errors for everyone",
            "Is there an outage right now?",
        ),
        (
            "None of our users can reach {product}. We get {error} on every page. This is blocking our whole team right now.",
            "Since this morning every page takes more than 30 seconds to load. Our staff cannot work. Is there an incident?",
            "The API has been returning {error} for every request for the last hour. Our integration is completely down.",
            "Is there a service outage? Several colleagues in {country} report that {product} does not load at all.",
            "Performance has been terrible {days}. Reports time out and the dashboard is unusable for our team.",
        ),
    ),
    CategorySpec(
        "shipping",
        "Shipping & delivery",
        "Orders",
        (
            "Where is my {order}?",
            "Package not delivered",
            "Tracking has not updated in {days}",
            "Wrong item delivered for {order}",
            "Can I change the delivery address?",
        ),
        (
            "My {order} was supposed to arrive {days} ago. The {carrier} tracking still says label created. Where is it?",
            "The tracking says delivered but there is no package at my door. Please check with {carrier}.",
            "I received the wrong item for {order}. I ordered the blue one and got a completely different product.",
            "I'm moving next week. Can you change the shipping address for {order} before it leaves the warehouse?",
            "Do you ship to {country}? My order is stuck at customs and {carrier} asks for documents.",
        ),
    ),
    CategorySpec(
        "cancellation",
        "Cancellation",
        "Accounts",
        (
            "Please cancel my subscription",
            "How do I close my account?",
            "Cancel {plan} plan at end of term",
            "Stop automatic renewal",
        ),
        (
            "I want to cancel my {plan} subscription effective immediately. Please confirm that I will not be charged again.",
            "How do I close my account and delete my data? I no longer use {product}.",
            "Please turn off automatic renewal. I do not want the {plan} plan to renew next month.",
            "We are moving to another vendor. Cancel our {plan} plan at the end of the current term and send a confirmation.",
        ),
    ),
    CategorySpec(
        "feature_request",
        "Feature request",
        "Product",
        (
            "Feature request: {feature}",
            "Would love to see {feature}",
            "Any plans for {feature}?",
            "Suggestion to improve {product}",
        ),
        (
            "It would be great if {product} supported {feature}. Our team would use it every day.",
            "Do you have plans to add {feature}? It is the main thing missing for us compared to other tools.",
            "Suggestion: let us configure {feature} per team. Right now we have to work around it manually.",
            "We'd pay more for the {plan} plan if it included {feature}. Is it on the roadmap?",
        ),
    ),
    CategorySpec(
        "security",
        "Security & fraud",
        "Security",
        (
            "Suspicious login on my account",
            "I think my account was hacked",
            "Phishing email pretending to be you",
            "Unauthorized transaction of {amount}",
            "Reporting a security vulnerability",
        ),
        (
            "I received an alert about a login from {country} that was not me. Please secure my account right away.",
            "Someone changed my password and email. I think my account was hacked and they made a purchase of {amount}.",
            "I got an email that looks like it is from you asking for my card details. Is this phishing?",
            "There is an unauthorized transaction of {amount} on my account that I never made. Please block it.",
            "I found what looks like a vulnerability in {product}: other users' data is visible by changing an id in the URL.",
        ),
    ),
    CategorySpec(
        "data_privacy",
        "Privacy & legal",
        "Security",
        (
            "GDPR data access request",
            "Delete all my personal data",
            "Question about your data processing agreement",
            "Formal complaint about data handling",
        ),
        (
            "Under GDPR article 15 I request a copy of all personal data you hold about me. Please respond within one month.",
            "Please delete all my personal data and confirm in writing. I withdraw consent for any processing.",
            "Our legal team needs your data processing agreement and the list of sub-processors before we can renew.",
            "I am filing a formal complaint about how my data was shared. If this is not resolved I will contact my lawyer and the regulator.",
        ),
    ),
    CategorySpec(
        "how_to",
        "How-to question",
        "Product",
        (
            "How do I export my data?",
            "How to add a new user to our team",
            "Where can I find the reports?",
            "Setting up {product} for the first time",
            "How do I connect the API?",
        ),
        (
            "How do I export all of my projects from {product}? I can't find the option in the menu.",
            "We hired a new colleague. How do I add them to our team and give them access to the {plan} features?",
            "Where can I find the monthly usage reports? The documentation mentions them but I can't see them.",
            "I just signed up for the {plan} plan. What are the first steps to set up {product} for my team?",
            "How do I generate an API key and connect {product} to our CRM?",
        ),
    ),
)

FRUSTRATED_SUFFIXES: tuple[str, ...] = (
    " This is the third time I am writing about this and nobody answers!",
    " I am extremely frustrated. This is unacceptable.",
    " If this is not fixed today I will cancel and tell everyone to avoid you.",
    " Honestly this is ridiculous, I have wasted hours on this.",
)
POLITE_SUFFIXES: tuple[str, ...] = (" Thanks a lot for your help!", " Thank you.", " Many thanks in advance.", "", "", "")


@dataclass(frozen=True)
class SeedTicket:
    category: str
    subject: str
    body: str
    frustrated: bool


def _fill(template: str, rng: random.Random) -> str:
    values = {key: rng.choice(options) for key, options in SLOTS.items()}
    return template.format(**values)


def generate(count: int, *, seed: int = 7, frustrated_share: float = 0.15) -> Iterator[SeedTicket]:
    """Yield ``count`` tickets spread over every category, reproducibly for ``seed``."""
    rng = random.Random(seed)
    for index in range(count):
        spec = CATEGORIES[index % len(CATEGORIES)]
        frustrated = rng.random() < frustrated_share
        suffix = rng.choice(FRUSTRATED_SUFFIXES if frustrated else POLITE_SUFFIXES)
        yield SeedTicket(
            category=spec.slug,
            subject=_fill(rng.choice(spec.subjects), rng),
            body=_fill(rng.choice(spec.bodies), rng) + suffix,
            frustrated=frustrated,
        )
