"""Build the two-criteria benchmark sets of issue 11 ("the criterion must steer").

Sets whose items carry two labellings each, so that the same items can be grouped two
different ways and each grouping checked against its own truth:

* ``docs``: household documents, each of one KIND (invoice or receipt, letter, meeting notes,
  contract, schedule, checklist) about one PROJECT (a kitchen renovation, a trip to Japan, a
  wedding, buying a car, the garden). Written to ``resources/bench/household_docs.jsonl``
  (``{"input": TEXT, "labels": {"kind": ..., "project": ...}}`` per line) with
  ``household_docs.criteria.json`` next to it. Kind and project are independent (every pair
  equally often); the kind shows in the document's form (line items and a total, a salutation
  and a closing, attendees and action items, parties, clauses and signatures, times and
  dates, boxes to tick), the project in its content. Every kind has four layouts, several
  lengths and varied entities; about one document in four also mentions a second project.
  All people, businesses, addresses and amounts are fictional.
* ``photos``: 300 pictures of ``../shared/datasets/images/cifar10_500`` (30 per object,
  chosen with a fixed seed) copied with EXIF capture time, GPS position and camera written
  into them, as taken on six trips (Kyoto, Lisbon, Reykjavik, Cape Town, New York, Sydney;
  2-6 days each, 2023-2025). The trip is independent of the object (5 pictures of every
  object per trip). Pixels are untouched: the EXIF block built by Pillow is spliced into the
  original JPEG bytes. Written to ``resources/bench/trip_photos/`` with
  ``labels_object.csv``, ``labels_trip.csv``, ``labels_year.csv`` and ``criteria.json``.
* ``travel``: the six trips' papers, 8 a trip (a hotel booking, a flight e-ticket as HTML, a
  day plan in Markdown, a receipt, an admission ticket, an e-mail home as ``.eml``, a
  transfer voucher, a packing list), their dates in the trip (bookings also name the day
  they were made, weeks before) in five formats, 29 of 48 naming neither city nor country.
  Written to ``resources/bench/trip_folder/``, whose ``labels_trip.csv`` and
  ``labels_year.csv`` list the photos of ``trip_photos`` too (``../trip_photos/NAME``): one
  folder of photos and papers, by trip and by year.

Deterministic: the same arguments give the same bytes on every run (one seeded
``random.Random`` per set, fixed EXIF timestamps, no clock or hash order involved).

    .venv/bin/python packaging/make_two_criteria.py            # both sets
    .venv/bin/python packaging/make_two_criteria.py docs --n 360
    .venv/bin/python packaging/make_two_criteria.py photos --src ../shared/datasets/images/cifar10_500
    .venv/bin/python packaging/make_two_criteria.py travel

Then: ``corral bench resources/bench/household_docs.jsonl`` and
``corral bench resources/bench/trip_photos`` (docs/benchmarks.md, "Two criteria"), ``corral
bench resources/bench/trip_folder`` ("Photos and papers by trip").
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "resources" / "bench"
DOCS_OUT = BENCH / "household_docs.jsonl"
PHOTOS_OUT = BENCH / "trip_photos"
CIFAR = ROOT.parent / "shared" / "datasets" / "images" / "cifar10_500"

DOC_SEED = 11
PHOTO_SEED = 11

KINDS = ["invoice_or_receipt", "letter", "meeting_notes", "contract", "schedule", "checklist"]
PROJECTS = ["kitchen renovation", "trip to Japan", "wedding", "buying a car", "garden"]

DOC_CRITERIA = {
    "kind": {"criterion": "what kind of document is this", "k": len(KINDS)},
    "project": {"criterion": "which project or event is this for", "k": len(PROJECTS)},
}
PHOTO_CRITERIA = {
    "object": {"criterion": "the main object in the photo", "k": 10},
    "trip": {"criterion": "which trip were these photos taken on", "k": 6},
    # The same trips by year: two a year, so the year joins trips that lie months apart.
    "year": {"criterion": "which year were these photos taken", "k": 3},
}

# --------------------------------------------------------------------------------------
# People, places and other shared pools (fictional)
# --------------------------------------------------------------------------------------

FIRST = [
    "Anna", "Ben", "Carla", "David", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kemi",
    "Liam", "Maya", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Samir", "Tara", "Umar",
    "Vera", "Wes", "Xenia", "Yusuf", "Zoe", "Aiden", "Bea", "Chen", "Dara", "Emil", "Freya",
    "Gil", "Hana", "Ivan", "Jude", "Kai", "Lena", "Marco", "Nora", "Olu", "Pia", "Ravi",
    "Sofia", "Theo", "Una", "Victor", "Wren", "Isla", "Mateo",
]
SURNAMES = [
    "Okafor", "Lindqvist", "Moreau", "Brennan", "Castillo", "Novak", "Achterberg", "Haddad",
    "Whitfield", "Kowalski", "Ferreira", "Nakamura", "Osei", "Petrov", "Quinn", "Rahman",
    "Schultz", "Tanaka", "Underwood", "Varga", "Walsh", "Yilmaz", "Zhou", "Adeyemi", "Bauer",
    "Coleman", "Dubois", "Eriksen", "Fitzgerald", "Greer", "Holm", "Iyer", "Jensen", "Keane",
    "Larsen", "Mbeki", "Nielsen", "O'Hara", "Pereira", "Rossi", "Sato", "Thornton", "Voss",
]
STREETS = [
    "Elm Road", "Station Street", "Kingsley Avenue", "Mill Lane", "Harbour View", "Chestnut Close",
    "Orchard Way", "Bridge Street", "Linden Grove", "Market Square", "Park Terrace", "Quarry Hill",
    "Willow Crescent", "Foundry Lane", "High Street", "Beacon Road",
]
TOWNS = [
    "Ashford", "Brookfield", "Carrow", "Dunmore", "Eastleigh", "Fairhaven", "Glenwood", "Hollins",
    "Kestrel Bay", "Larkmoor", "Millbrook", "Northam", "Oakhurst", "Pendle", "Redcliffe",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]

# --------------------------------------------------------------------------------------
# The five projects: what each is about. Every kind of document draws on the same fields,
# so the vocabulary of a project never tells the kind, and the kind's form never tells the
# project.
# --------------------------------------------------------------------------------------


@dataclass
class Vendor:
    name: str
    trade: str  # what they do, e.g. "kitchen fitters"
    items: list[tuple[str, int, int]]  # (what was bought or done, lowest price, highest)


@dataclass
class Deal:
    service: str  # "the supply and fitting of a new kitchen at {home}"
    provider_role: str  # "the Contractor"
    vendor: int  # index into the project's vendors
    deliverables: list[str]
    clauses: list[str]  # project-specific conditions, each one sentence
    price: tuple[int, int]


@dataclass
class ProjectInfo:
    key: str
    vendors: list[Vendor]
    deals: list[Deal]
    tasks: list[str]  # to-dos, imperative, lower case
    checks: list[str]  # things to inspect or confirm, noun phrases
    events: list[str]  # schedule entries
    topics: list[str]  # statements for letters and notes
    decisions: list[str]
    questions: list[str]
    meetings: list[str]  # what a meeting or call was, e.g. "site meeting with the fitter"
    asides: list[str]  # one sentence that mentions this project in another project's document
    requests: list[str]  # what a letter may ask for ("to ask whether ...")
    thanks: list[str]  # what a thank-you note may thank for
    places: list[str]
    helpers: list[str] = field(default_factory=list)  # roles of people involved


KITCHEN = ProjectInfo(
    key="kitchen renovation",
    vendors=[
        Vendor("Hartwell Cabinetry", "kitchen cabinet makers", [
            ("shaker-style base units, painted sage", 1800, 4200), ("tall larder unit with pull-out racks", 650, 1400),
            ("wall cabinets with soft-close hinges", 900, 2100), ("corner carousel unit", 240, 520),
            ("fitting of units and plinths (labour)", 800, 1900), ("oak breakfast bar top", 380, 760),
        ]),
        Vendor("Stonecraft Worktops", "quartz and granite worktops", [
            ("quartz worktop, 30 mm, white veined", 1900, 3600), ("templating visit", 120, 220),
            ("undermount sink cut-out and polishing", 180, 320), ("upstand and window sill in quartz", 260, 540),
            ("hob cut-out", 90, 160),
        ]),
        Vendor("Brightline Electrical", "electricians", [
            ("new ring main for the kitchen (labour)", 480, 950), ("under-cabinet LED strips", 140, 310),
            ("pendant lights over the island", 190, 420), ("double sockets with USB, fitted", 60, 140),
            ("electrical certificate and testing", 120, 240), ("extractor fan wiring", 80, 170),
        ]),
        Vendor("Plumb Perfect", "plumbers", [
            ("moving the sink waste and supply pipes", 350, 780), ("boiling water tap", 520, 980),
            ("dishwasher and washing machine connections", 110, 230), ("isolation valves and fittings", 40, 95),
            ("radiator relocation", 260, 540),
        ]),
        Vendor("Oakridge Tile & Stone", "tile merchants", [
            ("metro splashback tiles, 4.5 m2", 160, 380), ("porcelain floor tiles, 14 m2", 540, 1200),
            ("tile adhesive and grout", 60, 140), ("tiling labour, floor and splashback", 700, 1500),
            ("levelling compound", 45, 110),
        ]),
        Vendor("City Appliance Depot", "appliance store", [
            ("induction hob, 80 cm", 480, 1100), ("built-in double oven", 690, 1500),
            ("integrated dishwasher", 380, 820), ("ceiling extractor hood", 520, 1300),
            ("fridge freezer, integrated", 560, 1200), ("delivery and removal of old appliances", 40, 90),
        ]),
        Vendor("Castle Skip Hire", "skip hire and waste", [
            ("6-yard skip, one week", 220, 340), ("permit for skip on the road", 40, 70),
            ("collection of old kitchen units", 90, 180),
        ]),
    ],
    deals=[
        Deal("the removal of the existing kitchen and the supply and fitting of a new kitchen at {home}",
             "the Contractor", 0,
             ["strip out of the old units, worktops and tiles", "installation of the new base, wall and tall units",
              "fitting of the worktops once templated", "making good of walls and ceiling ready for decoration"],
             ["The Contractor shall protect the hallway floors with boards and dust sheets.",
              "Any asbestos found behind the old units will be reported before work continues.",
              "Building waste is removed in a skip paid for by the Contractor.",
              "The Client will choose the cabinet colour from the sample door before ordering."],
             (9000, 24000)),
        Deal("the supply and installation of quartz worktops in the kitchen at {home}",
             "the Supplier", 1,
             ["templating after the base units are fixed", "cutting of the sink and hob openings",
              "installation and sealing of worktops and upstands"],
             ["The Supplier is not responsible for units that are not level at templating.",
              "Natural variation in the stone pattern is not a defect.",
              "Templating will not take place until the base units are fixed."],
             (2200, 5200)),
        Deal("the electrical works for the new kitchen at {home}", "the Electrician", 2,
             ["a new kitchen circuit from the consumer unit", "sockets, spurs and lighting as on the layout plan",
              "testing and an electrical installation certificate"],
             ["All work complies with the current wiring regulations.",
              "The power will be off for no more than one day during the changeover.",
              "Light fittings supplied by the Client are fitted at no extra charge."],
             (900, 2600)),
    ],
    tasks=[
        "measure the window wall again before the cabinet order", "choose the grout colour for the splashback",
        "order the sink and the tap", "book the skip for the strip-out week", "move the fridge to the dining room",
        "ask the electrician about sockets on the island", "pick the cabinet handles",
        "confirm the worktop templating date", "clear the kitchen cupboards", "set up a temporary kitchen in the utility room",
        "return the spare floor tiles", "paint the ceiling before the units go in", "check the building regs sign-off",
        "pay the cabinet deposit", "choose the pendant lights", "get quotes for the floor tiles",
    ],
    checks=[
        "cabinet doors aligned and closing softly", "worktop joints sealed", "sink and tap free of leaks",
        "all sockets working", "extractor hood ducted outside", "splashback grout even", "floor tiles level",
        "dishwasher draining properly", "electrical certificate received", "oven and hob working",
        "plinths fitted", "no scratches on the quartz",
    ],
    events=[
        "strip-out of the old kitchen", "plumber: first fix of pipes", "electrician: first fix wiring",
        "plastering of the back wall", "cabinet delivery", "cabinet fitting", "worktop templating",
        "worktop installation", "tiling of the splashback", "floor tiling", "appliance delivery",
        "electrician: second fix and testing", "skip collection", "final snagging walk-round with the fitter",
        "decorating the kitchen walls",
    ],
    topics=[
        "the base units arrived with one damaged door, which the fitter has reported",
        "the quartz worktop cannot be templated until the units are level",
        "the old kitchen came out in a single day and the skip is already full",
        "the budget for the new kitchen is now about ten percent over",
        "the island will have two pendant lights and a double socket at the end",
        "we chose a sage green for the cabinets and brushed brass handles",
        "the floor under the old units was uneven and needs levelling compound",
        "the extractor hood has to vent through the outside wall",
        "the plumber moved the sink under the window",
        "cooking has moved to a microwave and a camping hob in the utility room",
        "the splashback tiles are on back order for two weeks",
        "building control wants to see the new wiring before the walls are closed",
    ],
    decisions=[
        "go with the 30 mm quartz rather than the oak worktop", "keep the existing radiator but move it",
        "order the integrated dishwasher now while it is on offer", "pay the fitter in three stages",
        "postpone the floor tiles until the units are in", "use the metro tiles in white, not grey",
    ],
    questions=[
        "can the boiling water tap run from the existing supply?", "who seals the worktop joints?",
        "is the floor strong enough for the tall larder unit?", "do we need a new consumer unit?",
        "when can the skip be collected?",
    ],
    meetings=[
        "site meeting with the kitchen fitter", "kitchen planning session at the showroom",
        "call with the electrician about the kitchen layout", "progress meeting on the kitchen works",
    ],
    asides=[
        "The kitchen fitters start on the Monday after, so the house will be dusty for a while.",
        "Our kitchen is still half torn out, so we are eating takeaways most nights.",
        "The new quartz worktop for the kitchen finally went in yesterday.",
        "We are still waiting for the electrician to finish the kitchen sockets.",
    ],
    requests=[
        "whether the cabinet order can be changed to the sage green finish",
        "for a written quote for moving the sink under the window",
        "when the replacement cabinet door will be delivered",
        "whether the worktop templating can be brought forward",
    ],
    thanks=[
        "lending us your camping stove while the kitchen was out",
        "recommending such a careful kitchen fitter",
        "helping us carry the old cabinets to the skip",
    ],
    places=["the kitchen", "the utility room", "the showroom", "{home}"],
    helpers=["the kitchen fitter", "the electrician", "the plumber", "the tiler", "the kitchen designer"],
)

TRIP = ProjectInfo(
    key="trip to Japan",
    vendors=[
        Vendor("Blue Lantern Travel", "travel agency", [
            ("return flights London Heathrow - Tokyo Haneda, 2 adults", 1400, 2600),
            ("7-day Japan Rail Pass, ordinary class, 2 adults", 560, 760), ("travel insurance, 2 weeks", 60, 140),
            ("booking fee", 25, 60), ("airport transfer Haneda - Shinjuku", 40, 95),
        ]),
        Vendor("Hotel Sakura Shinjuku", "hotel in Tokyo", [
            ("double room, 4 nights", 520, 980), ("breakfast buffet, 2 persons", 40, 90),
            ("city tax", 8, 20), ("late check-out", 20, 45),
        ]),
        Vendor("Ryokan Tsukikage, Kyoto", "traditional inn in Kyoto", [
            ("Japanese-style room with private onsen bath, 2 nights", 480, 1100),
            ("kaiseki dinner for two", 140, 260), ("yukata rental", 10, 25), ("luggage forwarding to Osaka", 20, 40),
        ]),
        Vendor("Kansai Wi-Fi Rentals", "pocket Wi-Fi and SIM rental", [
            ("pocket Wi-Fi router, 14 days", 55, 95), ("eSIM data plan, 10 GB", 18, 35),
            ("delivery to the hotel", 5, 12),
        ]),
        Vendor("Arashiyama Bamboo Tours", "guided tours in Kyoto", [
            ("half-day guided walk, Arashiyama and the bamboo grove", 70, 140),
            ("tea ceremony experience, 2 persons", 60, 110), ("Fushimi Inari early-morning hike", 45, 90),
        ]),
        Vendor("Lawson Shibuya", "convenience store in Tokyo", [
            ("onigiri", 2, 4), ("Suica card top-up", 10, 30), ("green tea, bottled", 1, 3),
            ("umbrella", 5, 9), ("bento box", 5, 9),
        ]),
    ],
    deals=[
        Deal("a 14-day guided and self-guided holiday in Japan (Tokyo, Hakone, Kyoto, Nara, Osaka)",
             "the Tour Operator", 0,
             ["return flights to Tokyo", "12 nights of accommodation as listed in the itinerary",
              "a 7-day Japan Rail Pass", "a guided day in Kyoto", "airport transfers on arrival"],
             ["Passports must be valid for the whole stay in Japan.",
              "Changes to flights after ticketing are charged at the airline's fee.",
              "The Tour Operator is not liable for delays of the shinkansen or typhoon disruption.",
              "Travellers must hold travel insurance covering medical costs abroad."],
             (3800, 7600)),
        Deal("the rental of a pocket Wi-Fi router for use in Japan", "the Rental Company", 3,
             ["one pocket Wi-Fi router with charger", "unlimited 4G data in Japan", "a prepaid return envelope"],
             ["The router is returned by post from the airport on the last day.",
              "A lost router is charged at 30,000 yen.", "Late returns are charged per extra day."],
             (55, 120)),
        Deal("accommodation at the ryokan in Kyoto with dinner and breakfast", "the Inn", 2,
             ["two nights in a Japanese-style room", "kaiseki dinner and breakfast on both days",
              "use of the private onsen bath"],
             ["Check-in is from 15:00; dinner is served at 18:30.",
              "Cancellation within 7 days of arrival costs 50 percent of the stay.",
              "Guests with tattoos may use the private bath only."],
             (600, 1400)),
    ],
    tasks=[
        "renew Maya's passport", "order yen from the bank", "activate the Japan Rail Pass at Tokyo station",
        "book the shinkansen seats to Kyoto", "download the offline map of Kyoto", "buy travel insurance",
        "reserve the teamLab tickets", "pack the travel adapters for Japanese sockets", "print the ryokan booking",
        "arrange the pocket Wi-Fi pick-up at Haneda", "learn a few phrases of Japanese",
        "book the Fushimi Inari walk", "send the luggage ahead to Osaka", "check the typhoon forecast",
        "ask the neighbours to water the plants while we are in Japan", "get the Suica cards",
    ],
    checks=[
        "passports valid for six months", "flight times to Tokyo confirmed", "Japan Rail Pass vouchers",
        "hotel booking in Shinjuku", "ryokan dinner time confirmed", "travel insurance documents",
        "yen in cash", "power adapters", "comfortable walking shoes", "pocket Wi-Fi reservation",
        "shinkansen seat reservations", "copies of the passports",
    ],
    events=[
        "flight to Tokyo Haneda", "check in at Hotel Sakura Shinjuku", "Tsukiji outer market and Ginza",
        "day trip to Hakone and Lake Ashi", "shinkansen to Kyoto", "Fushimi Inari shrine at sunrise",
        "Arashiyama bamboo grove and tea ceremony", "day trip to Nara deer park", "train to Osaka",
        "Dotonbori street food evening", "Hiroshima Peace Memorial and Miyajima", "flight home from Kansai airport",
        "onsen evening at the ryokan", "Shibuya crossing and Meiji shrine",
    ],
    topics=[
        "the cherry blossoms in Kyoto are expected to peak in the first week of April",
        "the Japan Rail Pass price went up, so we compared it with single shinkansen tickets",
        "the ryokan in Kyoto serves a kaiseki dinner at half past six",
        "we want two quiet days in Hakone with an onsen after the busy days in Tokyo",
        "trains in Japan are so punctual that a two-minute connection is realistic",
        "we will send our big suitcases ahead from Tokyo to Osaka",
        "Nara is an easy day trip from Kyoto by train",
        "the flight to Tokyo leaves just before midnight and lands in the afternoon",
        "most small restaurants in Japan still only take cash",
        "Hiroshima and Miyajima would make the trip two days longer",
        "the pocket Wi-Fi can be collected at Haneda airport",
    ],
    decisions=[
        "buy the 7-day rail pass rather than single tickets", "stay two nights in the ryokan instead of one",
        "skip Hiroshima this time", "fly into Haneda and out of Kansai", "take cash for the small restaurants",
        "book the bamboo grove tour for early morning",
    ],
    questions=[
        "do we need a visa for Japan?", "is the rail pass worth it for our route?",
        "can we bring medicine into Japan without a certificate?", "how early should we reach Fushimi Inari?",
        "will the pocket Wi-Fi work in Hakone?",
    ],
    meetings=[
        "trip planning call with Maya and Tom", "meeting with the travel agent about the Japan itinerary",
        "family planning evening for the Japan trip", "call with the tour operator",
    ],
    asides=[
        "We fly to Tokyo three weeks later, so everything has to be settled before then.",
        "Our Japan trip is booked at last: two weeks, Tokyo to Osaka.",
        "I was at the bank ordering yen for the Japan trip when you called.",
        "The ryokan in Kyoto confirmed our booking this morning.",
    ],
    requests=[
        "whether our Kyoto room can have a private onsen bath",
        "for a refund of the unused shinkansen reservation",
        "whether the airport transfer can wait if our flight to Tokyo is late",
        "whether vegetarian meals can be arranged at the ryokan",
    ],
    thanks=[
        "the wonderful tips for Kyoto and Nara", "lending us your guidebook to Japan",
        "looking after the cat while we were in Japan",
    ],
    places=["Tokyo", "Kyoto", "Osaka", "Hakone", "Nara", "Shinjuku"],
    helpers=["the travel agent", "our guide in Kyoto", "the hotel concierge", "the tour operator"],
)

WEDDING = ProjectInfo(
    key="wedding",
    vendors=[
        Vendor("Hollybrook Manor", "wedding venue", [
            ("venue hire, Saturday ceremony and reception", 4500, 9000), ("ceremony room set-up", 300, 650),
            ("overnight bridal suite", 260, 480), ("corkage, 40 bottles", 200, 400),
        ]),
        Vendor("Saffron & Sage Catering", "wedding caterers", [
            ("three-course wedding breakfast, 90 guests", 4200, 7800), ("canapes for the drinks reception", 450, 900),
            ("evening buffet", 600, 1300), ("menu tasting for two", 60, 120), ("waiting staff", 500, 1100),
        ]),
        Vendor("Petal & Stem", "florist", [
            ("bridal bouquet, peonies and eucalyptus", 120, 260), ("buttonholes x 8", 60, 130),
            ("table centrepieces x 11", 330, 720), ("arch flowers for the ceremony", 400, 900),
        ]),
        Vendor("Lena Park Photography", "wedding photographer", [
            ("full-day wedding photography", 1400, 2600), ("engagement shoot", 200, 380),
            ("printed album, 30 pages", 280, 560),
        ]),
        Vendor("The Swing Cats", "wedding band", [
            ("live band, two sets of 45 minutes", 1300, 2400), ("first dance song learnt specially", 80, 150),
            ("DJ set between sets", 150, 300),
        ]),
        Vendor("Butter & Bloom Bakery", "cake maker", [
            ("three-tier wedding cake, lemon and elderflower", 380, 720), ("cake stand hire", 20, 45),
            ("cake delivery and set-up", 30, 70),
        ]),
        Vendor("Morrow Jewellers", "jewellers", [
            ("wedding rings, pair, 18ct", 900, 2200), ("ring engraving", 25, 60), ("ring resizing", 30, 60),
        ]),
    ],
    deals=[
        Deal("the hire of Hollybrook Manor for the wedding ceremony and reception of the Client", "the Venue", 0,
             ["exclusive use of the house and gardens from 11:00 to midnight", "the ceremony room and the orangery",
              "tables, chairs and linen for up to 100 guests", "a wedding coordinator on the day"],
             ["Confetti may be thrown outdoors only, and must be biodegradable.",
              "Final guest numbers are due 21 days before the wedding.",
              "Music must stop at 23:45 because of the licence.",
              "The deposit secures the date and is not refundable."],
             (4500, 11000)),
        Deal("the photography of the Client's wedding", "the Photographer", 3,
             ["coverage from the bridal preparations to the first dance", "an online gallery of at least 400 edited pictures",
              "a printed album of 30 pages"],
             ["The Photographer may use a selection of images for her portfolio unless the Client objects in writing.",
              "A second shooter is included for the ceremony.",
              "Images are delivered within eight weeks of the wedding."],
             (1400, 3200)),
        Deal("the catering of the wedding breakfast and evening reception", "the Caterer", 1,
             ["canapes for the drinks reception", "a three-course wedding breakfast", "an evening buffet",
              "crockery, glassware and waiting staff"],
             ["Dietary requirements must be given with the final guest numbers.",
              "The Caterer will leave the kitchen of the venue clean by 01:00.",
              "Prices are held for weddings booked within 12 months."],
             (5200, 11000)),
    ],
    tasks=[
        "send the save-the-date cards", "chase the missing RSVPs", "finalise the seating plan",
        "book the menu tasting", "choose the first dance song", "order the buttonholes",
        "confirm the ceremony readings with the registrar", "pay the venue's second instalment",
        "collect the wedding dress after the last fitting", "write the vows", "buy favours for the tables",
        "give the photographer the list of group photos", "book the hair and make-up trial",
        "order the wedding rings", "arrange a taxi for the grandparents", "send the final guest numbers to the caterer",
    ],
    checks=[
        "rings with the best man", "marriage licence documents", "guest list and seating plan printed",
        "speeches printed", "florist delivery time confirmed", "cake delivered to the venue", "band's set list agreed",
        "vows written", "wedding dress steamed", "payment envelopes for the suppliers",
        "confetti is biodegradable", "order of service printed",
    ],
    events=[
        "hair and make-up", "photographer arrives for the bridal preparations", "guests arrive at Hollybrook Manor",
        "wedding ceremony", "confetti and group photos on the lawn", "drinks reception and canapes",
        "wedding breakfast", "speeches", "cutting of the cake", "first dance", "the band's first set",
        "evening buffet", "carriages and taxis", "menu tasting at the caterer's", "final dress fitting",
        "rehearsal at the venue",
    ],
    topics=[
        "forty-two guests have replied and eleven are still missing",
        "the venue needs the final numbers three weeks before the wedding",
        "the florist suggests peonies because they are in season in June",
        "the band can learn our first dance song if we send it a month ahead",
        "Grandma would like to sit near the front during the ceremony",
        "the seating plan has to keep the two uncles apart",
        "the cake will be lemon and elderflower with three tiers",
        "the photographer wants a list of the group photos before the day",
        "the ceremony will move into the orangery if it rains",
        "the wedding budget is now mostly spent on the venue and the catering",
        "the registrar wants to meet us six weeks before the wedding",
    ],
    decisions=[
        "have the ceremony outdoors if the forecast allows", "invite 90 guests to the day and 40 more in the evening",
        "go with the band rather than a DJ", "serve the lemon cake as dessert", "book the photographer for the full day",
        "send paper invitations rather than e-mails",
    ],
    questions=[
        "who gives the first speech?", "can children come to the evening reception?",
        "do we need a wet-weather plan for the photos?", "when do the RSVPs close?",
        "does the venue allow sparklers?",
    ],
    meetings=[
        "meeting with the venue coordinator", "wedding planning evening with the bridesmaids",
        "call with the caterer about the wedding menu", "final wedding meeting with both families",
    ],
    asides=[
        "The wedding is only six weeks away, so every weekend is taken by planning.",
        "We have just sent out the wedding invitations, 130 of them.",
        "Lena, the wedding photographer, is coming round on Thursday to go through the list of group photos.",
        "The wedding venue wants the final numbers by the end of the month.",
    ],
    requests=[
        "whether the ceremony can move to the orangery if it rains",
        "for the final invoice for the wedding breakfast",
        "whether two more guests can be added to the wedding reception",
        "whether the band could play one more song after midnight",
    ],
    thanks=[
        "the beautiful wedding present", "coming all that way to our wedding",
        "the lovely speech at the wedding",
    ],
    places=["Hollybrook Manor", "the orangery", "the registry office", "the bridal shop"],
    helpers=["the venue coordinator", "the best man", "the maid of honour", "the florist", "the registrar"],
)

CAR = ProjectInfo(
    key="buying a car",
    vendors=[
        Vendor("Northgate Motors", "used car dealer", [
            ("2019 Volkswagen Golf 1.5 TSI, 41,000 miles", 13500, 17500), ("administration fee", 90, 199),
            ("paint protection", 150, 399), ("12-month warranty extension", 250, 590),
            ("full tank of fuel on delivery", 60, 90),
        ]),
        Vendor("Riverside Toyota", "car dealership", [
            ("Toyota Corolla Hybrid, ex-demonstrator", 19000, 24500), ("floor mats and boot liner", 80, 160),
            ("first service plan", 180, 380), ("deposit towards the Corolla", 500, 1500),
        ]),
        Vendor("Quickfit Tyres & Service", "garage and tyre centre", [
            ("pre-purchase inspection of a used car", 90, 180), ("four new tyres, 205/55 R16", 280, 520),
            ("wheel alignment", 40, 80), ("annual roadworthiness test", 40, 60), ("brake pads, front", 120, 220),
        ]),
        Vendor("Sterling Car Finance", "car finance company", [
            ("finance arrangement fee", 0, 150), ("first monthly instalment on the car loan", 220, 390),
            ("option-to-purchase fee", 10, 95),
        ]),
        Vendor("Shieldline Insurance", "car insurer", [
            ("comprehensive car insurance, 12 months", 420, 980), ("breakdown cover", 60, 140),
            ("protected no-claims bonus", 40, 90),
        ]),
        Vendor("DriveTech Accessories", "car accessories shop", [
            ("dash cam, front and rear", 90, 210), ("child seat, ISOFIX", 140, 290), ("roof bars", 110, 220),
            ("phone holder", 15, 30),
        ]),
    ],
    deals=[
        Deal("the sale of a used motor car, a 2019 Volkswagen Golf 1.5 TSI, registration {reg}", "the Seller", 0,
             ["the vehicle with two keys and the service book", "a fresh roadworthiness test",
              "a 3-month dealer warranty on engine and gearbox"],
             ["The Seller confirms that the vehicle has no outstanding finance.",
              "The Buyer's old car is taken in part exchange at the value agreed above.",
              "The mileage shown on the odometer is believed to be correct.",
              "The vehicle is sold with the service history as presented to the Buyer."],
             (12500, 18500)),
        Deal("a hire purchase loan for the Toyota Corolla Hybrid, chassis number {vin}", "the Lender", 3,
             ["a loan of the amount financed over 48 months", "fixed monthly instalments",
              "an optional final payment to own the car"],
             ["The car remains the property of the Lender until the last instalment is paid.",
              "The Borrower may settle early and receive a rebate of interest.",
              "The Borrower must keep the car fully insured."],
             (14000, 22000)),
        Deal("the private sale of the Buyer's old car, a 2011 Ford Focus estate", "the Seller", 2,
             ["the car as seen and test-driven", "the logbook and two keys", "the spare wheel and roof bars"],
             ["The car is sold as seen, with no warranty given by a private seller.",
              "The Buyer takes over the car at the time and date written below.",
              "The Seller will notify the licensing agency of the change of keeper."],
             (1200, 3200)),
    ],
    tasks=[
        "book the test drive of the Golf", "get an insurance quote for the Corolla", "check the car's history online",
        "compare the finance offers", "ask for the service history", "sell the old Focus",
        "book the pre-purchase inspection", "transfer the deposit to the dealer", "cancel the old car insurance",
        "buy a child seat for the new car", "register the car in my name", "check the tyre tread",
        "negotiate the part-exchange price", "fit the dash cam", "read the finance agreement",
        "arrange a time to collect the car",
    ],
    checks=[
        "tyre tread above 3 mm", "service book stamped", "no warning lights on the dashboard", "both keys present",
        "V5 logbook name matches the seller", "no outstanding finance", "cambelt changed", "air conditioning cold",
        "no rust on the sills", "mileage matches the test certificates", "brakes pull straight",
        "spare wheel and jack in the boot",
    ],
    events=[
        "test drive of the Volkswagen Golf at Northgate Motors", "test drive of the Corolla Hybrid",
        "pre-purchase inspection at Quickfit", "meeting the finance adviser", "insurance starts on the new car",
        "collection of the new car", "selling the old Focus: buyer viewing", "first service of the new car",
        "tyre fitting", "dash cam installation", "registration paperwork at the dealer",
    ],
    topics=[
        "the Golf has 41,000 miles and a full service history",
        "the dealer offered 2,100 for the old Focus in part exchange",
        "the Corolla hybrid would save about 40 a month in fuel",
        "the finance offer is 6.9 percent APR over four years",
        "insurance for the Corolla is cheaper than for the Golf",
        "the inspection found worn front brake pads on the Golf",
        "we need a car with ISOFIX points in the back for the child seat",
        "the dealer can have the car ready by Friday afternoon",
        "a private buyer for the old Focus offered more than the dealer",
        "an estate would be better for trips with the bikes",
        "the test drive showed a rattle from the rear suspension",
    ],
    decisions=[
        "buy the Golf if the dealer fixes the brakes first", "sell the old Focus privately",
        "pay a deposit of 2,000 and finance the rest", "choose the comprehensive insurance",
        "skip the paint protection", "keep the budget under 18,000",
    ],
    questions=[
        "does the warranty cover the gearbox?", "can we settle the car loan early without a fee?",
        "is the cambelt due soon?", "who pays for the road tax transfer?", "will the roof bars fit the new car?",
    ],
    meetings=[
        "family meeting about the car budget", "meeting with the sales manager at Northgate Motors",
        "call with the finance adviser", "meeting with the mechanic after the car inspection",
    ],
    asides=[
        "We also collect the new car from Northgate Motors that Friday.",
        "The old Focus is finally sold, so we are without a car until the Golf is ready.",
        "I was on the phone with the car insurer for most of the morning.",
        "The dealer has promised to fix the brakes before we take the new car.",
    ],
    requests=[
        "whether the car's cambelt has been changed",
        "for a copy of the finance agreement for the car",
        "whether the dealer can fit new brake pads before the sale",
        "for a refund of the car's administration fee",
    ],
    thanks=[
        "driving me to the dealer to collect the new car", "your honest advice on which car to buy",
        "lending us your car while ours was sold",
    ],
    places=["Northgate Motors", "the dealership", "the garage", "the showroom forecourt"],
    helpers=["the salesman", "the mechanic", "the finance adviser", "the insurer"],
)

GARDEN = ProjectInfo(
    key="garden",
    vendors=[
        Vendor("Fernhill Nursery", "plant nursery", [
            ("apple tree 'Cox', bare root", 25, 45), ("lavender plants x 12", 40, 80), ("climbing rose 'New Dawn'", 18, 35),
            ("hedging plants, beech, 25", 60, 140), ("tomato and courgette seedlings", 10, 24),
            ("bulbs for the spring border", 20, 50),
        ]),
        Vendor("Greenway Landscapes", "landscape gardeners", [
            ("clearing the overgrown back garden (labour)", 500, 1200), ("laying 60 m2 of lawn turf", 600, 1300),
            ("sandstone patio, 18 m2, laid", 2200, 4200), ("raised vegetable beds in oak sleepers", 450, 980),
            ("drip irrigation for the beds", 180, 420), ("pond liner and pump", 150, 380),
        ]),
        Vendor("Bloom & Root Garden Centre", "garden centre", [
            ("peat-free compost, 6 bags", 30, 55), ("bark mulch, 10 bags", 35, 65), ("topsoil, 1 tonne bag", 60, 110),
            ("secateurs", 15, 40), ("watering can", 8, 20), ("slug-proof collars", 6, 14), ("rain water butt", 45, 90),
        ]),
        Vendor("Oakleaf Sheds", "garden buildings", [
            ("timber shed, 8 x 6 ft", 650, 1300), ("shed base and installation", 200, 450),
            ("small greenhouse, polycarbonate", 300, 700), ("guttering for the shed", 30, 70),
        ]),
        Vendor("TreeWise Arborists", "tree surgeons", [
            ("crown reduction of the old oak", 450, 900), ("removal of the dead cherry tree", 300, 700),
            ("stump grinding", 120, 260), ("hedge trimming, front and back", 120, 260),
        ]),
        Vendor("Mowmasters", "garden machinery", [
            ("cordless lawn mower", 230, 480), ("strimmer", 90, 180), ("mower service", 45, 90),
        ]),
    ],
    deals=[
        Deal("the landscaping of the rear garden at {home}", "the Landscaper", 1,
             ["clearance of brambles and old shrubs", "a sandstone patio laid on a full mortar bed",
              "new lawn turf on levelled topsoil", "four raised beds in oak sleepers with drip irrigation"],
             ["The Landscaper will not work on waterlogged ground; delays for rain extend the dates.",
              "Turf must be watered by the Client every day for three weeks after laying.",
              "Underground services are the Client's to mark before digging starts.",
              "Green waste is taken away and composted."],
             (3800, 9500)),
        Deal("tree works in the garden at {home}", "the Arborist", 4,
             ["a crown reduction of the oak by about 30 percent", "the felling of the dead cherry tree",
              "stump grinding and removal of all arisings"],
             ["Work on the oak is carried out outside the bird nesting season.",
              "The Arborist holds public liability insurance of 5 million.",
              "The neighbours are told of the work two days before it starts."],
             (700, 1800)),
        Deal("the supply and installation of a timber shed and greenhouse in the garden", "the Supplier", 3,
             ["an 8 x 6 ft pressure-treated shed", "a polycarbonate greenhouse", "paving slab bases for both"],
             ["The Client is responsible for clear access to the back garden on the day.",
              "The timber is treated against rot for ten years.",
              "Bases must cure for 48 hours before the buildings go up."],
             (1100, 2400)),
    ],
    tasks=[
        "sow the tomato seeds indoors", "order the turf for the back lawn", "prune the apple tree",
        "mulch the new beds", "fix the fence panel by the shed", "plant the spring bulbs", "set up the water butt",
        "mark the pipes before the landscapers dig", "ask the neighbours about the hedge",
        "buy peat-free compost", "repot the lavender", "water the new turf every morning", "net the strawberries",
        "book the tree surgeon for the oak", "clean the greenhouse", "plan the vegetable rotation",
    ],
    checks=[
        "patio slabs level and pointed", "turf rolled and watered", "drip irrigation timer set",
        "raised beds filled with topsoil", "shed roof felt sealed", "greenhouse door closing",
        "tree stump ground below lawn level", "fence posts firm", "lawn edges cut",
        "compost bin emptied", "pond pump working", "outside tap not leaking",
    ],
    events=[
        "garden clearance by Greenway Landscapes", "patio laying", "turf delivery and laying",
        "tree surgeon: crown reduction of the oak", "shed and greenhouse installation", "raised beds built",
        "planting the hedge", "sowing the vegetable beds", "lawn feed", "open garden afternoon with the neighbours",
        "visit to Fernhill Nursery", "irrigation fitting", "hedge trimming",
    ],
    topics=[
        "the back lawn is mostly moss and needs new turf",
        "the old oak shades half the vegetable beds after midday",
        "the landscapers found an old drain under the patio area",
        "tomatoes and courgettes will go in the raised beds in May",
        "the soil is heavy clay and needs plenty of compost",
        "the beech hedge should give the neighbours some privacy in two years",
        "a water butt on the shed would save mains water in summer",
        "slugs ate most of the lettuce seedlings last spring",
        "the patio will catch the evening sun if it goes in the far corner",
        "bare-root fruit trees have to be planted before March",
        "the tree surgeon cannot work on the oak during nesting season",
    ],
    decisions=[
        "lay turf rather than sow seed", "put the patio in the far corner", "take out the dead cherry tree",
        "build four raised beds instead of six", "fit a drip system on a timer", "buy a cordless mower",
    ],
    questions=[
        "does the oak need council permission to prune?", "how deep should the raised beds be?",
        "can the turf go down in August?", "where does the shed's rain water go?",
        "which hedge grows fastest?",
    ],
    meetings=[
        "meeting with the garden designer", "site visit by the landscaper", "call with the tree surgeon",
        "garden planning session with the neighbours about the shared hedge",
    ],
    asides=[
        "The landscapers are digging up the back garden the same week, so it will be a muddy one.",
        "The new turf in the back garden needs watering every morning, so we cannot be away long.",
        "The tree surgeon comes on Tuesday to take down the dead cherry tree in the garden.",
        "Our tomatoes in the new raised beds are finally ripening.",
    ],
    requests=[
        "whether the patio can be moved to the far corner of the garden",
        "for a quote for cutting back the oak tree",
        "whether the turf can be delivered a day later",
        "whether the shed's guttering can be fitted on the same day",
    ],
    thanks=[
        "the cuttings from your garden", "lending us your wheelbarrow for the garden clearance",
        "helping us plant the new beech hedge",
    ],
    places=["the back garden", "the vegetable beds", "the patio", "the nursery", "{home}"],
    helpers=["the landscaper", "the tree surgeon", "the garden designer", "our neighbour"],
)

PROJECT_INFO = {p.key: p for p in (KITCHEN, TRIP, WEDDING, CAR, GARDEN)}
assert list(PROJECT_INFO) == PROJECTS

# --------------------------------------------------------------------------------------
# Writing helpers: one Writer per document, all randomness from the set's seeded RNG
# --------------------------------------------------------------------------------------

DATE_STYLES = ["long", "us", "iso", "slash", "short"]


class Writer:
    def __init__(self, rng: random.Random, project: ProjectInfo) -> None:
        self.rng = rng
        self.p = project
        self.cur = rng.choice(["$", "$", "£", "€", "EUR"])
        self.date_style = rng.choice(DATE_STYLES)
        self.clock24 = rng.random() < 0.6
        self.home = f"{rng.randint(2, 148)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}"
        self.me = self.name()
        self.long = rng.random() < 0.3  # a longer variant of the layout (more clauses, items, points)

    # people and places
    def first(self) -> str:
        return self.rng.choice(FIRST)

    def name(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(SURNAMES)}"

    def names(self, n: int, besides: tuple[str, ...] = ()) -> list[str]:
        """n people with different first names (and different from ``besides``)."""
        out: list[str] = []
        taken = [b.split()[0] for b in besides]
        while len(out) < n:
            cand = self.name()
            if cand.split()[0] not in taken:
                out.append(cand)
                taken.append(cand.split()[0])
        return out

    def address(self) -> str:
        return f"{self.rng.randint(1, 220)} {self.rng.choice(STREETS)}, {self.rng.choice(TOWNS)}"

    def phone(self) -> str:
        return f"0{self.rng.randint(1200, 7999)} {self.rng.randint(100000, 999999)}"

    def email(self, person: str, domain: str | None = None) -> str:
        first, last = person.lower().split()[0], person.lower().split()[-1]
        domain = domain or self.rng.choice(["mailbox.net", "postmail.com", "inbox.org", "homemail.co"])
        return f"{first}.{last.replace(chr(39), '')}@{domain}"

    def domain(self, vendor: str) -> str:
        word = "".join(ch for ch in vendor.lower().split(",")[0] if ch.isalnum())
        return word[:18] + self.rng.choice([".com", ".co.uk", ".net", ".shop"])

    def fill(self, text: str) -> str:
        reg = f"{self.rng.choice('ABCDEFGHKLMNOPRSVWY')}{self.rng.choice('ABCDEFGHKLMNOPRSVWY')}" \
              f"{self.rng.randint(10, 74)} {''.join(self.rng.choice('ABCDEFGHJKLMNOPRSTUVWXYZ') for _ in range(3))}"
        vin = "".join(self.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(17))
        return text.replace("{home}", self.home).replace("{reg}", reg).replace("{vin}", vin)

    # dates, times, money
    def day(self, start: date | None = None, within: int | None = None) -> date:
        if start is None:
            return date(2024, 1, 1) + timedelta(days=self.rng.randint(0, 730))
        return start + timedelta(days=self.rng.randint(0, within or 30))

    def d(self, when: date, style: str | None = None) -> str:
        style = style or self.date_style
        if style == "long":
            return f"{when.day} {MONTHS[when.month - 1]} {when.year}"
        if style == "us":
            return f"{MONTHS[when.month - 1]} {when.day}, {when.year}"
        if style == "iso":
            return when.isoformat()
        if style == "slash":
            return f"{when.day:02d}/{when.month:02d}/{when.year}"
        return f"{WEEKDAYS[when.weekday()][:3]} {when.day} {MONTHS[when.month - 1][:3]}"

    def t(self, hour: int, minute: int) -> str:
        if self.clock24:
            return f"{hour:02d}:{minute:02d}"
        suffix = "am" if hour < 12 else "pm"
        h = hour % 12 or 12
        return f"{h}:{minute:02d} {suffix}" if minute else f"{h} {suffix}"

    def clock(self, lo: int = 8, hi: int = 19) -> tuple[int, int]:
        return self.rng.randint(lo, hi), self.rng.choice([0, 0, 15, 30, 30, 45])

    def price(self, lo: int, hi: int) -> float:
        value = self.rng.uniform(lo, hi)
        if value > 200:
            return float(round(value / 5) * 5)
        return round(value, 2)

    def m(self, value: float) -> str:
        text = f"{value:,.2f}"
        if self.cur == "EUR":
            return f"{text} EUR"
        return f"{self.cur}{text}"

    def pick(self, seq: list, n: int | None = None):  # type: ignore[no-untyped-def]
        if n is None:
            return self.rng.choice(seq)
        return self.rng.sample(seq, min(n, len(seq)))

    def vendor(self) -> Vendor:
        return self.rng.choice(self.p.vendors)

    def place(self) -> str:
        return self.fill(self.rng.choice(self.p.places))


def sentence(text: str) -> str:
    text = text.strip()
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def wrap_title(w: Writer, options: list[str]) -> list[str]:
    title = w.pick(options)
    return [title, ""] if title else []


# --------------------------------------------------------------------------------------
# Invoices and receipts: line items and a total
# --------------------------------------------------------------------------------------


def _lines(w: Writer, vendor: Vendor, lo: int, hi: int) -> list[tuple[int, str, float]]:
    chosen = w.pick(vendor.items, w.rng.randint(lo, hi))
    out = []
    for desc, a, b in chosen:
        qty = 1 if b > 150 or w.rng.random() < 0.6 else w.rng.randint(2, 4)
        out.append((qty, desc, w.price(a, b)))
    return out


INVOICE_TERMS = [
    "Goods remain our property until paid for in full.",
    "Interest may be charged on overdue accounts at 2% a month.",
    "Please check the goods on delivery; damage must be reported within 48 hours.",
    "Our standard terms of trade apply and are available on request.",
    "Cheques payable to the company name above.",
    "Any query about this account should be raised within 7 days.",
]


def invoice_formal(w: Writer, other: ProjectInfo | None) -> str:
    v = w.vendor()
    when = w.day()
    number = f"{w.pick(['INV', 'IN', 'F', '']) or 'No.'}{'-' if w.rng.random() < 0.5 else ''}{when.year}{w.rng.randint(100, 9999):04d}"
    head = [v.name, f"{v.trade.capitalize()} · {w.address()} · tel. {w.phone()}"]
    if w.rng.random() < 0.5:
        head.append(f"VAT reg. {w.rng.randint(100, 999)} {w.rng.randint(1000, 9999)} {w.rng.randint(10, 99)}")
    title = w.pick(["INVOICE", "Invoice", "Tax invoice", "Bill", "Statement of charges", ""])
    out = head + [""] + ([title] if title else [])
    out += [f"Number: {number}", f"Date: {w.d(when)}",
            f"Payment due: {w.d(when + timedelta(days=w.pick([7, 14, 30])))}",
            f"Customer: {w.me}, {w.home}", ""]
    lines = _lines(w, v, 2, 6 if not w.long else 8)
    out.append(f"{'Qty':<5}{'Description':<52}{'Amount':>12}")
    for qty, desc, unit in lines:
        out.append(f"{qty:<5}{desc:<52}{w.m(qty * unit):>12}")
    subtotal = sum(q * u for q, u in ((q, u) for q, _, u in lines))
    rate = w.pick([0, 5, 10, 20])
    out.append("")
    out.append(f"{'Subtotal':<57}{w.m(subtotal):>12}")
    if rate:
        out.append(f"{f'VAT {rate}%':<57}{w.m(subtotal * rate / 100):>12}")
    out.append(f"{w.pick(['TOTAL DUE', 'Total', 'Amount payable', 'Balance to pay']):<57}{w.m(subtotal * (1 + rate / 100)):>12}")
    out.append("")
    out.append(w.pick([
        f"Please pay by bank transfer within {w.pick([7, 14, 30])} days, quoting {number}.",
        f"Payment by transfer to account {w.rng.randint(10000000, 99999999)}, sort code {w.rng.randint(10, 99)}-{w.rng.randint(10, 99)}-{w.rng.randint(10, 99)}.",
        "Thank you for your business. Cards and bank transfer accepted.",
        f"A deposit of {w.m(subtotal * 0.3)} has already been received and is deducted on the final account.",
    ]))
    if other is not None:
        out.append(f"Note from customer: {w.pick(other.asides)}")
    if w.long:
        out += ["", "Terms: " + " ".join(w.pick(INVOICE_TERMS, 3))]
    return "\n".join(out)


def invoice_email(w: Writer, other: ProjectInfo | None) -> str:
    v = w.vendor()
    when = w.day()
    order = f"{w.rng.randint(10000, 999999)}"
    first = w.me.split()[0]
    subject = w.pick([f"Your order #{order} is confirmed", "Your receipt", f"Payment received - order {order}",
                      f"Thanks for your order ({order})", f"{v.name}: purchase confirmation"])
    out = [f"From: {w.pick(['orders', 'noreply', 'hello', 'accounts'])}@{w.domain(v.name)}",
           f"To: {w.email(w.me)}", f"Date: {w.d(when)}", f"Subject: {subject}", "",
           w.pick([f"Hi {first},", f"Hello {first},", f"Dear {w.me},"]), "",
           w.pick([f"Thanks for choosing {v.name}. Here's a summary of what you paid for.",
                   f"We've received your payment. Your order from {v.name} is below.",
                   "Thank you for your purchase! Please keep this e-mail for your records."]), "",
           f"Order {order} - {w.d(when, 'long')}"]
    lines = _lines(w, v, 1, 4)
    for qty, desc, unit in lines:
        out.append(f"  {desc} x{qty}    {w.m(qty * unit)}")
    total = sum(q * u for q, _, u in lines)
    fee = w.pick([0, 0, 4.99, 9.5, 15])
    if fee:
        out.append(f"  {w.pick(['Delivery', 'Service fee', 'Handling'])}    {w.m(fee)}")
    out += ["", f"Total paid: {w.m(total + fee)}",
            f"Paid with {w.pick(['Visa', 'Mastercard', 'Amex', 'PayPal'])} ending {w.rng.randint(1000, 9999)}", ""]
    out.append(w.pick([
        f"Expected delivery: {w.d(when + timedelta(days=w.rng.randint(2, 20)))}.",
        "You can download a VAT receipt from your account at any time.",
        "If anything is wrong with your order, just reply to this e-mail.",
    ]))
    if other is not None:
        out.append(f"Your delivery instructions: \"{w.pick(other.asides)}\"")
    out += ["", w.pick([f"The {v.name} team", f"{v.name} customer care", "Best wishes,\n" + v.name])]
    return "\n".join(out)


def invoice_till(w: Writer, other: ProjectInfo | None) -> str:
    v = w.vendor()
    when = w.day()
    hour, minute = w.clock(8, 20)
    cheap = [it for it in v.items if it[1] <= 400] or v.items
    chosen = w.pick(cheap, w.rng.randint(1, 4))
    out = [v.name.upper(), f"{w.pick(TOWNS)}  TEL {w.phone()}",
           f"{when.day:02d}/{when.month:02d}/{when.year}  {hour:02d}:{minute:02d}  "
           f"{w.pick(['TILL 2', 'POS 1', 'REG 04', 'TERMINAL 3'])}  {w.pick(['OP', 'CASHIER'])} {w.first().upper()}", ""]
    total = 0.0
    for desc, a, b in chosen:
        amount = w.price(a, min(b, 400))
        total += amount
        out.append(f"{desc.upper()[:30]:<32}{amount:>9.2f}")
    paid = w.pick(["CARD", "CONTACTLESS", "CASH", "DEBIT"])
    out += ["-" * 41, f"{w.pick(['TOTAL', 'BALANCE DUE', 'TO PAY']):<32}{total:>9.2f}",
            f"{paid:<32}{total:>9.2f}", f"{'ITEMS':<32}{len(chosen):>9}"]
    if paid != "CASH":
        out.append(f"CARD ************{w.rng.randint(1000, 9999)}  AUTH {w.rng.randint(100000, 999999)}")
    out += [f"PRICES INCLUDE VAT  VAT NO {w.rng.randint(100, 999)} {w.rng.randint(1000, 9999)}", "",
            w.pick(["THANK YOU FOR SHOPPING WITH US", "PLEASE KEEP YOUR RECEIPT", "THANK YOU - SEE YOU AGAIN",
                    "EXCHANGES WITHIN 28 DAYS WITH THIS RECEIPT"])]
    return "\n".join(out)


def invoice_payment(w: Writer, other: ProjectInfo | None) -> str:
    v = w.vendor()
    when = w.day()
    desc, a, b = w.pick(v.items)
    full = w.price(max(a, 100), max(b, 200))
    kind = w.pick(["deposit", "first instalment", "final payment", "full payment"])
    paid = full if kind in ("final payment", "full payment") else round(full * w.pick([0.2, 0.25, 0.3, 0.5]), 2)
    title = w.pick(["RECEIPT", "Receipt for payment", "Payment acknowledgement", "Proof of payment", ""])
    out = ([title, ""] if title else []) + [
        f"No. {w.rng.randint(100, 4999)}        Date: {w.d(when)}", "",
        f"Received from {w.me} the sum of {w.m(paid)} as {kind} for: {desc}.",
        f"Paid by {w.pick(['bank transfer', 'cash', 'debit card', 'cheque no. ' + str(w.rng.randint(100000, 999999))])}.",
    ]
    if paid < full:
        out.append(f"Agreed price {w.m(full)}; balance still to pay {w.m(full - paid)}, "
                   f"due {w.d(when + timedelta(days=w.rng.randint(14, 90)))}.")
    else:
        out.append(w.pick(["Paid in full. Thank you.", "Nothing further is owed.", "Account settled in full."]))
    if other is not None:
        out.append(f"Customer's note: {w.pick(other.asides)}")
    out += ["", f"For {v.name}: {w.name()}", f"{v.trade.capitalize()}, {w.address()}"]
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# Letters: a salutation, a body, a closing
# --------------------------------------------------------------------------------------


def _body(w: Writer, n: int) -> list[str]:
    return [sentence(t) for t in w.pick(w.p.topics, n)]


def letter_formal(w: Writer, other: ProjectInfo | None) -> str:
    v = w.vendor()
    when = w.day()
    to = w.name()
    title = w.pick(["", "", "Dr "])
    request = w.pick(w.p.requests)
    body = _body(w, w.rng.randint(2, 4))
    paras = [
        w.pick([f"I am writing to ask {request}.", f"I write regarding our recent correspondence, and to ask {request}.",
                f"Further to our telephone conversation last week, I would like to ask {request}."]),
        " ".join(body[: len(body) // 2 + 1]),
    ]
    if len(body) > 2:
        paras.append("In addition, " + body[-1][0].lower() + body[-1][1:])
    if w.long:
        paras.append(" ".join([
            f"As you know, we have already {w.pick(['paid a deposit of ' + w.m(w.price(100, 900)), 'signed the quotation', 'agreed the dates with you'])},",
            f"and we have decided to {w.pick(w.p.decisions)}.",
            f"There is also one question we have not been able to settle: {w.pick(w.p.questions)}",
            sentence(w.pick([t for t in w.p.topics if sentence(t) not in body]))]))
        paras.append(f"For our part, we still need to {w.pick(w.p.tasks)} and to {w.pick(w.p.tasks)}, "
                     f"which we expect to do by {w.d(when + timedelta(days=w.rng.randint(7, 30)))}.")
    if other is not None:
        paras.append(w.pick(other.asides))
    paras.append(w.pick([f"I would be grateful for a reply by {w.d(when + timedelta(days=14))}.",
                         "I look forward to hearing from you.", "Please contact me at the number above if anything is unclear."]))
    out = [w.me, w.home, w.phone(), "", w.d(when), "", f"{title}{to}", v.name, w.address(), ""]
    if w.rng.random() < 0.6:
        subject = w.pick(v.items)[0]
        out += [f"Re: {subject[0].upper() + subject[1:]}", ""]
    out += [f"Dear {title}{to.split()[-1]}," if title else f"Dear {w.pick([to, to.split()[0]])},", ""]
    for para in paras:
        out += [para, ""]
    out += [w.pick(["Yours sincerely,", "Yours faithfully,", "With kind regards,"]), "", w.me]
    return "\n".join(out)


def letter_informal(w: Writer, other: ProjectInfo | None) -> str:
    friend = w.first()
    body = _body(w, w.rng.randint(2, 5) + (4 if w.long else 0))
    news = " ".join(body)
    out = [w.pick([f"Hi {friend},", f"Dear {friend},", f"Hello {friend}!", f"{friend}, hi!"]), "",
           w.pick(["Hope you're all well!", "Sorry it's taken me so long to write back.",
                   "Thanks for your last message - it made us laugh.", "Just a quick update from us."]) + " " + news]
    if w.rng.random() < 0.5:
        out += ["", w.pick([f"And the big question: {w.pick(w.p.questions)} Any ideas?",
                            f"We finally decided to {w.pick(w.p.decisions)}, which feels like progress!",
                            f"Next on the list: {w.pick(w.p.tasks)}. Wish us luck."])]
    if other is not None:
        out += ["", "Other news: " + w.pick(other.asides)]
    out += ["", w.pick(["Give my love to everyone.", "Let's talk soon.", "Write when you can!",
                        "Come and visit soon."]), "",
            w.pick(["Love,", "Lots of love,", "Speak soon,", "Cheers,", "Hugs,", "All the best,"]), w.me.split()[0]]
    return "\n".join(out)


PROBLEMS = [
    "arrived two weeks later than promised", "was damaged when it was delivered", "has been charged to my card twice",
    "is not what we ordered", "was never confirmed in writing", "has been cancelled without any explanation",
]


def letter_complaint(w: Writer, other: ProjectInfo | None) -> str:
    v = w.vendor()
    desc = w.pick(v.items)[0]
    when = w.day()
    ref = f"{w.rng.randint(10000, 99999)}"
    out = [w.pick(["Dear Sir or Madam,", "To whom it may concern,", f"Dear {v.name} customer service,"]), ""]
    if w.rng.random() < 0.5:
        out = [f"{w.d(when)}", f"Your reference: {ref}", ""] + out
    out.append(f"I am writing about {desc} (reference {ref}), which {w.pick(PROBLEMS)}.")
    out.append(" ".join(_body(w, w.rng.randint(1, 2))))
    out.append(w.pick([f"I would ask you {w.pick(['to put this right', 'for a full refund', 'to explain what happened'])} "
                       f"within {w.pick([7, 10, 14])} days.",
                       f"Could you also tell me {w.pick(w.p.requests)}?"]))
    if other is not None:
        out.append(w.pick(other.asides))
    out += ["", w.pick(["Kind regards,", "Regards,", "Yours faithfully,"]), w.me, w.email(w.me)]
    return "\n".join(out)


def letter_thanks(w: Writer, other: ProjectInfo | None) -> str:
    to = w.pick([w.first(), "Aunt " + w.first(), "Grandma", "Uncle " + w.first(), w.first() + " and " + w.first()])
    out = [f"Dear {to},", "",
           f"Thank you so much for {w.pick(w.p.thanks)}. " + _body(w, 1)[0] + " " +
           w.pick(["It meant a great deal to us.", "We really couldn't have done it without you.",
                   "You are always so generous."])]
    if other is not None:
        out.append(w.pick(other.asides))
    out.append(w.pick(["We hope to see you very soon, and we'll tell you all about it.",
                       "Do come round for dinner when things are calmer.",
                       "We'll send pictures as soon as we have them!",
                       "Let us know when you are next in town so we can thank you properly."]))
    out += ["", w.pick(["With love,", "Warmest thanks,", "All our love,", "With gratitude,"]),
            w.pick([w.me.split()[0], f"{w.me.split()[0]} and {w.first()}", f"{w.me.split()[0]} x"])]
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# Meeting notes: who was there, what was said, who does what next
# --------------------------------------------------------------------------------------


def _actions(w: Writer, people: list[str], n: int, when: date) -> list[str]:
    return [f"{w.pick(people).split()[0]}: {t} (by {w.d(when + timedelta(days=w.rng.randint(3, 21)), 'short')})"
            for t in w.pick(w.p.tasks, n)]


def notes_bullets(w: Writer, other: ProjectInfo | None) -> str:
    when = w.day()
    people = w.names(w.rng.randint(2, 5))
    helper = w.pick(w.p.helpers)
    meeting = w.pick(w.p.meetings)
    hour, minute = w.clock(9, 19)
    out = [w.pick([f"Meeting notes - {meeting}", f"{meeting[0].upper() + meeting[1:]}, {w.d(when)}",
                   f"Notes: {meeting}", f"{w.d(when)} / {meeting}"])]
    out += [f"Date: {w.d(when)}, {w.t(hour, minute)}" if "Notes" in out[0] or "notes" in out[0] else f"Time: {w.t(hour, minute)}",
            f"Attendees: {', '.join(people)} ({helper})"]
    if w.rng.random() < 0.4:
        out.append(f"Apologies: {w.name()}")
    out += ["", "Discussed:"] + [f"- {t}" for t in w.pick(w.p.topics, w.rng.randint(2, 5) + (4 if w.long else 0))]
    if w.long:
        out += ["", "Questions raised:"] + [f"- {q}" for q in w.pick(w.p.questions, 3)]
    if other is not None:
        out.append(f"- AOB: {w.pick(other.asides)}")
    out += ["", "Decided:"] + [f"- {d}" for d in w.pick(w.p.decisions, w.rng.randint(1, 3))]
    out += ["", "Action items:"] + [f"- {a}" for a in _actions(w, people, w.rng.randint(2, 4), when)]
    if w.rng.random() < 0.6:
        nxt = when + timedelta(days=w.rng.randint(7, 21))
        out += ["", f"Next meeting: {w.d(nxt)}"]
    return "\n".join(out)


def notes_minutes(w: Writer, other: ProjectInfo | None) -> str:
    when = w.day()
    people = w.names(w.rng.randint(3, 5))
    meeting = w.pick(w.p.meetings)
    hour, minute = w.clock(9, 19)
    topics = w.pick(w.p.topics, 3)
    out = [f"{w.pick(['Minutes of the', 'Record of the', 'Summary of the'])} {meeting}, held on {w.d(when)} "
           f"at {w.place()}, starting at {w.t(hour, minute)}.", "",
           f"Present: {', '.join(people)}." + (f" Apologies: {w.name()}." if w.rng.random() < 0.4 else ""), "",
           f"1. {w.pick(['Matters arising', 'Progress so far', 'Update'])}. {people[0].split()[0]} reported that {topics[0]}. "
           f"{people[1].split()[0]} added that {topics[1]}.",
           f"2. {w.pick(['Budget and timing', 'Options', 'Next stage'])}. It was noted that {topics[2]}. "
           f"After some discussion it was agreed to {w.pick(w.p.decisions)}.",
           f"3. {w.pick(['Any other business', 'Questions', 'Open points'])}. {people[-1].split()[0]} asked: "
           f"{w.pick(w.p.questions)} This will be checked before the next meeting."]
    n = 4
    if w.long:
        more = [t for t in w.p.topics if t not in topics]
        for heading in w.pick(["Suppliers", "Costs", "Timing", "Risks", "Paperwork"], 2):
            extra = w.pick(more, 2)
            out.append(f"{n}. {heading}. {w.pick(people).split()[0]} said that {extra[0]}, and that {extra[1]}. "
                       f"It was agreed to {w.pick(w.p.decisions)} and to review this at the next meeting.")
            n += 1
    if other is not None:
        out.append(f"{n}. Also mentioned: {w.pick(other.asides)}")
    acts = w.pick(w.p.tasks, w.rng.randint(2, 3))
    out += ["", "Actions: " + "; ".join(f"{w.pick(people).split()[0]} to {a}" for a in acts) + ".",
            f"The meeting closed at {w.t(min(hour + w.rng.randint(1, 2), 22), w.pick([0, 10, 20, 40]))}."]
    return "\n".join(out)


def notes_call(w: Writer, other: ProjectInfo | None) -> str:
    when = w.day()
    who = w.names(1, besides=(w.me,))[0]
    helper = w.pick(w.p.helpers)
    out = [f"Call with {who} ({helper}) - {w.d(when)}, {w.pick(['phone', 'video call', 'Zoom', 'WhatsApp call'])}, "
           f"{w.rng.randint(10, 45)} min", f"On the call: {w.me.split()[0]}, {who.split()[0]}", ""]
    out += [f"* {t}" for t in w.pick(w.p.topics, w.rng.randint(2, 4))]
    out.append(f"* asked {w.pick(w.p.questions)} -> {w.pick(['will find out', 'yes, confirmed', 'no', 'depends on the price'])}")
    if other is not None:
        out.append(f"* (off topic) {w.pick(other.asides)}")
    out += ["", "Next steps:"] + [f"  > {a}" for a in _actions(w, [w.me, who], w.rng.randint(1, 3), when)]
    return "\n".join(out)


def notes_sync(w: Writer, other: ProjectInfo | None) -> str:
    when = w.day()
    people = w.names(w.rng.randint(2, 4))
    meeting = w.pick(w.p.meetings)
    out = [f"{meeting.upper()} | {w.d(when)}", "",
           f"Who: {', '.join(p.split()[0] for p in people)} + {w.pick(w.p.helpers)}",
           f"What we talked about: {'; '.join(w.pick(w.p.topics, w.rng.randint(1, 3)))}.",
           f"What we decided: {'; '.join(w.pick(w.p.decisions, w.rng.randint(1, 2)))}.",
           f"Still open: {w.pick(w.p.questions)}"]
    if other is not None:
        out.append(f"Side note: {w.pick(other.asides)}")
    out += ["", "Who does what:"] + [f"  {a}" for a in _actions(w, people, w.rng.randint(2, 4), when)]
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# Contracts: parties, terms, signatures
# --------------------------------------------------------------------------------------


def _deal(w: Writer) -> tuple[Deal, Vendor, str, float]:
    deal = w.pick(w.p.deals)
    vendor = w.p.vendors[deal.vendor]
    return deal, vendor, w.fill(deal.service), w.price(*deal.price)


GENERIC_CLAUSES = [
    "Variations. Any change to the scope or the price must be agreed in writing by both parties before it is carried out.",
    "Insurance. The provider holds public liability insurance and will show the certificate on request.",
    "Delays. Neither party is liable for delays caused by events outside its reasonable control, such as severe weather, strikes or illness; the dates then move by the length of the delay.",
    "Complaints. A complaint is to be made in writing within fourteen days; the provider will reply within a further fourteen days and try in good faith to put things right.",
    "Personal data. Names, addresses and telephone numbers given under this agreement are used only to carry it out and are not passed to third parties.",
    "Late payment. Sums not paid by the due date carry interest at 4% above the base rate from the due date until payment.",
    "Disputes. The parties will first try to settle any dispute by discussion and, failing that, by mediation before going to court.",
    "Notices. Notices under this agreement are given by e-mail or letter to the addresses stated above.",
]


def contract_formal(w: Writer, other: ProjectInfo | None) -> str:
    deal, v, service, price = _deal(w)
    when = w.day()
    start = when + timedelta(days=w.rng.randint(10, 60))
    role = deal.provider_role
    deposit = w.pick([10, 20, 25, 30, 50])
    out = wrap_title(w, ["AGREEMENT", "Contract for services", "Service agreement", "Terms of engagement", ""])
    out += [f"This agreement is made on {w.d(when)} between {w.me}, of {w.home} (\"the Client\"), and "
            f"{v.name}, {v.trade}, of {w.address()} (\"{role[4:]}\").", ""]
    out.append(f"1. Scope. {role[0].upper() + role[1:]} agrees to provide {service}, namely:")
    out += [f"   ({chr(97 + i)}) {d};" for i, d in enumerate(w.pick(deal.deliverables, w.rng.randint(2, len(deal.deliverables))))]
    out.append(f"2. Price. The total price is {w.m(price)}, including tax. A deposit of {deposit}% is payable on "
               f"signature and the balance {w.pick(['on completion', 'in two stages', 'fourteen days before the start date'])}.")
    out.append(f"3. Dates. The work starts on {w.d(start)} and is to be completed by "
               f"{w.d(start + timedelta(days=w.rng.randint(1, 40)))}, unless both parties agree otherwise in writing.")
    n = 4
    clauses = w.pick(deal.clauses, w.rng.randint(2, len(deal.clauses)))
    if w.long:
        clauses += w.pick(GENERIC_CLAUSES, w.rng.randint(4, 6))
    for clause in clauses:
        out.append(f"{n}. {clause}")
        n += 1
    out.append(f"{n}. Cancellation. Either party may end this agreement by written notice. "
               f"{w.pick(['The deposit is kept to cover costs already incurred.', 'Work done up to that date is paid for at cost.'])}")
    if other is not None:
        out.append(f"{n + 1}. Note added at the Client's request: {w.pick(other.asides)}")
    if w.rng.random() < 0.5:
        out.append(f"{n + 2 if other else n + 1}. This agreement is the whole agreement between the parties and "
                   "is governed by the law of the place where the work is done.")
    out += ["", "Signed for the Client: ______________________   Date: __________", f"({w.me})",
            f"Signed for {role[4:]}: ______________________   Date: __________", f"({w.name()}, {v.name})"]
    return "\n".join(out)


def contract_terms(w: Writer, other: ProjectInfo | None) -> str:
    deal, v, service, price = _deal(w)
    when = w.day()
    ref = f"{w.pick(['BK', 'REF', 'CT'])}{w.rng.randint(10000, 99999)}"
    out = [w.pick(["Terms and conditions of booking", "Booking conditions", "Conditions of hire", "Terms of sale"]),
           f"{v.name} - reference {ref}", "",
           f"By signing below, {w.me} (\"the Customer\") accepts these terms for {service}, at a price of "
           f"{w.m(price)}."]
    clauses = w.pick(deal.clauses, w.rng.randint(2, len(deal.clauses)))
    clauses += [f"A deposit of {w.m(price * w.pick([0.1, 0.2, 0.25]))} is due on signing and is "
                f"{w.pick(['not refundable', 'refundable until 30 days before', 'deducted from the final invoice'])}.",
                w.pick(["Either party may cancel in writing; charges already incurred remain payable.",
                        "The Customer must tell us of any change of address or contact details.",
                        "Complaints must be made in writing within 14 days."])]
    w.rng.shuffle(clauses)
    out += [f"({chr(97 + i)}) {c}" for i, c in enumerate(clauses)]
    if other is not None:
        out.append(f"Customer's remark: {w.pick(other.asides)}")
    out += ["", f"Accepted by the Customer: {w.me}", "Signature: ____________________",
            f"Date: {w.d(when)}", "", f"For {v.name}: ____________________"]
    return "\n".join(out)


def contract_memo(w: Writer, other: ProjectInfo | None) -> str:
    deal, v, service, price = _deal(w)
    when = w.day()
    role = deal.provider_role[4:]
    witness = w.name()
    out = wrap_title(w, ["Memorandum of agreement", "Bill of sale", "Agreement between the parties", ""])
    out += [f"Parties: {w.name()} for {v.name} (\"{role}\") and {w.me} (\"Customer\").",
            f"Subject: {service}.",
            f"Price: {w.m(price)}, paid {w.pick(['in full on the date below', 'by bank transfer before handover', 'by deposit and balance as set out below'])}.", "",
            "The parties agree as follows:"]
    terms = w.pick(deal.clauses, w.rng.randint(2, 3)) + [
        f"The {role} warrants that it has the right to enter into this agreement.",
        f"The {role} will supply: {', '.join(w.pick(deal.deliverables, 2))}."]
    for i, term in enumerate(terms, 1):
        out.append(f"  {i}. {term}")
    if other is not None:
        out.append(f"  {len(terms) + 1}. For the record: {w.pick(other.asides)}")
    out += ["", f"Signed at {w.pick(TOWNS)} on {w.d(when)}.", "",
            f"{role}: ................................", "Customer: ................................",
            f"Witness: {witness}, {w.address()}  ................................"]
    return "\n".join(out)


def contract_short(w: Writer, other: ProjectInfo | None) -> str:
    deal, v, service, price = _deal(w)
    when = w.day()
    start = when + timedelta(days=w.rng.randint(7, 45))
    role = deal.provider_role[4:]
    out = [f"{w.pick(['Agreement', 'Order agreement', 'Contract', 'Acceptance of quotation'])} no. {w.rng.randint(100, 9999)}",
           f"Between: {w.me}, {w.home} (Client)", f"And: {v.name}, {w.address()} ({role})", "",
           f"Work: {service}", f"Price: {w.m(price)} incl. tax | Deposit: {w.m(price * 0.25)} | "
           f"Start: {w.d(start)} | Finish: {w.d(start + timedelta(days=w.rng.randint(1, 30)))}", "",
           "Terms:"]
    out += [f"  {i}) {c}" for i, c in enumerate(w.pick(deal.clauses, w.rng.randint(1, 3)), 1)]
    out.append(f"  The {role} may not subcontract the work without the Client's consent.")
    if other is not None:
        out.append(f"  Client note: {w.pick(other.asides)}")
    out += ["", "Client signature: _______________  Date: ________",
            f"{role} signature: _______________  Date: ________"]
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# Schedules: what happens when
# --------------------------------------------------------------------------------------


def _events(w: Writer, n: int, other: ProjectInfo | None) -> list[str]:
    """n of the project's events in their usual order (the lists are written in order)."""
    picked = sorted(w.rng.sample(range(len(w.p.events)), min(n, len(w.p.events))))
    events = [w.p.events[i] for i in picked]
    if other is not None:
        events[w.rng.randrange(len(events))] = w.pick(other.events)
    return events


