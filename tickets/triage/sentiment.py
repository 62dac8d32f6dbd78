"""Sentiment (VADER) and a support-specific frustration score.

VADER reads general-purpose polarity; it misses what makes a support ticket frustrated:
"I still can't access my account, this is urgent" has no negative lexicon word, so its
compound is >= 0. ``frustration_score`` adds cues that matter in support, each with a
weight, and combines them with VADER's negativity as independent evidence::

    frustration = 1 - prod(1 - w_i)     (noisy-OR over the cues that fired)

Cue weights (one weight per cue family, however many phrases of that family match):

========================  ======  ==================================================
cue                       weight  examples
========================  ======  ==================================================
negation of ability        0.30   can't, cannot, unable to, doesn't work, not working
"still"                    0.20   still waiting, still broken
persisting problem         0.15   "still" together with a negation of ability
repeat contact             0.35   third time, already contacted, no one answers, nobody (0.50 for 2+)
"again"                    0.15   (weaker: also appears in "try again")
threat to leave            0.40   switch to, competitor, take my business elsewhere
wants to cancel            0.20   cancel, close my account (without a threat: calm)
strong negative words      0.35   unacceptable, ridiculous, worst, waste (0.50 for 2+)
profanity (light)          0.35   damn, crap, wtf, sucks
ALL CAPS words             0.15   one shouted word; 0.30 for two or more
!! or ?! runs              0.20   "!!", "?!"; 0.10 for three or more single "!"
time pressure              0.15   urgent, asap, immediately, right now
VADER negativity         0.8×neg  neg = max(0, -compound)
========================  ======  ==================================================

A clearly positive message (compound ≥ 0.5) without strong negative words or profanity
has its score multiplied by (1 - 0.6 × compound): "can't wait to try it!!" is excitement.

When the text is polite (please, thanks, appreciate…) and no strong cue fired (repeat
contact, threat, strong words, profanity, shouting), the score is multiplied by 0.75:
"I can't find the export option, could you help? Thanks" is a how-to, not a complaint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


@dataclass(frozen=True)
class Sentiment:
    compound: float
    frustration_score: float
    cues: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    # Building the analyzer parses the lexicon (tens of ms): one per process.
    return SentimentIntensityAnalyzer()


def _phrases(*phrases: str) -> re.Pattern[str]:
    alternation = "|".join(sorted((p.replace(" ", r"\s+") for p in phrases), key=len, reverse=True))
    return re.compile(rf"(?<![\w'])(?:{alternation})(?![\w'])", re.IGNORECASE)


_APOSTROPHE = re.compile(r"[\u2019\u2018`´]")

ABILITY_NEGATION = _phrases(
    "can't", "cant", "cannot", "can not", "couldn't", "unable to", "not able to", "doesn't work", "does not work", "didn't work",
    "not working", "isn't working", "is not working", "won't", "wont", "stopped working", "no longer works", "keeps failing",
    "keeps crashing", "still broken", "is broken", "not loading", "doesn't load", "won't load", "fails", "failed", "failing",
    "locked out", "never arrived", "not work", "don't work", "doesn't", "does not", "would not", "wouldn't", "stopped",
    "stops working", "no matter what", "not even", "never received", "haven't received", "have not received", "not received",
)  # fmt: skip
STILL = _phrases("still", "yet again")
REPEAT_CONTACT = _phrases(
    "second time", "third time", "fourth time", "fifth time", "3rd time", "2nd time", "4th time", "many times", "multiple times",
    "several times", "how many times", "over and over", "already contacted", "already called", "already emailed", "already wrote",
    "already written", "already reported", "already told", "already asked", "already explained", "contacted you",
    "no one answers", "no one has answered", "no one responded", "no one replied", "nobody", "no response", "no reply",
    "no answer", "never heard back", "haven't heard back", "have not heard back", "keep asking", "keep getting", "for weeks",
    "for days", "for a month", "every time", "ignored", "ignoring", "doesn't answer", "does not answer", "don't answer",
    "nonresponsive", "unresponsive", "non-existent", "nonexistent", "never got back", "never got in touch", "no one", "no-one",
    "still waiting", "waiting for weeks", "days ago", "weeks ago",
)  # fmt: skip
AGAIN = _phrases("again")
LEAVE_SOFT = _phrases("cancel", "cancelling", "canceling", "cancellation", "close my account", "unsubscribe")
LEAVE_THREAT = _phrases(
    "switch to", "switching to", "competitor", "competitors", "take my business", "taking my business", "go elsewhere",
    "find another", "leave you", "leaving you", "never use", "never again", "last chance", "will be leaving", "done with you",
    "moving to another",
)  # fmt: skip
STRONG_NEGATIVE = _phrases(
    "unacceptable", "ridiculous", "worst", "waste", "wasted", "wasting", "terrible", "awful", "horrible", "useless", "pathetic",
    "joke", "disgusting", "incompetent", "incompetence", "fed up", "sick of", "tired of", "frustrated", "frustrating",
    "frustration", "annoyed", "annoying", "angry", "furious", "livid", "outraged", "disappointed", "disappointing", "shameful",
    "appalling", "nightmare", "scam", "junk", "garbage", "rubbish", "don't buy", "do not buy", "avoid", "save your money",
    "not worth", "no excuse", "rip off", "ripoff", "unbelievable", "absurd", "insane", "fix this now", "do your job",
)  # fmt: skip
PROFANITY = _phrases(
    "damn", "dammit", "hell", "crap", "crappy", "wtf", "ffs", "omg", "sucks", "suck", "shit", "shitty", "bs", "bullshit", "f\\*+",
    "f\\*\\*k", "freaking", "frigging", "bloody", "screw this", "pissed",
)  # fmt: skip
TIME_PRESSURE = _phrases("urgent", "urgently", "asap", "immediately", "right now", "right away", "emergency", "today")
POLITE = _phrases("please", "thanks", "thank you", "thank", "appreciate", "appreciated", "kind regards", "regards", "cheers", "grateful")

NEGATIVE_TONE_WEIGHT = 0.8
POSITIVE_TONE = 0.5
POSITIVE_DAMPING = 0.6

_CAPS_WORD = re.compile(r"\b[A-Z][A-Z']{2,}\b")
_BANG_RUN = re.compile(r"(?:!\s*){2,}|\?\s*!|!\s*\?")
# Acronyms and codes are written in capitals without anyone shouting.
_ACRONYMS = frozenset({
    "API", "CSV", "PDF", "URL", "GDPR", "HTTP", "HTTPS", "SSO", "SAML", "VAT", "FAQ", "USA", "UK", "EU", "IBAN", "BIC", "SWIFT",
    "ATM", "PIN", "SMS", "OTP", "VPN", "DNS", "SSL", "TLS", "CEO", "CTO", "CFO", "IT", "HR", "USD", "EUR", "GBP", "ASAP", "ID",
    "UI", "UX", "iOS", "AWS", "SQL", "JSON", "XML", "CRM", "ERP", "SLA", "KYC", "AML", "QR", "NFC", "POS", "PC", "MAC", "IMAP",
    "SMTP", "OK", "OKAY", "CC", "BCC", "PS", "FYI", "TBD", "AM", "PM", "INV", "ORD", "ERR", "LLC", "LTD", "INC", "GMBH", "PLC",
})  # fmt: skip


def _matches(pattern: re.Pattern[str], text: str) -> list[str]:
    seen: list[str] = []
    for match in pattern.finditer(text):
        phrase = " ".join(match.group(0).lower().split())
        if phrase not in seen:
            seen.append(phrase)
    return seen


def analyze(text: str) -> Sentiment:
    """VADER compound, a support-specific frustration score in [0, 1] and the cues behind it."""
    text = _APOSTROPHE.sub("'", text or "")
    compound = float(_analyzer().polarity_scores(text)["compound"])
    weights: list[float] = []
    cues: list[str] = []
    strong = False

    negations = _matches(ABILITY_NEGATION, text)
    if negations:
        weights.append(0.30)
        cues.append("negation: " + ", ".join(negations[:3]))
    if _matches(STILL, text):
        weights.append(0.20)
        cues.append("still")
        if negations:
            weights.append(0.15)
            cues.append("persisting problem")
    repeats = _matches(REPEAT_CONTACT, text)
    if repeats:
        weights.append(0.50 if len(repeats) >= 2 else 0.35)
        cues.append("repeat complaint: " + ", ".join(f"'{r}'" for r in repeats[:3]))
        strong = True
    elif _matches(AGAIN, text):
        weights.append(0.15)
        cues.append("repeat complaint: 'again'")
    threats = _matches(LEAVE_THREAT, text)
    if threats:
        weights.append(0.40)
        cues.append("threat to leave: " + ", ".join(threats[:3]))
        strong = True
    elif cancels := _matches(LEAVE_SOFT, text):
        weights.append(0.20)
        cues.append("wants to leave: " + ", ".join(cancels[:2]))
    negatives = _matches(STRONG_NEGATIVE, text)
    if negatives:
        weights.append(0.50 if len(negatives) >= 2 else 0.35)
        cues.append("strong words: " + ", ".join(negatives[:3]))
        strong = True
    profanity = _matches(PROFANITY, text)
    if profanity:
        weights.append(0.35)
        cues.append("profanity: " + ", ".join(profanity[:3]))
        strong = True
    shouted = [word for word in _CAPS_WORD.findall(text) if word.strip("'") not in _ACRONYMS]
    if shouted:
        weights.append(0.30 if len(shouted) >= 2 else 0.15)
        cues.append("ALL CAPS")
        strong = True
    bangs = _BANG_RUN.findall(text)
    if bangs:
        weights.append(0.20)
        cues.append(bangs[0].replace(" ", "").strip())
        strong = True
    elif text.count("!") >= 3:
        weights.append(0.10)
        cues.append("many '!'")
    pressure = _matches(TIME_PRESSURE, text)
    if pressure:
        weights.append(0.15)
        cues.append("time pressure: " + ", ".join(pressure[:2]))
    if compound < 0:
        weights.append(NEGATIVE_TONE_WEIGHT * -compound)
        cues.append(f"negative tone {compound:+.2f}")

    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - min(max(weight, 0.0), 1.0)
    score = 1.0 - remaining
    if score > 0 and compound >= POSITIVE_TONE and not negatives and not profanity:
        # "can't wait!!", "I still love it": the cues fired but the message is happy.
        score *= 1.0 - POSITIVE_DAMPING * compound
        cues.append(f"positive tone {compound:+.2f}")
    if score > 0 and not strong and POLITE.search(text):
        score *= 0.75
        cues.append("polite")
    return Sentiment(compound=round(compound, 4), frustration_score=round(min(max(score, 0.0), 1.0), 4), cues=cues)
