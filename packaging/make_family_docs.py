"""A fifth multi-criteria document set, and the first with three criteria: a family's shared
folder, the same documents labelled by PERSON (who in the family it is for: the mother, the
father, the daughter, the son, the grandmother), by AREA (health, money, travel, learning,
sport and hobbies) and by KIND (letter, e-mail, receipt or invoice, form, appointment, notes).

Why: the other sets ask two questions of their documents; a person who keeps a family's
papers asks three ("Lena's things", "everything about money", "all the forms") of the SAME
files, and each grouping must come out of the same items. Here the three labellings are
independent (every pair of values of any two criteria occurs equally often), so none of them
can be read off another: a person's documents span every area and kind, the kind shows only
in the layout and the area only in the topic. The person is the hard one: about a third of
the documents never write the person's first name and identify them only by role and
context ("the pupil in class 4B", "patient born 12/03/1947", "Mrs Keller senior"); the family
surname is everywhere and tells nothing; about one document in five also mentions a second
family member in passing (recorded as "also"). Each kind has three layouts with short and
long variants; contents come from per-(person, area) pools, so the same kind reads very
differently across areas. Deterministic: the same bytes on every run
(tests/test_family_docs.py checks the committed file). It imports nothing from the other
generators in packaging/, on purpose.

Usage: python packaging/make_family_docs.py [--n 300] [--seed 23] [--out PATH]
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from corral.engine.bench import generator_main, write_multi_dataset

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "bench" / "family_docs.jsonl"
SEED = 23
CRITERIA = {
    "person": {"criterion": "who in the family is this for", "k": 5},
    "area": {"criterion": "what part of life is this about", "k": 5},
    "kind": {"criterion": "what kind of document is this", "k": 6},
}
KINDS = ["letter", "email", "receipt_or_invoice", "form", "appointment", "notes"]
ASIDE_SHARE = 0.2  # documents that also mention a second family member
NAMELESS_SHARE = 0.32  # documents that never write their person's first name
SURNAME = "Keller"
HOME = "14 Alder Lane, Wrenfield ZX3 7QP"
FAMILY_MAIL = "kellers.home@wrenmail.example"


@dataclass(frozen=True)
class Person:
    key: str
    first: str
    named: tuple[str, ...]  # how documents that name the person write them
    formal: tuple[str, ...]  # role words for them in official papers, no first name
    home: tuple[str, ...]  # what the family's own notes call them, no first name
    title: str  # recipient line without the first name
    dob: date
    mail: tuple[str, str]  # e-mail name: in documents that name them, in those that don't
    child: bool
    asides: tuple[str, ...]  # one sentence that mentions them in another person's document


@dataclass(frozen=True)
class Service:
    """A business or institution and what the family deals with it about."""

    org: str
    matters: tuple[str, ...]
    items: tuple[tuple[str, int, int], ...]  # (line item, lowest, highest price in pounds)
    bring: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    """One person's side of one area."""

    services: tuple[Service, ...]
    todo: tuple[str, ...]
    who: tuple[str, ...]  # role words for the person in this area, no first name


@dataclass(frozen=True)
class Area:
    key: str
    party: str  # what a receipt or form calls the person
    openers: tuple[str, ...]  # a first sentence: {who} and {matter}
    lines: tuple[str, ...]  # formal sentences for letters and appointments
    chat: tuple[str, ...]  # informal sentences for e-mails
    fields: tuple[tuple[str, tuple[str, ...]], ...]  # form fields and the values they take
    ticks: tuple[str, ...]  # tick-box options
    slip: str  # the statement a reply slip signs


PEOPLE = {
    "mother": Person(
        "mother", "Claire", ("Claire", "Claire Keller", "Mrs Claire Keller"),
        ("Mrs C. Keller", "Ms C. Keller (date of birth 14/05/1980)"), ("Mum",), "Mrs C. Keller",
        date(1980, 5, 14), ("claire.keller", "c.keller"), False,
        ("PS: Claire says thank you for the lovely card.",
         "Please note that Mrs C. Keller's mobile number is now 01632 960418.",
         "P.S. Mum will pick up the spare key on Friday.")),
    "father": Person(
        "father", "Daniel", ("Daniel", "Daniel Keller", "Mr Daniel Keller"),
        ("Mr D. Keller", "Mr Keller (born 02/09/1978)"), ("Dad",), "Mr D. Keller",
        date(1978, 9, 2), ("daniel.keller", "d.keller"), False,
        ("PS: Daniel still has your ladder and will bring it back at the weekend.",
         "Note: Mr D. Keller will collect this on his way home from the water works.",
         "P.S. Dad says the car is booked in for its service on the 14th.")),
    "daughter": Person(
        "daughter", "Lena", ("Lena", "Lena Keller", "your daughter Lena"),
        ("your daughter", "Miss L. Keller (aged 15)"), ("our eldest", "the teenager"), "Mr and Mrs Keller",
        date(2010, 3, 21), ("kellers.home", "kellers.home"), True,
        ("PS: Lena sends her love and says good luck with the move!",
         "Note: our 15-year-old will be away on her Year 10 trip that week.",
         "P.S. Our eldest has lost her house key again, so please knock.")),
    "son": Person(
        "son", "Felix", ("Felix", "Felix Keller", "your son Felix"),
        ("your son", "Master F. Keller, aged 9"), ("our youngest", "the little one"), "Mr and Mrs Keller",
        date(2015, 11, 8), ("kellers.home", "kellers.home"), True,
        ("PS: Felix asks whether he can bring a friend next time.",
         "Note: our youngest finishes school at 3:15 that day, so any time after is fine.",
         "P.S. The little one's lunchbox was left in your car.")),
    "grandmother": Person(
        "grandmother", "Margaret", ("Margaret", "Margaret Keller", "Mrs Margaret Keller"),
        ("Mrs Keller senior", "Mrs M. Keller (born 12/03/1947)"), ("Grandma", "Gran"), "Mrs M. Keller",
        date(1947, 3, 12), ("margaret.keller47", "m.keller47"), False,
        ("PS: Grandma says thanks for the flowers.",
         "Note: Mrs Keller senior will be at home all morning to let you in.",
         "P.S. Margaret would love a copy of the photos.")),
}

