"""A third two-criteria document set: a household's paperwork over four years, each document
one KIND (bank statement, utility bill, payslip, receipt, appointment letter, insurance
renewal) from one YEAR (2021 to 2024).

Why: "by year" is among the first things people sort paperwork by, and nothing about a
document's topic or wording says its year; only its dates do, written many ways ("14/03/2022",
"March 2022", "2022-03-14", "Tue 14 Mar 2022", "FY 2022"), and some documents also mention
another year ("brought forward from 31 Dec 2021", "your premium last year"). Answers to "which
year" are numbers, which a sentence embedding holds nearly alike ("2022" and "2023" at cosine
distance 0.22), so this set tests that the criterion's values are kept apart where their
words are not. Its kinds are others than household_docs' and studio_docs', written by other
code. Kinds and years are independent (every pair equally often); each kind has three
layouts with short and long variants; providers, people and amounts do not depend on the
year. Deterministic: the same bytes on every run (tests/test_paperwork_docs.py checks the
committed file). Like make_studio_docs.py it imports nothing from the other generators.

Usage: python packaging/make_paperwork_docs.py [--n 240] [--seed 5] [--out PATH]
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from corral.engine.bench import generator_main, write_multi_dataset

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "bench" / "paperwork_docs.jsonl"
SEED = 5
CRITERIA = {
    "year": {"criterion": "which year is this from", "k": 4},
    "kind": {"criterion": "what kind of document is this", "k": 6},
}
KINDS = ["statement", "bill", "payslip", "receipt", "appointment", "insurance"]
YEARS = [2021, 2022, 2023, 2024]
OTHER_YEAR_SHARE = 0.15  # documents that also mention a year other than their own

BANKS = ("Northfield Bank", "Coastline Building Society", "Mercer & Hale Bank")
UTILITIES = (("Brightwater", "water"), ("Ember Energy", "electricity"), ("Ember Energy", "gas"),
             ("FibreLink", "broadband"), ("Kestrel Council", "council tax"))
EMPLOYERS = ("Ashdown Logistics Ltd", "St Brigid's Hospital Trust", "Pelham & Wright Architects")
SHOPS = (("Hartley's Hardware", ("wood screws", "paint roller", "masking tape", "sandpaper", "wall plugs")),
         ("Greenleaf Garden Centre", ("compost", "tomato plants", "hose reel", "bird feeder", "seed trays")),
         ("Page & Quill Books", ("paperback novel", "road atlas", "notebook", "birthday card", "cookbook")),
         ("Corner Pharmacy", ("plasters", "hay fever tablets", "sun cream", "cough syrup", "vitamin D")))
CLINICS = (("Elm Street Dental Practice", "dental check-up", "Dr Osei"),
           ("Riverside Medical Centre", "annual asthma review", "Nurse Patel"),
           ("Clearview Opticians", "eye test", "Ms Lindqvist"),
           ("Westgate Physiotherapy", "knee assessment", "Mr Duarte"))
INSURERS = (("Harbourline Insurance", "home contents"), ("Safeway Motor Cover", "car"),
            ("Pawprint Pet Insurance", "pet"), ("Wayfarer Travel Cover", "annual travel"))
PEOPLE = ("Sam Carter", "Alex Carter", "Jamie Carter")
STREETS = ("14 Willow Close, Kestrel KE4 2PL",)


class Writer:
    """Draws a document's details, dated in ``year``, from the set's random stream."""

    def __init__(self, rng: random.Random, year: int, other_year: int | None) -> None:
        self.rng, self.year, self.other_year = rng, year, other_year

    def pick(self, options):  # type: ignore[no-untyped-def]
        return self.rng.choice(list(options))

    def some(self, options, lo: int, hi: int) -> list:  # type: ignore[no-untyped-def]
        options = list(options)
        return self.rng.sample(options, min(len(options), self.rng.randint(lo, hi)))

    def day(self, lo: int = 0, hi: int = 364) -> date:
        """A day of the document's year (day ``lo`` to ``hi`` of it)."""
        return date(self.year, 1, 1) + timedelta(days=self.rng.randint(lo, min(hi, 364)))

    def dated(self, d: date) -> str:
        """A date in one of the ways documents write it."""
        return self.pick([f"{d:%d/%m/%Y}", f"{d:%d %B %Y}", f"{d:%Y-%m-%d}", f"{d:%a %d %b %Y}", f"{d:%d.%m.%Y}",
                          f"{d.day} {d:%b} {d.year}"])

    def money(self, lo: int, hi: int) -> float:
        return round(self.rng.uniform(lo, hi), 2)

    def ref(self, prefix: str) -> str:
        return f"{prefix}{self.rng.randrange(100000, 999999)}"

    def long(self) -> bool:
        return self.rng.random() < 0.35

    def aside(self) -> list[str]:
        """A sentence naming another year, for a share of the documents."""
        if self.other_year is None:
            return []
        y = self.other_year
        return [self.pick([f"Compared with {y}, this is a change of {self.rng.randint(2, 19)}%.",
                           f"Your reference was first issued in {y}.",
                           f"Figures for {y} are available on request.",
                           f"Customer since {y}."])]


