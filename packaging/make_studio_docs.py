"""A second two-criteria document set, written apart from household_docs: a design studio's
folder, each document one KIND (quote, invoice, e-mail, brief, timesheet, feedback list)
for one CLIENT (a bakery, a primary school, a bike shop, a dental clinic, a law firm).

Why a second set: the method's steering parts (the documents' form, the text check) were
shaped on household_docs (packaging/make_two_criteria.py). This one was written later, by
other code, with other kinds and another second criterion ("which client"), so that figures
on it say how far those parts hold on documents they were not shaped on. Kinds and clients
are independent (every pair equally often); each kind has three layouts and short and long
variants; about one document in five also mentions a second client; a client's name is left
out of about a third of its documents (its work and its trade still show). Deterministic:
the same bytes on every run (tests/test_studio_docs.py checks the committed file). It
imports nothing from make_two_criteria.py on purpose, even the loop that balances the
cells, so that nothing of the first set's making carries over.

Usage: python packaging/make_studio_docs.py [--n 240] [--seed 11] [--out PATH]
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from corral.engine.bench import generator_main, write_multi_dataset

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "bench" / "studio_docs.jsonl"
SEED = 11
CRITERIA = {
    "kind": {"criterion": "what kind of document is this", "k": 6},
    "client": {"criterion": "which client is this for", "k": 5},
}
KINDS = ["quote", "invoice", "email", "brief", "timesheet", "feedback"]
ASIDE_SHARE = 0.2  # documents that also mention a second client
NAMELESS_SHARE = 0.33  # documents that never write their client's name


@dataclass(frozen=True)
class Client:
    key: str
    names: tuple[str, ...]  # how documents write the client's name
    people: tuple[str, ...]  # people at the client
    jobs: tuple[str, ...]  # pieces of work the studio does for them
    things: tuple[str, ...]  # their trade's words, as their content uses them
    audience: str  # who their site and print are for
    aside: str  # one sentence that mentions them in another client's document


CLIENTS = {
    "bakery": Client(
        "bakery", ("Harbour Bakery", "the Harbour Bakery team", "Harbour Bakery Ltd"),
        ("Marta Quinn", "Ollie Baptiste"),
        ("online pre-order form", "seasonal menu page", "photo shoot of the pastries", "loyalty card design",
         "shop window poster", "allergen labels for the counter", "wholesale price sheet for cafes"),
        ("sourdough", "croissants", "the morning bake", "gluten-free loaves", "the counter", "cinnamon buns",
         "wedding cakes", "flour deliveries"),
        "locals who order bread and cakes for collection",
        "The croissant photos for the bakery still need retouching."),
    "school": Client(
        "school", ("Northfield Primary School", "Northfield Primary", "the school office at Northfield"),
        ("Mrs Adeyemi", "Mr Kowalski"),
        ("parent newsletter template", "term dates calendar page", "school logo refresh", "sports day poster",
         "admissions booklet", "class pages for each year group", "lunch menu printable"),
        ("pupils", "parents and carers", "the head teacher", "Year 6", "the playground", "school trips",
         "the lunch menu", "reading books"),
        "parents choosing a school and families of current pupils",
        "The school asked whether the newsletter template can be ready before half term."),
    "bikes": Client(
        "bikes", ("Kestrel Cycles", "Kestrel Cycles workshop", "Kestrel"),
        ("Dev Malhotra", "Jo Fenwick"),
        ("service booking page", "e-bike range catalogue", "workshop price list", "van livery design",
         "spring sale banner", "product photos of the road bikes", "bike fitting explainer video"),
        ("e-bikes", "puncture repairs", "the workshop", "road bikes", "a full service", "gear cables",
         "cycle-to-work scheme", "test rides"),
        "commuters and weekend riders looking for a bike or a repair",
        "Kestrel Cycles still owe us the photos of the new e-bikes."),
    "dental": Client(
        "dental", ("Lumen Dental", "Lumen Dental Clinic", "the Lumen practice"),
        ("Dr Hana Okafor", "Priya (practice manager)"),
        ("online appointment form", "new patient welcome pack", "treatment price list", "waiting room screen slides",
         "hygienist page", "reminder text templates", "clinic signage"),
        ("patients", "check-ups", "the hygienist", "whitening", "emergency appointments", "the reception desk",
         "fillings", "children's dental care"),
        "new patients and nervous patients looking for a dentist",
        "Lumen Dental wants the waiting room slides changed again."),
    "law": Client(
        "law", ("Greenway Law", "Greenway Law LLP", "the partners at Greenway"),
        ("Simon Greenway", "Alisha Reid"),
        ("team profile pages", "free consultation landing page", "case study layout", "letterhead and business cards",
         "fee guide brochure", "conveyancing calculator page", "office directions map"),
        ("solicitors", "conveyancing", "wills and probate", "family law", "a first consultation", "clients' cases",
         "the partners", "legal fees"),
        "people who need a solicitor for a house move, a will or a divorce",
        "Greenway Law sent comments on the profile pages, to read later."),
}
CLIENT_KEYS = list(CLIENTS)
STUDIO = ("Fernhill Studio", "Fernhill Studio (design and web)")
DESIGNERS = ("Ines", "Tom", "Rafa")
STATUSES = ("open", "fixed", "won't fix")


class Writer:
    """Draws a document's details for one client from the set's random stream."""

    def __init__(self, rng: random.Random, client: Client, named: bool) -> None:
        self.rng, self.client, self.named = rng, client, named

    def pick(self, options):  # type: ignore[no-untyped-def]
        return self.rng.choice(list(options))

    def some(self, options, lo: int, hi: int) -> list:  # type: ignore[no-untyped-def]
        options = list(options)
        return self.rng.sample(options, min(len(options), self.rng.randint(lo, hi)))

    def name(self, fallback: str = "the client") -> str:
        return self.pick(self.client.names) if self.named else fallback

    def day(self) -> date:
        return date(2025, 1, 6) + timedelta(days=self.rng.randrange(300))

    def money(self, lo: int, hi: int) -> float:
        return round(self.rng.randrange(lo, hi) * 5.0, 2)

    def ref(self, prefix: str) -> str:
        return f"{prefix}-{self.rng.randrange(1000, 9999)}"

    def long(self) -> bool:
        return self.rng.random() < 0.35


def _items(w: Writer, lo: int, hi: int) -> list[tuple[str, float]]:
    return [(job, w.money(24, 260)) for job in w.some(w.client.jobs, lo, hi)]


def _aside(other: Client | None) -> list[str]:
    return [other.aside] if other else []


# --- quotes: work proposed and priced, valid for a while, not yet agreed ------------------
def quote_table(w: Writer, other: Client | None) -> str:
    items = _items(w, 3, 6 if w.long() else 4)
    lines = [f"{STUDIO[0]}", "", f"QUOTATION {w.ref('Q')}", f"Prepared for: {w.name('our client')}",
             f"Date: {w.day():%d %B %Y}", "", "Proposed work                                    Estimate"]
    lines += [f"{job:<48} £{cost:,.2f}" for job, cost in items]
    total = sum(c for _, c in items)
    lines += ["", f"Estimated total (excl. VAT): £{total:,.2f}",
              f"This quote is valid for {w.pick(['30', '45', '60'])} days. Prices are estimates; "
              "we will confirm any change before starting.", *_aside(other),
              "To accept, reply to this quote or sign below.", "", "Accepted by: ____________________"]
    return "\n".join(lines)


def quote_letterstyle(w: Writer, other: Client | None) -> str:
    items = _items(w, 2, 4)
    body = [f"Estimate for {w.name('your project')}", "",
            f"Following our conversation about {w.pick(w.client.things)}, here is what we propose:"]
    for job, cost in items:
        body.append(f"- {job}: about £{cost:,.0f}")
        if w.long():
            body.append(f"  (includes two rounds of changes; aimed at {w.client.audience})")
    body += ["", f"Optional extra: {w.pick(w.client.jobs)}, roughly £{w.money(20, 90):,.0f}.",
             f"Estimated total: £{sum(c for _, c in items):,.0f} plus VAT. This estimate is valid until "
             f"{w.day() + timedelta(days=30):%d %B}.", *_aside(other),
             "Nothing is booked until you say yes.", f"{w.pick(DESIGNERS)}, {STUDIO[0]}"]
    return "\n".join(body)


def quote_options(w: Writer, other: Client | None) -> str:
    jobs = w.some(w.client.jobs, 2, 3)
    basic, full = w.money(60, 200), w.money(200, 500)
    lines = [f"Two options for {w.name('you')} (quote {w.ref('EST')})", "",
             f"Option A, essentials: {jobs[0]}. Estimated £{basic:,.0f}.",
             f"Option B, complete: {', '.join(jobs)}. Estimated £{full:,.0f}.",
             "", "Both options: valid 30 days from today, deposit of 25% on acceptance, "
             "timings agreed when you accept.", *_aside(other)]
    if w.long():
        lines += ["", f"We suggest option B if {w.pick(w.client.things)} matters this season."]
    return "\n".join(lines)


# --- invoices: work done, money owed now ------------------------------------------------
def invoice_formal(w: Writer, other: Client | None) -> str:
    items = _items(w, 2, 5)
    issued = w.day()
    lines = [f"INVOICE {w.ref('INV')}", f"From: {STUDIO[1]}", f"Bill to: {w.name('Accounts payable')}",
             f"Issued: {issued:%d/%m/%Y}    Due: {issued + timedelta(days=14):%d/%m/%Y}", "",
             "Description                                   Amount"]
    lines += [f"{job} (completed)".ljust(46) + f"£{cost:,.2f}" for job, cost in items]
    total = sum(c for _, c in items)
    lines += ["", f"Subtotal £{total:,.2f}", f"VAT 20% £{total * 0.2:,.2f}", f"Amount due £{total * 1.2:,.2f}", "",
              "Please pay by bank transfer within 14 days: sort code 20-41-77, account 53019924.", *_aside(other)]
    return "\n".join(lines)


def invoice_short(w: Writer, other: Client | None) -> str:
    job, cost = _items(w, 1, 1)[0]
    return "\n".join([f"{STUDIO[0]} - invoice {w.ref('F')}",
                      f"{job} for {w.name('you')}: £{cost:,.2f}, delivered {w.day():%d %b}.",
                      "Payment due on receipt. Thank you!", *_aside(other)])


def invoice_reminder(w: Writer, other: Client | None) -> str:
    items = _items(w, 1, 3)
    total = sum(c for _, c in items)
    lines = [f"Payment reminder: invoice {w.ref('INV')} is overdue", "",
             f"Our invoice to {w.name('you')} dated {w.day():%d %B} for £{total:,.2f} is now "
             f"{w.pick(['7', '14', '21'])} days past its due date. It covered:"]
    lines += [f"  * {job} - £{cost:,.2f}" for job, cost in items]
    lines += ["", "If you have already paid, please ignore this reminder. Otherwise please settle the balance "
              "by bank transfer, quoting the invoice number.", *_aside(other), f"Accounts, {STUDIO[0]}"]
    return "\n".join(lines)


# --- e-mails: headers, a greeting, a conversational body, a sign-off ----------------------
def email_update(w: Writer, other: Client | None) -> str:
    person = w.pick(w.client.people)
    body = [f"From: {w.pick(DESIGNERS).lower()}@fernhill.studio", f"To: {person}",
            f"Subject: {w.pick(w.client.jobs).capitalize()} - {w.pick(['update', 'quick question', 'next steps'])}",
            "", f"Hi {person.split()[0]},", "",
            f"Just a quick note on the {w.pick(w.client.jobs)}. I've had another look at how "
            f"{w.pick(w.client.things)} comes across and I think we're nearly there."]
    if w.long():
        body += [f"Could you send me the latest wording about {w.pick(w.client.things)}? "
                 f"And do you still want it to speak mostly to {w.client.audience}?"]
    body += [*_aside(other), "", "Thanks so much,", w.pick(DESIGNERS)]
    return "\n".join(body)


def email_reply(w: Writer, other: Client | None) -> str:
    person = w.pick(w.client.people)
    designer = w.pick(DESIGNERS)
    return "\n".join([
        f"Re: {w.pick(w.client.jobs)}", f"From: {person}" + (f" ({w.name('')})" if w.named else ""),
        f"Sent: {w.day():%a %d %b %Y}", "",
        f"Hello {designer},", "",
        f"Thanks for sending this over. We like it! Only thing: can {w.pick(w.client.things)} be more "
        "visible at the top? Otherwise happy to go ahead.", *_aside(other), "",
        "Kind regards,", person,
        f"> On {w.day():%d %b}, {designer} wrote:", f"> Here is the first draft of the {w.pick(w.client.jobs)}."])


def email_thread(w: Writer, other: Client | None) -> str:
    a, b = w.pick(w.client.people), w.pick(DESIGNERS)
    lines = [f"Subject: Fwd: {w.pick(w.client.jobs)}", ""]
    for n in range(3 if w.long() else 2):
        sender, to = (a, b) if n % 2 == 0 else (b, a)
        lines += [f"--- {sender} wrote on {w.day():%d/%m}:", f"Hi {to.split()[0]},",
                  f"{w.pick(['Sorry for the delay.', 'Good news.', 'One more thing.'])} "
                  f"About {w.pick(w.client.things)}: {w.pick(['can we talk on Thursday?', 'see attached.', 'let me check with the team.'])}",
                  "Cheers", ""]
    lines += _aside(other)
    return "\n".join(lines)


# --- briefs: what a piece of work must achieve, in headed sections ------------------------
def brief_sections(w: Writer, other: Client | None) -> str:
    job = w.pick(w.client.jobs)
    lines = [f"Project brief: {job}", f"Client: {w.name('(see folder)')}", "",
             "Background", f"The client wants to do more for {w.client.audience}.", "",
             "Goals", f"1. Make {w.pick(w.client.things)} easy to find.", f"2. Show {w.pick(w.client.things)} clearly.",
             "", "Audience", w.client.audience.capitalize() + ".", "",
             "Deliverables", *[f"- {j}" for j in w.some(w.client.jobs, 1, 3)], "",
             "Constraints", f"Budget agreed in quote {w.ref('Q')}; launch before {w.day():%B}.", *_aside(other)]
    if w.long():
        lines += ["", "Success measures", "More enquiries through the site; fewer calls asking basic questions."]
    return "\n".join(lines)


def brief_questions(w: Writer, other: Client | None) -> str:
    job = w.pick(w.client.jobs)
    return "\n".join([
        f"Creative brief - {job}", "",
        "What is this for?", f"  {w.client.audience.capitalize()}.",
        "What must people understand?", f"  That {w.name('the business')} is the place for {w.pick(w.client.things)}.",
        "Tone of voice?", f"  {w.pick(['Warm and simple', 'Calm and trustworthy', 'Bright and friendly'])}.",
        "Must include:", f"  {', '.join(w.some(w.client.things, 2, 3))}.",
        "Deadline:", f"  {w.day():%d %B}.", *_aside(other)])


def brief_onepager(w: Writer, other: Client | None) -> str:
    return "\n".join([
        f"BRIEF ({w.ref('B')})",
        f"Objective: a {w.pick(w.client.jobs)} that speaks to {w.client.audience}.",
        f"Key message: {w.pick(w.client.things)} without fuss.",
        f"Scope: {', '.join(w.some(w.client.jobs, 2, 3))}.",
        f"Out of scope: printing costs. Approval: {w.pick(w.client.people)}.", *_aside(other)])


# --- timesheets: dated rows of hours spent -------------------------------------------------
def timesheet_table(w: Writer, other: Client | None) -> str:
    start = w.day()
    rows = 7 if w.long() else 4
    lines = [f"Timesheet - week of {start:%d %B %Y}", f"Project: {w.name('client work')}", "",
             "Date        Who    Hours  Task"]
    total = 0.0
    for n in range(rows):
        hours = w.rng.choice([0.5, 1.0, 1.5, 2.0, 3.0, 4.0])
        total += hours
        lines.append(f"{start + timedelta(days=n % 5):%a %d/%m}   {w.pick(DESIGNERS):<6} {hours:>4.1f}   "
                     f"{w.pick(w.client.jobs)}")
    lines += ["", f"Total hours: {total:.1f}", *_aside(other)]
    return "\n".join(lines)


def timesheet_log(w: Writer, other: Client | None) -> str:
    day = w.day()
    lines = [f"Work log ({w.pick(DESIGNERS)})"]
    for _ in range(5 if w.long() else 3):
        day += timedelta(days=w.rng.randint(1, 3))
        lines.append(f"{day:%d.%m} {w.rng.choice([30, 45, 60, 90, 120])} min - {w.pick(w.client.jobs)}, "
                     f"{w.pick(['drafts', 'revisions', 'call with client', 'export and upload', 'research'])}")
    lines += [*_aside(other), "Billable: yes"]
    return "\n".join(lines)


def timesheet_summary(w: Writer, other: Client | None) -> str:
    jobs = w.some(w.client.jobs, 2, 4)
    lines = [f"Hours summary for {w.name('this project')}, {w.day():%B %Y}", ""]
    lines += [f"{job}: {w.rng.randint(2, 14)} h" for job in jobs]
    lines += [f"Meetings and calls: {w.rng.randint(1, 5)} h", "Rate: £55/h", *_aside(other)]
    return "\n".join(lines)


# --- feedback lists: numbered issues with where and how bad --------------------------------
def feedback_list(w: Writer, other: Client | None) -> str:
    job = w.pick(w.client.jobs)
    lines = [f"Feedback on the {job} (round {w.rng.randint(1, 3)})", f"From {w.pick(w.client.people)}", ""]
    for n in range(1, (7 if w.long() else 4) + 1):
        lines.append(f"{n}. {w.pick(['Page 2', 'Top banner', 'Footer', 'Mobile view', 'Second paragraph', 'Photo on the left'])}: "
                     f"{w.pick(['text too small', 'wrong phone number', 'please use our green', 'typo', 'too busy', 'mention ' + w.pick(w.client.things)])}"
                     f" - priority {w.pick(['high', 'medium', 'low'])}")
    lines += _aside(other)
    return "\n".join(lines)


def feedback_table(w: Writer, other: Client | None) -> str:
    lines = [f"Review comments - {w.name('draft')} - {w.day():%d/%m/%Y}", "", "#  | Where | Comment | Status"]
    for n in range(1, (6 if w.long() else 3) + 1):
        lines.append(f"{n}  | {w.pick(w.client.jobs)} | {w.pick(['change the colour', 'move this up', 'add ' + w.pick(w.client.things), 'remove the stock photo'])} | "
                     f"{w.pick(STATUSES)}")
    lines += _aside(other)
    return "\n".join(lines)


def feedback_notes(w: Writer, other: Client | None) -> str:
    return "\n".join([
        f"Changes requested after the review with {w.pick(w.client.people)}:",
        f"- the {w.pick(w.client.jobs)} feels {w.pick(['crowded', 'too plain', 'off-brand'])}",
        f"- say more about {w.pick(w.client.things)}",
        f"- bug: the {w.pick(['form', 'menu', 'map', 'button'])} does not work on phones",
        *_aside(other), "Please send a revised version."])


TEMPLATES = {
    "quote": [quote_table, quote_letterstyle, quote_options],
    "invoice": [invoice_formal, invoice_short, invoice_reminder],
    "email": [email_update, email_reply, email_thread],
    "brief": [brief_sections, brief_questions, brief_onepager],
    "timesheet": [timesheet_table, timesheet_log, timesheet_summary],
    "feedback": [feedback_list, feedback_table, feedback_notes],
}


def studio_docs(n: int = 240, seed: int = SEED) -> list[dict]:
    """n documents, kind x client balanced (each pair n/30 times, give or take one), each
    kind's layouts in turn, shuffled. Rows: input, labels, template, and "also" where a
    second client is mentioned."""
    rng = random.Random(seed)
    cells = [(k, c) for k in KINDS for c in CLIENT_KEYS]
    counts = {cell: n // len(cells) for cell in cells}
    for cell in rng.sample(cells, n % len(cells)):
        counts[cell] += 1
    rows = []
    for kind, client in cells:
        templates = TEMPLATES[kind]
        offset = rng.randrange(len(templates))
        for i in range(counts[(kind, client)]):
            template = templates[(offset + i) % len(templates)]
            other = CLIENTS[rng.choice([c for c in CLIENT_KEYS if c != client])] if rng.random() < ASIDE_SHARE else None
            writer = Writer(rng, CLIENTS[client], named=rng.random() >= NAMELESS_SHARE)
            row = {"input": template(writer, other).strip(), "labels": {"kind": kind, "client": client},
                   "template": template.__name__}
            if other is not None:
                row["also"] = other.key
            rows.append(row)
    rng.shuffle(rows)
    return rows


def write(out: Path = OUT, n: int = 240, seed: int = SEED) -> Path:
    return write_multi_dataset(studio_docs(n, seed), CRITERIA, out)


def main(argv: list[str] | None = None) -> int:
    return generator_main(argv, __doc__, write, 240, SEED, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