S = Service  # the table below is long; short names keep it readable
T = Topic
TOPICS: dict[tuple[str, str], Topic] = {
    ("mother", "health"): T((
        S("Wrenfield Physiotherapy Centre", ("physiotherapy for her lower back", "her back pain review"),
          (("physiotherapy session, 45 min", 40, 55), ("lumbar support cushion", 18, 35), ("exercise band set", 8, 15)),
          ("loose clothing for the exercises", "your GP referral letter")),
        S("Castle Street Surgery", ("her annual health check", "her flu vaccination"),
          (("health check blood test", 25, 40), ("flu vaccination", 12, 18)), ("a list of your medication",)),
        S("Brightwell Opticians", ("an eye test and new reading glasses",),
          (("eye examination", 20, 35), ("varifocal lenses", 120, 260), ("glasses case", 5, 10)), ("your current glasses",))),
        ("book next physio block", "back exercises every evening!", "ask about desk posture at the office",
         "collect new glasses"),
        ("the patient, Mrs C. Keller (born 14/05/1980)", "Ms Keller (architect)")),
    ("mother", "money"): T((
        S("Fenwick & Rao Tax Advisers", ("her self-assessment tax return",),
          (("tax return preparation", 180, 320), ("bookkeeping for freelance drawings", 60, 140)),
          ("your P60", "receipts for work expenses")),
        S("Northgate Bank", ("her workplace pension statement", "her current account"),
          (("current account fee", 3, 8), ("pension top-up", 50, 200)), ("your pension reference number", "photo ID")),
        S("Guild of Architects", ("her architects' registration fee", "her professional indemnity insurance"),
          (("annual registration fee", 90, 140), ("professional indemnity cover", 200, 400)), ("your registration number",))),
        ("send P60 to the tax adviser", "check pension statement", "renew indemnity cover before the 30th",
         "cancel unused software licence"),
        ("the account holder, Mrs C. Keller", "the taxpayer (architect, part self-employed)")),
    ("mother", "travel"): T((
        S("Skylark Travel", ("the city break to Lisbon",),
          (("return flight to Lisbon", 140, 260), ("hotel, 3 nights", 240, 420), ("car hire, 4 days", 110, 190)),
          ("your passport", "the booking reference")),
        S("Northern Rail Connect", ("the train to the architecture conference in Glasgow",
                                    "the weekend visiting her sister in Bristol"),
          (("return rail ticket to Glasgow", 70, 150), ("return rail ticket to Bristol", 40, 90), ("seat reservation", 4, 8)),
          ("your railcard", "the e-ticket")),
        S("Wrenfield Passport Office", ("renewing her passport",),
          (("adult passport fee", 88, 95), ("passport photos", 6, 10)), ("your old passport", "two passport photos"))),
        ("print boarding pass", "tell her sister the train times", "buy euros", "check passport expiry date"),
        ("the traveller, Mrs C. Keller", "the lead passenger (Ms Keller, 44)")),
    ("mother", "learning"): T((
        S("Guild of Architects CPD Programme", ("the CPD course in sustainable timber building",
                                                "the fire-safety regulations workshop"),
          (("CPD course fee", 180, 340), ("workshop day", 80, 150)), ("your laptop", "your membership number")),
        S("Castlebridge Language School", ("the intermediate Spanish evening class",),
          (("Spanish course, 10 evenings", 120, 190), ("Spanish workbook", 18, 30)), ("the Spanish workbook",)),
        S("Wrenfield Adult Education Centre", ("her certificate in 3D building modelling",),
          (("modelling course", 150, 260), ("exam registration", 45, 90)), ("your laptop",))),
        ("finish Spanish homework", "log CPD hours", "ask the office to pay the course fee", "revise for the exam"),
        ("the course participant, Mrs C. Keller", "Ms Keller, an architect on the course")),
    ("mother", "hobbies"): T((
        S("FitZone Wrenfield", ("her gym membership",),
          (("monthly gym membership", 28, 45), ("personal training session", 30, 45)), ("a towel and water bottle",)),
        S("Riverside Yoga Studio", ("the Saturday yoga class",),
          (("yoga class pass, 10 sessions", 70, 110), ("yoga mat", 20, 35)), ("your yoga mat",)),
        S("Wrenfield Road Runners", ("the 10k charity run", "her running club membership"),
          (("10k race entry", 18, 30), ("club vest", 15, 25), ("running club subscription", 25, 40)),
          ("your race number", "your running shoes"))),
        ("pin race number to vest", "renew gym card", "yoga: Saturday 9:00", "new running shoes?"),
        ("the member, Mrs C. Keller", "Ms Keller (adult membership)")),
    ("father", "health"): T((
        S("Market Square Dental Practice", ("the new crown on his back tooth", "his dental check-up"),
          (("porcelain crown", 290, 480), ("dental check-up", 25, 40), ("dental X-ray", 20, 35)), ("your dental plan card",)),
        S("Castle Street Surgery", ("his blood pressure check", "his tetanus booster"),
          (("blood pressure monitor", 25, 45), ("tetanus booster", 15, 25)), ("the readings from your home monitor",)),
        S("Brightwell Opticians", ("an eye test for his driving licence",),
          (("eye examination", 20, 35), ("single-vision glasses", 80, 160)), ("your driving licence", "your current glasses"))),
        ("take BP readings morning and evening", "book crown fitting", "ring the dentist about the bill",
         "eye test before licence renewal"),
        ("the patient, Mr D. Keller (date of birth 02/09/1978)", "Mr Keller (engineer at Vale Water)")),
    ("father", "money"): T((
        S("Sentinel Car Insurance", ("his car insurance renewal",),
          (("car insurance, annual premium", 380, 690), ("breakdown cover", 60, 110)),
          ("your car registration number", "your no-claims certificate")),
        S("Northgate Bank", ("the loan for his new car", "his company pension contributions"),
          (("loan repayment", 180, 260), ("bank transfer fee", 2, 6)), ("your payslip",)),
        S("Chatterbox Mobile", ("his mobile phone contract",),
          (("phone contract, monthly", 15, 30), ("phone insurance", 5, 10)), ("your old phone",))),
        ("compare car insurance quotes", "check payslip pension line", "phone contract ends in June", "pay loan instalment"),
        ("the policyholder, Mr D. Keller", "the employee (Mr Keller, water engineer)")),
    ("father", "travel"): T((
        S("Emerald Air", ("the flights to Dublin for his brother's wedding",),
          (("return flight to Dublin", 90, 210), ("checked bag", 25, 40)), ("your passport", "the wedding invitation")),
        S("Celtic Sea Ferries", ("the car ferry to Rosslare",),
          (("car ferry crossing", 160, 290), ("cabin upgrade", 30, 60)), ("the car registration",)),
        S("Harbourview Hotel, Cardiff", ("his work trip to the water conference in Cardiff",),
          (("hotel in Cardiff, 1 night", 85, 140), ("conference dinner", 30, 55)), ("your employee ID",))),
        ("buy present for his brother", "check ferry times", "book taxi to the airport", "claim Cardiff expenses"),
        ("the passenger, Mr D. Keller", "the lead guest (Mr Keller, 46)")),
    ("father", "learning"): T((
        S("Open Campus Online", ("his project management certificate",),
          (("project management module", 240, 390), ("exam voucher", 60, 120)), ("your employee ID",)),
        S("Castlebridge Language School", ("the Italian for beginners evening class",),
          (("Italian course, 8 evenings", 95, 160), ("Italian phrasebook", 8, 15)), ("the Italian phrasebook",)),
        S("Institute of Water Engineers", ("the first-aid at work course", "the chartered engineer training day"),
          (("first-aid certificate", 70, 120), ("training day fee", 110, 180)), ("a notepad", "your membership card"))),
        ("submit module 3 assignment", "practise Italian numbers", "first-aid refresher in March",
         "ask manager to sign off training"),
        ("the learner, Mr D. Keller", "Mr Keller (water engineer, on the course)")),
    ("father", "hobbies"): T((
        S("Wrenfield Chess Club", ("his chess club membership", "the county chess league match"),
          (("chess club subscription", 30, 60), ("league match fee", 5, 12)), ("your own chess clock",)),
        S("Vale Wheelers Cycling Club", ("the charity bike ride",),
          (("sportive entry", 25, 45), ("club jersey", 35, 55)), ("your helmet",)),
        S("Spokes & Sprockets", ("a full service of his road bike",),
          (("bike service", 60, 110), ("new brake pads", 15, 30), ("inner tubes x2", 10, 16)), ("the bike's lock key",))),
        ("collect bike from the shop", "chess league: away match Thursday", "pay club subs", "pump the tyres"),
        ("the member, Mr D. Keller", "Mr Keller, a member since 2019")),
    ("daughter", "health"): T((
        S("Smile Line Orthodontics", ("her braces adjustment",),
          (("brace adjustment", 40, 70), ("replacement retainer", 90, 150)), ("her retainer case",)),
        S("Brightwell Opticians", ("her contact lens fitting",),
          (("monthly contact lenses", 18, 30), ("lens solution", 6, 12)), ("her glasses",)),
        S("Castle Street Surgery", ("the second dose of her HPV vaccination", "sports physio for her sprained ankle"),
          (("ankle support", 12, 25), ("physio session", 35, 50)), ("the school consent form", "her trainers"))),
        ("buy lens solution", "orthodontist: no fizzy drinks!", "ankle exercises x3 daily", "sign vaccine form"),
        ("your daughter (aged 15)", "the patient, Miss L. Keller, born 21/03/2010")),
    ("daughter", "money"): T((
        S("Wrenfield Building Society", ("the savings from her babysitting", "her first teen bank card"),
          (("savings deposit", 20, 80), ("teen card delivery", 3, 6)), ("her school ID", "her birth certificate")),
        S("Pocketwise Teen Card", ("her pocket money top-up",),
          (("pocket money top-up", 10, 25), ("card replacement", 3, 6)), ("the parent's bank details",)),
        S("Chatterbox Mobile", ("her mobile phone contract",),
          (("phone contract, monthly", 8, 15), ("extra data", 3, 6)), ("her old SIM card",))),
        ("top up her card", "check phone bill for extra data", "pay babysitting money into savings",
         "set up spending alerts"),
        ("the young account holder (aged 15)", "your daughter, a Year 10 pupil")),
    ("daughter", "travel"): T((
        S("Brightsea Youth Camps", ("the summer youth camp in Cornwall", "the coach to the camp"),
          (("youth camp, 7 nights", 380, 560), ("camp T-shirt", 10, 15), ("coach seat", 20, 35)),
          ("a sleeping bag", "the signed parental consent")),
        S("Northern Rail Connect", ("her train journey alone to her aunt in York",),
          (("single fare to York, young person", 25, 45), ("seat reservation", 4, 8)), ("her young person's railcard",)),
        S("Wrenfield Passport Office", ("the renewal of her child passport",),
          (("child passport fee", 53, 60), ("passport photos", 6, 10)), ("her old passport", "two passport photos"))),
        ("pack sleeping bag", "ring her aunt about arrival time", "passport photos on Saturday", "label her suitcase"),
        ("the young traveller (aged 15)", "your daughter, travelling unaccompanied")),
    ("daughter", "learning"): T((
        S("Wrenfield Academy", ("the Year 10 parents' evening", "her GCSE options", "her work experience week"),
          (("school trip contribution", 25, 60), ("revision guides", 12, 25)), ("her planner", "the options booklet")),
        S("Brainbox Tutoring", ("her maths tutoring",),
          (("maths tutoring, 4 sessions", 100, 160), ("practice papers", 8, 15)), ("her calculator",)),
        S("Wrenfield Library", ("the homework club for Year 10",),
          (("library late fee", 1, 4), ("printing", 1, 3)), ("her library card",))),
        ("return options form", "book tutor for Tuesdays", "find work experience placement", "revise French vocab"),
        ("the student in Year 10 (form 10C)", "your daughter, a Year 10 student")),
    ("daughter", "hobbies"): T((
        S("Wrenfield Youth Choir", ("her youth choir membership", "the spring concert"),
          (("choir term fee", 40, 70), ("concert dress", 25, 45), ("sheet music", 8, 15)),
          ("her choir folder", "black clothes for the concert")),
        S("Chord & Fret Music School", ("her guitar lessons",),
          (("guitar lesson, 30 min", 18, 28), ("grade 3 exam entry", 45, 60)), ("her guitar",)),
        S("Castlebridge Music Shop", ("a new set of guitar strings", "her guitar repair"),
          (("guitar strings", 7, 14), ("guitar set-up", 30, 45)), ("her guitar",))),
        ("practise the alto part", "new guitar strings", "concert 7pm, be there 6:15", "pay choir fee"),
        ("your daughter (alto section)", "the student, Miss L. Keller (15)")),
    ("son", "health"): T((
        S("Dr Anika Brandt, children's practice", ("his MMR booster", "the check of the cast on his wrist"),
          (("arm sling", 6, 12), ("children's paracetamol", 3, 6)), ("his red vaccination book",)),
        S("Little Teeth Dental Clinic", ("his check-up at the children's dentist",),
          (("fluoride varnish", 15, 25), ("children's toothbrush", 2, 5)), ("his favourite toy",)),
        S("Brightwell Opticians", ("the follow-up from the school eye screening",),
          (("children's glasses", 40, 90), ("glasses strap", 4, 8)), ("the school screening letter",))),
        ("red book for the booster!", "no swimming until the cast is off", "buy children's toothpaste",
         "eye drops twice a day"),
        ("the child, born 08/11/2015", "your son (aged 9)")),
    ("son", "money"): T((
        S("Wrenfield Building Society", ("his junior savings account", "paying in his birthday money"),
          (("junior saver deposit", 10, 50), ("savings book replacement", 2, 5)), ("his savings book", "the piggy bank")),
        S("SchoolPay payments", ("the school dinner money top-up",),
          (("school dinners, 4 weeks", 40, 55), ("milk, one term", 8, 12)), ("the child's SchoolPay code",)),
        S("Little Savers Club", ("his pocket money",),
          (("pocket money, monthly", 8, 15), ("piggy bank", 6, 12)), ("his birth certificate",))),
        ("take piggy bank to the building society", "top up dinner money", "pocket money Saturday",
         "thank-you card for birthday money"),
        ("the junior saver (under 11)", "your son, aged 9")),
    ("son", "travel"): T((
        S("Lakeside Adventure Camp", ("the week at the holiday adventure camp",),
          (("adventure camp, 5 days", 260, 420), ("canoe session", 15, 25)), ("wellies and a waterproof",)),
        S("Castlebridge Coaches", ("the coach to the adventure camp", "the visit to his cousins in Norwich"),
          (("child coach fare", 12, 25), ("luggage tag", 1, 3)), ("a packed lunch for the coach",)),
        S("Wrenfield Passport Office", ("his first child passport",),
          (("child passport fee", 53, 60), ("passport photos", 6, 10)), ("his birth certificate", "two passport photos"))),
        ("label all his clothes", "passport photo: no smiling!", "ring cousins re dates", "buy a torch"),
        ("your son (aged 9)", "the child traveller, Master F. Keller")),
    ("son", "learning"): T((
        S("Wrenfield Primary School", ("the class 4B school report", "his times-tables homework",
                                       "the parents' meeting with the class teacher"),
          (("school jumper", 10, 16), ("times-tables workbook", 4, 8), ("PE kit", 12, 20)), ("his reading record", "his PE kit")),
        S("Castle Museum Learning Team", ("the class trip to the castle museum",),
          (("museum trip contribution", 8, 15), ("activity sheet pack", 2, 4)), ("a packed lunch",)),
        S("Reading Rockets library club", ("his reading challenge at the library club",),
          (("reading book replacement", 5, 9), ("club badge", 1, 3)), ("his library card",))),
        ("sign reading record", "7 times table practice", "museum trip: packed lunch Tuesday", "label PE kit"),
        ("the pupil in class 4B", "your son, a Year 4 pupil")),
    ("son", "hobbies"): T((
        S("Wrenfield Rovers Juniors", ("his under-10s football training", "the junior football tournament"),
          (("tournament entry", 5, 10), ("training top", 15, 22), ("season subs", 40, 70)), ("shin pads and a water bottle",)),
        S("Castlebridge Leisure Pool", ("his swimming lessons (stage 4)",),
          (("swimming lessons, 10 weeks", 60, 90), ("swim goggles", 6, 12)), ("his swimming kit",)),
        S("Goalpost Sports Shop", ("new football boots",),
          (("football boots, junior", 25, 45), ("shin pads", 8, 14)), ("his old boots for sizing",))),
        ("wash football kit", "swimming Wednesday 5pm", "new goggles", "tournament: be there 8:45"),
        ("your son (under-10s footballer)", "the junior member (stage 4 swimmer)")),
    ("grandmother", "health"): T((
        S("Clearsound Hearing Centre", ("her hearing aid check",),
          (("hearing aid batteries, 60 pack", 15, 25), ("hearing aid service", 30, 55)), ("your hearing aids",)),
        S("Wrenfield Eye Clinic", ("the cataract assessment",),
          (("eye drops", 5, 9), ("sunglasses for after surgery", 10, 20)), ("someone to drive you home",)),
        S("Wrenfield Pharmacy", ("her repeat prescription for blood pressure tablets", "her flu and shingles vaccinations"),
          (("prescription charge", 9, 10), ("pill organiser", 5, 10), ("flu vaccination", 12, 18)), ("your list of tablets",))),
        ("order repeat prescription", "eye clinic: no driving after the drops", "new hearing aid batteries",
         "flu jab Thursday"),
        ("the patient, Mrs M. Keller (born 12/03/1947)", "Mrs Keller senior, aged 78")),
    ("grandmother", "money"): T((
        S("Retired Teachers' Pension Scheme", ("her pension payment", "the annual pension statement"),
          (("retired members' association fee", 12, 20), ("statement reprint", 5, 10)), ("your pension number",)),
        S("Northgate Bank", ("her savings bond", "her cheque book"),
          (("savings bond deposit", 500, 2000), ("safe deposit box, annual", 40, 80), ("cheque book", 2, 5)),
          ("your bank card", "a photo ID")),
        S("The Wrenfield Courier", ("her newspaper subscription",),
          (("newspaper subscription, quarterly", 45, 70), ("crossword puzzle book", 5, 9)), ("your subscriber number",))),
        ("check pension went in", "renew newspaper", "savings bond matures in May", "ask bank about online banking"),
        ("the pensioner, Mrs M. Keller", "the scheme member (retired teacher, aged 78)")),
    ("grandmother", "travel"): T((
        S("Heritage Coach Holidays", ("the coach tour of the Lake District",),
          (("coach tour, 5 days", 420, 690), ("single room supplement", 60, 120)),
          ("a warm coat", "your tablets for the week")),
        S("Rosewood Guest House, Bath", ("the visit to her sister in Bath",),
          (("guest house, 3 nights", 210, 330), ("ground-floor room", 15, 30)), ("your senior railcard",)),
        S("Evergreen Travel Insurance", ("travel insurance for over-75s",),
          (("annual travel insurance (75+)", 90, 160), ("medical cover add-on", 20, 45)), ("your list of tablets",))),
        ("book assisted boarding", "ring her sister in Bath", "pack tablets for 5 days", "renew railcard"),
        ("the passenger, Mrs M. Keller (aged 78)", "Mrs Keller senior")),
    ("grandmother", "learning"): T((
        S("Wrenfield Community College", ("the evening watercolour course",),
          (("watercolour course, 8 weeks", 65, 110), ("paint set and brushes", 20, 40)), ("your paints and an apron",)),
        S("Wrenfield Library Digital Help", ("the computer course for beginners", "learning video calls on her tablet"),
          (("computer course", 30, 60), ("tablet cover", 12, 20)), ("your tablet and charger",)),
        S("Castlebridge Local History Society", ("the family history workshop",),
          (("workshop fee", 10, 20), ("certificate copy", 8, 12)), ("your reading glasses", "old family photos"))),
        ("buy watercolour paper", "practise video call", "write down the passwords safely", "painting: Tuesday 7pm"),
        ("the course participant, Mrs Keller senior", "Mrs M. Keller (over-70s rate)")),
    ("grandmother", "hobbies"): T((
        S("Alder Lane Allotment Society", ("her allotment plot rent", "the garden club's autumn show"),
          (("allotment plot rent", 30, 55), ("show entry", 2, 5)), ("your gardening gloves", "your best dahlias")),
        S("Wrenfield Bridge Club", ("the bridge club drive",),
          (("bridge drive table fee", 3, 6), ("annual subscription", 25, 40)), ("your bridge partner's number",)),
        S("Greenfingers Garden Centre", ("her seed order",),
          (("seed potatoes", 5, 10), ("compost, 3 bags", 12, 20), ("garden kneeler", 10, 18)), ("your loyalty card",))),
        ("water the beans", "bridge Friday 2pm", "pay plot rent", "enter dahlias in the show"),
        ("the plot holder, Mrs M. Keller", "Mrs Keller senior (plot 12)")),
}