# --- bank statements: a period, balances, dated transactions ------------------------------
def statement_table(w: Writer) -> str:
    start = w.day(0, 300)
    end = start + timedelta(days=30)
    balance = w.money(300, 4000)
    lines = [w.pick(BANKS), f"Statement of account {w.ref('')}  Sort code 30-91-{w.rng.randint(10, 99)}",
             f"Period: {start:%d %b %Y} to {end:%d %b %Y}", "", "Date        Description                 Amount     Balance",
             f"{start:%d %b}      Balance brought forward                  £{balance:,.2f}"]
    for _ in range(w.rng.randint(4, 9 if w.long() else 6)):
        d = start + timedelta(days=w.rng.randint(1, 29))
        amount = -w.money(4, 180) if w.rng.random() < 0.8 else w.money(200, 2200)
        balance += amount
        what = w.pick(["CARD PAYMENT", "DIRECT DEBIT", "TRANSFER IN", "STANDING ORDER", "CONTACTLESS"])
        lines.append(f"{d:%d %b}      {what:<27} {amount:>9,.2f}  £{balance:,.2f}")
    lines += ["", f"Closing balance £{balance:,.2f}", *w.aside()]
    return "\n".join(lines)


def statement_summary(w: Writer) -> str:
    d = w.day(27, 364)
    return "\n".join([f"Your {w.pick(['monthly', 'quarterly'])} statement from {w.pick(BANKS)}",
                      f"Dated {w.dated(d)} - account ending {w.rng.randint(1000, 9999)}", "",
                      f"Money in: £{w.money(900, 4500):,.2f}", f"Money out: £{w.money(700, 4200):,.2f}",
                      f"Interest paid: £{w.money(0, 12):,.2f}", *w.aside(),
                      "Please check your transactions and tell us about anything you don't recognise."])


def statement_interest(w: Writer) -> str:
    return "\n".join([f"{w.pick(BANKS)} - annual summary of interest",
                      f"For the year 1 January {w.year} to 31 December {w.year}", "",
                      f"Account holder: {w.pick(PEOPLE)}",
                      f"Gross interest paid: £{w.money(3, 160):,.2f}",
                      "Tax deducted: £0.00", *w.aside(),
                      "Keep this summary for your tax records."])


# --- utility bills: a supplier, a billing period, usage, an amount due ----------------------
def bill_detailed(w: Writer) -> str:
    supplier, service = w.pick(UTILITIES)
    issued = w.day(20, 350)
    lines = [f"{supplier}", f"Your {service} bill", f"Account number {w.ref('')}", f"Bill date: {w.dated(issued)}",
             f"For {STREETS[0]}", "",
             f"Billing period: {issued - timedelta(days=w.rng.choice([30, 91])):%d %b} to {issued:%d %b}",
             f"Charges for {service}: £{w.money(25, 240):,.2f}", f"Standing charge: £{w.money(5, 30):,.2f}",
             f"Total to pay by {issued + timedelta(days=14):%d %B}: £{w.money(40, 280):,.2f}"]
    if w.long():
        lines += ["", "Ways to pay: direct debit, online, or at any post office.",
                  f"Your usage this period: {w.rng.randint(80, 900)} units."]
    return "\n".join(lines + w.aside())


def bill_short(w: Writer) -> str:
    supplier, service = w.pick(UTILITIES)
    d = w.day(0, 330)
    return "\n".join([f"{supplier} {service} - amount due £{w.money(20, 250):,.2f}",
                      f"Issued {d:%B %Y}; we'll collect it by direct debit on or after {d + timedelta(days=10):%d %B}.",
                      *w.aside(), "Nothing for you to do."])