def _timeline(w: Writer, n: int, days: int, other: ProjectInfo | None) -> list[tuple[datetime, str]]:
    start = datetime.combine(w.day(), datetime.min.time())
    events = _events(w, n, other)
    stamps = []
    for _ in events:
        hour, minute = w.clock(7, 20)
        stamps.append((start + timedelta(days=w.rng.randint(0, days))).replace(hour=hour, minute=minute))
    return list(zip(sorted(stamps), events, strict=True))


def schedule_table(w: Writer, other: ProjectInfo | None) -> str:
    rows = _timeline(w, w.rng.randint(4, 9), w.rng.randint(5, 40), other)
    out = wrap_title(w, ["Schedule", "Timetable", "Plan", "Dates for the diary", ""])
    width = max(len(ev) for _, ev in rows) + 3
    out.append(f"{'Date':<14}{'Time':<10}{'What':<{width}}Where")
    for when, ev in rows:
        out.append(f"{w.d(when.date(), 'short'):<14}{w.t(when.hour, when.minute):<10}{ev:<{width}}{w.place()}")
    return "\n".join(out)


def schedule_days(w: Writer, other: ProjectInfo | None) -> str:
    rows = _timeline(w, w.rng.randint(5, 10), w.rng.randint(2, 5), other)
    out = wrap_title(w, ["Itinerary", "Day by day", "Programme", ""])
    first_day = rows[0][0].date()
    current = None
    for when, ev in rows:
        if when.date() != current:
            current = when.date()
            if out and out[-1]:
                out.append("")
            day = w.d(current) if w.date_style == "short" else f"{WEEKDAYS[current.weekday()]} {w.d(current)}"
            out.append(f"Day {(current - first_day).days + 1} - {day}")
        out.append(f"  {w.t(when.hour, when.minute)}  {ev}")
    if w.long:
        out += ["", "Notes:"] + [f"- {sentence(t)}" for t in w.pick(w.p.topics, 3)]
    return "\n".join(out)