AREAS = {
    "health": Area(
        "health", "Patient",
        ("We are writing to you about {matter} for {who}.", "This is about {who} and {matter}.",
         "Following the recent visit by {who}, we have an update on {matter}."),
        ("The results were within the normal range and no further treatment is needed at this stage.",
         "A prescription has been sent to the pharmacy and can be collected from {date}.",
         "If the symptoms come back, please ring the practice on {phone}.",
         "We would like to see you again in {months} months for a review.",
         "Please tell the clinician about any medication taken since the last visit."),
        ("Just a quick note about {matter}.", "The clinician was happy with how things went.",
         "Could you let us know if {date} suits for the follow-up?", "Any questions about the tablets, just ask.",
         "The bill for the last visit is attached."),
        (("GP surgery", ("Castle Street Surgery", "Market Square Health Centre")),
         ("Known allergies", ("none known", "penicillin", "pollen and dust", "plasters")),
         ("Current medication", ("none", "see attached list", "antihistamines as needed")),
         ("Health number", ("{num}",)), ("Reason for visit", ("{subject}",))),
        ("first visit", "follow-up", "happy to receive text reminders", "consent to share results with the GP"),
        "I consent to {who} receiving {matter} at {org}."),
    "money": Area(
        "money", "Account holder",
        ("Our records for {who} show a change to {matter}.", "Please find below an update on {matter} for {who}.",
         "This concerns {matter}, held in the name of {who}."),
        ("The balance on the account at {date} was {amount}.",
         "The next payment of {amount} will be taken by direct debit on {date}.",
         "Please check that the details we hold for you are correct.",
         "No action is needed unless your circumstances have changed.",
         "Your next statement will be sent on {date}."),
        ("Quick one about {matter}.", "The next payment of {amount} goes out on {date}.",
         "I've attached the statement so you can check the figures.", "Let me know if you want to change the amount.",
         "The paperwork is nearly done, just need one signature."),
        (("Account number", ("{num}",)), ("Sort code", ("40-{d2}-{d2}",)), ("Monthly amount", ("{amount}",)),
         ("Reference", ("{ref}",)), ("Purpose", ("{subject}",))),
        ("paperless statements", "direct debit", "standing order", "pay annually"),
        "I authorise {org} to set up {matter} for {who}."),
    "travel": Area(
        "travel", "Traveller",
        ("Your booking for {matter} for {who} is confirmed.", "We are writing about {matter} for {who}.",
         "Thank you for choosing us for {matter}; the traveller is {who}."),
        ("Please make sure passports are valid for at least six months after the return date.",
         "Check-in opens 24 hours before departure.", "The balance of {amount} is due by {date}.",
         "Luggage allowance: one bag of up to 20 kg and one small item.",
         "Travel insurance is strongly recommended."),
        ("All booked for {matter}!", "Departure is {date}, so there's plenty of time to pack.",
         "The tickets are attached, print them or keep them on the phone.",
         "Remember the passport, they do check.", "Shall we sort out a lift to the station?"),
        (("Seat", ("window", "aisle", "no preference")),
         ("Departure date", ("{date}",)), ("Passport / ID no.", ("{num}",)), ("Booking reference", ("{ref}",)),
         ("Trip", ("{subject}",))),
        ("window seat", "travel insurance added", "special assistance", "vegetarian meals"),
        "I confirm the booking of {matter} for {who} with {org}."),
    "learning": Area(
        "learning", "Student",
        ("We are pleased to write to you about {matter} for {who}.", "This is an update on {who} and {matter}.",
         "Please find information about {matter}; it concerns {who}."),
        ("Attendance this term has been {pct}%.", "Progress has been steady and the work is careful and neat.",
         "Homework is set weekly and should be handed in on time.",
         "A short written assessment will take place on {date}.", "The course fee of {amount} covers all materials."),
        ("Quick update on {matter}.", "Homework went in on time this week, well done.",
         "The next session is {date}, same room as before.", "There's a short test coming up, nothing to worry about.",
         "Can you bring the signed form next time?"),
        (("Class / course", ("{subject}",)), ("Level", ("beginner", "intermediate", "advanced")),
         ("Emergency contact", ("Keller household, 01632 960{d3}",)), ("Learner number", ("{num}",)),
         ("Start date", ("{date}",))),
        ("photo consent", "needs a certificate", "evening sessions", "materials included"),
        "I agree that {who} may take part in {matter} run by {org}."),
    "hobbies": Area(
        "hobbies", "Member",
        ("Thank you for renewing {matter} for {who}.", "Here is the latest on {matter} for {who}.",
         "A note for {who} about {matter}."),
        ("Sessions start again on {date}.", "The annual subscription of {amount} is now due.",
         "Please wear suitable kit and bring water.", "We are always looking for volunteers to help on the day.",
         "Our members' evening will be held on {date}."),
        ("Great to see you at the last session!", "Quick reminder about {matter}.",
         "Next one is {date}, usual place.", "Subs are {amount} this season, pay whenever.",
         "We need two more helpers for the day, any takers?"),
        (("Membership type", ("{member}",)), ("Group / team", ("{subject}",)),
         ("Kit size", ("S", "M", "L")), ("Membership number", ("{num}",)), ("Joining date", ("{date}",))),
        ("photo consent", "happy to volunteer", "gift aid", "newsletter by e-mail"),
        "I wish {who} to join {matter} at {org} and agree to the club rules."),
}

