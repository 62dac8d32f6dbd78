"""Realistic customer mail for the learning-loop tests: what a desk's inbox looks like after a few weeks.

Four kinds of mail, one of them (``delivery``) a category the seed corpus does not know: the
desk created it, and only people's labels can teach it. Every message is a whole e-mail
(greeting, a paragraph or two with order numbers and dates, sometimes a quoted earlier
thread, a signature, the odd typo or another language), built deterministically from a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

GREETINGS = ["Hi,", "Hello support team,", "Dear Sir or Madam,", "Hey there", "Good morning,", "Hi all,", "Hello,", ""]
CLOSINGS = ["Thanks,", "Thank you in advance,", "Best regards,", "Kind regards,", "Cheers,", "Regards,", "thx"]
NAMES = [
    ("Maria Lopez", "Operations Lead", "Lopez Interiors S.L."),
    ("Tom Becker", "Office Manager", "Becker & Sohn GmbH"),
    ("Priya Natarajan", "IT Administrator", "Northwind Dental"),
    ("James O'Connor", "", ""),
    ("Aiko Tanaka", "Purchasing", "Tanaka Trading Co."),
    ("Lucas Silva", "Head of Finance", "Silva Consultoria Ltda"),
    ("Emma Johansson", "", "Fjord Bikes AB"),
    ("Daniel Moreau", "Store Manager", "Boulangerie Moreau"),
]
CITIES = ["Leipzig", "Rotterdam", "Lyon", "Manchester", "Porto", "Milan", "Graz", "Antwerp"]
CARRIERS = ["DHL", "UPS", "DPD", "GLS", "FedEx", "the post office"]
PRODUCTS = ["standing desk", "label printer", "router", "office chair", "barcode scanner", "monitor arm", "espresso machine"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

# {order}, {city}, {carrier}, {product}, {day}, {days}, {amount}, {invoice}, {app}
BODIES: dict[str, list[tuple[str, str]]] = {
    "delivery": [
        (
            "Order {order} still not delivered",
            "I ordered a {product} on {day} (order {order}) and the tracking page has said 'in transit' for {days} days now. "
            "The last scan is from the {carrier} depot in {city} and nothing has moved since. Could you check with the carrier "
            "where the parcel actually is? We need it for a new hire who starts next week.",
        ),
        (
            "Parcel marked as delivered but nothing arrived",
            "According to {carrier} the parcel for order {order} was delivered yesterday at 14:12, but nobody here received "
            "anything. Our reception was staffed all day and the neighbours have nothing either. I suspect it went to the "
            "wrong address. What are the next steps, do you open an investigation with {carrier} or do I?",
        ),
        (
            "Damaged {product} - box crushed in transit",
            "The {product} from order {order} arrived this morning and the box was completely crushed on one side. The frame "
            "is bent and one of the legs is cracked, so we can't use it. I took photos of the packaging before opening it, "
            "happy to send them. Can you send a replacement and arrange for {carrier} to pick up the broken one?",
        ),
        (
            "Wrong delivery address on order {order}",
            "I just noticed that order {order} is going to our old office in {city}. We moved last month and I updated the "
            "address in the account, but the shipping label still shows the old one. The parcel is with {carrier} now. Is "
            "there any way to redirect it before it gets delivered there?",
        ),
        (
            "Shipment stuck in customs",
            "Our shipment (order {order}) has been held at customs in {city} for {days} days. {carrier} says they are waiting "
            "for a commercial invoice from the sender. Can you please send them the paperwork? We paid for express shipping "
            "and it has been almost two weeks.",
        ),
        (
            "Only part of my order arrived",
            "We received one box for order {order} but the confirmation said three parcels. The {product} is there but the "
            "accessories and the cables are missing. The tracking only shows one number. Were the other boxes shipped "
            "separately, or did they get lost somewhere between the warehouse and {city}?",
        ),
        (
            "Lieferung {order} noch nicht angekommen",
            "Hallo, unsere Bestellung {order} sollte laut Bestätigung am {day} geliefert werden. Die Sendungsverfolgung von "
            "{carrier} zeigt seit {days} Tagen keinen neuen Status, das Paket liegt angeblich im Depot {city}. Können Sie bitte "
            "beim Versanddienstleister nachfragen, wo das Paket bleibt?",
        ),
        (
            "Pedido {order} sin entregar",
            "Hola, hice el pedido {order} hace {days} días y el seguimiento de {carrier} sigue diciendo que está en reparto en "
            "{city}. Nadie ha venido a entregarlo y no hemos recibido ningún aviso. ¿Podéis revisar qué ha pasado con el "
            "paquete?",
        ),
    ],
    "billing": [
        (
            "Charged twice for invoice {invoice}",
            "Our credit card statement shows two charges of {amount} EUR on {day} for the same invoice {invoice}. We only have "
            "one subscription. Please refund the duplicate charge and confirm by e-mail, our accountant needs the "
            "confirmation for the month-end close.",
        ),
        (
            "Wrong VAT on invoice {invoice}",
            "Invoice {invoice} was issued without our VAT ID, so it charges 19% VAT on a reverse-charge transaction. Our VAT "
            "number is in the account settings. Could you please reissue the invoice with reverse charge and cancel the old "
            "one? Until then our finance team can't book it.",
        ),
        (
            "Please change the billing address",
            "From next month our invoices should go to the finance department in {city} instead of the head office. The "
            "company name stays the same, only the address and the invoice e-mail change. Can you also resend invoice "
            "{invoice} with the new address?",
        ),
        (
            "Card declined at renewal",
            "We got an e-mail that the renewal payment of {amount} EUR failed. The card is valid and has enough limit, our bank "
            "says they never saw an authorization attempt. Could you retry the payment or tell us how to pay by bank transfer "
            "instead so the subscription isn't interrupted?",
        ),
        (
            "Invoice amount doesn't match our plan",
            "Invoice {invoice} is for {amount} EUR but we are on the 10-seat plan, which should be much less. It looks like we "
            "were billed for seats that were removed in {day}'s cleanup. Please correct the invoice and explain how the amount "
            "was calculated.",
        ),
    ],
    "account_access": [
        (
            "Locked out after password reset",
            "I reset my password this morning and now the login page says my account is locked. I tried three times with "
            "the new password and the reset link again, but the e-mail never arrives. I need to get into the admin panel "
            "today to approve timesheets.",
        ),
        (
            "Lost phone - can't pass two-factor",
            "My phone was stolen on {day} and the authenticator app was on it, so I can't get past the two-factor step. I "
            "still have my password and access to my work e-mail. How can I reset the second factor and get back into my "
            "account?",
        ),
        (
            "SSO login loops back to the start page",
            "Since {day} everyone in our team who signs in with Microsoft SSO ends up back on the login page. No error, it "
            "just loops. Normal password login works for the one local admin account. Did something change with the SAML "
            "settings?",
        ),
        (
            "New colleague never got the invitation",
            "I invited our new colleague twice from the users page but the invitation e-mail does not arrive, not even in "
            "spam. The address is correct. Can you resend it from your side or give her access another way?",
        ),
        (
            "Account deactivated by mistake",
            "One of our admins deactivated my user by accident while cleaning up old accounts, and now I get 'account "
            "disabled' when I log in. I am the owner of the workspace. Can you reactivate it? The other admin is on "
            "holiday until {day}.",
        ),
    ],
    "technical_support": [
        (
            "Sync fails with error 500",
            "Since the update on {day} the calendar sync fails every time with 'error 500: internal server error'. We tried "
            "disconnecting and reconnecting the integration, clearing the cache and a different browser. The log shows the "
            "request id 7f3a-{order}. Could your engineers have a look?",
        ),
        (
            "CSV export is empty",
            "When I export the report as CSV the file downloads but only contains the header row. The same report shows "
            "about 2,000 rows on screen. PDF export works. We need the CSV for our monthly import into the accounting tool.",
        ),
        (
            "{app} app crashes on start",
            "The {app} app crashes immediately after the splash screen since last night's update. I reinstalled it and "
            "restarted the phone, same result. It's an Android 14 phone. The web version works, but our drivers only use "
            "the app.",
        ),
        (
            "API returns 429 although we are under the limit",
            "Our integration gets HTTP 429 Too Many Requests from the orders endpoint, even though we send about 20 requests "
            "a minute and the documented limit is 600. It started on {day}. Did the rate limits change? Request ids are in "
            "the attached log.",
        ),
        (
            "Webhooks stopped arriving",
            "Our endpoint hasn't received any webhook since {day}. The endpoint is up and returns 200 for test calls from "
            "curl. In the dashboard the webhook shows as active with no failed deliveries. Can you check on your side "
            "whether the events are being sent at all?",
        ),
    ],
}

TYPOS = [("the ", "teh "), ("receive", "recieve"), ("because", "becuase"), ("which", "wich"), ("please", "pls")]
QUOTES = [
    "On {day}, Support <help@example.com> wrote:\n> Thanks for reaching out. We are looking into it and will get back to you.\n"
    "> Best, the support team",
    "-----Original Message-----\nFrom: Support <help@example.com>\nSent: {day}\nSubject: Re: your request\n\n"
    "We have received your request and will answer within one business day.",
]


@dataclass(frozen=True)
class Mail:
    kind: str
    subject: str
    body: str


def _signature(rng: random.Random) -> str:
    name, title, company = rng.choice(NAMES)
    lines = ["--", name]
    if title:
        lines.append(title + (f" | {company}" if company else ""))
    elif company:
        lines.append(company)
    if rng.random() < 0.5:
        lines.append(f"+{rng.randint(30, 49)} {rng.randint(100, 999)} {rng.randint(1000000, 9999999)}")
    if rng.random() < 0.3:
        lines.append("Sent from my iPhone")
    return "\n".join(lines)


def mail(kind: str, rng: random.Random) -> Mail:
    """One realistic e-mail of ``kind`` (a key of ``BODIES``)."""
    subject, body = rng.choice(BODIES[kind])
    slots = {
        "order": f"{rng.choice(['#', 'A-', 'ORD-', ''])}{rng.randint(10000, 99999)}",
        "city": rng.choice(CITIES),
        "carrier": rng.choice(CARRIERS),
        "product": rng.choice(PRODUCTS),
        "day": rng.choice(WEEKDAYS),
        "days": str(rng.randint(4, 12)),
        "amount": f"{rng.randint(40, 900)}.{rng.randint(0, 99):02d}",
        "invoice": f"INV-{rng.randint(2025, 2026)}-{rng.randint(1000, 9999)}",
        "app": rng.choice(["Android", "mobile", "driver", "iOS"]),
    }
    text = body.format(**slots)
    if rng.random() < 0.3:
        wrong, right = rng.choice(TYPOS)
        text = text.replace(wrong, right, 1)
    native = text.startswith(("Hallo", "Hola"))  # German and Spanish mail greets and signs off in its own words
    parts = [part for part in (None if native else rng.choice(GREETINGS), text) if part]
    if not native and rng.random() < 0.35:
        parts.append(
            rng.choice(
                [
                    "This is the second time I am writing about this.",
                    "Please let me know as soon as you know more.",
                    "I've attached a screenshot in case it helps.",
                    "Our account number is in the signature.",
                ]
            )
        )
    closing = ("Viele Grüße," if text.startswith("Hallo") else "Saludos,") if native else rng.choice(CLOSINGS)
    parts.append(closing + "\n" + _signature(rng))
    if rng.random() < 0.3:
        parts.append(rng.choice(QUOTES).format(**slots))
    prefix = rng.choice(["", "", "Re: ", "RE: ", "Fwd: "])
    return Mail(kind=kind, subject=prefix + subject.format(**slots), body="\n\n".join(parts))


def inbox(counts: dict[str, int], *, seed: int) -> list[Mail]:
    """``counts[kind]`` mails of each kind, shuffled as they would arrive."""
    rng = random.Random(seed)
    mails = [mail(kind, rng) for kind, n in counts.items() for _ in range(n)]
    rng.shuffle(mails)
    return mails