def schedule_runsheet(w: Writer, other: ProjectInfo | None) -> str:
    day = w.day()
    events = _events(w, w.rng.randint(5, 9), other)
    hour, minute = w.rng.randint(7, 11), w.pick([0, 30])
    title = w.pick(["Order of the day", "Run sheet", "Timings", ""])
    out = [f"{title} - {w.d(day)}" if title else w.d(day), ""]
    for ev in events:
        out.append(f"{w.t(hour, minute)} - {ev}")
        step = w.pick([15, 30, 45, 60, 90, 120])
        minute += step
        hour, minute = hour + minute // 60, minute % 60
        if hour > 22:
            break
    out += ["", f"Contact on the day: {w.name()} ({w.pick(w.p.helpers)}), {w.phone()}"]
    return "\n".join(out)


def schedule_calendar(w: Writer, other: ProjectInfo | None) -> str:
    rows = _timeline(w, w.rng.randint(4, 8), w.rng.randint(14, 60), other)
    out = wrap_title(w, ["Appointments", "Calendar", "Coming up", "Key dates", ""])
    for when, ev in rows:
        end = when + timedelta(minutes=w.pick([30, 60, 90, 120, 180, 240]))
        day = w.d(when.date()) if w.date_style == "short" else f"{WEEKDAYS[when.weekday()]} {w.d(when.date())}"
        out.append(f"{day}, {w.t(when.hour, when.minute)}-"
                   f"{w.t(end.hour, end.minute)}: {ev} @ {w.place()}")
    return "\n".join(out)