STAFF = ("Priya Natarajan", "Tom Ashworth", "Helen Moss", "Gareth Lloyd", "Amira Haddad", "Jonas Berg",
         "Sofia Marchetti", "Kwame Mensah", "Ruth Okonkwo", "Ben Whitaker", "Mei Zhou", "Oliver Grant",
         "Hannah Fischer", "Samir Qureshi", "Isla Campbell", "Paul Nowak")
STREETS = ("High Street", "Station Road", "Mill Lane", "Church Walk", "Market Square", "Castle Street",
           "Riverside Way", "Orchard Road")
TOWNS = ("Wrenfield ZX3", "Castlebridge ZX7", "Hollowmere ZX9")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def fmt(d: date, style: int) -> str:
    """A date in one of seven ways (no locale: the same text everywhere)."""
    month, day = MONTHS[d.month - 1], WEEKDAYS[d.weekday()]
    return (f"{d.day} {month} {d.year}", f"{d:%d/%m/%Y}", f"{d:%Y-%m-%d}", f"{month} {d.day}, {d.year}",
            f"{d.day} {month[:3]} {d.year}", f"{d:%d.%m.%Y}", f"{day} {d.day} {month}")[style]


class Writer:
    """Draws one document's details for one person and area from the set's random stream."""

    def __init__(self, rng: random.Random, person: Person, area: Area, named: bool) -> None:
        self.rng, self.person, self.area, self.named = rng, person, area, named
        self.topic = TOPICS[(person.key, area.key)]
        self.service = rng.choice(self.topic.services)
        self.org, self.matter = self.service.org, rng.choice(self.service.matters)
        self.thing = re.sub(r"^(his|her) ", "the ", self.matter)  # beside the person's name
        self.said = False  # a named document writes the first name at its first mention

    def pick(self, options):  # type: ignore[no-untyped-def]
        return self.rng.choice(list(options))

    def some(self, options, lo: int, hi: int) -> list:  # type: ignore[no-untyped-def]
        options = list(options)
        return self.rng.sample(options, min(len(options), self.rng.randint(lo, hi)))

    def long(self) -> bool:
        return self.rng.random() < 0.4

    def who(self, home: bool = False) -> str:
        """The person: by name (always at the first mention in a named document), else by role."""
        if self.named and (not self.said or self.rng.random() < 0.5):
            self.said = True
            return self.person.first if home else self.pick(self.person.named)
        return self.pick(self.person.home if home else self.topic.who + self.person.formal)

    def day(self) -> date:
        return date(2024, 1, 8) + timedelta(days=self.rng.randrange(690))

    def when(self, d: date | None = None) -> str:
        return fmt(d or self.day(), self.rng.randrange(7))

    def time(self) -> str:
        return f"{self.rng.randint(8, 18)}:{self.pick(['00', '15', '30', '45'])}"

    def money(self, lo: int, hi: int) -> float:
        return self.rng.randrange(lo * 20, hi * 20 + 1) * 5 / 100

    def ref(self, prefix: str) -> str:
        return f"{prefix}-{self.rng.randrange(10000, 99999)}"

    def phone(self) -> str:
        return f"01632 960{self.rng.randrange(100, 999)}"

    def address(self) -> str:
        """Somewhere in town: the town an organisation is named after, else any."""
        towns = [t for t in TOWNS if self.org.startswith(t.split()[0])] or TOWNS
        return f"{self.rng.randint(2, 140)} {self.pick(STREETS)}, {self.pick(towns)} {self.rng.randint(1, 9)}PX"

    def dob(self) -> str:
        return fmt(self.person.dob, self.rng.randrange(6))  # a style with the year

    def items(self, lo: int, hi: int) -> list[tuple[str, float]]:
        return [(item, self.money(low, high)) for item, low, high in self.some(self.service.items, lo, hi)]

    def fill(self, text: str) -> str:
        """``text`` with each {slot} drawn afresh: who, matter, org, date, amount, ..."""
        slots = {"who": self.who, "matter": lambda: self.thing, "subject": self.subject, "org": lambda: self.org,
                 "date": self.when, "amount": lambda: f"£{self.money(10, 300):,.2f}", "phone": self.phone,
                 "ref": lambda: self.ref("REF"), "num": lambda: str(self.rng.randrange(10**7, 10**8)),
                 "d2": lambda: f"{self.rng.randrange(10, 99)}", "d3": lambda: f"{self.rng.randrange(100, 999)}",
                 "months": lambda: self.pick(["three", "six", "twelve"]), "pct": lambda: str(self.rng.randint(88, 99)),
                 "member": lambda: "junior" if self.person.child else "senior" if self.person.dob.year < 1960 else "adult"}
        return re.sub(r"\{(\w+)\}", lambda m: slots[m.group(1)](), text)

    def label(self) -> str:
        """The person as a name field writes them: full name, or surname and initial."""
        if self.named:
            return f"{self.person.first} {SURNAME}"
        title = "" if self.person.child else f" ({self.person.title.split()[0]})"
        dob = f", born {self.dob()}" if self.rng.random() < 0.5 else ""
        return f"{SURNAME.upper()}, {self.person.first[0]}.{title}{dob}"

    def signature(self) -> str:
        """How the family signs what it writes about this person."""
        if self.person.child:
            return self.pick(["The Kellers", "Mr and Mrs Keller", "The Keller family"])
        return f"{self.person.first} {SURNAME}" if self.named else self.pick(self.person.formal)

    def subject(self) -> str:
        s = re.sub(r"^(his|her|the) ", "", self.matter)
        return s[0].upper() + s[1:]

    def recipient(self) -> str:
        if self.person.child or not self.named:
            return self.person.title
        return self.person.named[-1]

    def greeting(self) -> str:
        if self.person.child:
            return self.pick(["Dear Mr and Mrs Keller,", "Dear Parent/Carer,"])
        if self.named and self.rng.random() < 0.4:
            return f"Dear {self.person.first},"
        return "Dear Mr Keller," if self.person.key == "father" else "Dear Mrs Keller,"

    def mail(self) -> str:
        return f"{self.person.mail[0 if self.named else 1]}@wrenmail.example"

    def contact(self) -> str:
        return self.pick(STAFF)

    def org_mail(self, name: str) -> str:
        domain = "".join(re.sub("[^a-z]", "", word) for word in self.org.lower().split()[:2])
        return f"{name.split()[0].lower()}@{domain}.example"

    def body(self, lo: int, hi: int, chat: bool = False) -> list[str]:
        """An opening sentence naming the person, then area sentences."""
        first = self.fill(self.pick(self.area.openers))
        rest = self.some(self.area.chat if chat else self.area.lines, lo, hi)
        return [first, *(self.fill(s) for s in rest)]


