"""(Re)create the binary sample documents (.docx and .pdf) under resources/samples/documents/.

The text samples (.txt, .md, .html) are kept in the repository as they are; the Office and
PDF samples are generated here from text held in this script, so they can be reviewed and
changed as text. All people, addresses, companies and amounts are fictional.

Run with the project's virtual environment (needs python-docx and fpdf2):

    .venv/bin/python packaging/make_samples.py

Output is stable: document metadata uses fixed dates, and the .docx archives are re-packed
with fixed entry timestamps, so re-running produces byte-identical files.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from docx import Document
from docx.shared import Pt
from fpdf import FPDF

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "resources" / "samples" / "documents"

FIXED_DATE = datetime(2024, 1, 1, tzinfo=UTC)
ZIP_DATE = (2024, 1, 1, 0, 0, 0)
AUTHOR = "Corral samples"

# Each document is a list of blocks: ("title" | "heading" | "para" | "bullet" | "mono", text).
Block = tuple[str, str]

# --------------------------------------------------------------------------------------
# .docx documents
# --------------------------------------------------------------------------------------

VERTRAG_FINAL: list[Block] = [
    ("title", "Employment Agreement"),
    (
        "para",
        "This Employment Agreement (the \"Agreement\") is entered into on January 8, 2023 "
        "between Nordbeam Analytics Inc., a Delaware corporation and subsidiary of Nordbeam "
        "GmbH, Hamburg, with its office at 520 SW Yamhill St, Suite 900, Portland, OR 97204 "
        "(the \"Company\"), and Jonas Weber, residing at 1147 SE Tamarack St, Apt 3B, "
        "Portland, OR 97214 (the \"Employee\").",
    ),
    ("heading", "1. Position and duties"),
    (
        "para",
        "The Company employs the Employee as Senior Data Engineer, reporting to the Head of "
        "Platform Engineering. The Employee will perform the duties customary for this "
        "position and such other reasonable duties as the Company may assign.",
    ),
    ("heading", "2. Start date and probation"),
    (
        "para",
        "Employment begins on February 1, 2023. The first 90 days are an introductory "
        "period during which performance will be reviewed. Employment is at will: either "
        "party may end it at any time, but each agrees to give at least four (4) weeks' "
        "written notice where possible.",
    ),
    ("heading", "3. Working hours and place of work"),
    (
        "para",
        "Regular working time is 40 hours per week. The Employee may work from home up to "
        "three days per week; core collaboration hours are 10:00 a.m. to 3:00 p.m. Pacific "
        "Time. Occasional travel to the Hamburg office (about twice a year) is expected.",
    ),
    ("heading", "4. Compensation"),
    (
        "para",
        "The Company will pay an annual base salary of $142,000, less applicable "
        "withholdings, in semi-monthly installments. The Employee is eligible for an annual "
        "performance bonus of up to 10% of base salary, at the Company's discretion. A "
        "one-time signing bonus of $8,000 is payable with the first regular paycheck and must "
        "be repaid in full if the Employee resigns within 12 months.",
    ),
    ("heading", "5. Benefits and time off"),
    ("bullet", "Medical, dental and vision coverage through the Company's group plan "
               "(Evergreen Mutual Health), starting on the first day of employment."),
    ("bullet", "401(k) plan with Company match of 100% of the first 4% of salary."),
    ("bullet", "20 days of paid time off per year plus Company holidays, accruing per pay period."),
    ("bullet", "Annual learning budget of $2,000 for courses, books and conferences."),
    ("heading", "6. Confidentiality and inventions"),
    (
        "para",
        "The Employee will keep confidential all non-public information of the Company and "
        "its clients, during and after employment, and will sign the Company's Confidential "
        "Information and Invention Assignment Agreement, attached as Exhibit A.",
    ),
    ("heading", "7. Entire agreement and governing law"),
    (
        "para",
        "This Agreement, together with Exhibit A, is the entire agreement between the "
        "parties about its subject and replaces the offer letter of December 19, 2022. It may "
        "be changed only in writing signed by both parties and is governed by the laws of "
        "the State of Oregon.",
    ),
    ("para", ""),
    ("para", "For the Company: ______________________  Date: __________"),
    ("para", "Katrin Vogel, VP People & Operations"),
    ("para", ""),
    ("para", "Employee: ______________________  Date: __________"),
    ("para", "Jonas Weber"),
]

FOR_OMA: list[Block] = [
    ("para", "Portland, December 3, 2023"),
    ("para", "Dear Oma,"),
    (
        "para",
        "Thank you so much for your letter and for the photos of the garden in October - the "
        "apple tree looks as if it could feed the whole village. Mom printed the one of you "
        "with the wheelbarrow and it is now on her fridge, next to Mia's drawings.",
    ),
    (
        "para",
        "I am well. Work keeps me busy, but it is the good kind of busy, and I finally have a "
        "team I enjoy. I bought myself a stand mixer (yes, really) and I am trying to bake your "
        "plum cake from the card you wrote out for me years ago. The first one was too wet in "
        "the middle, the second one was almost right. I think the plums here are juicier than "
        "yours. Anna says I should just come to you and watch, and she is probably right.",
    ),
    (
        "para",
        "Speaking of which: I have booked my flight! I arrive in Hamburg on December 21st and "
        "will take the train to you on the 22nd, so I will be there for Christmas Eve. I will "
        "bring the good coffee you like and some of the smoked salmon from here. Please do not "
        "cook for an army - well, I know you will anyway.",
    ),
    (
        "para",
        "Anna and the children send their love. Lukas wants to know if the cat is still as fat "
        "as last time. Mia has learned to write her name and insists on signing all the cards "
        "herself, so expect a very large M on the one from her.",
    ),
    (
        "para",
        "Please take care of yourself on the icy steps, and let Herr Brandt carry the firewood "
        "in - he offered, and he means it. I will call you on Sunday as always.",
    ),
    ("para", "With lots of love and a big hug,"),
    ("para", "your Jonas"),
]

DOKUMENT1: list[Block] = [
    ("title", "Brown butter banana bread"),
    ("para", "One 9x5-inch loaf, about 10 slices. Best with very ripe, almost black bananas."),
    ("heading", "Ingredients"),
    ("bullet", "1/2 cup (113 g) unsalted butter"),
    ("bullet", "3 large very ripe bananas (about 1 1/2 cups mashed)"),
    ("bullet", "2/3 cup (135 g) light brown sugar"),
    ("bullet", "2 large eggs, room temperature"),
    ("bullet", "1/3 cup (80 g) plain yogurt or sour cream"),
    ("bullet", "1 tsp vanilla extract"),
    ("bullet", "1 3/4 cups (220 g) all-purpose flour"),
    ("bullet", "1 tsp baking soda, 1/2 tsp salt, 1 tsp cinnamon"),
    ("bullet", "3/4 cup toasted walnuts, roughly chopped (optional)"),
    ("heading", "Method"),
    ("para", "1. Heat the oven to 350°F (175°C). Grease and line the loaf pan with parchment."),
    (
        "para",
        "2. Melt the butter in a small pan over medium heat and keep cooking, swirling, until "
        "it foams and smells nutty and the solids turn golden brown, 4-5 minutes. Pour into a "
        "large bowl and let cool 10 minutes.",
    ),
    ("para", "3. Mash the bananas into the butter. Whisk in sugar, eggs, yogurt and vanilla."),
    (
        "para",
        "4. Add flour, baking soda, salt and cinnamon and fold gently until just combined. "
        "Fold in the walnuts.",
    ),
    (
        "para",
        "5. Scrape into the pan, smooth the top and lay a halved banana on it if you like. "
        "Bake 55-65 minutes, until a skewer comes out clean. Cover with foil after 40 minutes "
        "if it browns too fast.",
    ),
    ("para", "6. Cool 15 minutes in the pan, then lift out and cool completely on a rack."),
    ("heading", "Notes"),
    ("para", "Keeps 3 days wrapped at room temperature. Slices freeze well - toast from frozen."),
]

DOCX_DOCUMENTS: dict[str, tuple[str, list[Block]]] = {
    "Vertrag_final.docx": ("Employment Agreement - Nordbeam Analytics", VERTRAG_FINAL),
    "for Oma.docx": ("", FOR_OMA),
    "kitchen/Dokument1.docx": ("", DOKUMENT1),
}

# --------------------------------------------------------------------------------------
# .pdf documents (fpdf2 core fonts: text must be latin-1)
# --------------------------------------------------------------------------------------

PLUMBER_INVOICE: list[Block] = [
    ("title", "BRIGHTWATER PLUMBING LLC"),
    ("para", "8734 N Lombard St, Portland, OR 97203  |  (503) 555-0176  |  CCB #198832"),
    ("para", "billing@brightwaterplumbing.example"),
    ("heading", "INVOICE 2024-0311-07"),
    ("mono", "Invoice date:   March 11, 2024\n"
             "Service date:   March 9, 2024\n"
             "Due date:       April 10, 2024 (net 30)\n"
             "Technician:     Marcus Hale"),
    ("heading", "Bill to / Service address"),
    ("para", "Jonas Weber, 1147 SE Tamarack St, Apt 3B, Portland, OR 97214"),
    ("heading", "Work performed"),
    (
        "para",
        "Customer reported no hot water. Found failed thermocouple and corroded gas control "
        "valve on 40-gal gas water heater (Rheem, 2016). Replaced thermocouple and gas "
        "control valve, flushed tank, tested for leaks and checked venting. Unit operating "
        "normally at 120 F.",
    ),
    ("mono", "Description                          Qty    Unit      Amount\n"
             "Service call / diagnostic              1   89.00       89.00\n"
             "Labor (hours)                        2.5  125.00      312.50\n"
             "Gas control valve, universal           1  164.00      164.00\n"
             "Thermocouple 24in                      1   18.50       18.50\n"
             "Tank flush, materials                  1   22.00       22.00\n"
             "-------------------------------------------------------------\n"
             "Subtotal                                             606.00\n"
             "Weekend surcharge (10% of labor)                      31.25\n"
             "Sales tax                                              0.00\n"
             "TOTAL DUE (USD)                                      637.25"),
    ("heading", "Payment"),
    (
        "para",
        "Pay online at brightwaterplumbing.example/pay with invoice number, by check payable "
        "to Brightwater Plumbing LLC, or by bank transfer (Columbia River Bank, routing "
        "123000987, account 0044128830). A 1.5% monthly finance charge applies to balances "
        "past due. Parts carry a 1-year warranty, labor 90 days.",
    ),
    ("para", "Thank you for your business!"),
]

PLUM_CAKE: list[Block] = [
    ("title", "Oma's Zwetschgenkuchen (plum sheet cake)"),
    ("para", "For one baking sheet (about 30 x 40 cm). Late August to September, when the "
             "Italian prune plums are in."),
    ("heading", "Dough"),
    ("bullet", "500 g flour"),
    ("bullet", "1 packet (7 g) dry yeast"),
    ("bullet", "60 g sugar, 1 pinch salt"),
    ("bullet", "250 ml lukewarm milk"),
    ("bullet", "60 g soft butter, 1 egg"),
    ("heading", "Topping"),
    ("bullet", "2 kg Italian prune plums, halved and pitted"),
    ("bullet", "2 tbsp sugar mixed with 1 tsp cinnamon"),
    ("bullet", "Streusel: 150 g flour, 100 g sugar, 100 g cold butter, a little vanilla"),
    ("heading", "Method"),
    ("para", "1. Mix flour, yeast, sugar and salt. Add milk, butter and egg and knead 5-8 "
             "minutes into a smooth, soft dough. Cover and let rise in a warm place about "
             "1 hour, until doubled."),
    ("para", "2. Roll out onto a greased baking sheet and press up the edges a little. "
             "Lay the plums on it close together, cut side up, in rows like roof tiles."),
    ("para", "3. Rub the streusel ingredients together with your fingertips into crumbs and "
             "scatter over the plums. Let rise again 15 minutes."),
    ("para", "4. Bake at 200 C (390 F) for 30-35 minutes until the edges are golden. "
             "Sprinkle with cinnamon sugar while still warm."),
    ("para", "Serve with lightly sweetened whipped cream. Oma says: never in the fridge, "
             "and it is better on the second day."),
]

LEASE: list[Block] = [
    ("title", "RESIDENTIAL LEASE AGREEMENT"),
    ("para", "This Lease is made on November 2, 2023 between Hollis Property Management LLC, "
             "agent for owner Margaret Hollis, 3310 SE Belmont St, Portland, OR 97214 "
             "(\"Landlord\"), and Jonas Weber (\"Tenant\")."),
    ("heading", "1. Premises"),
    ("para", "Landlord rents to Tenant the dwelling at 1147 SE Tamarack St, Apartment 3B, "
             "Portland, OR 97214, a one-bedroom unit with storage locker #3 and one assigned "
             "bicycle space, together with the appliances listed in the move-in condition "
             "report."),
    ("heading", "2. Term"),
    ("para", "The term begins December 1, 2023 and ends November 30, 2024. After that it "
             "continues month to month unless either party gives written notice as required "
             "by Oregon law (ORS Chapter 90)."),
    ("heading", "3. Rent"),
    ("para", "Monthly rent is $1,685.00, due on the 1st day of each month, paid through the "
             "Landlord's online portal or by check. Rent received after the 4th day is late, "
             "and a late fee of $50.00 applies. A fee of $35.00 is charged for any returned "
             "payment. Rent for December 2023 is paid at signing."),
    ("heading", "4. Security deposit"),
    ("para", "Tenant pays a security deposit of $1,685.00 at signing. Landlord will return "
             "the deposit, less lawful deductions itemized in writing, within 31 days after "
             "the tenancy ends and Tenant returns possession."),
    ("heading", "5. Utilities"),
    ("para", "Tenant pays electricity and internet. Landlord pays water, sewer and garbage "
             "and bills Tenant a flat $65.00 per month for these services, added to rent."),
    ("heading", "6. Use and occupancy"),
    ("para", "The premises are for residential use by Tenant only. Guests may stay up to 14 "
             "days in any six-month period. No smoking anywhere on the property. One cat is "
             "permitted with a pet agreement; no pet rent is charged."),
    ("heading", "7. Maintenance and repairs"),
    ("para", "Tenant keeps the unit clean and reports needed repairs promptly through the "
             "portal. Landlord maintains the unit in habitable condition and will respond to "
             "urgent repairs (no heat, no water, leaks) within 24 hours. Tenant may not "
             "paint or make alterations without written consent."),
    ("heading", "8. Entry"),
    ("para", "Landlord may enter at reasonable times with at least 24 hours' notice, except "
             "in an emergency."),
    ("heading", "9. Renters insurance"),
    ("para", "Tenant must keep renters insurance with at least $100,000 liability coverage "
             "and name Landlord as an interested party."),
    ("heading", "10. Ending the tenancy"),
    ("para", "Tenant may end the lease early with 30 days' written notice and payment of a "
             "lease-break fee equal to one month's rent. At move-out, Tenant returns all "
             "keys and leaves the unit clean, reasonable wear and tear excepted."),
    ("para", "Landlord: Hollis Property Management LLC, by Derek Ames, Property Manager    "
             "Date: 11/02/2023"),
    ("para", "Tenant: Jonas Weber    Date: 11/02/2023"),
]

PDF_DOCUMENTS: dict[str, tuple[str, list[Block]]] = {
    "2024/doc_2024-03-11.pdf": ("Invoice 2024-0311-07", PLUMBER_INVOICE),
    "kitchen/card_07.pdf": ("Zwetschgenkuchen", PLUM_CAKE),
    "doc_2023-11-02.pdf": ("Lease - 1147 SE Tamarack St 3B", LEASE),
}

# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------


def _repack_zip_stable(data: bytes) -> bytes:
    """Rewrite a zip archive with fixed entry timestamps and order, so output is stable."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def write_docx(path: Path, title: str, blocks: list[Block]) -> None:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(11)
    for kind, text in blocks:
        if kind == "title":
            doc.add_heading(text, level=1)
        elif kind == "heading":
            doc.add_heading(text, level=2)
        elif kind == "bullet":
            doc.add_paragraph(text, style="List Bullet")
        else:
            doc.add_paragraph(text)
    props = doc.core_properties
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.title = title
    props.created = FIXED_DATE.replace(tzinfo=None)
    props.modified = FIXED_DATE.replace(tzinfo=None)
    props.last_printed = FIXED_DATE.replace(tzinfo=None)
    props.revision = 1
    buf = io.BytesIO()
    doc.save(buf)
    path.write_bytes(_repack_zip_stable(buf.getvalue()))