# --------------------------------------------------------------------------------------
# Checklists: boxes to tick
# --------------------------------------------------------------------------------------


def _todo(w: Writer, n: int, other: ProjectInfo | None, pool: list[str] | None = None) -> list[str]:
    items = w.pick(pool or w.p.tasks, n)
    if other is not None:
        items.insert(w.rng.randrange(len(items) + 1), w.pick(other.tasks))
    return items


def checklist_boxes(w: Writer, other: ProjectInfo | None) -> str:
    style = w.pick(["[ ]", "- [ ]", "☐", "( )"])
    done = {"[ ]": "[x]", "- [ ]": "- [x]", "☐": "☑", "( )": "(x)"}[style]
    out = wrap_title(w, ["Checklist", "To do", "Before we start", "Still to sort out", ""])
    for item in _todo(w, w.rng.randint(5, 10), other):
        out.append(f"{done if w.rng.random() < 0.3 else style} {item}")
    return "\n".join(out)


def checklist_numbered(w: Writer, other: ProjectInfo | None) -> str:
    out = [w.pick([f"TO DO ({w.d(w.day(), 'short')})", "Things to do this week", "Jobs list", "Tasks"]), ""]
    for i, item in enumerate(_todo(w, w.rng.randint(5, 10), other), 1):
        mark = w.pick(["", "", "", "  - done", "  ✓", "  (waiting)"])
        out.append(f"{i}. {item[0].upper() + item[1:]}{mark}")
    if w.rng.random() < 0.5:
        out += ["", f"Ticked off by {w.me.split()[0]} on {w.d(w.day())}"]
    return "\n".join(out)