def _aside(aside: str | None) -> list[str]:
    return [aside] if aside else []


def _money(x: float) -> str:
    return f"£{x:,.2f}"


# --- letters: addresses, a date, a salutation, paragraphs, a formal closing ------------------
def letter_formal(w: Writer, aside: str | None) -> str:
    contact = w.contact()
    first, *rest = w.body(3, 5) if w.long() else w.body(1, 2)
    lines = [w.org, w.address(), f"Tel. {w.phone()}", "", w.recipient(), HOME, "", w.when(), "",
             f"Re: {w.subject()}", "", w.greeting(), "", " ".join([first, *rest[:2]])]
    if rest[2:]:
        lines += ["", " ".join(rest[2:]),
                  "", f"If you have any questions, please contact {contact} on {w.phone()} or reply to this letter."]
    lines += [*(["", *_aside(aside)] if aside else []), "", "Yours sincerely,", "", contact, w.org]
    return "\n".join(lines)


def letter_reference(w: Writer, aside: str | None) -> str:
    lines = [f"{w.org.upper()}", w.address(), "", f"Our ref: {w.ref('OR')}    Your ref: {w.ref('YR')}",
             f"Date: {w.when()}", "", f"To: {w.recipient()}", HOME, "", w.greeting(), "",
             w.fill(w.pick(w.area.openers)), "We would like to confirm the following points:"]
    lines += [f"  {n}. {w.fill(s)}" for n, s in enumerate(w.some(w.area.lines, 2, 5 if w.long() else 3), 1)]
    lines += ["", *_aside(aside), "Yours faithfully,", f"{w.contact()}, on behalf of {w.org}",
              f"Enclosures: {w.pick(['information leaflet', 'copy of your form', 'payment slip', 'none'])}"]
    return "\n".join(lines)