def write_pdf(path: Path, title: str, blocks: list[Block]) -> None:
    pdf = FPDF(format="Letter")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(title)
    pdf.set_author(AUTHOR)
    pdf.set_creator(AUTHOR)
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    width = pdf.epw
    for kind, text in blocks:
        text.encode("latin-1")  # core fonts only: fail loudly on anything else
        if kind == "title":
            pdf.set_font("Helvetica", "B", 15)
            pdf.multi_cell(width, 8, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        elif kind == "heading":
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 11)
            pdf.multi_cell(width, 6, text, new_x="LMARGIN", new_y="NEXT")
        elif kind == "bullet":
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(width, 5, "-  " + text, new_x="LMARGIN", new_y="NEXT")
        elif kind == "mono":
            pdf.set_font("Courier", "", 9)
            pdf.multi_cell(width, 4.5, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        else:
            pdf.set_font("Helvetica", "", 10)
            pdf.multi_cell(width, 5, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
    pdf.output(str(path))


def main() -> None:
    for rel, (title, blocks) in DOCX_DOCUMENTS.items():
        path = SAMPLES / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_docx(path, title, blocks)
        print(f"wrote {path.relative_to(ROOT)}")
    for rel, (title, blocks) in PDF_DOCUMENTS.items():
        path = SAMPLES / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_pdf(path, title, blocks)
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