def checklist_inspection(w: Writer, other: ProjectInfo | None) -> str:
    out = [w.pick(["Final check", "Inspection checklist", "Handover check", "Check before signing off"]) +
           f" - {w.d(w.day())}", "", f"{'Item':<44}OK   Not OK   N/A"]
    for item in w.pick(w.p.checks, w.rng.randint(5, 10)):
        col = w.rng.choices([0, 1, 2], weights=[7, 2, 1])[0]
        boxes = ["[ ]", "[ ]", "[ ]"]
        boxes[col] = "[x]"
        out.append(f"{item:<44}{boxes[0]}  {boxes[1]}    {boxes[2]}")
    if other is not None:
        out += ["", f"Remember: {w.pick(other.tasks)}"]
    out += ["", f"Checked by: {w.name()}    Signature: __________"]
    return "\n".join(out)


def checklist_sections(w: Writer, other: ProjectInfo | None) -> str:
    out = wrap_title(w, ["Checklist", "Don't forget", "Lists", ""])
    out.append(w.pick(["Before:", "This month:", "Well ahead:"]))
    out += [f"  ☐ {t}" for t in _todo(w, w.rng.randint(3, 6), other)]
    out += ["", w.pick(["On the day:", "Last week:", "At the end:"])]
    out += [f"  ☐ {c}" for c in w.pick(w.p.checks, w.rng.randint(3, 6))]
    return "\n".join(out)