def letter_reply(w: Writer, aside: str | None) -> str:
    sent = w.day()
    lines = [f"{w.org} | {w.address()} | Tel. {w.phone()}", "", w.when(sent), "", w.recipient(), HOME, "",
             f"Your letter of {w.when(sent - timedelta(days=w.rng.randint(5, 40)))}", "", w.greeting(), "",
             f"Thank you for your letter regarding {w.who()} ({w.subject().lower()}).",
             w.fill(w.pick(w.area.lines))]
    if w.long():
        lines += [w.fill(s) for s in w.some(w.area.lines, 2, 3)]
        lines += [f"We have also noted that {w.who()} may need {w.pick(w.service.bring)} on the day."]
    lines += [*_aside(aside), "", "With kind regards,", w.contact(), w.org]
    return "\n".join(lines)


# --- e-mails: headers, a first-name greeting, a chatty body, a short sign-off ----------------
def email_plain(w: Writer, aside: str | None) -> str:
    sender = w.contact()
    hello = f"Hi {w.person.first}," if w.named and not w.person.child else (
        "Hi both," if w.person.child else "Hello,")
    lines = [f"From: {sender} <{w.org_mail(sender)}>", f"To: {w.mail()}",
             f"Subject: {w.subject()}", f"Date: {w.when()}, {w.time()}", "", hello, "",
             *w.body(1, 4 if w.long() else 2, chat=True), *_aside(aside), "",
             w.pick(["Cheers,", "Best,", "Thanks!", "All the best,"]), sender.split()[0]]
    return "\n".join(lines)


