# ruff: noqa: E501
"""The project's own seed corpus: realistic support requests in eight categories.

Written for this project (no external data). ``generate`` assembles each ticket from a
subject and a body template per category, slot values (products, amounts, invoice and
order numbers, devices, errors…), and shared openings, extra details and closings;
occasionally a message is short, lower-case, typo-ridden or angry. Everything is
deterministic for a seed, so demo data and the default triage model's training set
(``seed_corpus.csv`` beside this file) are reproducible. Pure Python: no Django imports.

    python -m tickets.triage.seed_corpus --out tickets/triage/seed_corpus.csv --per-category 300
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    team: str
    subjects: tuple[str, ...]
    bodies: tuple[str, ...]
    details: tuple[str, ...] = ()


SLOTS: dict[str, tuple[str, ...]] = {
    "product": (
        "the mobile app",
        "the web dashboard",
        "the desktop client",
        "the API",
        "the reporting module",
        "the checkout page",
        "the Android app",
        "the iOS app",
        "the admin console",
        "the browser extension",
        "your portal",
        "the analytics page",
        "the scheduler",
        "the inbox view",
    ),
    "amount": (
        "$19.99",
        "$49.00",
        "$120.50",
        "€35.00",
        "£75.20",
        "$1,250.00",
        "$9.99",
        "$299",
        "€89.90",
        "$14.00",
        "£12.50",
        "$640.00",
        "$3,400.00",
        "$59.99",
    ),
    "plan": ("Starter", "Pro", "Business", "Enterprise", "Team", "Basic", "Premium", "Growth"),
    "invoice": ("INV-20431", "INV-77812", "INV-10093", "INV-55120", "INV-39004", "INV-2024-0187", "INV-2025-0042", "INV-88310"),
    "order": (
        "order 88231",
        "order #10452",
        "order 57710",
        "order no. 33019",
        "order 74410",
        "order #90217",
        "order 661204",
        "order ORD-45512",
    ),
    "days": (
        "two days",
        "three days",
        "a week",
        "since Monday",
        "ten days",
        "48 hours",
        "two weeks",
        "since yesterday",
        "a month",
        "since Friday",
        "five days",
        "since last Tuesday",
    ),
    "browser": ("Chrome", "Firefox", "Safari", "Edge", "Brave", "Opera"),
    "device": (
        "iPhone 15",
        "Pixel 8",
        "Samsung Galaxy S23",
        "iPad",
        "MacBook",
        "Windows laptop",
        "Chromebook",
        "iPhone 12",
        "Android tablet",
        "work PC",
        "Surface Pro",
    ),
    "os": ("Windows 11", "macOS Sonoma", "iOS 17", "Android 14", "Ubuntu 22.04", "Windows 10"),
    "error": (
        "error 500",
        "a blank white screen",
        "'Something went wrong'",
        "a timeout",
        "error code E-1042",
        "a spinning loader",
        "HTTP 502",
        "'unexpected error, please try again'",
        "error E-2207",
        "'request failed'",
        "a 404 page",
        "'session expired'",
    ),
    "feature": (
        "dark mode",
        "bulk export to CSV",
        "single sign-on with Okta",
        "a Slack integration",
        "custom fields",
        "scheduled reports",
        "a Zapier integration",
        "keyboard shortcuts",
        "two-way calendar sync",
        "an offline mode",
        "recurring invoices",
        "multi-currency support",
        "role-based permissions",
        "a public API for webhooks",
        "Gantt charts",
        "saved filters",
        "an audit log export",
        "Microsoft Teams notifications",
    ),
    "integration": (
        "Salesforce",
        "HubSpot",
        "Slack",
        "Google Drive",
        "Shopify",
        "QuickBooks",
        "Xero",
        "Zapier",
        "Microsoft Teams",
        "Jira",
        "Stripe",
    ),
    "country": ("Germany", "Canada", "Australia", "the UK", "Japan", "Brazil", "India", "Nigeria", "Spain", "Mexico", "Poland", "Vietnam"),
    "card": ("Visa ending 4242", "Mastercard ending 5100", "Amex ending 1005", "my debit card", "the company card", "my PayPal account"),
    "seats": ("5", "12", "25", "40", "3", "150", "8", "60"),
    "version": ("4.2.1", "5.0", "3.9.8", "5.1.2", "2024.3", "6.0 beta"),
    "team": (
        "our sales team",
        "the finance department",
        "my team",
        "our support staff",
        "the marketing team",
        "our warehouse crew",
        "our developers",
        "the whole office",
    ),
    "date": ("March 3", "the 15th", "last Friday", "June 1st", "the 28th of last month", "January 9", "yesterday", "this morning"),
    "email": (
        "jane.doe@example.com",
        "mark@acme-corp.example",
        "accounts@northwind.example",
        "s.lee@example.org",
        "billing@contoso.example",
        "tom.h@example.net",
    ),
    "account": ("account 10034577", "account no. 55201983", "customer ID 449021", "account #7781203", "account 30118842"),
}

GREETINGS: tuple[str, ...] = (
    "Hi,", "Hello,", "Hi there,", "Hey,", "Good morning,", "Good afternoon,", "Dear support team,", "Hello support,", "Hi team,",
    "To whom it may concern,", "Hey guys,", "Hiya,", "Greetings,", "Dear Sir or Madam,", "", "", "", "", "",
)  # fmt: skip
CLOSINGS: tuple[str, ...] = (
    "Thanks a lot for your help!", "Thank you.", "Many thanks in advance.", "Thanks,", "Best regards,", "Kind regards, Maria",
    "Cheers, Tom", "Thanks in advance for looking into this.", "Looking forward to your reply.", "Appreciate the help.",
    "Regards, the accounts team", "Sent from my iPhone", "Have a nice day!", "Please let me know.", "Thank you for your time.",
    "Best, Alex", "Thx", "", "", "", "", "",
)  # fmt: skip
FRUSTRATED_SUFFIXES: tuple[str, ...] = (
    "This is the third time I am writing about this and nobody answers!",
    "I am extremely frustrated. This is unacceptable.",
    "If this is not fixed today I will cancel and tell everyone to avoid you.",
    "Honestly this is ridiculous, I have wasted hours on this.",
    "I already contacted you twice and got no reply. What is going on??",
    "Worst customer service I have ever dealt with.",
    "Fix this NOW please, I am losing money every hour.",
    "I'm seriously considering switching to a competitor.",
    "Still waiting. Again. Unbelievable!!",
    "Nobody on your chat could help me either, what a waste of time.",
    "This keeps happening and I'm fed up with it.",
    "I've been a loyal customer for years and this is how you treat me?!",
)  # fmt: skip
GENERIC_SUBJECTS: tuple[str, ...] = (
    "Help", "Question", "Problem", "Need help please", "Support request", "URGENT", "Hello", "Issue", "Re: your email", "Follow up",
    "Quick question", "(no subject)", "Fwd: ticket", "Please help",
)  # fmt: skip

CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
        "technical_support",
        "Technical support",
        "Technical",
        subjects=(
            "{product} crashes on startup",
            "Getting {error} when I save",
            "Sync is not working on my {device}",
            "Upload fails with {error}",
            "Export button stopped working after the update",
            "Page won't load in {browser}",
            "{integration} integration not syncing",
            "App freezes on {os}",
            "Notifications stopped arriving",
            "Reports are empty since the update",
            "API returns {error}",
            "Can't attach files anymore",
            "Data not showing up in the dashboard",
            "Version {version} keeps crashing",
            "Search returns nothing",
            "Import from CSV fails",
            "How do I set up the {integration} connector?",
            "Webhook not firing",
            "Calendar not syncing",
            "Bug: {error} on the settings page",
            "Everything is very slow today",
            "Is {product} down?",
            "Printing invoices produces blank pages",
            "Login works but dashboard never loads",
            "Help configuring {product}",
        ),
        bodies=(
            "Since the last update {product} crashes every time I open it on my {device}. I reinstalled it but nothing changed.",
            "Whenever I click save I get {error}. This started {days} ago and I lose my changes every time.",
            "Data entered on my {device} is not syncing to {product}. The last successful sync was {days} ago.",
            "Uploading a file larger than 10 MB fails with {error}. Smaller files are fine. I am using {browser} on {os}.",
            "After updating to version {version} the export button does nothing. No error, no file. Tried {browser} and the desktop client.",
            "The settings page shows {error} in {browser}. Clearing the cache and cookies did not help. Other pages load fine.",
            "Our {integration} integration stopped syncing {days} ago. New records created in {integration} do not appear in {product} at all.",
            "{product} freezes for about 30 seconds whenever I switch tabs on {os}. Task manager shows it using 100% CPU.",
            "Push notifications stopped arriving on my {device}. Notifications are enabled in the phone settings and I reinstalled the app.",
            "The weekly report for {team} is completely empty since the update, although the raw data is clearly there.",
            "Our integration calls the API and since {date} every request returns {error}. Our API key has not changed. Request id 7f3a-22c1.",
            "When I try to attach a PDF to a record the upload bar reaches 100% and then shows {error}.",
            "New entries don't show up in the dashboard until I log out and back in. Is there some caching issue?",
            "The search box returns no results even for records I can see in the list. This used to work fine last week.",
            "Importing our customer list from CSV fails at row 212 with {error}. The file is UTF-8 with a header row, 4,000 rows.",
            "How do I set up the {integration} connector? I followed the help article but the connect button just spins.",
            "We configured a webhook to https://hooks.example.com/ticket but it never fires when a record is created. The test ping works.",
            "My calendar events are not syncing between {product} and Google Calendar anymore. I tried disconnecting and reconnecting.",
            "The app is extremely slow today, every click takes 10+ seconds. Our internet connection is fine, other sites are fast.",
            "I can log in but the dashboard never finishes loading, it just shows {error}. Happens on {browser} and on my {device}.",
            "When I print an invoice from {product} I get blank pages. Preview looks fine. Printer is an HP LaserJet.",
            "Can you tell me how to configure {product} so that new users get the default template? I can't find the setting anywhere.",
            "the app wont open on my {device} after the latest update, it shows the logo and then closes",
            "Getting {error} on {product} since {days}. Screenshot attached. Please advise.",
            "How do I connect our {integration} account to {product}? Which permissions does the API token need?",
            "Our scheduled exports to Google Drive stopped running on {date}. The job history just says failed with no detail.",
            "Two-way sync duplicates every contact. We now have each customer three times in {product}.",
            "Is there a known problem with {product}? None of my colleagues can load the reports page, we all get {error}.",
            "The mobile app logs me out every few minutes on {os}, then the desktop version works fine.",
        ),
        details=(
            "I am on version {version} of the app.",
            "We are on the {plan} plan with {seats} users.",
            "Our account is {account}.",
            "This happens on {browser} and on the mobile app.",
            "I already tried clearing the cache and restarting.",
            "Console log shows {error}.",
            "It worked fine until {date}.",
            "Screenshots attached.",
            "Steps: open the project, click Export, choose CSV, nothing happens.",
            "My operating system is {os}.",
            "A colleague on {device} has the same problem.",
            "We need this working before our demo on {date}.",
        ),
    ),
    CategorySpec(
        "billing",
        "Billing & invoices",
        "Billing",
        subjects=(
            "Question about invoice {invoice}",
            "I was charged twice this month",
            "Wrong amount on my invoice",
            "Need a copy of my invoice",
            "Billing address is wrong on {invoice}",
            "Unexpected charge of {amount}",
            "Update payment method",
            "Card declined on renewal",
            "VAT number missing on invoice",
            "Why did my bill go up?",
            "Change billing email",
            "Payment failed",
            "Pro-rated charge question",
            "Invoice for {seats} seats but we only have 3 users",
            "Receipts for last year",
            "Switch from monthly to annual billing",
            "Pay by bank transfer?",
            "Currency on invoice is wrong",
            "Charged after downgrading",
            "Billing cycle date change",
            "Purchase order number on invoices",
            "Tax charged incorrectly",
        ),
        bodies=(
            "I just looked at my statement and I was charged {amount} twice for the {plan} plan. Can you check invoice {invoice} and fix it?",
            "The invoice {invoice} shows {amount} but my plan is {plan}, which should cost less. Please explain the difference.",
            "Could you send me a PDF copy of invoice {invoice}? Our accounting team needs it for the quarter close.",
            "Our company name and VAT number are missing from the last invoice. Please reissue {invoice} with the correct billing details.",
            "I see an unexpected charge of {amount} on my card. I did not upgrade anything. What is this payment for?",
            "My credit card was billed {amount} even though I changed the payment method last week. Which card is on file now?",
            "I need to replace {card} with a new card as the old one expires this month. Where do I update the payment details?",
            "The renewal payment was declined but the card works everywhere else. Can you retry the charge or send me a payment link?",
            "Why did my monthly bill go from {amount} to a higher amount? Nobody told us about a price change.",
            "Please send invoices to {email} instead of my personal address from now on.",
            "We are billed for {seats} seats but only three people in {team} actually use the account. Can you correct the seat count?",
            "Can I get all receipts for the last twelve months in one file? Our accountant needs them for the tax return.",
            "We would like to switch from monthly to annual billing for the {plan} plan. How is the remaining month handled?",
            "Is it possible to pay by bank transfer instead of card? Our finance department doesn't allow card payments above {amount}.",
            "Our invoices are in USD but we are based in {country} and need them in EUR. Can the currency be changed?",
            "I downgraded to {plan} on {date} but was still charged the old price of {amount}.",
            "Could you move our billing date to the 1st of each month? It would make reconciliation much easier.",
            "Our procurement team needs the PO number 4500123987 printed on every invoice. Where can I add it?",
            "Sales tax was added to {invoice} but we are tax exempt. I can send our exemption certificate.",
            "I got an email saying my payment failed, but the money left my account. {account}. Please check.",
            "What is the pro-rated charge of {amount} on my latest invoice? I added two users mid-month, is that it?",
            "my card got charged {amount} on {date} and i have no idea what for",
            "The billing address on {invoice} is our old office. Can you reissue it with the new address in {country}?",
            "How do I download invoices from the billing page? I only see the last three.",
            "We were charged in {country} currency with a conversion fee. Can we be billed in dollars?",
        ),
        details=(
            "Our account is {account}.",
            "The charge appeared on {date}.",
            "I pay with {card}.",
            "We are on the {plan} plan.",
            "Invoice number {invoice}.",
            "The billing contact is {email}.",
            "Our VAT ID is DE811234567.",
            "The amount was {amount}.",
        ),
    ),
    CategorySpec(
        "account_access",
        "Login & account access",
        "Accounts",
        subjects=(
            "Can't log in to my account",
            "Password reset email never arrives",
            "Locked out after too many attempts",
            "Two-factor code not working",
            "How do I change the email on my account?",
            "Account disabled without notice",
            "Lost my phone with the authenticator",
            "SSO login fails",
            "Verification email not received",
            "Username forgotten",
            "Can't sign in on {device}",
            "Login loop",
            "Transfer account ownership",
            "Invite link expired",
            "Remove a former employee's access",
            "Reactivate my account",
            "Merge two accounts",
            "Login page says invalid credentials",
            "Magic link not working",
            "Change my phone number for 2FA",
        ),
        bodies=(
            "I cannot log in since {days}. I reset my password twice but {product} keeps saying the credentials are invalid.",
            "The password reset email never arrives. I checked spam and promotions. My username is {email}.",
            "My account got locked after too many attempts and now I'm stuck. Please unlock it, I need access today.",
            "The two-factor authentication code from my authenticator app is always rejected on my {device}. I lost access.",
            "I changed jobs and need to move my login to a new email address. How do I update the account email?",
            "My account was disabled without any notice. I can no longer sign in to {product}. Why was it suspended?",
            "I lost my phone with the authenticator app on it. How can I get back into my account? I still have my recovery email.",
            "Single sign-on through Okta fails with 'SAML response invalid' for everyone in {team} since {date}.",
            "I signed up but the verification email never came, so I cannot activate the account. Tried twice with {email}.",
            "I forgot which username I used when I registered. My email is {email}, can you tell me?",
            "After entering my password the login page just reloads and asks again. Endless loop in {browser}.",
            "The owner of our workspace left the company. How do we transfer ownership to me so we can keep admin access?",
            "The invite link I got from my manager says it expired. Can you resend it or extend it?",
            "An employee left last week. Please remove {email} from our workspace and revoke all of their sessions.",
            "I closed my account by mistake {days} ago. Is it possible to reactivate it with all my data?",
            "I accidentally created two accounts with different emails. Can you merge them into {email}?",
            "Login says invalid credentials even right after resetting the password. Caps lock is off, I promise.",
            "The magic login link in the email opens a page that says the link is invalid or expired, every single time.",
            "I have a new phone number. How do I update the number used for SMS verification codes without losing access?",
            "cant get into my account, it keeps asking for a code i never receive",
            "Hi, I'm locked out. {account}. Could you please reset my access?",
            "Our admin account is locked and nobody in {team} can manage users anymore.",
            "I don't get the SMS code when logging in from {country}. Works at home but not while travelling.",
            "Please help me regain access to my account, I no longer have access to the old email address {email}.",
        ),
        details=(
            "My username is {email}.",
            "I am using {browser} on {os}.",
            "It's account {account}.",
            "I tried on my {device} too.",
            "I need access before {date}.",
            "I am the account owner.",
            "Our workspace is on the {plan} plan.",
        ),
    ),
    CategorySpec(
        "refund_request",
        "Refunds",
        "Billing",
        subjects=(
            "Refund request for {order}",
            "Please refund my last payment",
            "Still waiting for my refund",
            "Refund not received after {days}",
            "Cancel and refund the annual {plan} plan",
            "Money back please",
            "Refund for duplicate charge",
            "Request reimbursement",
            "Return and refund for {order}",
            "Refund to a different card",
            "Partial refund for downtime",
            "Charged after free trial - refund",
            "Refund status?",
            "Want my money back",
            "Refund for unused months",
        ),
        bodies=(
            "I requested a refund for {order} {days} ago and the money is still not back on my card. When will I get my {amount}?",
            "I was billed {amount} for the annual {plan} plan by mistake. I only wanted monthly. Please refund the difference.",
            "The product arrived damaged, so I returned it. Can you process the refund of {amount} for {order}?",
            "You promised a refund {days} ago. I have not seen anything on my statement. Please confirm the refund was issued.",
            "I would like my money back for {order}; it does not do what was advertised.",
            "I was charged {amount} twice on {date}. Please refund the duplicate payment to {card}.",
            "My free trial ended and I was charged {amount} although I cancelled before the end. I want a full refund.",
            "We only used the {plan} plan for two weeks before switching. Are we eligible for a refund of the unused months?",
            "Your service was down for most of {date}. We'd like a partial refund or credit for the downtime.",
            "The card I paid with is closed now. Can the refund for {order} be sent to {card} instead?",
            "What is the status of my refund? The reference number is RF-20931 and it was approved {days} ago.",
            "I returned {order} with the prepaid label, tracking shows delivered to your warehouse, but no refund yet.",
            "Please refund {amount}. I upgraded by accident while clicking around and never used the new features.",
            "i want a refund for my subscription, i did not authorize the renewal",
            "Can you reimburse the {amount} we paid for extra seats we never activated?",
            "I cancelled on {date} and was still billed {amount} the next day. Please reverse the charge.",
            "The item in {order} was not as described, I'd like to return it and get my money back.",
            "Requesting a refund for invoice {invoice}, we cancelled before the renewal date according to your terms.",
            "How long do refunds usually take to show on the card? Mine was issued {days} ago.",
            "Please refund my last payment of {amount}. I no longer need the service.",
        ),
        details=(
            "The amount was {amount}.",
            "Order reference: {order}.",
            "I paid with {card}.",
            "Invoice {invoice}.",
            "The charge is from {date}.",
            "Our account: {account}.",
            "Your refund policy says 30 days and I am well within that.",
        ),
    ),
    CategorySpec(
        "product_complaint",
        "Product complaint",
        "Product",
        subjects=(
            "Very disappointed with {product}",
            "Quality has gone downhill",
            "The new design is terrible",
            "Item broke after a week",
            "Not what was advertised",
            "Complaint about your service",
            "Poor experience with support agent",
            "Received damaged item",
            "The update made things worse",
            "Misleading pricing page",
            "Too many bugs lately",
            "Unhappy with {order}",
            "Feedback: the new layout",
            "Wrong item delivered",
            "Product stopped working after a month",
            "Complaint",
        ),
        bodies=(
            "I'm really disappointed with {product} lately. Every release removes something we relied on and adds things nobody asked for.",
            "The quality of your service has gone downhill over the last months. Pages are slow, features are half-finished.",
            "The new redesign is awful. Everything takes three clicks instead of one and the font is unreadable on my {device}.",
            "The headset from {order} broke after one week of normal use. For {amount} I expected much better quality.",
            "What I received is not what was advertised. The website says unlimited projects but we hit a limit at 10.",
            "I want to file a complaint about the agent I spoke to on {date}. He was rude and hung up on me.",
            "The package for {order} arrived crushed and the item inside is scratched. Very poor packaging.",
            "Since the update to version {version} the app feels worse in every way. Please bring back the old list view.",
            "Your pricing page is misleading. It says {amount} per month but that is only with an annual commitment.",
            "There have been too many bugs in the last few weeks. We pay for the {plan} plan and expect a stable product.",
            "I ordered the blue model in {order} and got a completely different product. Not impressed.",
            "The product stopped working after a month. The battery doesn't charge anymore and the light just blinks.",
            "I'm unhappy with how the onboarding went. We were promised a dedicated contact and never heard from anyone.",
            "The mobile app is much worse than the website. It's slow, missing features and the layout is confusing.",
            "Honestly the new version is a step backwards. Our team preferred the old editor and now productivity dropped.",
            "The delivery took {days} longer than promised and the courier left it in the rain.",
            "the new update is really bad, nothing is where it used to be",
            "The quality of the printed materials we ordered was poor, colours are off and the paper is thin.",
            "We are paying for premium support but answers take days. This is not the service we signed up for.",
            "I want to complain about the constant upsell popups inside {product}. They interrupt our work several times a day.",
            "The product description promised compatibility with {integration}, which turned out not to be true.",
        ),
        details=(
            "We have been customers for five years.",
            "We pay {amount} a month for this.",
            "Order: {order}.",
            "I expect a proper response.",
            "My whole team agrees.",
            "I have attached photos.",
            "We are on the {plan} plan.",
        ),
    ),
    CategorySpec(
        "feature_request",
        "Feature request",
        "Product",
        subjects=(
            "Feature request: {feature}",
            "Would love to see {feature}",
            "Any plans for {feature}?",
            "Suggestion to improve {product}",
            "Idea: {feature}",
            "Please add {feature}",
            "Roadmap question",
            "Missing feature: {feature}",
            "Enhancement request",
            "Could you support {integration}?",
            "Wishlist item",
            "Product suggestion",
            "Request for {feature} in {product}",
        ),
        bodies=(
            "It would be great if {product} supported {feature}. Our team would use it every day.",
            "Do you have plans to add {feature}? It is the main thing missing for us compared to other tools.",
            "Suggestion: let us configure {feature} per team. Right now we have to work around it manually.",
            "We'd pay more for the {plan} plan if it included {feature}. Is it on the roadmap?",
            "Please consider adding {feature}. {team} has been asking for it for a while.",
            "Any chance of a native {integration} integration? We currently copy data by hand every week.",
            "Small idea: allow us to pin favourite reports on the home screen. Would save a lot of clicks.",
            "Would it be possible to export dashboards as PDF? Management wants them in the weekly email.",
            "I'd love to see {feature} in {product}. Happy to beta test it.",
            "Is there a public roadmap? We are deciding on a tool and {feature} is a must-have for us.",
            "Could you add an option to set the default time zone per user? Our team works across {country} and the US.",
            "Feature suggestion: bulk edit for tags. Editing 300 records one by one is painful.",
            "Please add support for {feature}; many of our clients have asked about it.",
            "It would be really useful to have an undo button after deleting a record.",
            "We would like more granular permissions, e.g. read-only access to billing for our accountant.",
            "Suggestion: show the number of open items next to each folder in the sidebar.",
            "would be nice to have {feature}, any ETA?",
            "Could the API expose custom fields? We need them for our {integration} sync.",
            "Love the product! One thing that would make it perfect is {feature}.",
            "Could you let us schedule messages to be sent later? Our customers are in different time zones.",
        ),
        details=(
            "We have {seats} users who would use it.",
            "Competitors already offer this.",
            "Happy to jump on a call to explain our use case.",
            "We are on the {plan} plan.",
            "This would save us hours every week.",
            "Keep up the great work!",
        ),
    ),
    CategorySpec(
        "security",
        "Security & fraud",
        "Security",
        subjects=(
            "Suspicious login on my account",
            "I think my account was hacked",
            "Phishing email pretending to be you",
            "Unauthorized transaction of {amount}",
            "Reporting a security vulnerability",
            "Someone changed my password",
            "Leaked API key",
            "Unknown device in my sessions",
            "Possible data breach?",
            "Fraudulent order placed with my card",
            "Security alert email - is it real?",
            "XSS bug in {product}",
            "Strange activity in audit log",
            "Enable 2FA for all users",
            "Security questionnaire for vendor review",
            "My data is visible to others",
        ),
        bodies=(
            "I received an alert about a login from {country} that was not me. Please secure my account right away.",
            "Someone changed my password and email. I think my account was hacked and they made a purchase of {amount}.",
            "I got an email that looks like it is from you asking for my card details. Is this phishing?",
            "There is an unauthorized transaction of {amount} on my account that I never made. Please block it.",
            "I found what looks like a vulnerability in {product}: other users' data is visible by changing an id in the URL.",
            "One of our developers accidentally pushed our API key to a public GitHub repository. Please revoke it and tell us how to rotate keys.",
            "In the active sessions list I see a {device} in {country} that nobody in {team} owns. How do I kick it out?",
            "I read about a data breach at a company using your platform. Were our customer records affected?",
            "An order was placed with my saved card that I didn't make: {order} for {amount}. Please cancel it and lock my account.",
            "I received a 'security alert' email from an address that doesn't look like yours, with a link to reset my password. Is it genuine?",
            "I found a stored XSS issue: a note containing a script tag executes when another user opens the record. Happy to share details privately.",
            "Our audit log shows exports of all contacts at 3am on {date} by a user who says they were asleep.",
            "How can we enforce two-factor authentication for every user in our workspace? We need it for our security policy.",
            "Our security team needs your SOC 2 report and a completed vendor security questionnaire before we can sign.",
            "When I log in I can see another company's invoices in my dashboard. This is a serious privacy problem.",
            "someone is logging into my account, i got 3 password reset emails i didnt ask for",
            "Your login page seems to accept passwords without any rate limiting. I was able to try 500 passwords in a minute.",
            "I clicked a link in a fake email and entered my password. What should I do now to protect my account?",
            "My card was used for {amount} on your site but I have never been your customer. This is fraud.",
            "Please disable all sessions for {email} immediately, we believe their laptop was stolen.",
        ),
        details=(
            "The login happened on {date}.",
            "My account: {account}.",
            "The suspicious IP was 185.220.101.4.",
            "I have changed my password already.",
            "We need a written incident report.",
            "Please treat this confidentially.",
            "The email came from security@acc0unt-verify.example.",
        ),
    ),
    CategorySpec(
        "general_inquiry",
        "General inquiry",
        "Accounts",
        subjects=(
            "Question about your plans",
            "Do you offer discounts for nonprofits?",
            "Opening hours of support",
            "Where are your servers located?",
            "Partnership inquiry",
            "Difference between {plan} and Enterprise",
            "Do you ship to {country}?",
            "Is there a student discount?",
            "Press inquiry",
            "Request a demo",
            "Do you have a reseller program?",
            "Terms of service question",
            "Contact for sales",
            "How many users can the {plan} plan have?",
            "Do you have an office in {country}?",
            "Information request",
            "Trial length",
        ),
        bodies=(
            "What is the difference between the {plan} plan and Enterprise? We are a team of {seats} and want to pick the right one.",
            "Do you offer discounts for registered nonprofits or charities? We are a small charity in {country}.",
            "What are your support opening hours? Is phone support included or only email?",
            "Where are your servers located? We need to know whether data is stored in the EU.",
            "We are an agency in {country} and would like to discuss a partnership or referral program. Who should I talk to?",
            "Do you ship to {country}, and how long does delivery usually take?",
            "Is there a student or education discount? I am a teacher and would use it in class.",
            "I'm a journalist writing about help desk software. Could someone from your team answer a few questions?",
            "Could we schedule a demo for {team} next week? We are evaluating tools for about {seats} people.",
            "Do you have a reseller program for IT service providers?",
            "I have a question about your terms of service: can we use the product for our clients' projects?",
            "Who can I talk to about a larger purchase? We may need {seats} licences across three offices.",
            "How many users can we add on the {plan} plan before we have to upgrade?",
            "Do you have an office or a local partner in {country}? We prefer to sign with a local entity.",
            "How long is the free trial and do I need to enter a credit card to start it?",
            "Which languages does the interface support? Our staff mostly speak Spanish and Portuguese.",
            "Is your product accessible for screen reader users? We need WCAG compliance information.",
            "Just curious, do you have a mobile app for tablets or only phones?",
            "hi, do you do gift cards?",
            "Can I pay for a year in advance and is there a discount for that?",
            "We're a startup, do you have a startup program or credits?",
            "Is there an on-premise version of {product}, or is it cloud only?",
            "What happens to our data if we stop using the service? Can we export everything?",
        ),
        details=(
            "We are a company of about {seats} people.",
            "We are based in {country}.",
            "My email is {email}.",
            "No rush on this.",
            "We are comparing a few vendors this month.",
            "A price list would be helpful.",
        ),
    ),
)

_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class SeedTicket:
    category: str
    subject: str
    body: str
    frustrated: bool


def _fill(template: str, rng: random.Random) -> str:
    return _SLOT.sub(lambda match: rng.choice(SLOTS[match.group(1)]), template)


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 5 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 2)
    action = rng.random()
    if action < 0.4:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if action < 0.7:
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def _add_typos(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    for _ in range(rng.randint(1, 3)):
        index = rng.randrange(len(words))
        words[index] = _typo(words[index], rng)
    return " ".join(words)


def _ticket(spec: CategorySpec, rng: random.Random, frustrated_share: float) -> SeedTicket:
    frustrated = rng.random() < frustrated_share
    core = _fill(rng.choice(spec.bodies), rng)
    kind = rng.random()
    if kind < 0.08:
        subject = rng.choice(GENERIC_SUBJECTS)
    elif kind < 0.28:  # some mail clients and web forms use the first words as the subject
        subject = " ".join(core.split()[: rng.randint(4, 8)]).rstrip(",.;:") + "..."
    else:
        subject = _fill(rng.choice(spec.subjects), rng)
    style = rng.random()
    if style < 0.15:  # terse: just the problem
        parts = [core]
    else:
        parts = [rng.choice(GREETINGS), core]
        if spec.details and rng.random() < 0.55:
            parts.append(_fill(rng.choice(spec.details), rng))
        if spec.details and rng.random() < 0.15:
            parts.append(_fill(rng.choice(spec.details), rng))
    if frustrated:
        parts.append(rng.choice(FRUSTRATED_SUFFIXES))
    if style >= 0.15:
        parts.append(rng.choice(CLOSINGS))
    separator = "\n" if rng.random() < 0.3 else " "
    body = separator.join(part for part in parts if part).strip()
    if rng.random() < 0.12:
        body = _add_typos(body, rng)
    if rng.random() < 0.08:
        body, subject = body.lower(), subject.lower()
    return SeedTicket(category=spec.slug, subject=subject, body=body, frustrated=frustrated)


def generate(count: int, *, seed: int = 7, frustrated_share: float = 0.15) -> Iterator[SeedTicket]:
    """Yield ``count`` tickets spread over every category, reproducibly for ``seed``."""
    rng = random.Random(seed)
    for index in range(count):
        yield _ticket(CATEGORIES[index % len(CATEGORIES)], rng, frustrated_share)


def write_csv(path: Path, *, per_category: int = 300, seed: int = 7) -> int:
    """Write ``text,label`` rows (text = subject + newline + body); return the number of rows."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["text", "label"])
        for ticket in generate(per_category * len(CATEGORIES), seed=seed):
            writer.writerow([f"{ticket.subject}\n{ticket.body}", ticket.category])
            rows += 1
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the seed corpus as a text,label CSV.")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("seed_corpus.csv"))
    parser.add_argument("--per-category", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rows = write_csv(args.out, per_category=args.per_category, seed=args.seed)
    print(f"wrote {rows} rows to {args.out}")


if __name__ == "__main__":
    main()