def bill_annual(w: Writer) -> str:
    supplier, service = w.pick(UTILITIES)
    return "\n".join([f"{supplier}: your {service} charges for {w.year}-{(w.year + 1) % 100:02d}",
                      f"Letter date: {w.dated(w.day(60, 90))}", "",
                      f"From April {w.year} your {service} charge will be £{w.money(90, 2100):,.2f} for the year,",
                      f"paid in {w.pick(['10', '12'])} instalments.", *w.aside(),
                      "If you think this is wrong, contact us within 30 days."])


# --- payslips: an employer, a pay period, pay and deductions ------------------------------
def payslip_table(w: Writer) -> str:
    d = w.day(20, 364)
    gross = w.money(1800, 4200)
    tax, ni = gross * 0.18, gross * 0.08
    lines = [f"{w.pick(EMPLOYERS)} - PAYSLIP", f"Employee: {w.pick(PEOPLE)}   Payroll no. {w.ref('E')}",
             f"Pay date: {d:%d/%m/%Y}   Tax period {d.month}", "",
             f"Basic pay          £{gross:,.2f}", f"Income tax         £{tax:,.2f}", f"National Insurance £{ni:,.2f}",
             f"Pension            £{gross * 0.05:,.2f}", "", f"NET PAY            £{gross - tax - ni - gross * 0.05:,.2f}"]
    if w.long():
        lines += [f"Year to date gross £{gross * d.month:,.2f}", f"Holiday remaining: {w.rng.randint(2, 24)} days"]
    return "\n".join(lines + w.aside())


def payslip_letter(w: Writer) -> str:
    d = w.day(0, 330)
    return "\n".join([f"Dear {w.pick(PEOPLE).split()[0]},", "",
                      f"Your pay for {d:%B %Y} has been paid into your account today. Net pay £{w.money(1400, 3300):,.2f}.",
                      f"Overtime included: {w.rng.randint(0, 14)} hours.", *w.aside(), "",
                      f"Payroll team, {w.pick(EMPLOYERS)}"])


def payslip_p60(w: Writer) -> str:
    return "\n".join([f"P60 End of Year Certificate - tax year to 5 April {w.year}",
                      f"Employer: {w.pick(EMPLOYERS)}", f"Employee: {w.pick(PEOPLE)}", "",
                      f"Pay in this employment: £{w.money(22000, 52000):,.2f}",
                      f"Tax deducted: £{w.money(2500, 9000):,.2f}", *w.aside(),
                      "Keep this certificate in a safe place."])


# --- receipts: a shop, items bought, a total, a payment -----------------------------------
def receipt_till(w: Writer) -> str:
    shop, goods = w.pick(SHOPS)
    d = w.day()
    items = [(g, w.money(1, 35)) for g in w.some(goods, 1, 5 if w.long() else 3)]
    lines = [shop.upper(), f"{d:%d/%m/%Y} {w.rng.randint(8, 19):02d}:{w.rng.randint(0, 59):02d}", ""]
    lines += [f"{g:<22} {p:>7.2f}" for g, p in items]
    lines += [f"TOTAL {sum(p for _, p in items):>23.2f}", "CARD ****" + str(w.rng.randint(1000, 9999)),
              "Thank you for shopping with us", *w.aside()]
    return "\n".join(lines)


def receipt_online(w: Writer) -> str:
    shop, goods = w.pick(SHOPS)
    d = w.day()
    items = w.some(goods, 1, 3)
    return "\n".join([f"Order confirmation {w.ref('#')} - {shop}", f"Ordered on {w.dated(d)}", "",
                      *[f"1 x {g}  £{w.money(2, 40):,.2f}" for g in items],
                      f"Delivery: £{w.money(0, 5):,.2f}", f"Paid by card. Delivery expected {d + timedelta(days=3):%d %b}.",
                      *w.aside()])


def receipt_note(w: Writer) -> str:
    shop, goods = w.pick(SHOPS)
    return "\n".join([f"Received with thanks from {w.pick(PEOPLE)} the sum of £{w.money(5, 90):,.2f}",
                      f"for {w.pick(goods)} ({shop}).", f"Date: {w.dated(w.day())}", *w.aside(), "Signed: ______"])


# --- appointment letters: a clinic, a time, what to bring ---------------------------------
def appointment_letter(w: Writer) -> str:
    clinic, what, who = w.pick(CLINICS)
    d = w.day(10, 360)
    lines = [clinic, STREETS[0], w.dated(d - timedelta(days=w.rng.randint(7, 21))), "",
             f"Dear {w.pick(PEOPLE)},", "",
             f"Your {what} with {who} is booked for {d:%A %d %B %Y} at {w.rng.randint(8, 16)}:{w.pick(['00', '15', '30', '45'])}.",
             "Please arrive ten minutes early and bring a list of any medicines you take."]
    if w.long():
        lines += ["If you cannot attend, please tell us at least 24 hours before, so that we can offer the time "
                  "to someone else."]
    return "\n".join(lines + w.aside() + ["", "Yours sincerely,", "Reception"])