def email_reply(w: Writer, aside: str | None) -> str:
    contact, sent = w.contact(), w.day()
    whom = w.who(home=True) if w.person.child else "me"
    lines = [f"From: {w.mail()}", f"To: {w.org_mail(contact)}", f"Subject: Re: {w.subject()}",
             f"Date: {w.when(sent)}", "", f"Hi {contact.split()[0]},", "",
             f"Thanks for this. {w.pick(['That date works', 'All fine', 'Sounds good', 'Perfect'])} for {whom}.",
             f"Should {'we' if w.person.child else 'I'} bring {w.pick(w.service.bring)}?", *_aside(aside), "", "Best wishes,", w.signature(),
             "", f"> On {w.when(sent - timedelta(days=w.rng.randint(1, 9)))}, {contact} wrote:"]
    lines += [f"> {w.fill(s)}" for s in w.some(w.area.chat, 1, 4 if w.long() else 2)]
    return "\n".join(lines)


def email_forward(w: Writer, aside: str | None) -> str:
    contact = w.contact()
    lines = [f"From: {w.mail()}", f"To: {'kellers.calendar@wrenmail.example' if w.person.child else FAMILY_MAIL}",
             f"Subject: Fwd: {w.subject()}", "", w.pick(["FYI, see below.", "For the calendar!", "Can you deal with this?"]),
             *_aside(aside), "", "---------- Forwarded message ----------", f"From: {contact} ({w.org})",
             f"Date: {w.when()}", f"Subject: {w.subject()}", "", *w.body(1, 3 if w.long() else 1, chat=True)]
    if w.long():
        lines += [f"PS: please bring {w.pick(w.service.bring)}.", f"{contact}, {w.org}", f"Tel. {w.phone()}"]
    return "\n".join(lines)


# --- receipts and invoices: line items, amounts, a total, how it was paid --------------------
def receipt_till(w: Writer, aside: str | None) -> str:
    items = w.items(1, 5 if w.long() else 2)
    lines = [w.org.upper(), w.address(), f"Receipt no. {w.ref('R')}", f"{w.when()}  {w.time()}",
             f"{w.area.party}: {w.label()}", ""]
    lines += [f"{item:<40}{_money(cost):>10}" for item, cost in items]
    lines += ["-" * 50, f"{'TOTAL':<40}{_money(sum(c for _, c in items)):>10}",
              f"Paid by {w.pick(['card **** ' + str(w.rng.randrange(1000, 9999)), 'cash', 'contactless'])}",
              *_aside(aside), "Thank you! Please keep this receipt."]
    return "\n".join(lines)


def invoice_formal(w: Writer, aside: str | None) -> str:
    items = w.items(2, 5 if w.long() else 3)
    total = sum(c for _, c in items)
    issued = w.day()
    lines = [f"INVOICE {w.ref('INV')}", f"From: {w.org}, {w.address()}", f"Bill to: {w.recipient()}, {HOME}",
             f"{w.area.party}: {w.label()}", f"Issued: {w.when(issued)}    Due: {w.when(issued + timedelta(days=30))}", "",
             "Item                                          Qty    Amount"]
    lines += [f"{item:<46}{1:>3}  {_money(cost):>10}" for item, cost in items]
    lines += ["", f"Subtotal {_money(total)}", f"VAT (0%, exempt) {_money(0)}" if w.area.key == "health"
              else f"VAT included {_money(total / 6)}", f"TOTAL DUE {_money(total)}", "",
              f"Please pay by bank transfer to sort code 40-11-{w.rng.randrange(10, 99)}, "
              f"account {w.rng.randrange(10**7, 10**8)}, quoting the invoice number.", *_aside(aside)]
    return "\n".join(lines)


def payment_confirmation(w: Writer, aside: str | None) -> str:
    item, cost = w.items(1, 1)[0]
    lines = ["Payment received - thank you!", "", f"Paid to: {w.org}", f"{w.area.party}: {w.label()}",
             f"For: {item} ({w.matter})", f"Amount: {_money(cost)}", f"Date: {w.when()}",
             f"Transaction ID: {w.ref('TX')}", *_aside(aside)]
    if w.long():
        extra = w.items(2, 3)
        lines += ["", "Also on this account:", *(f"  {i}: {_money(c)} (paid {w.when()})" for i, c in extra),
                  f"Balance outstanding: {_money(0)}", f"Questions? Call us on {w.phone()}."]
    return "\n".join(lines)


# --- forms: labelled fields with values, tick boxes, a signature line -------------------------
def _fields(w: Writer, n: int) -> list[str]:
    return [f"{label}: {w.fill(w.pick(values))}" for label, values in w.some(w.area.fields, n, n)]


def _ticks(w: Writer) -> list[str]:
    chosen = w.some(w.area.ticks, 1, 2)
    return [f"[{'x' if t in chosen else ' '}] {t}" for t in w.area.ticks]


def form_fields(w: Writer, aside: str | None) -> str:
    title = {"health": "PATIENT REGISTRATION FORM", "money": "ACCOUNT DETAILS FORM", "travel": "BOOKING FORM",
             "learning": "ENROLMENT FORM", "hobbies": "MEMBERSHIP APPLICATION"}[w.area.key]
    lines = [f"{w.org} - {title}", "", f"Surname: {SURNAME.upper()}",
             f"First name(s): {w.person.first}" if w.named else f"Initials: {w.person.first[0]}.",
             f"Date of birth: {w.dob()}", f"Address: {HOME}",
             *_fields(w, 4 if w.long() else 2), "", *_ticks(w), *_aside(aside), "",
             "Signature: ______________________" + ("  (parent/carer)" if w.person.child else ""),
             f"Date: {w.when()}"]
    return "\n".join(lines)


def form_sections(w: Writer, aside: str | None) -> str:
    lines = [f"{w.org}", f"Form {w.ref('F')}: {w.subject()}", "", f"SECTION A - about the {w.area.party.lower()}",
             f"  Full name: {w.label()}", f"  Date of birth: {w.dob()}", f"  Phone: {w.phone()}",
             "", "SECTION B - details", *(f"  {f}" for f in _fields(w, 5 if w.long() else 3))]
    if w.long():
        lines += ["", "SECTION C - anything else we should know?",
                  f"  {w.pick(w.topic.todo).capitalize()}; please note {w.pick(w.service.bring)}."]
    lines += ["", "SECTION D - declaration", *(f"  {t}" for t in _ticks(w)),
              "  I confirm the information above is correct.", *_aside(aside),
              "  Signed: ____________________   Date: " + w.when()]
    return "\n".join(lines)