TEMPLATES = {
    "invoice_or_receipt": [invoice_formal, invoice_email, invoice_till, invoice_payment],
    "letter": [letter_formal, letter_informal, letter_complaint, letter_thanks],
    "meeting_notes": [notes_bullets, notes_minutes, notes_call, notes_sync],
    "contract": [contract_formal, contract_terms, contract_memo, contract_short],
    "schedule": [schedule_table, schedule_days, schedule_runsheet, schedule_calendar],
    "checklist": [checklist_boxes, checklist_numbered, checklist_inspection, checklist_sections],
}
assert list(TEMPLATES) == KINDS

# Templates whose layout has no room for a second project (a till slip lists what one shop sold).
NO_ASIDE = {invoice_till}
ASIDE_SHARE = 0.2


def household_docs(n: int = 360, seed: int = DOC_SEED) -> list[dict]:
    """n documents, kind x project balanced (every pair n/30 times, give or take one), each
    kind's layouts used in turn, in a shuffled order. Rows: input, labels, template, also."""
    rng = random.Random(seed)
    cells = [(k, p) for k in KINDS for p in PROJECTS]
    counts = {cell: n // len(cells) for cell in cells}
    for cell in rng.sample(cells, n % len(cells)):
        counts[cell] += 1
    rows = []
    for kind, project in cells:
        templates = TEMPLATES[kind]
        offset = rng.randrange(len(templates))
        for i in range(counts[(kind, project)]):
            template = templates[(offset + i) % len(templates)]
            other = None
            if template not in NO_ASIDE and rng.random() < ASIDE_SHARE:
                other = PROJECT_INFO[rng.choice([p for p in PROJECTS if p != project])]
            writer = Writer(rng, PROJECT_INFO[project])
            text = template(writer, other).strip()
            row = {"input": text, "labels": {"kind": kind, "project": project}, "template": template.__name__}
            if other is not None:
                row["also"] = other.key
            rows.append(row)
    rng.shuffle(rows)
    return rows


def write_docs(out: Path = DOCS_OUT, n: int = 360, seed: int = DOC_SEED) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = household_docs(n, seed)
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    criteria = out.with_name(out.name.removesuffix(".jsonl") + ".criteria.json")
    criteria.write_text(json.dumps(DOC_CRITERIA, indent=2) + "\n", encoding="utf-8")
    return out


# --------------------------------------------------------------------------------------
# Photos by object and by trip: EXIF capture time, GPS and camera spliced into copies
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trip:
    label: str
    lat: float
    lon: float
    first_day: date
    days: int
    utc_offset: str  # local time of the place, as cameras record it


TRIPS = [
    Trip("Kyoto (April 2023)", 35.0116, 135.7681, date(2023, 4, 2), 5, "+09:00"),
    Trip("Lisbon (September 2023)", 38.7223, -9.1393, date(2023, 9, 14), 4, "+01:00"),
    Trip("Reykjavik (February 2024)", 64.1466, -21.9426, date(2024, 2, 20), 3, "+00:00"),
    Trip("Cape Town (November 2024)", -33.9249, 18.4241, date(2024, 11, 5), 6, "+02:00"),
    Trip("New York (May 2025)", 40.7128, -74.0060, date(2025, 5, 22), 2, "-04:00"),
    Trip("Sydney (December 2025)", -33.8688, 151.2093, date(2025, 12, 26), 5, "+11:00"),
]
CAMERAS = [("Google", "Pixel 7"), ("Apple", "iPhone 13"), ("samsung", "Galaxy S23"), ("FUJIFILM", "X-T30")]
JITTER_KM = 1.5  # spread of the positions around the place (standard deviation, cut at 4 km)


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 2)
    return float(degrees), float(minutes), seconds


