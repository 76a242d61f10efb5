"""Generate samples/corpus/handbook.pdf, the sample PDF of ragkit's demo corpus.

Usage (from the repository root or anywhere):

    python samples/make_sample_pdf.py

Requires fpdf2 (``pip install fpdf2``). The content is fictional and written for
ragkit's demo and tests. Each page covers a different topic so that page-level
citations can be checked. The creation date is fixed so re-running the script
produces the same bytes for the same fpdf2 version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

OUT = Path(__file__).resolve().parent / "corpus" / "handbook.pdf"
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)

# Each entry is one page: (heading, [paragraphs]). Latin-1 text only, because
# the core Helvetica font cannot encode other characters.
PAGES: list[tuple[str, list[str]]] = [
    (
        "Section 1: Welcome",
        [
            "Welcome to the Lumen Tea Cooperative Member and Visitor Handbook, "
            "edition 2026. The cooperative is a fictional farmer-owned tea producer "
            "in the Kestrel Valley, and this handbook is sample content written for "
            "a software demonstration.",
            "The handbook is given to every new member farm, every new member of "
            "staff and every customer who buys brewing equipment from the "
            "cooperative shop. It is reviewed by the board once a year, in "
            "November, and the current edition replaces all earlier ones.",
            "Our values are simple: fair prices for growers, careful processing, "
            "and honest information for the people who drink our tea. Questions "
            "about anything in this handbook can be sent to the head office on "
            "Mill Lane, where the member services team works on weekdays.",
            "Each of the following pages deals with one topic only, so that you "
            "can print a single page and pin it where it is needed.",
        ],
    ),
    (
        "Section 2: Equipment and Warranty",
        [
            "The cooperative shop sells a small range of brewing equipment under "
            "the Lumen name. The most popular item is the Ember brewing kettle, a "
            "1.2 litre electric kettle with five temperature settings between 70 "
            "and 100 degrees Celsius.",
            "The Ember brewing kettle comes with a warranty of 18 months from the "
            "date of purchase. The warranty covers the heating element, the "
            "thermostat, the base and the lid hinge. It does not cover damage "
            "caused by limescale, by dropping the kettle, or by using it with a "
            "base from another brand. To avoid limescale damage, descale the "
            "kettle every 4 weeks with a solution of citric acid.",
            "Copperleaf storage tins carry a separate guarantee of 5 years against "
            "rust, provided they are kept indoors and washed by hand.",
            "To make a claim, bring the product and the original receipt to the "
            "repair workshop behind the head office, or post it with a copy of "
            "the receipt. Repairs are normally completed within 10 working days. "
            "If a kettle cannot be repaired it is replaced with a new one free of "
            "charge, and the replacement keeps the remaining warranty period of "
            "the original.",
        ],
    ),
    (
        "Section 3: Visiting the Lantern House",
        [
            "The Lantern House is the cooperative's tasting room and visitor "
            "centre. It opened in 2014 in a restored lantern maker's workshop at "
            "the northern end of Mill Lane, and it seats 36 guests.",
            "Opening hours: Tuesday to Sunday, 10:00 to 17:00. The Lantern House "
            "is closed on Mondays and from 24 December to 2 January.",
            "Guided tours of the Copperleaf drying house start from the Lantern "
            "House at 11:00 and at 15:00 every opening day. A tour lasts 75 "
            "minutes and costs 12 dollars per adult; children under 12 join for "
            "free. Tour groups are limited to 15 people, so groups larger than "
            "this should book two separate tours.",
            "The tasting bar offers a flight of five teas for 8 dollars, including "
            "Kestrel Gold and the current season's green tea. Visitors are asked "
            "not to wear strong perfume on tour days, because it spoils the aroma "
            "of the tea for other guests.",
        ],
    ),
    (
        "Section 4: Safety and Contacts",
        [
            "Everyone working in or visiting the processing buildings must follow "
            "the safety rules below.",
            "High-visibility vests must be worn in the receiving bay, where "
            "delivery trucks reverse onto the weighbridge. Open flames and smoking "
            "are forbidden in the dry store. During the harvest season the speed "
            "limit on farm tracks is 15 kilometres per hour.",
            "If the fire alarm sounds, leave by the nearest exit and gather at the "
            "assembly point in the gravel car park beside the weighbridge. Do not "
            "return to the building until the duty manager says it is safe.",
            "The site first aid officer is Hamid Castellano, who can be reached on "
            "extension 204 during working hours. First aid kits are kept in the "
            "receiving bay, the Copperleaf laboratory and the Lantern House "
            "kitchen.",
            "Head office switchboard: extension 100. Member services: extension "
            "120. In a medical emergency, call the local emergency number first "
            "and then inform the duty manager.",
        ],
    ),
]


class Handbook(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "I", 9)
        self.cell(0, 10, f"Lumen Tea Cooperative Handbook 2026 - page {self.page_no()}", align="C")


def build() -> bytes:
    pdf = Handbook(format="A4")
    pdf.set_title("Lumen Tea Cooperative Member and Visitor Handbook")
    pdf.set_author("Lumen Tea Cooperative (fictional)")
    pdf.set_subject("Sample corpus for ragkit")
    pdf.set_creator("samples/make_sample_pdf.py")
    if hasattr(pdf, "set_creation_date"):
        pdf.set_creation_date(FIXED_DATE)
    else:  # very new fpdf2 versions expose a property instead
        pdf.creation_date = FIXED_DATE
    pdf.set_auto_page_break(auto=True, margin=20)

    for heading, paragraphs in PAGES:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 9, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("Helvetica", "", 11)
        for para in paragraphs:
            para.encode("latin-1")  # fail early on characters Helvetica cannot show
            pdf.multi_cell(0, 6, para, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


def main() -> None:
    data = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(data)
    print(f"wrote {OUT} ({len(data)} bytes, {len(PAGES)} pages)")


if __name__ == "__main__":
    main()