def form_slip(w: Writer, aside: str | None) -> str:
    lines = ["- - - - - - - - - - - - cut here - - - - - - - - - - - -", f"REPLY SLIP ({w.org})",
             f"Please return by {w.when()}.", "", w.fill(w.area.slip), "", "[x] Yes    [ ] No", *_aside(aside)]
    if w.long():
        lines += [*_fields(w, 2), f"Contact phone: {w.phone()}", "Any comments: " + w.pick(w.topic.todo)]
    lines += ["", "Signed: __________________  Date: " + w.when()]
    return "\n".join(lines)


# --- appointments: when, where, with whom, what to bring --------------------------------------
def appointment_confirmation(w: Writer, aside: str | None) -> str:
    lines = ["APPOINTMENT CONFIRMATION", w.org, w.address(), "", f"For: {w.who()}", f"About: {w.matter}",
             f"Date: {w.when()}", f"Time: {w.time()}", f"With: {w.contact()}",
             f"Where: {w.pick(['Room 2', 'Main hall', 'Reception, ground floor', 'Studio B', 'Front desk'])}",
             "", "Please bring:", *(f"- {b}" for b in w.some(w.service.bring, 1, 3))]
    if w.long():
        lines += ["", "Please arrive ten minutes early. If you cannot attend, let us know at least 24 hours "
                  f"before on {w.phone()}, otherwise a fee of {_money(w.money(10, 30))} may be charged.",
                  w.fill(w.pick(w.area.lines))]
    lines += _aside(aside)
    return "\n".join(lines)


def appointment_text(w: Writer, aside: str | None) -> str:
    lines = [f"Text message from {w.org.split(',')[0]}:",
             f"Reminder: {w.who()} is booked for {w.matter} on {w.when()} at {w.time()}. "
             f"Reply YES to confirm or call {w.phone()} to change."]
    if w.long():
        lines += ["", "Second message:", f"Please bring {w.pick(w.service.bring)} and arrive 10 min early. "
                  f"Address: {w.address()}. {w.fill(w.pick(w.area.lines))}"]
    lines += _aside(aside)
    return "\n".join(lines)


def appointment_calendar(w: Writer, aside: str | None) -> str:
    start = w.time()
    lines = [f"Invitation: {w.subject()}", f"When: {w.when()}, {start} (1 hour)", f"Where: {w.org}, {w.address()}",
             f"Who: {w.who()}; {w.contact()}", "Reminder: 1 day before",
             f"Notes: bring {', '.join(w.some(w.service.bring, 1, 3))}."]
    if w.long():
        lines += ["", "Details from the organiser:", *(w.fill(s) for s in w.some(w.area.lines, 2, 3)),
                  f"Parking: {w.pick(['free behind the building', 'pay and display', 'none, use the bus'])}."]
    lines += [*_aside(aside), "Going?  Yes / Maybe / No"]
    return "\n".join(lines)


# --- notes: the family's own short lines, to-do marks, abbreviations -------------------------
def notes_todo(w: Writer, aside: str | None) -> str:
    jobs = w.some(w.topic.todo, 2, 4 if w.long() else 2)
    jobs[0] = f"{w.who(home=True)}: {jobs[0]}"
    lines = [f"TO DO ({w.pick(WEEKDAYS)})", *(f"[{w.pick([' ', ' ', 'x'])}] {j}" for j in jobs)]
    if w.long():
        lines += [f"[ ] ring {w.org} ({w.phone()})", f"[ ] pay {_money(w.money(5, 80))} - {w.pick(w.service.items)[0]}"]
    lines += _aside(aside)
    return "\n".join(lines)


def notes_call(w: Writer, aside: str | None) -> str:
    rang = w.day()
    lines = [f"Rang {w.org} {w.when(rang)}", f"- spoke to {w.contact().split()[0]}", f"- re {w.who(home=True)}, {w.matter}",
             f"- ref no. {w.rng.randrange(10000, 99999)}"]
    if w.long():
        lines += [f"- cost approx {_money(w.money(10, 200))}", f"- bring {w.pick(w.service.bring)}",
                  f"- next: {w.pick(w.topic.todo)}", f"- call back before {w.when(rang + timedelta(days=w.rng.randint(3, 20)))}"]
    lines += [*_aside(aside), w.pick(["!!", "done?", "ask again next week"])]
    return "\n".join(lines)


def notes_list(w: Writer, aside: str | None) -> str:
    items = w.items(1, 4 if w.long() else 2)
    lines = [f"{w.subject()} - {w.who(home=True)}", ""]
    lines += [f"* {i} ~{_money(c)}" for i, c in items]
    lines += [f"* {t}" for t in w.some(w.topic.todo, 1, 3 if w.long() else 1)]
    if w.long():
        lines += ["", f"Don't forget: {', '.join(w.some(w.service.bring, 2, 3))}", f"Tel {w.org}: {w.phone()}"]
    lines += _aside(aside)
    return "\n".join(lines)


TEMPLATES = {
    "letter": [letter_formal, letter_reference, letter_reply],
    "email": [email_plain, email_reply, email_forward],
    "receipt_or_invoice": [receipt_till, invoice_formal, payment_confirmation],
    "form": [form_fields, form_sections, form_slip],
    "appointment": [appointment_confirmation, appointment_text, appointment_calendar],
    "notes": [notes_todo, notes_call, notes_list],
}


def _written(text: str, first: str) -> bool:
    return re.search(rf"\b{first}\b", text) is not None


def family_docs(n: int = 300, seed: int = SEED) -> list[dict]:
    """n documents: the 150 (person, area, kind) cells in a shuffled order, again and again
    (each round freshly shuffled), so any two criteria are balanced and independent; each
    kind's layouts in turn. Rows: input, labels, template, and "also" where a second family
    member is mentioned."""
    rng = random.Random(seed)
    cells = [(p, a, k) for p in PEOPLE for a in AREAS for k in KINDS]
    order: list[tuple[str, str, str]] = []
    while len(order) < n:
        order += rng.sample(cells, len(cells))
    turn = {kind: rng.randrange(3) for kind in KINDS}
    rows = []
    for person, area, kind in order[:n]:
        template = TEMPLATES[kind][turn[kind] % 3]
        turn[kind] += 1
        other = rng.choice([p for p in PEOPLE if p != person]) if rng.random() < ASIDE_SHARE else None
        aside = rng.choice(PEOPLE[other].asides) if other else None
        writer = Writer(rng, PEOPLE[person], AREAS[area], named=rng.random() >= NAMELESS_SHARE)
        text = template(writer, aside).strip()
        # The person's first name is written exactly where the document names them, and no
        # other family member's first name is, but in the aside.
        assert _written(text, PEOPLE[person].first) == writer.named, (template.__name__, text)
        assert not any(_written(text, p.first) for p in PEOPLE.values() if p.key not in (person, other)), text
        row = {"input": text, "labels": {"person": person, "area": area, "kind": kind},
               "template": template.__name__}
        if other is not None:
            row["also"] = other
        rows.append(row)
    return rows


def write(out: Path = OUT, n: int = 300, seed: int = SEED) -> Path:
    return write_multi_dataset(family_docs(n, seed), CRITERIA, out)


def main(argv: list[str] | None = None) -> int:
    return generator_main(argv, __doc__, write, 300, SEED, OUT)


if __name__ == "__main__":
    raise SystemExit(main())