def photo_exif(trip: Trip, rng: random.Random) -> tuple[bytes, datetime, tuple[float, float]]:
    """An EXIF block (as Pillow writes it, b"Exif\\0\\0" + TIFF) for one picture of ``trip``:
    a capture time in the day (mostly 8:00-21:00) on one of its days, a position a few km
    around the place and one of the household's cameras (independent of the trip)."""
    from PIL import Image

    day = trip.first_day + timedelta(days=rng.randrange(trip.days))
    hours = rng.triangular(7.5, 22.0, 13.5)
    taken = datetime.combine(day, datetime.min.time()) + timedelta(seconds=int(hours * 3600))
    north, east = (max(-4.0, min(4.0, rng.gauss(0.0, JITTER_KM))) for _ in range(2))
    lat = round(trip.lat + north / 111.2, 6)
    lon = round(trip.lon + east / (111.2 * math.cos(math.radians(trip.lat))), 6)
    make, model = rng.choice(CAMERAS)
    stamp = taken.strftime("%Y:%m:%d %H:%M:%S")
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = model
    exif[0x0132] = stamp  # DateTime
    exif[0x8769] = {0x9003: stamp, 0x9004: stamp, 0x9011: trip.utc_offset}  # DateTimeOriginal, Digitized, offset
    exif[0x8825] = {1: "N" if lat >= 0 else "S", 2: _dms(lat), 3: "E" if lon >= 0 else "W", 4: _dms(lon)}
    return exif.tobytes(), taken, (lat, lon)


def splice_exif(jpeg: bytes, exif: bytes) -> bytes:
    """``jpeg`` with its EXIF segment replaced by ``exif`` (after any JFIF APP0 segment);
    the compressed picture is copied byte for byte."""
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file")
    pos, head, kept = 2, [jpeg[:2]], []
    while pos + 4 <= len(jpeg) and jpeg[pos] == 0xFF and jpeg[pos + 1] != 0xDA:  # up to start of scan
        marker = jpeg[pos + 1]
        length = int.from_bytes(jpeg[pos + 2:pos + 4], "big")
        segment = jpeg[pos:pos + 2 + length]
        if marker == 0xE0:
            head.append(segment)
        elif not (marker == 0xE1 and segment[4:10] == b"Exif\x00\x00"):
            kept.append(segment)
        pos += 2 + length
    app1 = b"\xff\xe1" + (len(exif) + 2).to_bytes(2, "big") + exif
    return b"".join(head) + app1 + b"".join(kept) + jpeg[pos:]


