"""Language of realistic customer mail: the customer's own words, not the quoted thread or the signature."""

import pytest

from tickets.triage import language
from tickets.triage.text import customer_text

GERMAN_REPLY_TO_ENGLISH = """Hallo zusammen,

leider klappt es immer noch nicht, ich bekomme beim Login weiterhin die Fehlermeldung.
Können Sie bitte nochmal nachsehen?

Viele Grüße
Jens Möller

Am Mo., 30. Nov. 2026 um 10:14 Uhr schrieb Support <support@example.com>:
> Hi Jens, thanks for reaching out. Please try resetting your password using the link below
> and let us know whether the problem persists. Kind regards, the support team
"""
FRENCH_WITH_SIGNATURE = """Bonjour,

Ma facture de novembre (INV-20931) comporte deux fois le même abonnement. Pourriez-vous la corriger
et me renvoyer une facture rectifiée ?

Cordialement,
--
Claire Dubois | Responsable achats | Globex France
Tel +33 1 23 45 67 89 | This e-mail and any attachments are confidential and intended solely for the addressee.
"""
SPANISH_TYPOS = "hola, nopuedo entrar ami cuenta desde ayer, la contraseña no funsiona y ya la cambie dos veses. ayuda porfa"
ITALIAN = "Buongiorno, il pagamento dell'ordine 55812 è stato addebitato due volte sulla mia carta. Potete rimborsare?"
DUTCH = "Hoi, mijn bestelling van vorige week is nog steeds niet aangekomen en de track & trace zegt niets. Wat nu?"
PORTUGUESE = "Olá, não consigo exportar os relatórios em CSV desde a última atualização. O botão não faz nada."
POLISH = "Dzień dobry, od wczoraj nie mogę się zalogować do konta. Link do resetu hasła nie przychodzi."
ENGLISH_WITH_GERMAN_QUOTE = """Thanks, that fixed it. You can close the ticket.

On Tue, 1 Dec 2026, Support wrote:
> Hallo, bitte versuchen Sie es mit dem neuen Link erneut.
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (GERMAN_REPLY_TO_ENGLISH, "de"),
        (FRENCH_WITH_SIGNATURE, "fr"),
        (SPANISH_TYPOS, "es"),
        (ITALIAN, "it"),
        (DUTCH, "nl"),
        (PORTUGUESE, "pt"),
        (POLISH, "pl"),
        (ENGLISH_WITH_GERMAN_QUOTE, "en"),
    ],
)
def test_realistic_mail_in_its_language(body: str, expected: str) -> None:
    assert language.detect("", customer_text(body)).code == expected


def test_the_subject_helps_a_short_body_and_too_little_text_is_unknown() -> None:
    assert language.detect("Rechnung ist falsch, bitte korrigieren", "Danke!").code == "de"
    assert language.detect("", "Danke!").code == ""
    assert language.detect("", "OK 👍").code == ""


def test_customer_text_drops_quotes_thread_and_signature() -> None:
    own = customer_text(GERMAN_REPLY_TO_ENGLISH)
    assert "leider klappt es" in own and "thanks for reaching out" not in own and "schrieb" not in own
    assert "confidential" not in customer_text(FRENCH_WITH_SIGNATURE)