def appointment_text(w: Writer) -> str:
    clinic, what, _ = w.pick(CLINICS)
    d = w.day(0, 360)
    return "\n".join([f"Reminder from {clinic}: {what} on {d:%d/%m/%Y} at {w.rng.randint(8, 16)}:00.",
                      "Reply C to cancel.", *w.aside()])


def appointment_recall(w: Writer) -> str:
    clinic, what, who = w.pick(CLINICS)
    return "\n".join([f"{clinic} - recall notice", f"Sent {w.dated(w.day(0, 200))}", "",
                      f"Our records show you are due your {what}. {who} has times free in "
                      f"{w.pick(['May', 'June', 'September', 'October'])} {w.year}.",
                      "Book online or call reception.", *w.aside()])


# --- insurance renewals: a policy, a cover period, a premium -------------------------------
def insurance_renewal(w: Writer) -> str:
    insurer, cover = w.pick(INSURERS)
    start = w.day(0, 300)
    lines = [f"{insurer}", f"Your {cover} insurance renewal", f"Policy number {w.ref('P')}", "",
             f"Cover from {w.dated(start)} to {w.dated(start + timedelta(days=364))}",
             f"Annual premium: £{w.money(80, 900):,.2f}", f"Excess: £{w.pick(['100', '250', '350'])}"]
    if w.long():
        lines += ["What's covered: accidental damage, theft, and legal expenses up to £50,000.",
                  "You don't need to do anything: we'll renew automatically."]
    return "\n".join(lines + w.aside())


def insurance_schedule(w: Writer) -> str:
    insurer, cover = w.pick(INSURERS)
    return "\n".join([f"POLICY SCHEDULE - {cover.upper()}", f"Insurer: {insurer}", f"Policyholder: {w.pick(PEOPLE)}",
                      f"Period of insurance: 12 months from {w.dated(w.day(0, 330))}",
                      f"Premium £{w.money(80, 900):,.2f} including insurance premium tax", *w.aside()])


def insurance_reminder(w: Writer) -> str:
    insurer, cover = w.pick(INSURERS)
    d = w.day(20, 340)
    return "\n".join([f"Your {cover} policy with {insurer} ends on {d:%d %B %Y}.",
                      f"Renew before then to stay covered. This year's price: £{w.money(80, 900):,.2f}.",
                      *w.aside()])


TEMPLATES = {
    "statement": [statement_table, statement_summary, statement_interest],
    "bill": [bill_detailed, bill_short, bill_annual],
    "payslip": [payslip_table, payslip_letter, payslip_p60],
    "receipt": [receipt_till, receipt_online, receipt_note],
    "appointment": [appointment_letter, appointment_text, appointment_recall],
    "insurance": [insurance_renewal, insurance_schedule, insurance_reminder],
}


def paperwork_docs(n: int = 240, seed: int = SEED) -> list[dict]:
    """n documents, year x kind balanced (each pair n/24 times, give or take one), each
    kind's layouts in turn, shuffled. Rows: input, labels, template, and "also" where another
    year is mentioned."""
    rng = random.Random(seed)
    cells = [(y, k) for y in YEARS for k in KINDS]
    counts = {cell: n // len(cells) for cell in cells}
    for cell in rng.sample(cells, n % len(cells)):
        counts[cell] += 1
    rows = []
    for year, kind in cells:
        templates = TEMPLATES[kind]
        offset = rng.randrange(len(templates))
        for i in range(counts[(year, kind)]):
            template = templates[(offset + i) % len(templates)]
            other = rng.choice([y for y in range(2016, 2026) if y != year]) if rng.random() < OTHER_YEAR_SHARE else None
            row = {"input": template(Writer(rng, year, other)).strip(),
                   "labels": {"year": str(year), "kind": kind}, "template": template.__name__}
            if other is not None:
                row["also"] = str(other)
            rows.append(row)
    rng.shuffle(rows)
    return rows


def write(out: Path = OUT, n: int = 240, seed: int = SEED) -> Path:
    return write_multi_dataset(paperwork_docs(n, seed), CRITERIA, out)


def main(argv: list[str] | None = None) -> int:
    return generator_main(argv, __doc__, write, 240, SEED, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