def trip_photos(src: Path = CIFAR, out: Path = PHOTOS_OUT, n: int = 300, seed: int = PHOTO_SEED) -> Path:
    """Copies of n pictures of ``src`` (n / classes of each object), each given a trip
    (every object equally often on every trip) and that trip's EXIF."""
    with open(src / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_object: dict[str, list[str]] = {}
    for row in rows:
        by_object.setdefault(row["label"], []).append(row["file"])
    objects = sorted(by_object)
    per_object = n // len(objects)
    if per_object % len(TRIPS) or per_object > min(len(v) for v in by_object.values()):
        raise ValueError(f"n={n} must give each of {len(objects)} objects a multiple of {len(TRIPS)} pictures")
    rng = random.Random(seed)
    chosen: list[tuple[str, str, Trip]] = []
    for obj in objects:
        files = rng.sample(sorted(by_object[obj]), per_object)
        for i, name in enumerate(files):
            chosen.append((name, obj, TRIPS[i % len(TRIPS)]))
    chosen.sort()
    out.mkdir(parents=True, exist_ok=True)
    names = {name for name, _, _ in chosen}
    for old in sorted(out.glob("*.jpg")):  # a folder this script wrote before
        if old.name not in names and (out / "labels_object.csv").exists():
            old.unlink()
    for name, _, trip in chosen:
        exif, _, _ = photo_exif(trip, rng)
        (out / name).write_bytes(splice_exif((src / name).read_bytes(), exif))
    labellings = {"object": lambda row: row[1], "trip": lambda row: row[2].label,
                  "year": lambda row: str(row[2].first_day.year)}
    for key, label in labellings.items():
        with open(out / f"labels_{key}.csv", "w", newline="", encoding="utf-8") as fh:
            table = csv.writer(fh, lineterminator="\n")
            table.writerow(["file", "label"])
            for row in chosen:
                table.writerow([row[0], label(row)])
    (out / "criteria.json").write_text(json.dumps(PHOTO_CRITERIA, indent=2) + "\n", encoding="utf-8")
    return out


# The trips' papers: bookings, tickets, receipts... kept in one folder with the trips' photos
# ----------------------------------------------------------------------------------------

TRAVEL_OUT = BENCH / "trip_folder"
TRAVEL_SEED = 11
TRAVEL_CRITERIA = {"trip": {"criterion": "which trip is this from", "k": 6},
                   "year": {"criterion": "which year is this from", "k": 3}}


@dataclass(frozen=True)
class Place:
    country: str
    airport: str
    currency: str
    street: str
    hotels: tuple[str, ...]
    sights: tuple[str, ...]
    food: tuple[str, ...]


PLACES = {
    "Kyoto": Place("Japan", "KIX", "JPY", "Karasuma-dori", ("Hotel Granvia", "Ryokan Yachiyo", "Sakura Terrace"),
                   ("Fushimi Inari shrine", "Kinkaku-ji", "Arashiyama bamboo grove", "Nijo Castle"),
                   ("Nishiki Market stall 14", "Gion Kappa ramen", "Omen udon")),
    "Lisbon": Place("Portugal", "LIS", "EUR", "Rua Augusta", ("Memmo Alfama", "Hotel Avenida Palace", "Lisboa Carmo"),
                    ("Jeronimos Monastery", "Belem Tower", "Oceanario", "Sao Jorge Castle"),
                    ("Time Out Market", "Pasteis de Belem", "Cervejaria Ramiro")),
    "Reykjavik": Place("Iceland", "KEF", "ISK", "Laugavegur", ("Hotel Borg", "Canopy Reykjavik", "Kex Hostel"),
                       ("Blue Lagoon", "Golden Circle tour", "Hallgrimskirkja tower", "whale watching from the Old Harbour"),
                       ("Baejarins Beztu", "Grillmarkadurinn", "Braud & Co")),
    "Cape Town": Place("South Africa", "CPT", "ZAR", "Long Street", ("The Silo Hotel", "Cape Grace", "Gorgeous George"),
                       ("Table Mountain cableway", "Robben Island ferry", "Boulders Beach penguins", "Kirstenbosch gardens"),
                       ("V&A Food Market", "Kloof Street House", "Mzoli's")),
    "New York": Place("USA", "JFK", "USD", "Broadway", ("The Marlton Hotel", "Pod 51", "Arlo SoHo"),
                      ("MoMA", "Top of the Rock", "Statue of Liberty ferry", "Brooklyn Bridge walking tour"),
                      ("Katz's Delicatessen", "Joe's Pizza", "Russ & Daughters")),
    "Sydney": Place("Australia", "SYD", "AUD", "George Street", ("Ovolo Woolloomooloo", "QT Sydney", "Little Albion"),
                    ("Opera House tour", "Bondi to Coogee walk", "Taronga Zoo", "Manly ferry"),
                    ("Harry's Cafe de Wheels", "Bourke Street Bakery", "Mr Wong")),
}
TRAVELLERS = ["Alex Morgan", "Sam Okafor"]
DATE_FORMATS = ["%d %B %Y", "%a %d %b %Y", "%Y-%m-%d", "%B %d, %Y", "%d %b %Y"]


def _travel_papers(trip: Trip, rng: random.Random) -> list[tuple[str, str, str]]:
    """Eight papers of one trip as (kind, file extension, text): a hotel booking, a flight
    e-ticket, a day plan, a receipt, an admission ticket, an e-mail home, a transfer voucher
    and a packing list, each in one of two layouts. Their dates fall in the trip, except
    the days bookings were made and cancellations end (weeks before); 29 of the 48 name
    neither the city nor the country (a receipt, a ticket, a voucher say only a street, a
    sight or an airport's code), and the packing list names no day at all."""
    city = trip.label.split(" (")[0]
    place = PLACES[city]
    first, last = trip.first_day, trip.first_day + timedelta(days=trip.days - 1)

    def day() -> date:
        return first + timedelta(days=rng.randrange(trip.days))

    def when(d: date) -> str:
        return d.strftime(rng.choice(DATE_FORMATS))

    def ref() -> str:
        return "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6))

    booked = first - timedelta(days=rng.randint(30, 120))
    who = rng.choice(TRAVELLERS)
    hotel, sight, food = rng.choice(place.hotels), rng.choice(place.sights), rng.choice(place.food)
    papers = [
        ("booking", "txt", rng.choice([
            f"Booking confirmation {ref()}\n\nThank you for booking with us, {who}.\n\n{hotel}\n"
            f"{rng.randint(1, 200)} {place.street}, {city}, {place.country}\n\nCheck-in: {when(first)} from 15:00\n"
            f"Check-out: {when(last)} until 11:00\nGuests: 2 adults\nTotal: {place.currency} {rng.randint(400, 2400)}.00 (paid)\n"
            f"Free cancellation until {when(first - timedelta(days=7))}.\nBooked on {when(booked)}.",
            f"YOUR STAY AT {hotel.upper()}\nReservation {ref()} for {who}\nArrival {when(first)}, departure {when(last)} "
            f"({trip.days - 1} nights)\nRoom: {rng.choice(['Superior double', 'Deluxe king', 'Twin room'])}, breakfast included\n"
            f"Balance due at the hotel: {place.currency} {rng.randint(300, 1800)}"])),
        ("ticket", "html", f"<html><head><title>E-ticket {ref()}</title></head><body><h1>E-ticket receipt</h1>"
         f"<p>Passenger: {who.upper()}</p><p>Flight {rng.choice(['BA', 'LH', 'QR', 'EK', 'AF', 'KL'])}{rng.randint(10, 999)} "
         f"on {when(first - timedelta(days=rng.randint(0, 1)))}: LHR to {place.airport}</p>"
         f"<p>Return flight on {when(last)}: {place.airport} to LHR</p><p>Seat {rng.randint(10, 40)}{rng.choice('ACDF')}, "
         f"1 checked bag</p><p>Issued {when(booked)}</p></body></html>"),
        ("plan", "md", f"# {rng.choice([city, place.country])} plan\n\n" + "\n".join(
            f"- **{when(first + timedelta(days=i))}**: {rng.choice(place.sights)}, dinner at {rng.choice(place.food)}"
            for i in range(trip.days))),
        ("receipt", "txt", rng.choice([
            f"{food.upper()}\n{place.street} {rng.randint(1, 300)}\n{when(day())}  {rng.randint(11, 22)}:{rng.randint(10, 59)}\n\n"
            + "\n".join(f"{rng.choice(['Lunch set', 'Coffee', 'Water', 'Dessert', 'Beer', 'Main course'])}  "
                        f"{rng.randint(3, 40)}.{rng.randint(0, 99):02d}" for _ in range(rng.randint(2, 5)))
            + f"\n\nTOTAL {place.currency} {rng.randint(20, 120)}.{rng.randint(0, 99):02d}\nCard ****{rng.randint(1000, 9999)}",
            f"Receipt no. {rng.randint(1000, 99999)}\n{food}\nDate: {when(day())}\nTable {rng.randint(1, 30)}, "
            f"{rng.randint(2, 4)} guests\nAmount paid: {place.currency} {rng.randint(30, 200)}.00\nThank you for your visit"])),
        ("admission", "txt", rng.choice([
            f"ADMISSION TICKET\n{sight}\nValid on {when(day())}, time slot {rng.randint(9, 16)}:00\n"
            f"Adults x2   {place.currency} {rng.randint(15, 90)}\nOrder {ref()}\nShow this ticket at the entrance.",
            f"Your tickets for {sight}, {city}\nDate of visit: {when(day())}\nOrder {ref()} ({who})"])),
        ("email", "eml", f"From: {who} <{who.split()[0].lower()}@example.org>\nTo: Family <home@example.org>\n"
         f"Subject: {rng.choice(['Greetings from', 'Hello from', 'Day two in'])} {rng.choice([city, place.country])}\n"
         f"Date: {day().strftime('%a, %d %b %Y')} 21:{rng.randint(10, 59)}:00 +0000\n\nHi all,\n\n"
         f"{rng.choice(['We made it!', 'The weather is lovely.', 'Jet lag is real.'])} Today we did the {sight} "
         f"and ate at {food}. Back home on {when(last + timedelta(days=1))}.\n\nLove, {who.split()[0]}\n"),
        ("voucher", "txt", f"{rng.choice(['Car hire voucher', 'Airport transfer', 'Rail pass'])} {ref()}\n"
         f"Pick-up: {place.airport} arrivals, {when(first)}\nReturn: {when(last)}\nHolder: {who}\n"
         f"Price: {place.currency} {rng.randint(40, 600)}"),
        ("packing", "txt", f"Packing list - {city} {first.year}\n[ ] passports\n[ ] {place.currency} cash\n"
         f"[ ] plug adapter ({place.country})\n[ ] {rng.choice(['rain jacket', 'sun cream', 'warm layers', 'walking shoes'])}\n"
         f"[ ] printed {hotel} booking\n[ ] camera charger"),
    ]
    return papers


def trip_folder(out: Path = TRAVEL_OUT, photos: Path = PHOTOS_OUT, seed: int = TRAVEL_SEED) -> Path:
    """The trips' papers (``_travel_papers``, 8 a trip) written to ``out``, whose
    ``labels_trip.csv`` and ``labels_year.csv`` also list the pictures of ``photos`` (as
    ``../trip_photos/NAME``): one folder of photos and papers, to be grouped by trip or by
    year, without a second copy of the pictures in the repository."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, Trip]] = []
    for t, trip in enumerate(TRIPS):
        for n, (kind, suffix, text) in enumerate(_travel_papers(trip, rng)):
            name = f"{kind}_{t}{n}.{suffix}"
            (out / name).write_text(text, encoding="utf-8", newline="\n")
            rows.append((name, trip))
    by_label = {trip.label: trip for trip in TRIPS}
    with open(photos / "labels_trip.csv", newline="", encoding="utf-8") as fh:
        rows += [(f"../{photos.name}/{row['file']}", by_label[row["label"]]) for row in csv.DictReader(fh)]
    for key, label in (("trip", lambda trip: trip.label), ("year", lambda trip: str(trip.first_day.year))):
        with open(out / f"labels_{key}.csv", "w", newline="", encoding="utf-8") as fh:
            table = csv.writer(fh, lineterminator="\n")
            table.writerow(["file", "label"])
            table.writerows((name, label(trip)) for name, trip in rows)
    (out / "criteria.json").write_text(json.dumps(TRAVEL_CRITERIA, indent=2) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", nargs="?", choices=["docs", "photos", "travel", "all"], default="all")
    parser.add_argument("--n", type=int, default=None, help="documents (360) or pictures (300)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None,
                        help=f"docs: the .jsonl file ({DOCS_OUT.relative_to(ROOT)}); "
                             f"photos: the folder ({PHOTOS_OUT.relative_to(ROOT)})")
    parser.add_argument("--src", type=Path, default=CIFAR, help="the cifar10_500 folder (photos)")
    args = parser.parse_args(argv)
    if args.what in ("docs", "all"):
        path = write_docs(args.out if args.what == "docs" and args.out else DOCS_OUT,
                          args.n or 360, DOC_SEED if args.seed is None else args.seed)
        print(f"wrote {path} and {path.name.removesuffix('.jsonl')}.criteria.json")
    if args.what in ("photos", "all"):
        if not (args.src / "labels.csv").exists():
            print(f"skipped the photos: {args.src} has no labels.csv")
            return 1 if args.what == "photos" else 0
        path = trip_photos(args.src, args.out if args.what == "photos" and args.out else PHOTOS_OUT,
                           args.n or 300, PHOTO_SEED if args.seed is None else args.seed)
        print(f"wrote {path}/ (pictures, labels_object.csv, labels_trip.csv, labels_year.csv, criteria.json)")
    if args.what in ("travel", "all"):
        path = trip_folder(args.out if args.what == "travel" and args.out else TRAVEL_OUT,
                           seed=TRAVEL_SEED if args.seed is None else args.seed)
        print(f"wrote {path}/ (the trips' papers, labels_trip.csv and labels_year.csv with the photos, criteria.json)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
