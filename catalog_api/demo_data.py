"""Deterministic generator of realistic demo products for the catalog."""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import math
import os
import random
import re
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO, TypeVar

IMAGE_BASE_URL = "https://images.example.com/products"
MIN_PRICE_MINOR = 499
MAX_PRICE_MINOR = 249_999

_Extras = tuple[tuple[str, tuple[str, ...]], ...]
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Kind:
    """One product type: its noun and the vocabulary that fits it.

    A kind with its own colors is hard goods within its category and uses plain material wording.
    """

    noun: str
    modifiers: tuple[str, ...]
    materials: tuple[str, ...]
    features: tuple[str, ...]
    uses: tuple[str, ...]
    tags: tuple[str, ...]
    price: tuple[int, int]
    weight: tuple[int, int]
    extras: _Extras
    plural: bool
    colors: tuple[str, ...] | None
    noun_lower: str
    noun_tag: str


@dataclass(frozen=True, slots=True)
class _Category:
    """A category: brands, colors, sentence templates and product kinds."""

    name: str
    brands: tuple[str, ...]
    branded: bool
    colors: tuple[str, ...]
    color_key: str
    material_key: str
    made: str
    intros: tuple[str, ...]
    color_lines: tuple[str, ...]
    closings: tuple[str, ...]
    extras: _Extras
    kinds: tuple[_Kind, ...]


_FOLD = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "ß": "ss", "ł": "l"})
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def _ascii_slug(text: str) -> str:
    """Fold text to a lowercase ASCII slug of letters, digits and hyphens."""
    text = unicodedata.normalize(
        "NFKD", text.translate(_FOLD).replace("'", "").replace("\u2019", "")
    )
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_SLUG.sub("-", text).strip("-")


def _split(values: str) -> tuple[str, ...]:
    """Split a '|'-separated vocabulary string."""
    return tuple(value.strip() for value in values.split("|") if value.strip())


def _extras(spec: str) -> _Extras:
    """Parse 'key=a|b;key2=c' into attribute choices."""
    pairs = (item.split("=", 1) for item in spec.split(";") if item.strip())
    return tuple((key.strip(), _split(values)) for key, values in pairs)


def _kind(
    noun: str,
    modifiers: str,
    materials: str,
    features: str,
    uses: str,
    tags: str,
    price: tuple[int, int],
    weight: tuple[int, int],
    extras: str = "",
    *,
    plural: bool | None = None,
    colors: str | None = None,
) -> _Kind:
    """Build a product kind from compact vocabulary strings (prices in US cents)."""
    if plural is None:
        plural = noun.endswith("s") and not noun.endswith("ss")
    return _Kind(
        noun=noun,
        modifiers=_split(modifiers),
        materials=_split(materials),
        features=_split(features),
        uses=_split(uses),
        tags=_split(tags),
        price=price,
        weight=weight,
        extras=_extras(extras),
        plural=plural,
        colors=None if colors is None else _split(colors),
        noun_lower=noun.lower(),
        noun_tag=_ascii_slug(noun),
    )


_INTROS = (
    "The {title} {be} {made} {material} and feature{s} {f1}.",
    "{Made} {material}, the {title} combine{s} {f1} with {f2}.",
    "Meet the {title}, {made} {material} with {f1}.",
    "{brand} designed {this} {noun} around {f1} and {f2}, {made} {material}.",
)
_BEAUTY_INTROS = (
    "The {title} {be} formulated with {material} and deliver{s} {f1}.",
    "Powered by {material}, the {title} offer{s} {f1} and {f2}.",
    "{brand} developed {this} {noun} around {material}, pairing {f1} with {f2}.",
)
_BOOK_INTROS = (
    "{title} bring{s} together {f1} and {f2}.",
    "Presented as a {material} edition, {title} offer{s} {f1} and {f2}.",
    "Written by {author}, {title} feature{s} {f1} and {f2}.",
    "From {author} comes {title}, a {material} edition with {f1}.",
)
_USES = (
    "{It} {be} ideal for {use}.",
    "Designed for {use}, {it} also make{s} a thoughtful gift.",
    "A dependable choice for {use}.",
    "Perfect for {use}.",
    "Built with {use} in mind.",
)
_HIGHLIGHTS = (
    "Other highlights include {f3} and {f4}.",
    "{It} also offer{s} {f3}.",
    "You also get {f3}, plus {f4}.",
    "Thoughtful details such as {f3} set {them} apart.",
)
_COLOR_LINES = (
    "Shown here in {color}.",
    "This listing is for the {color} color option.",
    "Available in {color}, with matching pieces across the collection.",
)

_AUTHORS = tuple(
    f"{first} {last}"
    for first in _split(
        "Amélie|José|Zoë|Søren|Priya|Hannah|Mateo|Chloé|Kenji|Ingrid|Daniel|Maya|Noah|Leïla"
    )
    for last in _split(
        "Laurent|Ortega|Whitfield|Lindqvist|Raman|Okafor|Álvarez|Marchand|Watanabe|Nyström|"
        "Brooks|Goldberg|Fontaine|Kowalski"
    )
)

_CATEGORIES: tuple[_Category, ...] = (
    _Category(
        name="electronics",
        brands=_split(
            "Aurora|Voltix|Northwave|Kestrel|Helio|Pixelforge|Sonara|Quanta|Brightline|Zentro|"
            "Orbitek|Lumière"
        ),
        branded=True,
        colors=_split("black|white|silver|graphite|midnight blue|space grey|sage green|sand"),
        color_key="color",
        material_key="material",
        made="built from",
        intros=_INTROS,
        color_lines=_COLOR_LINES,
        closings=_split(
            "Backed by a two-year limited warranty and free firmware updates.|"
            "Includes a braided USB-C cable and a quick-start guide in the box.|"
            "Ships in recyclable packaging with a 30-day no-questions return window.|"
            "Registered owners get priority support from our US-based help team."
        ),
        extras=_extras("warranty=1 year|2 years|3 years;model year=2024|2025"),
        kinds=(
            _kind(
                "Headphones",
                "Noise-Cancelling Wireless|Over-Ear Studio|Foldable Bluetooth|Open-Back Reference|"
                "Kids' Volume-Limited",
                "aluminium|protein leather|matte polycarbonate",
                "active noise cancellation|a 40-hour battery life|plush memory-foam ear cushions|"
                "multipoint Bluetooth pairing|a built-in beamforming microphone|"
                "fast USB-C charging",
                "long flights and daily commutes|focused work in open-plan offices|"
                "late-night gaming sessions|mixing and critical listening",
                "audio|wireless|music",
                (2999, 39999),
                (180, 380),
                "connectivity=Bluetooth 5.3|USB-C|3.5 mm jack;driver size=40 mm|45 mm|50 mm",
            ),
            _kind(
                "Wireless Earbuds",
                "True Wireless|Sport|Compact|Hybrid ANC",
                "soft-touch polycarbonate|medical-grade silicone",
                "IPX5 sweat resistance|a pocketable charging case|intuitive touch controls|"
                "a transparency mode|wireless charging support",
                "workouts and runs|commuting on busy trains|calls on the go",
                "audio|earbuds|bluetooth",
                (1999, 24999),
                (40, 70),
                "connectivity=Bluetooth 5.3|Bluetooth 5.4;battery life=6 hours|8 hours|10 hours",
            ),
            _kind(
                "Smart Speaker",
                "Voice-Controlled|Multi-Room|Portable|Compact",
                "recycled fabric|anodised aluminium",
                "360-degree room-filling sound|a built-in voice assistant|"
                "a far-field microphone array|lossless Wi-Fi streaming|stereo pairing",
                "kitchens and living rooms|small apartments|backyard gatherings",
                "audio|speaker|smart-home",
                (3999, 39999),
                (300, 2500),
                "connectivity=Wi-Fi|Bluetooth 5.2;output=20 W|40 W|60 W",
            ),
            _kind(
                "Mechanical Keyboard",
                "Wireless|Low-Profile|Tenkeyless|Hot-Swappable|Compact",
                "CNC-machined aluminium|PBT plastic|recycled ABS",
                "hot-swappable switches|per-key RGB backlighting|PBT double-shot keycaps|"
                "a detachable USB-C cable|tri-mode wireless connectivity",
                "programming and writing|competitive gaming|home office setups",
                "keyboard|computer-accessories|gaming",
                (4999, 24999),
                (600, 1200),
                "switch type=linear|tactile|clicky;layout=US ANSI|UK ISO",
            ),
            _kind(
                "Wireless Mouse",
                "Ergonomic|Silent|Gaming|Travel",
                "matte ABS|recycled plastic",
                "a 26,000 DPI optical sensor|silent-click buttons|a 70-day battery|"
                "programmable side buttons|a sculpted thumb rest",
                "long workdays|laptop travel|fast-paced gaming",
                "mouse|computer-accessories|wireless",
                (1499, 14999),
                (60, 130),
                "dpi=4000|8000|26000;connectivity=Bluetooth|2.4 GHz receiver",
            ),
            _kind(
                "Portable Charger",
                "20,000 mAh|Slim Magnetic|Fast-Charging|Solar",
                "aluminium|fire-resistant polycarbonate",
                "65 W USB-C power delivery|pass-through charging|an LED charge indicator|"
                "two USB-C ports|enough capacity for four phone charges",
                "travel days|camping trips|festivals and long commutes",
                "charger|power-bank|travel",
                (1999, 12999),
                (150, 450),
                "capacity=10,000 mAh|20,000 mAh|26,800 mAh;output=20 W|45 W|65 W",
            ),
            _kind(
                "Smartwatch",
                "Fitness|GPS|Hybrid|Kids'",
                "stainless steel|aluminium|sapphire glass",
                "continuous heart-rate tracking|built-in GPS|sleep and stress monitoring|"
                "a 7-day battery|an always-on AMOLED display",
                "training and everyday wear|tracking runs and rides|"
                "staying connected without a phone",
                "wearable|fitness|watch",
                (7999, 49999),
                (30, 60),
                "case size=41 mm|45 mm;water resistance=5 ATM|10 ATM",
            ),
            _kind(
                "Monitor",
                "27-Inch 4K|Ultrawide Curved|Portable USB-C|144 Hz Gaming",
                "aluminium|matte plastic",
                "an IPS panel with 99% sRGB coverage|a height-adjustable stand|"
                "USB-C with 90 W charging|flicker-free backlighting|a built-in KVM switch",
                "photo and video editing|hybrid work setups|fast-paced gaming",
                "monitor|display|computer",
                (14999, 129999),
                (3000, 9000),
                "resolution=2560 x 1440|3840 x 2160|5120 x 2160;refresh rate=60 Hz|144 Hz|165 Hz",
            ),
            _kind(
                "Action Camera",
                "Waterproof 4K|Compact|360-Degree|Helmet-Mount",
                "rubberised polycarbonate|aluminium",
                "5.3K video at 60 fps|horizon-levelling stabilisation|waterproofing to 10 metres|"
                "front and rear touchscreens|hands-free voice control",
                "surfing, biking and skiing|travel vlogging|underwater snorkelling",
                "camera|video|travel",
                (14999, 49999),
                (120, 160),
                "resolution=4K|5.3K;waterproof depth=10 m|33 m",
            ),
            _kind(
                "E-Reader",
                "Glare-Free|Waterproof|Compact|Colour",
                "recycled plastic|aluminium",
                "a 300 ppi glare-free display|an adjustable warm light|weeks of battery life|"
                "IPX8 waterproofing|32 GB of storage for thousands of books",
                "reading at the beach|bedtime reading|long commutes",
                "ereader|reading|books",
                (9999, 27999),
                (170, 250),
                "storage=16 GB|32 GB;screen size=6 inch|7 inch",
            ),
            _kind(
                "USB-C Hub",
                "7-in-1|Travel|Aluminium|Docking",
                "anodised aluminium|braided nylon",
                "4K HDMI output|100 W pass-through charging|SD and microSD card readers|"
                "gigabit Ethernet|three USB-A ports",
                "laptop desks|travel and hot-desking|presentations",
                "usb-c|hub|computer-accessories",
                (2499, 14999),
                (60, 300),
                "ports=5|7|10;max display=4K 30 Hz|4K 60 Hz",
            ),
        ),
    ),
    _Category(
        name="kitchen",
        brands=_split(
            "Maison Café|Copperleaf|Hearth & Hollow|Bistro Lane|Ferro|Saltbox|Olivara|Kitchenly|"
            "Crème & Co|Ironridge|Pâtisserie Nord"
        ),
        branded=True,
        colors=_split("matte black|cream|sage green|stainless|cherry red|navy|charcoal|copper"),
        color_key="color",
        material_key="material",
        made="crafted from",
        intros=_INTROS,
        color_lines=_COLOR_LINES,
        closings=_split(
            "Backed by a lifetime guarantee against manufacturing defects.|"
            "Tested in our own test kitchen through hundreds of cooking sessions.|"
            "Designed in Portugal and made to last through years of daily use.|"
            "Ships in plastic-free packaging with a printed care and recipe card."
        ),
        extras=_extras(
            "warranty=5 years|10 years|lifetime;made in=Italy|Portugal|France|USA|Japan"
        ),
        kinds=(
            _kind(
                "Espresso Machine",
                "Semi-Automatic|Dual-Boiler|Compact|Café-Style|Manual Lever",
                "brushed stainless steel|die-cast aluminium",
                "a 15-bar Italian pump|a steam wand for silky microfoam|"
                "a built-in conical burr grinder|PID temperature control|"
                "a 1.8-litre removable water tank",
                "café-quality lattes at home|morning espresso rituals|small offices",
                "espresso|coffee|appliance",
                (14999, 189999),
                (5000, 14000),
                "capacity=1.5 L|1.8 L|2 L;pressure=9 bar|15 bar;power=1350 W|1600 W",
            ),
            _kind(
                "Cast Iron Skillet",
                "Pre-Seasoned|12-Inch|Deep|10-Inch|Camp",
                "cast iron|pre-seasoned cast iron",
                "a naturally non-stick seasoned surface|excellent heat retention|"
                "a helper handle for easy lifting|pour spouts on both sides|"
                "oven, grill and induction compatibility",
                "searing steaks|baking cornbread|campfire cooking|everyday stovetop meals",
                "cookware|cast-iron|skillet",
                (1999, 17999),
                (2000, 4000),
                "diameter=10 in|12 in;oven safe=260 °C|500 °F;care=hand wash and oil",
            ),
            _kind(
                "Chef's Knife",
                "8-Inch|Japanese Gyuto|Hand-Honed|Forged",
                "high-carbon stainless steel|67-layer Damascus steel|VG-10 steel",
                "a razor-sharp 15-degree edge|a full-tang forged blade|"
                "an ergonomic pakkawood handle|a protective magnetic sheath",
                "everyday prep|slicing vegetables and herbs|carving roasts",
                "knife|cutlery|chef",
                (2999, 29999),
                (180, 280),
                "blade length=20 cm|21 cm|24 cm;hardness=58 HRC|60 HRC",
            ),
            _kind(
                "Coffee Grinder",
                "Conical Burr|Hand|Electric|Espresso",
                "stainless steel|ceramic and walnut",
                "40 grind settings|stepless fine adjustment|a static-free grounds cup|"
                "hardened conical burrs|a timed single-dose hopper",
                "pour-over and French press|dialling in espresso|travel brewing",
                "coffee|grinder|espresso",
                (2999, 39999),
                (500, 4000),
                "grind settings=30|40|stepless",
            ),
            _kind(
                "Dutch Oven",
                "Enamelled|5.5-Quart|Round|Oval",
                "enamelled cast iron",
                "a tight-fitting self-basting lid|a chip-resistant enamel interior|"
                "even heat distribution|wide loop handles",
                "slow braises and stews|no-knead bread|weeknight soups",
                "cookware|dutch-oven|baking",
                (4999, 39999),
                (4000, 6500),
                "capacity=3.8 L|5.2 L|6.7 L",
            ),
            _kind(
                "Stand Mixer",
                "Tilt-Head|Bowl-Lift|Professional|Compact",
                "die-cast metal|stainless steel",
                "a 5-quart stainless bowl|10 speed settings|"
                "a dough hook, whisk and flat beater|a planetary mixing action",
                "bread doughs and pastry|holiday baking|whipping meringues and crème chantilly",
                "baking|mixer|appliance",
                (19999, 69999),
                (5000, 12000),
                "capacity=4.3 L|4.8 L|6.6 L;power=300 W|575 W",
            ),
            _kind(
                "Crème Brûlée Ramekins",
                "Porcelain|Set of 6|Fluted|Stackable",
                "porcelain|stoneware",
                "an oven-to-table glaze|a classic fluted exterior|thermal-shock resistance|"
                "a space-saving stackable design",
                "crème brûlée and custards|individual soufflés|serving dips and sauces",
                "bakeware|ramekins|dessert",
                (1499, 4999),
                (600, 1800),
                "capacity=150 ml|200 ml;pieces=4|6",
            ),
            _kind(
                "Cutting Board",
                "End-Grain|Reversible|Extra-Large|Juice-Groove",
                "acacia wood|walnut|maple|bamboo",
                "a deep juice groove|non-slip rubber feet|knife-friendly end-grain construction|"
                "built-in side handles",
                "carving roasts|everyday chopping|serving charcuterie",
                "kitchen-tools|wood|prep",
                (1999, 14999),
                (1000, 5000),
                "dimensions=40 x 30 cm|45 x 35 cm|50 x 38 cm",
            ),
            _kind(
                "Electric Kettle",
                "Gooseneck|Variable-Temperature|Glass|Cordless",
                "stainless steel|borosilicate glass",
                "precise temperature presets|a keep-warm function|"
                "a gooseneck spout for controlled pours|automatic shut-off",
                "pour-over coffee|green and oolong teas|quick instant meals",
                "kettle|tea|coffee",
                (2999, 14999),
                (800, 1500),
                "capacity=0.9 L|1 L|1.7 L;power=1200 W|1500 W",
            ),
            _kind(
                "Frying Pan",
                "Nonstick|Induction|Oven-Safe|Everyday",
                "hard-anodised aluminium|ceramic-coated aluminium|forged aluminium",
                "a PFAS-free ceramic coating|a stay-cool stainless handle|an induction-ready base|"
                "oven safety to 230 °C",
                "eggs and omelettes|delicate fish|quick weeknight stir-fries",
                "cookware|pan|nonstick",
                (2499, 12999),
                (800, 1500),
                "diameter=20 cm|24 cm|28 cm",
            ),
            _kind(
                "Food Storage Containers",
                "Glass|Stackable|Leak-Proof|Meal-Prep",
                "borosilicate glass|BPA-free Tritan",
                "snap-lock leak-proof lids|microwave and freezer safety|nesting storage|"
                "printed measurement markings",
                "weekly meal prep|packed lunches|pantry organisation",
                "storage|meal-prep|containers",
                (1499, 6999),
                (800, 3000),
                "pieces=10|18|24",
            ),
        ),
    ),
    _Category(
        name="outdoor",
        brands=_split(
            "Summit Trail|Northwind|Ridgeback|Alpenglow|Cairn & Pine|Timberline|Basecamp Co|"
            "Wildmere|Högland|Trailsmith|Fjordhaven"
        ),
        branded=True,
        colors=_split(
            "forest green|olive|slate grey|sunset orange|sand|navy|ember red|glacier blue"
        ),
        color_key="color",
        material_key="material",
        made="made from",
        intros=_INTROS,
        color_lines=_COLOR_LINES,
        closings=_split(
            "Backed by a lifetime repair programme for as long as you own it.|"
            "Field-tested by our guides on trails in the Rockies and the Alps.|"
            "Made with bluesign®-approved materials and PFC-free water repellency.|"
            "Every purchase supports trail maintenance through our 1% for the Planet pledge."
        ),
        extras=_extras("warranty=lifetime|5 years;made in=Vietnam|Portugal|USA|Taiwan"),
        kinds=(
            _kind(
                "Tent",
                "2-Person Backpacking|4-Person Dome|Ultralight|Family Cabin|Four-Season",
                "ripstop nylon|polyester taffeta|silicone-coated nylon",
                "two doors and two vestibules|a fully taped rainfly|"
                "colour-coded clips for fast pitching|a 3,000 mm waterproof rating|"
                "mesh panels for ventilation|lightweight DAC aluminium poles",
                "backpacking trips|weekend car camping|festival season|alpine expeditions",
                "camping|tent|shelter",
                (9999, 79999),
                (1100, 9000),
                "capacity=2 person|4 person|6 person;season=3-season|4-season",
            ),
            _kind(
                "Sleeping Bag",
                "Mummy|Rectangular|Kids'|Three-Season|Ultralight",
                "800-fill goose down|recycled synthetic insulation|ripstop nylon",
                "an insulated draft collar|a comfort rating of -7 °C|a two-way YKK zip|"
                "a compression stuff sack|a roomy footbox",
                "cold-weather camping|summer trips|hut-to-hut treks",
                "camping|sleeping-bag|insulation",
                (5999, 49999),
                (700, 2200),
                "temperature rating=-7 °C|0 °C|5 °C;length=regular|long",
            ),
            _kind(
                "Hiking Backpack",
                "45L|Daypack|65L Trekking|Lightweight",
                "recycled nylon|Dyneema composite|Cordura",
                "an adjustable torso length|a ventilated mesh back panel|"
                "a hydration sleeve|an integrated rain cover|zippered hip-belt pockets",
                "day hikes|multi-day treks|travel",
                "hiking|backpack|travel",
                (4999, 34999),
                (600, 2200),
                "volume=22 L|45 L|65 L",
            ),
            _kind(
                "Trekking Poles",
                "Folding|Adjustable|Ultralight|Anti-Shock",
                "carbon fibre|7075 aluminium",
                "natural cork grips|flick-lock adjustment|interchangeable tips|a folding Z-design",
                "steep descents|long-distance hikes|snowshoeing",
                "hiking|trekking|poles",
                (3999, 19999),
                (300, 600),
                "length=100-130 cm|110-140 cm",
            ),
            _kind(
                "Camping Stove",
                "Backpacking|Two-Burner|Compact|Wind-Resistant",
                "stainless steel|titanium|aluminium",
                "a push-button piezo igniter|precise simmer control|a folding windscreen|"
                "a boil time of about three minutes per litre",
                "camp cooking|backpacking trips|emergency kits",
                "camping|stove|cooking",
                (2999, 19999),
                (80, 5000),
                "fuel=isobutane|propane",
            ),
            _kind(
                "Headlamp",
                "Rechargeable|400-Lumen|Trail Running|Waterproof",
                "polycarbonate|aluminium",
                "a red night-vision mode|USB-C recharging|an IPX6 waterproof rating|a tilting beam",
                "night hikes|camp chores|early-morning runs",
                "lighting|headlamp|camping",
                (1999, 8999),
                (50, 120),
                "brightness=350 lm|400 lm|600 lm",
            ),
            _kind(
                "Insulated Water Bottle",
                "Vacuum|Wide-Mouth|1-Litre|Sport",
                "18/8 stainless steel|powder-coated steel",
                "double-wall vacuum insulation|24 hours of cold drinks|a leak-proof lid|"
                "a sweat-free powder-coated grip",
                "hikes and commutes|gym sessions|road trips",
                "hydration|bottle|reusable",
                (1999, 4999),
                (300, 600),
                "capacity=500 ml|750 ml|1 L",
            ),
            _kind(
                "Camping Hammock",
                "Ultralight|Double|Bug-Net|Parachute",
                "parachute nylon|ripstop polyester",
                "tree-friendly straps|an integrated bug net|a 180 kg weight capacity|"
                "a stuff sack the size of a grapefruit",
                "backpacking|lazy afternoons|beach trips",
                "camping|hammock|relaxing",
                (2999, 12999),
                (400, 1200),
                "capacity=1 person|2 person",
            ),
            _kind(
                "Cooler",
                "Hard-Sided|Soft|Rolling|Backpack",
                "rotomolded polyethylene|welded TPU",
                "up to five days of ice retention|a leak-proof zip|bear-resistant latches|"
                "a quick-drain plug",
                "fishing trips|tailgates|beach days",
                "cooler|camping|picnic",
                (3999, 44999),
                (1500, 12000),
                "capacity=20 L|35 L|45 L",
            ),
            _kind(
                "Binoculars",
                "10x42|Compact|Waterproof|Birding",
                "magnesium alloy|rubber armour",
                "fully multi-coated optics|nitrogen-purged waterproofing|twist-up eyecups|"
                "ED glass for true colours",
                "birdwatching|wildlife safaris|stargazing",
                "optics|binoculars|birding",
                (4999, 79999),
                (300, 900),
                "magnification=8x|10x;objective=32 mm|42 mm",
            ),
        ),
    ),
    _Category(
        name="apparel",
        brands=_split(
            "Wren & Wool|Harbor Thread|Stitchwell|Atelier Noé|Cotton Field|Drift|Marlowe|"
            "Oakhaven|Norrland|Loom & Lark"
        ),
        branded=True,
        colors=_split("black|heather grey|navy|oatmeal|olive|rust|ivory|burgundy|denim blue"),
        color_key="color",
        material_key="material",
        made="made from",
        intros=_INTROS,
        color_lines=_COLOR_LINES,
        closings=_split(
            "Machine wash cold and hang dry to keep it looking new.|"
            "Made in a Fair Trade Certified™ factory by people paid a living wage.|"
            "Free returns and exchanges within 60 days of delivery.|"
            "Ethically made in small batches in northern Portugal."
        ),
        extras=_extras("fit=regular|slim|relaxed;made in=Portugal|Peru|Italy|Vietnam|USA"),
        kinds=(
            _kind(
                "Running Shoes",
                "Lightweight|Trail|Cushioned|Road Racing|Stability",
                "engineered mesh|recycled knit",
                "a responsive foam midsole|an 8 mm heel-to-toe drop|"
                "a breathable engineered-mesh upper|a grippy rubber outsole|reflective details",
                "daily training runs|marathon race day|muddy trail runs|gym sessions",
                "running|shoes|footwear",
                (5999, 22999),
                (220, 340),
                "size=US 7|US 8|US 9|US 10|US 11|EU 42;width=standard|wide",
            ),
            _kind(
                "Sweater",
                "Merino Crewneck|Cable-Knit|Quarter-Zip|Lightweight",
                "extra-fine merino wool|merino-cashmere blend",
                "naturally odour-resistant fibres|ribbed cuffs and hem|a relaxed fit|"
                "natural temperature regulation",
                "layering in autumn|office days|travel",
                "knitwear|wool|sweater",
                (5999, 19999),
                (250, 500),
                "size=XS|S|M|L|XL|XXL",
            ),
            _kind(
                "Rain Jacket",
                "Waterproof|Packable|3-Layer|Hooded",
                "recycled nylon|a 3-layer waterproof membrane",
                "fully taped seams|pit zips for venting|an adjustable storm hood|"
                "a packable design that stows in its own pocket",
                "rainy commutes|hiking|travel",
                "outerwear|jacket|rain",
                (7999, 39999),
                (250, 600),
                "size=XS|S|M|L|XL|XXL",
            ),
            _kind(
                "Jeans",
                "Slim-Fit|Straight-Leg|Selvedge|Relaxed",
                "organic cotton denim|stretch denim|Japanese selvedge denim",
                "a classic five-pocket design|copper rivets|a mid-rise waist|"
                "a touch of stretch for all-day comfort",
                "everyday wear|relaxed weekends|casual Fridays",
                "denim|jeans|pants",
                (4999, 24999),
                (500, 900),
                "size=W28 L30|W30 L32|W32 L32|W34 L34|W36 L34",
            ),
            _kind(
                "T-Shirt",
                "Organic Cotton|Heavyweight|Pocket|V-Neck|Essential Crew",
                "organic cotton|organic cotton jersey",
                "pre-shrunk fabric|reinforced shoulder seams|a tag-free neckline|"
                "garment dyeing for a lived-in look",
                "everyday layering|warm-weather days|lounging at home",
                "t-shirt|basics|cotton",
                (1999, 5999),
                (150, 250),
                "size=XS|S|M|L|XL|XXL",
            ),
            _kind(
                "Beanie",
                "Ribbed|Cuffed|Fisherman|Chunky Knit",
                "merino wool|lambswool|recycled wool blend",
                "a fold-over cuff|a soft, itch-free knit|a snug stretch fit|"
                "a brushed fleece lining",
                "cold mornings|ski trips|winter walks",
                "hat|winter|accessories",
                (1999, 5999),
                (60, 150),
                "size=one size",
            ),
            _kind(
                "Leather Belt",
                "Full-Grain|Reversible|Braided|Dress",
                "full-grain leather|vegetable-tanned leather",
                "a solid brass buckle|hand-burnished edges|a classic 35 mm width|"
                "a leather that develops a rich patina",
                "everyday wear|the office|formal occasions",
                "accessories|belt|leather",
                (2999, 12999),
                (150, 300),
                "size=30|32|34|36|38",
            ),
            _kind(
                "Yoga Leggings",
                "High-Waisted|Seamless|7/8 Length|Pocket",
                "recycled nylon-spandex|brushed jersey",
                "a squat-proof fabric|a hidden waistband pocket|four-way stretch|"
                "chafe-free flatlock seams",
                "yoga and pilates|running|lounging",
                "activewear|yoga|leggings",
                (3999, 11999),
                (180, 300),
                "size=XS|S|M|L|XL",
            ),
            _kind(
                "Down Jacket",
                "Packable|Hooded|Lightweight|Longline",
                "700-fill responsibly sourced down|recycled ripstop nylon",
                "box-baffled insulation|a stuffable pocket|elastic cuffs|a water-resistant shell",
                "cold city days|ski trips|winter travel",
                "outerwear|down|winter",
                (12999, 49999),
                (300, 800),
                "size=XS|S|M|L|XL|XXL",
            ),
            _kind(
                "Linen Shirt",
                "Button-Down|Relaxed|Short-Sleeve|Band-Collar",
                "European flax linen|linen-cotton blend",
                "mother-of-pearl buttons|a garment-washed softness|a relaxed fit|"
                "a breathable open weave",
                "summer holidays|warm office days|beach weddings",
                "shirt|linen|summer",
                (3999, 12999),
                (180, 300),
                "size=XS|S|M|L|XL|XXL",
            ),
        ),
    ),
    _Category(
        name="books",
        brands=_split(
            "The Complete|The Essential|The Little|The Everyday|The Modern|The Illustrated|"
            "The Pocket|The New"
        ),
        branded=False,
        colors=(),
        color_key="",
        material_key="format",
        made="printed as",
        intros=_BOOK_INTROS,
        color_lines=(),
        closings=_split(
            "Printed on FSC-certified paper with vegetable-based inks.|"
            "Includes a detailed index and a list of recommended further reading.|"
            "Signed bookplate editions are available while stocks last.|"
            "Praised by reviewers as one of the most useful books of the year."
        ),
        extras=(
            ("author", _AUTHORS),
            (
                "publisher",
                _split("Harbor Press|Lantern House|Éditions Lumière|Greenleaf Books|Quillfeather"),
            ),
            ("language", _split("English|English|English|English|Spanish|French")),
        ),
        kinds=(
            _kind(
                "Cookbook",
                "Sourdough Baking|Mediterranean|Weeknight Vegetarian|French Pâtisserie|Cast Iron|"
                "Japanese Home",
                "hardcover|paperback|spiral-bound hardcover",
                "more than 120 tested recipes|full-colour photography throughout|"
                "step-by-step technique guides|seasonal menus and shopping lists",
                "home cooks of every level|food lovers|weekend baking projects",
                "cookbook|recipes|cooking",
                (1499, 4999),
                (500, 1400),
                "pages=224|288|320|352",
            ),
            _kind(
                "Field Guide",
                "Backyard Bird|Mushroom|Wildflower|Night Sky|Tree",
                "paperback|flexibound",
                "over 600 colour illustrations|detailed range maps|quick identification keys|"
                "a water-resistant cover",
                "hikes and camping trips|birdwatching outings|curious kids and naturalists",
                "nature|field-guide|reference",
                (1299, 3499),
                (250, 700),
                "pages=256|320|448",
            ),
            _kind(
                "Travel Guide",
                "Japan|Portugal|Iceland|Patagonia|Côte d'Azur|New Zealand",
                "paperback|flexibound",
                "detailed pull-out maps|curated itineraries from three days to three weeks|"
                "local food and café recommendations|practical language tips",
                "trip planning|independent travellers|armchair travel",
                "travel|guidebook|maps",
                (1499, 3499),
                (300, 700),
                "pages=288|352|416",
            ),
            _kind(
                "Handbook",
                "Home Barista|Beginner Gardener's|Woodworking|Yoga Practice|First-Time Dog Owner's",
                "hardcover|paperback",
                "clear illustrated instructions|troubleshooting checklists|"
                "expert tips in every chapter|a glossary and quick-reference charts",
                "beginners and enthusiasts alike|quick reference at home|thoughtful gifting",
                "guide|how-to|reference",
                (1499, 3999),
                (300, 900),
                "pages=192|240|288",
            ),
            _kind(
                "Picture Book",
                "Bedtime|Dinosaur|Ocean|Counting|Four Seasons",
                "hardcover|board book",
                "bright watercolour illustrations|rhyming read-aloud text|sturdy thick pages|"
                "a lift-the-flap surprise on every spread",
                "bedtime reading|children aged 2 to 6|classroom story time",
                "children|kids|picture-book",
                (799, 2499),
                (200, 600),
                "pages=24|32|40;reading age=2-4|3-6",
            ),
            _kind(
                "Puzzle Book",
                "Crossword|Sudoku|Logic|Cryptic Crossword",
                "paperback|spiral-bound paperback",
                "over 200 puzzles|graded difficulty levels|full answer keys|large-print pages",
                "commutes and travel|keeping the mind sharp|rainy afternoons",
                "puzzles|games|brain-teasers",
                (799, 1999),
                (200, 500),
                "pages=160|192|256",
            ),
            _kind(
                "Atlas",
                "World|Road|Children's|Historical",
                "hardcover|spiral-bound paperback",
                "more than 300 detailed maps|a gazetteer of 80,000 places|"
                "satellite imagery|up-to-date country profiles",
                "homes and classrooms|road-trip planning|curious minds of all ages",
                "atlas|maps|geography",
                (1999, 7999),
                (800, 2500),
                "pages=192|320|448",
                plural=False,
            ),
            _kind(
                "Workbook",
                "Spanish Language|Mindfulness|Mathematics|Creative Writing|Drawing",
                "paperback|spiral-bound paperback",
                "guided exercises|complete answer keys|spaced-repetition reviews|"
                "space to write on every page",
                "self-study|homeschooling|daily practice",
                "education|learning|workbook",
                (999, 2999),
                (250, 600),
                "pages=128|160|192",
            ),
            _kind(
                "Photography Book",
                "Architecture|Wildlife|Landscape|Street",
                "cloth-bound hardcover|hardcover",
                "oversized 30 x 38 cm pages|museum-quality printing|"
                "essays by leading critics|more than 200 full-page plates",
                "coffee tables|photography lovers|collectors",
                "photography|art|coffee-table",
                (3499, 12999),
                (1500, 3500),
                "pages=240|288|320",
            ),
        ),
    ),
    _Category(
        name="home",
        brands=_split(
            "Hearthstone|Nordhem|Linen & Loom|Casa Serena|Maison Blanc|Oak & Ember|Willowbrook|"
            "Solène|Tidewater Home|Brightnest"
        ),
        branded=True,
        colors=_split(
            "ivory|charcoal|terracotta|sage|natural oak|walnut|dusty rose|slate blue|sand"
        ),
        color_key="color",
        material_key="material",
        made="crafted from",
        intros=_INTROS,
        color_lines=_COLOR_LINES,
        closings=_split(
            "Ships free in plastic-free, compostable packaging.|"
            "Designed in Copenhagen and made in small batches by family-run workshops.|"
            "Covered by our two-year quality guarantee and easy returns.|"
            "Pairs beautifully with the rest of the collection for a calm, layered look."
        ),
        extras=_extras("made in=Portugal|India|Denmark|Turkey|Lithuania;warranty=2 years"),
        kinds=(
            _kind(
                "Throw Blanket",
                "Chunky Knit|Waffle-Weave|Oversized|Fringed",
                "organic cotton|stonewashed linen|merino wool|recycled cotton",
                "hand-knotted fringed edges|a breathable weave|an oversized 130 x 180 cm size|"
                "a machine-washable finish",
                "sofa snuggling|guest rooms|autumn picnics",
                "bedding|throw|cozy",
                (3999, 19999),
                (800, 2500),
                "dimensions=130 x 170 cm|130 x 180 cm|150 x 200 cm",
            ),
            _kind(
                "Table Lamp",
                "Mushroom|Rechargeable|Arc|Bedside",
                "glazed ceramic|brushed brass|opal glass",
                "a dimmable warm-white LED|a touch-sensitive base|a hand-glazed finish|"
                "a fabric-wrapped cord",
                "bedside reading|living-room ambience|home offices",
                "lighting|lamp|decor",
                (3999, 29999),
                (800, 4000),
                "bulb=E26 LED|integrated LED;cord length=1.8 m|2 m",
            ),
            _kind(
                "Duvet Cover Set",
                "Stonewashed|Breathable|Hotel-Style|Relaxed",
                "French flax linen|long-staple cotton percale|organic cotton sateen",
                "hidden button closures|corner ties to keep the duvet in place|"
                "OEKO-TEX certified fabrics|a soft, lived-in drape",
                "year-round sleeping|guest rooms|hot sleepers",
                "bedding|duvet|bedroom",
                (8999, 34999),
                (1200, 2500),
                "size=twin|full|queen|king",
            ),
            _kind(
                "Scented Candle",
                "Hand-Poured Soy|Three-Wick|Travel Tin|Ceramic Vessel",
                "natural soy wax|coconut-soy wax blend|beeswax",
                "a 50-hour burn time|a lead-free cotton wick|phthalate-free fragrance oils|"
                "a reusable ceramic vessel",
                "cozy evenings|bathrooms and entryways|gifting",
                "candle|fragrance|decor",
                (1499, 6999),
                (200, 900),
                "scent=cedar and vanilla|fig and crème fraîche|sea salt and sage|amber|lavender",
            ),
            _kind(
                "Wall Mirror",
                "Round|Arched|Oversized|Scalloped",
                "solid oak|powder-coated steel|natural rattan",
                "a bevelled glass edge|a D-ring hanging kit|a shatter-resistant backing|"
                "a slim profile frame",
                "entryways|bathrooms|bedrooms",
                "mirror|decor|wall-art",
                (4999, 39999),
                (2000, 15000),
                "diameter=60 cm|80 cm|100 cm",
            ),
            _kind(
                "Bath Towel Set",
                "Waffle|Quick-Dry|Plush|Spa",
                "long-staple Turkish cotton|organic cotton terry",
                "a plush 600 GSM weight|quick-drying loops|double-stitched hems|"
                "two bath, two hand and two wash towels",
                "daily use|guest bathrooms|spa-like mornings",
                "bath|towels|bathroom",
                (2999, 14999),
                (1500, 3500),
                "pieces=4|6|8",
            ),
            _kind(
                "Storage Basket",
                "Woven|Lidded|Collapsible|Large Laundry",
                "seagrass|jute|cotton rope",
                "sturdy carry handles|a foldable design|a removable lined interior|"
                "a hand-woven texture",
                "toy storage|laundry day|living-room clutter",
                "storage|organization|basket",
                (1999, 7999),
                (500, 2000),
                "dimensions=30 x 30 cm|40 x 35 cm|50 x 40 cm",
            ),
            _kind(
                "Area Rug",
                "Hand-Woven|Washable|Vintage-Style|Flatweave",
                "New Zealand wool|jute|recycled polyester",
                "a low-pile construction|a non-slip backing|machine washability|"
                "hand-knotted fringes",
                "living rooms|hallways|kids' rooms",
                "rug|decor|flooring",
                (7999, 99999),
                (2000, 20000),
                "size=5 x 8 ft|8 x 10 ft|2.5 x 8 ft runner",
            ),
            _kind(
                "Vase",
                "Bud|Sculptural|Ribbed|Tall Floor",
                "glazed stoneware|hand-blown glass|matte ceramic",
                "a watertight glazed interior|an organic, hand-thrown silhouette|"
                "a weighted base|a reactive glaze that makes each piece unique",
                "fresh bouquets|dried flowers|mantel styling",
                "vase|decor|flowers",
                (1999, 12999),
                (300, 3000),
                "height=15 cm|25 cm|45 cm",
            ),
        ),
    ),
    _Category(
        name="toys",
        brands=_split(
            "Little Acorn|Tinker Town|Bright Sprout|Puzzlewood|Kidoodle|Hoppity|Blocksmith|"
            "Petit Château|Moonbeam|Zoomi"
        ),
        branded=True,
        colors=_split("rainbow|pastel|natural wood|primary colors|red|blue|yellow|green"),
        color_key="color",
        material_key="material",
        made="made from",
        intros=_INTROS,
        color_lines=_COLOR_LINES,
        closings=_split(
            "Tested to meet ASTM F963 and EN 71 toy-safety standards.|"
            "Arrives gift-ready in a recyclable box with no plastic ties.|"
            "Designed with early-years educators to encourage open-ended play.|"
            "Loved by parents for being easy to clean and tough enough for siblings."
        ),
        extras=_extras("safety standard=ASTM F963|EN 71;made in=Germany|Vietnam|USA|Poland"),
        kinds=(
            _kind(
                "Wooden Building Blocks",
                "Rainbow|100-Piece|Architect|Magnetic",
                "sustainably sourced beech wood|maple",
                "non-toxic water-based paints|smooth sanded edges|a canvas storage bag|"
                "shapes that build towers, bridges and arches",
                "open-ended play|early STEM learning|developing toddler motor skills",
                "blocks|wooden-toys|stem",
                (1999, 7999),
                (800, 3000),
                "age range=1+|2+|3+;pieces=50|100|150",
            ),
            _kind(
                "Teddy Bear",
                "Classic Plush|Giant|Weighted|Cuddly",
                "organic cotton plush|recycled polyester fibre",
                "safely embroidered eyes|a super-soft plush coat|surface washability|"
                "a hand-stitched bow tie",
                "bedtime cuddles|baby showers|comfort on long trips",
                "plush|stuffed-animal|teddy",
                (1499, 6999),
                (200, 1500),
                "age range=0+|3+;height=30 cm|45 cm|90 cm",
            ),
            _kind(
                "Jigsaw Puzzle",
                "1000-Piece|500-Piece|Panoramic|Kids' Floor",
                "recycled board|premium blue-board",
                "a linen-textured finish|snug-fitting pieces|a reference poster|"
                "a sturdy keepsake box",
                "family game nights|rainy afternoons|mindful downtime",
                "puzzle|jigsaw|games",
                (1499, 3999),
                (400, 1200),
                "pieces=48|500|1000;age range=4+|12+",
            ),
            _kind(
                "Remote Control Car",
                "Off-Road|Stunt|1:16 Scale|High-Speed",
                "impact-resistant ABS|aluminium and rubber",
                "a 2.4 GHz remote|speeds up to 25 km/h|a rechargeable battery|four-wheel drive",
                "backyard racing|birthday gifts|kids aged 8 and up",
                "rc-car|remote-control|vehicles",
                (2999, 14999),
                (500, 1500),
                "age range=6+|8+|14+;battery=rechargeable Li-ion",
            ),
            _kind(
                "Board Game",
                "Strategy|Cooperative|Family|Party",
                "thick cardboard tiles|wooden meeples",
                "room for 2 to 6 players|a 45-minute play time|easy-to-learn rules|"
                "beautifully illustrated components",
                "family game nights|parties|players aged 10 and up",
                "board-game|games|family",
                (1999, 6999),
                (600, 2000),
                "players=2-4|2-6|3-8;play time=30 min|45 min|90 min",
            ),
            _kind(
                "Play Kitchen",
                "Wooden|Compact|Deluxe|Café",
                "MDF and pine|natural beech",
                "clicking oven knobs|a light-up hob|storage shelves|a set of utensils",
                "pretend play|toddlers and preschoolers|playrooms",
                "pretend-play|kitchen|wooden-toys",
                (7999, 24999),
                (8000, 20000),
                "age range=2+|3+;assembly=required",
            ),
            _kind(
                "Art Set",
                "Deluxe|Watercolour|Kids' Crayon|Travel",
                "non-toxic pigments|a wooden case",
                "over 150 pieces|washable markers|a carry case|a thick sketch pad",
                "budding artists|rainy days|school projects",
                "art|crafts|kids",
                (1499, 4999),
                (500, 2000),
                "age range=3+|5+|8+;pieces=80|150|200",
            ),
            _kind(
                "Coding Robot",
                "Educational|Programmable|STEM|Line-Following",
                "ABS plastic|aluminium",
                "screen-free coding cards|app-based block programming|"
                "light and sound sensors|a rechargeable battery",
                "STEM learning|kids aged 6 and up|classrooms",
                "robot|coding|stem",
                (4999, 19999),
                (300, 900),
                "age range=6+|8+;connectivity=Bluetooth",
            ),
            _kind(
                "Balance Bike",
                "Wooden|Lightweight|Adjustable|Toddler",
                "birch plywood|aluminium",
                "an adjustable seat|puncture-proof tires|a lightweight frame|"
                "a steering limiter for safety",
                "learning to ride|toddlers aged 2 to 5|park outings",
                "bike|ride-on|outdoor-play",
                (5999, 14999),
                (2500, 4000),
                "age range=2+|3+;wheel size=12 in",
            ),
        ),
    ),
    _Category(
        name="beauty",
        brands=_split(
            "Lumière Botanica|Petal & Pine|Crème de Lune|Glowhaus|Velvetine|Aloe & Co|Dew Theory|"
            "Solstice|Maison Rosé|Pure Fjord"
        ),
        branded=True,
        colors=_split("unscented|lavender|rose|citrus|eucalyptus|sandalwood|vanilla"),
        color_key="scent",
        material_key="key ingredient",
        made="formulated with",
        intros=_BEAUTY_INTROS,
        color_lines=_split(
            "This listing is for the {color} variant.|"
            "Shown here in {color}; the full range has four more options."
        ),
        closings=_split(
            "Cruelty-free and never tested on animals, from formula to packaging.|"
            "Packaged in recyclable, plastic-free materials.|"
            "Developed with professional makeup artists and dermatologists.|"
            "Free shipping on orders over $35, with easy 60-day returns."
        ),
        extras=_extras(
            "certifications=vegan|cruelty-free|vegan, cruelty-free;"
            "made in=France|South Korea|USA|Switzerland"
        ),
        kinds=(
            _kind(
                "Face Moisturizer",
                "Hydrating|Daily SPF 30|Night Repair|Oil-Free",
                "hyaluronic acid|squalane|niacinamide|ceramides",
                "a lightweight, non-greasy texture|24-hour hydration|"
                "a formula free of drying alcohols|a barrier-supporting complex",
                "dry and combination skin|morning and evening routines|wearing under makeup",
                "skincare|moisturizer|face",
                (1499, 8999),
                (50, 200),
                "volume=50 ml|100 ml;skin type=all|dry|oily",
            ),
            _kind(
                "Vitamin C Serum",
                "Brightening|15%|Antioxidant|Gentle",
                "stabilised vitamin C|ferulic acid and vitamin E|ascorbyl glucoside",
                "visible brightening in four weeks|a fast-absorbing texture|"
                "an airless amber pump bottle|antioxidant protection",
                "dull or uneven skin tone|morning routines|post-summer skin",
                "skincare|serum|vitamin-c",
                (1999, 9999),
                (40, 120),
                "volume=30 ml|50 ml;skin type=all|normal|combination",
            ),
            _kind(
                "Shampoo",
                "Sulfate-Free|Volumising|Repairing|Solid Bar",
                "argan oil|rice protein|rosemary oil",
                "a gentle, low-lather cleanse|colour-safe ingredients|a salon-quality shine|"
                "a fresh herbal fragrance",
                "fine or thin hair|colour-treated hair|daily washing",
                "haircare|shampoo|hair",
                (999, 3999),
                (80, 500),
                "volume=250 ml|500 ml|85 g bar;hair type=all|fine|curly",
            ),
            _kind(
                "Lip Balm",
                "Tinted|Crème|Overnight|SPF 15",
                "shea butter|beeswax|jojoba oil",
                "long-lasting moisture|a sheer wash of colour|a buttery, non-sticky glide|"
                "broad-spectrum sun protection",
                "chapped winter lips|everyday handbags|ski trips",
                "lip-care|balm|skincare",
                (499, 1999),
                (5, 20),
                "size=4.5 g|10 g",
            ),
            _kind(
                "Makeup Brush Set",
                "Vegan|Travel|Professional|Eye",
                "synthetic taklon bristles|bamboo handles",
                "ultra-soft cruelty-free bristles|a roll-up travel case|"
                "brushes for foundation, powder and blush|seamless blending",
                "everyday makeup|professional artists|travel bags",
                "makeup|brushes|tools",
                (1499, 6999),
                (100, 400),
                "pieces=5|8|12",
                colors="rose gold|matte black|ivory|blush pink",
            ),
            _kind(
                "Eau de Parfum",
                "Signature|Intense|Travel-Size|Limited Edition",
                "bergamot and cedarwood|jasmine absolute|vanilla and amber",
                "long-lasting sillage|a refillable glass bottle|notes that evolve through the day|"
                "a blend composed by a master perfumer",
                "evening wear|an everyday signature scent|gifting",
                "fragrance|perfume|gift",
                (3999, 18999),
                (150, 500),
                "volume=30 ml|50 ml|100 ml;concentration=eau de parfum",
            ),
            _kind(
                "Clay Face Mask",
                "Detoxifying|Purifying|Overnight|Brightening",
                "kaolin clay|activated charcoal|French green clay",
                "a deep pore cleanse|a 10-minute treatment|soothing botanical extracts|"
                "a creamy, non-drying texture",
                "oily and combination skin|weekly self-care rituals|spa nights at home",
                "skincare|face-mask|clay",
                (1299, 5999),
                (80, 250),
                "volume=50 ml|75 ml;skin type=oily|combination",
            ),
            _kind(
                "Body Lotion",
                "Whipped|Fast-Absorbing|Firming|Nourishing",
                "shea butter|colloidal oatmeal|cocoa butter",
                "fast-absorbing moisture|48-hour hydration|a pump-top bottle|"
                "a silky, non-greasy finish",
                "dry winter skin|after-shower routines|sensitive skin",
                "bodycare|lotion|moisturizer",
                (999, 4499),
                (200, 600),
                "volume=250 ml|400 ml",
            ),
            _kind(
                "Sunscreen",
                "Mineral SPF 50|Sport|Tinted|Reef-Friendly",
                "non-nano zinc oxide|titanium dioxide",
                "broad-spectrum UVA and UVB protection|80 minutes of water resistance|"
                "no white cast|a lightweight matte finish",
                "beach days|daily city wear|outdoor sports",
                "suncare|spf|sunscreen",
                (999, 4999),
                (50, 200),
                "spf=30|50;volume=50 ml|100 ml",
            ),
            _kind(
                "Hair Dryer",
                "Ionic|Travel|Professional|Diffuser",
                "ceramic-tourmaline|lightweight ABS",
                "ionic frizz control|three heat and two speed settings|a cool-shot button|"
                "a diffuser and concentrator nozzle",
                "daily styling|curly hair|travel",
                "haircare|hair-dryer|styling",
                (2999, 39999),
                (300, 700),
                "power=1200 W|1875 W|2000 W;cord length=2.5 m",
                colors="matte black|rose gold|white|sage green",
            ),
        ),
    ),
    _Category(
        name="sports",
        brands=_split(
            "Apex Motion|Stride Lab|Ironclad|Peak Form|Tempo|Velocity|Kinetic|Flowstate|"
            "Sprintline|Équipe|Hyperion"
        ),
        branded=True,
        colors=_split("black|electric blue|volt green|coral|graphite|white|crimson|teal"),
        color_key="color",
        material_key="material",
        made="made from",
        intros=_INTROS,
        color_lines=_COLOR_LINES,
        closings=_split(
            "Backed by a one-year warranty against defects in materials and workmanship.|"
            "Trusted by coaches, physiotherapists and personal trainers.|"
            "Ships free with 30-day returns, even if it has been used.|"
            "Wipe down after each session to keep it fresh for years of training."
        ),
        extras=_extras("warranty=1 year|2 years;made in=Taiwan|China|USA|Germany"),
        kinds=(
            _kind(
                "Yoga Mat",
                "Non-Slip|Extra-Thick|Travel|Cork|Eco",
                "natural tree rubber|TPE|cork and natural rubber|PU leather over rubber",
                "a 6 mm cushioned profile|a non-slip textured surface|laser-etched alignment lines|"
                "a carry strap|a closed-cell surface that resists sweat",
                "yoga and pilates|home workouts|hot yoga classes",
                "yoga|fitness|mat",
                (1999, 12999),
                (900, 2500),
                "thickness=4 mm|6 mm|8 mm;dimensions=183 x 61 cm|185 x 68 cm",
            ),
            _kind(
                "Adjustable Dumbbells",
                "Quick-Select|Compact|Dial|Plate-Loaded",
                "steel|cast iron|rubber-coated steel",
                "weights from 2.5 to 24 kg per hand|a quick-change dial|"
                "a compact storage tray|knurled anti-slip handles",
                "home gyms|strength training|small apartments",
                "strength|weights|home-gym",
                (4999, 49999),
                (10000, 48000),
                "max weight=20 kg|24 kg|40 kg",
            ),
            _kind(
                "Resistance Bands",
                "Loop|Fabric|Tube|Heavy-Duty",
                "natural latex|woven fabric",
                "five colour-coded resistance levels|a mesh carry pouch|"
                "a door anchor and padded handles|a snap-resistant build",
                "physio and rehab|travel workouts|glute training",
                "fitness|bands|mobility",
                (999, 4999),
                (200, 900),
                "pieces=3|5|11;resistance=light to extra heavy",
            ),
            _kind(
                "Basketball",
                "Indoor/Outdoor|Official Size|Youth|Pro Grip",
                "composite leather|durable rubber",
                "deep channels for grip|a moisture-wicking cover|a consistent bounce|"
                "a butyl bladder that holds air",
                "driveway pickup games|school teams|league play",
                "basketball|ball|team-sports",
                (1999, 8999),
                (550, 650),
                "size=5|6|7",
            ),
            _kind(
                "Jump Rope",
                "Speed|Weighted|Smart|Beaded",
                "coated steel cable|PVC|aluminium and steel",
                "ball-bearing handles|an adjustable length|a built-in jump counter|"
                "tangle-free cable",
                "HIIT sessions|boxing conditioning|warm-ups",
                "fitness|cardio|jump-rope",
                (999, 4999),
                (150, 600),
                "length=2.7 m|3 m adjustable",
            ),
            _kind(
                "Foam Roller",
                "High-Density|Vibrating|Textured|Travel",
                "EVA foam|EPP foam",
                "a textured massage surface|three vibration intensities|a hollow core|"
                "a firm density that keeps its shape",
                "post-run recovery|mobility routines|physiotherapy",
                "recovery|mobility|fitness",
                (1499, 9999),
                (300, 1500),
                "length=33 cm|45 cm|90 cm",
            ),
            _kind(
                "Tennis Racket",
                "Lightweight|Junior|Power|Control",
                "graphite|carbon fibre|aluminium",
                "an oversized sweet spot|a 300 g frame|a pre-strung setup|vibration dampening",
                "club play|beginners|competitive matches",
                "tennis|racket|racquet-sports",
                (2999, 24999),
                (250, 320),
                "grip size=2|3|4;head size=100 sq in|105 sq in",
            ),
            _kind(
                "Cycling Helmet",
                "Road|MIPS|Commuter|Mountain",
                "in-mould EPS foam|polycarbonate",
                "a MIPS rotational-impact liner|14 ventilation channels|"
                "a magnetic buckle|an integrated rear LED",
                "road rides|daily commuting|mountain trails",
                "cycling|helmet|safety",
                (3999, 24999),
                (250, 400),
                "size=S|M|L",
            ),
            _kind(
                "Gym Bag",
                "Duffel|Convertible|Waterproof|Compact",
                "recycled polyester|ripstop nylon|TPU-coated canvas",
                "a ventilated shoe compartment|a waterproof wet pocket|padded backpack straps|"
                "a luggage pass-through sleeve",
                "gym sessions|weekend trips|sports practice",
                "gym|bag|travel",
                (2999, 12999),
                (600, 1300),
                "volume=25 L|40 L|60 L",
            ),
            _kind(
                "Swim Goggles",
                "Anti-Fog|Mirrored|Competition|Wide-View",
                "silicone|polycarbonate",
                "anti-fog coated lenses|UV protection|a split silicone strap|a leak-proof gasket",
                "lap swimming|open-water races|triathlon training",
                "swimming|goggles|water-sports",
                (999, 4999),
                (30, 60),
                "lens=clear|smoke|mirrored",
            ),
        ),
    ),
    _Category(
        name="office",
        brands=_split(
            "Quill & Co|Paperwell|Inkwell|Deskcraft|Ledger|Northmark|Foliant|Élan Studio|"
            "Workwise|Linea"
        ),
        branded=True,
        colors=_split("black|navy|forest green|burgundy|kraft brown|white|sand|terracotta"),
        color_key="color",
        material_key="material",
        made="made from",
        intros=_INTROS,
        color_lines=_COLOR_LINES,
        closings=_split(
            "Backed by our no-quibble lifetime satisfaction guarantee.|"
            "Ships in plastic-free packaging within one business day.|"
            "Designed in our Brooklyn studio for hybrid and home offices.|"
            "A favourite with designers, writers and students alike."
        ),
        extras=_extras("warranty=lifetime|2 years|5 years;made in=Germany|Japan|USA|Italy"),
        kinds=(
            _kind(
                "Notebook",
                "Dotted A5|Hardcover Lined|Spiral|Grid|Pocket",
                "100 gsm acid-free paper|a vegan leather cover|recycled kraft board",
                "numbered pages and an index|lay-flat binding|two ribbon bookmarks|"
                "an elastic closure|an expandable back pocket",
                "bullet journaling|meeting notes|sketching and planning",
                "stationery|notebook|journal",
                (799, 3999),
                (150, 450),
                "pages=160|192|240;ruling=dotted|lined|grid|blank",
            ),
            _kind(
                "Fountain Pen",
                "Fine-Nib|Demonstrator|Everyday|Pocket",
                "brushed brass|precious resin|aluminium",
                "a smooth stainless steel nib|a converter and ink cartridges|"
                "a balanced, weighted barrel|a screw-on cap",
                "journaling|signing documents|calligraphy practice",
                "pen|writing|stationery",
                (1999, 19999),
                (20, 60),
                "nib size=EF|F|M;ink=cartridge and converter",
            ),
            _kind(
                "Office Chair",
                "Ergonomic Mesh|Executive|Task|High-Back",
                "breathable mesh|polished aluminium|recycled plastic",
                "adjustable lumbar support|4D armrests|a synchro-tilt mechanism|"
                "a seat-depth slider",
                "long workdays|home offices|gaming setups",
                "furniture|chair|ergonomic",
                (14999, 149999),
                (12000, 22000),
                "max load=120 kg|150 kg;seat height=42-52 cm",
            ),
            _kind(
                "Standing Desk",
                "Electric|Dual-Motor|Compact|Corner",
                "bamboo|solid oak|powder-coated steel",
                "programmable height presets|an anti-collision sensor|an under-desk cable tray|"
                "a whisper-quiet dual motor",
                "healthier workdays|home offices|shared studios",
                "furniture|desk|ergonomic",
                (24999, 99999),
                (25000, 45000),
                "desktop size=120 x 60 cm|140 x 70 cm|160 x 80 cm;height range=65-130 cm",
            ),
            _kind(
                "Desk Organizer",
                "Modular|Stackable|Minimalist|Rotating",
                "bamboo|wool felt|solid walnut",
                "removable dividers|a phone stand slot|a drawer for small supplies|"
                "non-slip cork feet",
                "tidy desks|home offices|craft rooms",
                "organization|desk|office-supplies",
                (1499, 6999),
                (300, 1200),
                "compartments=4|6|8",
            ),
            _kind(
                "Planner",
                "Weekly|Undated Daily|Academic|Goal-Setting",
                "FSC-certified paper|a linen cover",
                "monthly and weekly spreads|habit trackers|a ribbon bookmark|goal-setting pages",
                "staying organized|students|small business owners",
                "planner|stationery|organization",
                (1499, 4499),
                (300, 600),
                "format=A5|B6;start=undated|January|July",
            ),
            _kind(
                "Desk Lamp",
                "LED Architect|Clamp|Wireless-Charging|Minimalist",
                "aluminium|powder-coated steel",
                "five colour temperatures|a Qi wireless charging base|"
                "eye-care flicker-free light|a long swing arm",
                "late-night study|home offices|drafting",
                "lighting|lamp|desk",
                (2999, 14999),
                (800, 2500),
                "brightness=600 lm|1000 lm;color temperature=2700-6500 K",
            ),
            _kind(
                "Gel Pens",
                "Retractable|Pastel|Quick-Dry|Fine-Point",
                "recycled plastic|archival gel ink",
                "smudge-free quick-dry ink|a 0.5 mm fine point|soft rubber grips|"
                "acid-free archival ink",
                "note-taking|journaling|colour-coding",
                "pens|stationery|writing",
                (699, 2499),
                (60, 200),
                "pieces=10|12|24;point size=0.5 mm|0.7 mm",
            ),
            _kind(
                "Laptop Stand",
                "Adjustable|Foldable|Minimalist|Riser",
                "anodised aluminium|walnut|bamboo",
                "six height positions|silicone pads that protect your laptop|"
                "an open design for cooling|a foldable travel pouch",
                "ergonomic laptop setups|hot-desking|video calls",
                "laptop|stand|ergonomic",
                (1999, 8999),
                (300, 1500),
                "fits=11-17 in laptops",
            ),
            _kind(
                "Whiteboard",
                "Magnetic|Frameless|Desktop|Rolling",
                "tempered glass|lacquered steel",
                "a ghost-free writing surface|magnetic backing|a marker tray|"
                "mounting hardware included",
                "brainstorming sessions|classrooms|family schedules",
                "whiteboard|office-supplies|planning",
                (1999, 29999),
                (1500, 15000),
                "size=60 x 45 cm|90 x 60 cm|120 x 90 cm",
            ),
        ),
    ),
    _Category(
        name="garden",
        brands=_split(
            "Greenthumb|Rootstock|Bloom & Bough|Terra Verde|Hedgerow|Fernwood|Sowing Co|"
            "Jardin Doré|Meadowlark|Potting Shed"
        ),
        branded=True,
        colors=_split("terracotta|sage green|charcoal|natural|olive|stone grey|cream"),
        color_key="color",
        material_key="material",
        made="made from",
        intros=_INTROS,
        color_lines=_COLOR_LINES,
        closings=_split(
            "Backed by a five-year guarantee against rust and breakage.|"
            "Designed with professional horticulturists for real-world gardens.|"
            "UV-stabilised to resist fading through summer after summer in full sun.|"
            "A share of every sale funds community garden projects."
        ),
        extras=_extras("warranty=2 years|5 years;made in=UK|Germany|USA|Portugal"),
        kinds=(
            _kind(
                "Raised Garden Bed",
                "Elevated|Modular|Deep|Tiered",
                "western red cedar|galvanised steel|recycled composite",
                "tool-free assembly|a deep 30 cm planting depth|generous drainage holes|"
                "rounded safety edges",
                "vegetable growing|patios|small backyards",
                "raised-bed|vegetables|gardening",
                (4999, 29999),
                (8000, 30000),
                "dimensions=120 x 60 cm|180 x 90 cm;depth=30 cm|40 cm",
            ),
            _kind(
                "Pruning Shears",
                "Bypass|Anvil|Ratchet|Ergonomic",
                "SK5 steel blades with aluminium handles|hardened carbon steel",
                "a sap groove that stops sticking|a one-handed safety lock|"
                "replaceable blades|cushioned non-slip grips",
                "roses and shrubs|fruit trees|deadheading perennials",
                "pruning|tools|gardening",
                (1499, 5999),
                (200, 300),
                "cutting capacity=20 mm|25 mm",
            ),
            _kind(
                "Garden Hose",
                "Expandable|Lightweight|Kink-Free|Heavy-Duty",
                "latex core with a polyester sleeve|rubber|polyurethane",
                "solid brass fittings|a 10-pattern spray nozzle|burst resistance|"
                "a kink-free design",
                "watering flower beds|washing the car|patio cleaning",
                "watering|hose|gardening",
                (2499, 9999),
                (800, 4000),
                "length=15 m|30 m",
            ),
            _kind(
                "Planter",
                "Self-Watering|Hanging|Large|Footed",
                "glazed ceramic|terracotta|fibre clay",
                "a drainage hole and saucer|a hand-glazed finish|frost resistance|"
                "a hidden water reservoir",
                "houseplants|patios|balconies",
                "planter|pots|plants",
                (1499, 12999),
                (500, 8000),
                "diameter=15 cm|25 cm|40 cm",
            ),
            _kind(
                "Compost Bin",
                "Tumbling|Kitchen Countertop|Dual-Chamber|Worm",
                "recycled polypropylene|stainless steel|bamboo fibre",
                "a charcoal odour filter|a dual-chamber rotation|aerating vents|"
                "a sliding access door",
                "reducing kitchen waste|enriching garden soil|apartment composting",
                "compost|sustainability|gardening",
                (2999, 19999),
                (1000, 15000),
                "capacity=5 L|140 L|220 L",
            ),
            _kind(
                "Herb Seed Kit",
                "Organic|Windowsill|Heirloom|Culinary",
                "biodegradable pots|organic coir pellets",
                "basil, parsley, thyme and chive seeds|bamboo plant markers|"
                "step-by-step growing instructions|a reusable drip tray",
                "windowsill gardening|gifting|kids' science projects",
                "herbs|seeds|indoor-garden",
                (999, 3999),
                (300, 900),
                "varieties=4|6|8",
            ),
            _kind(
                "Garden Gloves",
                "Thorn-Proof|Breathable|Heavy-Duty|Gauntlet",
                "goatskin leather|bamboo viscose|nitrile-coated nylon",
                "thorn-resistant gauntlet cuffs|touchscreen fingertips|a breathable back|"
                "a grippy palm",
                "rose pruning|weeding|heavy yard work",
                "gloves|gardening|protective",
                (999, 3499),
                (60, 200),
                "size=S|M|L|XL",
            ),
            _kind(
                "Solar Path Lights",
                "Warm-White|Color-Changing|Lantern-Style|Bollard",
                "stainless steel|weather-resistant ABS",
                "automatic dusk-to-dawn sensors|IP65 waterproofing|up to 10 hours of light|"
                "no-wiring installation",
                "garden paths|driveways|patios",
                "solar|lighting|outdoor-decor",
                (1999, 7999),
                (500, 2000),
                "pieces=4|6|8",
            ),
            _kind(
                "Wheelbarrow",
                "Two-Wheel|Folding|Heavy-Duty|Contractor",
                "powder-coated steel|rust-proof polyethylene",
                "flat-free tires|a 100-litre tray|ergonomic loop handles|a stable two-wheel base",
                "moving soil and mulch|yard clean-ups|landscaping projects",
                "wheelbarrow|yard|tools",
                (6999, 24999),
                (9000, 20000),
                "capacity=85 L|100 L|170 L",
            ),
            _kind(
                "Watering Can",
                "Classic|Long-Spout|Indoor|Brass-Rose",
                "galvanised steel|powder-coated steel|recycled plastic",
                "a removable brass rose|a long precision spout|a balanced two-handle grip|"
                "a rust-proof finish",
                "houseplants|seedlings|balcony gardens",
                "watering|houseplants|gardening",
                (1499, 5999),
                (400, 1500),
                "capacity=1 L|5 L|9 L",
            ),
        ),
    ),
    _Category(
        name="pets",
        brands=_split(
            "Pawsome|Barkley & Co|Whisker Works|Good Boy Supply|Tailwind|Furrever|Howl & Hound|"
            "Purrfect|Câlin Pets|Snout & About"
        ),
        branded=True,
        colors=_split("charcoal|oatmeal|sage|navy|blush pink|caramel|forest green"),
        color_key="color",
        material_key="material",
        made="made from",
        intros=_INTROS,
        color_lines=_COLOR_LINES,
        closings=_split(
            "Tested and approved by our panel of very opinionated shelter dogs and cats.|"
            "A portion of every sale supports local animal shelters.|"
            "Backed by our 90-day happy-pet guarantee.|"
            "Ships in recyclable packaging that cats will happily nap in."
        ),
        extras=_extras("warranty=90 days|1 year;made in=USA|Canada|Vietnam|Portugal"),
        kinds=(
            _kind(
                "Dog Bed",
                "Orthopedic|Bolster|Calming Donut|Waterproof|Elevated",
                "orthopedic memory foam|faux shearling|water-resistant canvas",
                "a removable, machine-washable cover|a non-slip base|"
                "raised bolsters for head support|a calming donut shape",
                "senior dogs with sore joints|crate training|large breeds",
                "dog|bed|pet-furniture",
                (2999, 19999),
                (1000, 6000),
                "size=S|M|L|XL",
            ),
            _kind(
                "Cat Tree",
                "Multi-Level|Modern|Wall-Mounted|Compact",
                "sisal rope|plush fabric|engineered wood",
                "sisal-wrapped scratching posts|a cozy hideaway condo|a padded top perch|"
                "dangling play toys",
                "indoor cats|multi-cat homes|small apartments",
                "cat|cat-tree|scratching",
                (3999, 24999),
                (5000, 25000),
                "height=90 cm|140 cm|180 cm",
            ),
            _kind(
                "Dog Leash",
                "Reflective|Hands-Free|Training|Everyday",
                "climbing rope|full-grain leather|nylon webbing",
                "reflective stitching|a padded handle|a locking carabiner clip|"
                "a traffic handle for close control",
                "daily walks|trail running with dogs|training",
                "dog|leash|walking",
                (1499, 6999),
                (100, 400),
                "length=1.2 m|1.5 m|2 m",
            ),
            _kind(
                "Litter Box",
                "Self-Cleaning|Covered|Top-Entry|Odour-Control",
                "antimicrobial plastic|recycled polypropylene",
                "a carbon odour filter|a high-sided spill guard|a removable liner|"
                "automatic scooping",
                "indoor cats|small spaces|multi-cat homes",
                "cat|litter-box|hygiene",
                (2499, 49999),
                (1500, 9000),
                "size=standard|XL",
            ),
            _kind(
                "Dog Bowl",
                "Slow Feeder|Elevated|Travel|Non-Tip",
                "food-grade stainless steel|ceramic|food-grade silicone",
                "a slow-feeder maze that aids digestion|a non-slip rubber base|"
                "dishwasher-safe parts|a collapsible travel design",
                "fast eaters|large breeds|road trips",
                "dog|bowl|feeding",
                (999, 4999),
                (200, 1200),
                "capacity=500 ml|1 L|1.8 L",
            ),
            _kind(
                "Chew Toy",
                "Durable|Treat-Dispensing|Squeaky|Floating",
                "natural rubber|cotton rope|recycled plastic",
                "a near-indestructible design|a hollow centre for treats|a satisfying squeaker|"
                "a buoyant build for fetch",
                "power chewers|puppies who are teething|games of fetch",
                "dog|toy|chew",
                (699, 2999),
                (100, 400),
                "size=S|M|L",
            ),
            _kind(
                "Scratching Post",
                "Tall|Corner|Wobble-Free|Wall-Mounted",
                "sisal rope|recycled cardboard|jute",
                "a weighted, wobble-free base|replaceable scratching pads|a dangling pom-pom|"
                "a catnip pouch",
                "protecting sofas|indoor cats|kittens",
                "cat|scratching|furniture",
                (1499, 6999),
                (1000, 5000),
                "height=60 cm|80 cm",
            ),
            _kind(
                "Dog Harness",
                "No-Pull|Reflective|Step-In|Adventure",
                "padded nylon|breathable air mesh",
                "front and back leash clips|quick-release buckles|a grab handle|"
                "four points of adjustment",
                "dogs that pull|hiking with dogs|night walks",
                "dog|harness|walking",
                (1999, 6999),
                (150, 500),
                "size=XS|S|M|L|XL",
            ),
            _kind(
                "Pet Carrier",
                "Airline-Approved|Backpack|Soft-Sided|Expandable",
                "ripstop polyester|breathable mesh",
                "mesh windows on four sides|a removable fleece pad|a luggage strap|"
                "expandable side panels",
                "vet visits|air travel|weekend trips",
                "pet|carrier|travel",
                (2999, 12999),
                (800, 2500),
                "max pet weight=7 kg|9 kg",
            ),
            _kind(
                "Grooming Brush",
                "Deshedding|Slicker|Self-Cleaning|Gentle",
                "stainless steel pins|bamboo|natural bristles",
                "a one-click self-cleaning button|rounded pins that protect skin|"
                "an ergonomic handle|fur removal that reduces shedding by up to 90%",
                "long-haired cats|heavy-shedding dogs|weekly grooming",
                "grooming|brush|pet-care",
                (999, 3999),
                (100, 300),
                "coat type=short|long|all",
            ),
        ),
    ),
)

CATEGORIES: tuple[str, ...] = tuple(category.name for category in _CATEGORIES)

_CURRENCIES = (("USD", 0.78, 1.0), ("EUR", 0.10, 0.92), ("GBP", 0.09, 0.79), ("JPY", 0.03, 1.5))
_CENT_ENDINGS = (99, 99, 99, 99, 95, 95, 0, 49)
_YEN_ENDINGS = (80, 80, 0, 0, 0, 50)
_STOCK_ZERO_SHARE = 0.10


def _pick(rng: random.Random, values: Sequence[_T]) -> _T:
    """Return one value of a non-empty sequence."""
    return values[int(rng.random() * len(values))]


def _price(rng: random.Random, kind: _Kind) -> tuple[int, str]:
    """Return a realistic price in minor units and its currency."""
    low, high = kind.price
    usd_cents = low * math.exp(rng.random() * math.log(high / low))
    roll = rng.random()
    code, rate = _CURRENCIES[-1][0], _CURRENCIES[-1][2]
    for candidate, share, candidate_rate in _CURRENCIES:
        if roll < share:
            code, rate = candidate, candidate_rate
            break
        roll -= share
    amount = usd_cents * rate
    if code == "JPY":
        return max(300, int(amount / 100) * 100 - 100 + _pick(rng, _YEN_ENDINGS)), code
    cents = int(amount / 100) * 100 + _pick(rng, _CENT_ENDINGS)
    return min(MAX_PRICE_MINOR, max(MIN_PRICE_MINOR, cents)), code


def _weight(rng: random.Random, kind: _Kind) -> str:
    """Return a shipping weight such as '250 g' or '4.2 kg'."""
    low, high = kind.weight
    grams = low + int(rng.random() * (high - low + 1))
    if grams < 1000:
        return f"{max(5, round(grams / 5) * 5)} g"
    return f"{grams / 1000:.1f} kg"


def _status(rng: random.Random) -> str:
    """Return active (85%), draft (10%) or archived (5%)."""
    roll = rng.random()
    if roll < 0.85:
        return "active"
    return "draft" if roll < 0.95 else "archived"


def _stock(rng: random.Random) -> int:
    """Return a stock level in 0..500, zero for about a tenth of products."""
    if rng.random() < _STOCK_ZERO_SHARE:
        return 0
    return min(500, max(1, int(rng.triangular(1, 501, 24))))


@functools.cache
def _orders(length: int, count: int) -> tuple[tuple[int, ...], ...]:
    """Return every ordered choice of count distinct indexes below length."""
    return tuple(itertools.permutations(range(length), count))


@functools.cache
def _subsets(length: int, count: int) -> tuple[tuple[int, ...], ...]:
    """Return every sorted choice of count distinct indexes below length."""
    return tuple(itertools.combinations(range(length), count))


@functools.cache
def _short_tag(text: str) -> str:
    """Return text as a tag when it is one or two plain words, else ''."""
    tag = _ascii_slug(text)
    if tag.count("-") > 1 or any(ch.isdigit() for ch in tag):
        return ""
    return tag


def _description(
    rng: random.Random,
    intros: tuple[str, ...],
    color_lines: tuple[str, ...],
    closings: tuple[str, ...],
    fields: dict[str, str],
) -> str:
    """Compose a 2-4 sentence description of 150-600 characters."""
    head = _pick(rng, intros).format_map(fields)
    use = _pick(rng, _USES).format_map(fields)
    extras = [_pick(rng, _HIGHLIGHTS).format_map(fields)]
    if fields["color"]:
        extras.append(_pick(rng, color_lines).format_map(fields))
    extras.append(_pick(rng, closings))
    chosen = list(_pick(rng, _subsets(len(extras), int(rng.random() * 3))))
    spare = [index for index in range(len(extras)) if index not in chosen]
    while len(chosen) < 2 and len(" ".join([head, use, *(extras[i] for i in chosen)])) < 150:
        chosen.append(spare.pop(0))
    tail = [extras[index] for index in sorted(chosen)]
    if chosen and min(chosen) == 0 and rng.random() < 0.5:
        body = [head, tail[0], use, *tail[1:]]
    else:
        body = [head, use, *tail]
    while len(" ".join(body)) > 600 and len(body) > 2:
        body.pop()
    return " ".join(body)


def _product(
    rng: random.Random,
    category: _Category,
    kind: _Kind,
    bases: dict[str, str],
    uses: dict[str, int],
) -> dict[str, object]:
    """Generate one product of the given kind; bases and uses track slugs already taken."""
    brand = _pick(rng, category.brands)
    modifier = _pick(rng, kind.modifiers)
    material = _pick(rng, kind.materials)
    intros, made, material_key = category.intros, category.made, category.material_key
    colors, color_key, color_lines = category.colors, category.color_key, category.color_lines
    if kind.colors is not None:
        intros, made, material_key = _INTROS, "made from", "material"
        colors, color_key, color_lines = kind.colors, "color", _COLOR_LINES
    color = _pick(rng, colors) if colors else ""
    name = f"{brand} {modifier} {kind.noun}"
    title = f"{name}, {color.title()}" if color and rng.random() < 0.25 else name

    base = bases.get(title) or bases.setdefault(title, _ascii_slug(title)[:100].rstrip("-"))
    taken = uses.get(base, 0)
    uses[base] = taken + 1
    slug = f"{base}-{taken + 1}" if taken else base

    extra_values = [(key, _pick(rng, values)) for key, values in kind.extras]
    extra_values += [(key, _pick(rng, values)) for key, values in category.extras]
    author = next((value for key, value in extra_values if key == "author"), "")

    features = [kind.features[index] for index in _pick(rng, _orders(len(kind.features), 4))]
    use = _pick(rng, kind.uses)
    plural = kind.plural
    fields = {
        "title": name,
        "brand": brand,
        "noun": kind.noun_lower,
        "material": material,
        "made": made,
        "Made": made.capitalize(),
        "f1": features[0],
        "f2": features[1],
        "f3": features[2],
        "f4": features[3],
        "use": use,
        "color": color,
        "author": author,
        "be": "are" if plural else "is",
        "s": "" if plural else "s",
        "It": "They" if plural else "It",
        "it": "they" if plural else "it",
        "them": "them" if plural else "it",
        "this": "these" if plural else "this",
    }
    description = _description(rng, intros, color_lines, category.closings, fields)
    price_minor, currency = _price(rng, kind)

    attribute_pool = [(material_key, material)]
    if color:
        attribute_pool.append((color_key, color))
    attribute_pool.append(("weight", _weight(rng, kind)))
    attribute_pool += extra_values
    attribute_count = min(len(attribute_pool), 2 + int(rng.random() * 4))
    chosen = _pick(rng, _subsets(len(attribute_pool), attribute_count))
    attributes = dict(attribute_pool[index] for index in chosen)

    tag_pool = [*kind.tags, _short_tag(modifier), _short_tag(material), _short_tag(color)]
    tag_count = 3 + int(rng.random() * 4)
    tags = [kind.noun_tag, category.name]
    for index in _pick(rng, _orders(len(tag_pool), len(tag_pool))):
        tag = tag_pool[index]
        if len(tags) >= tag_count:
            break
        if tag and tag not in tags:
            tags.append(tag)

    noun = kind.noun_lower
    keyword_pool = [
        f"{brand} {noun}" if category.branded else name,
        f"{material} {noun}",
        f"{color} {noun}" if color else f"{noun} by {author}",
        f"best {noun}",
        f"{noun} for {use}",
        f"buy {noun} online",
    ]
    keyword_count = 3 + int(rng.random() * 4)
    keywords = list(dict.fromkeys([noun, f"{modifier} {noun}".lower()]))
    for index in _pick(rng, _orders(len(keyword_pool), len(keyword_pool))):
        keyword = keyword_pool[index]
        if len(keywords) >= keyword_count:
            break
        if keyword.lower() not in keywords:
            keywords.append(keyword.lower())

    images = 1 + int(rng.random() * 3)
    return {
        "slug": slug,
        "title": title,
        "description": description,
        "category": category.name,
        "tags": tags,
        "price_minor": price_minor,
        "currency": currency,
        "stock_quantity": _stock(rng),
        "status": _status(rng),
        "attributes": attributes,
        "image_urls": [f"{IMAGE_BASE_URL}/{slug}-{number}.jpg" for number in range(1, images + 1)],
        "seo_keywords": keywords,
    }


def generate_products(n: int, seed: int = 0) -> Iterator[dict[str, object]]:
    """Yield n realistic products, deterministic for (n, seed), with unique slugs."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not security
    every_kind = [(category, kind) for category in _CATEGORIES for kind in category.kinds]
    rng.shuffle(every_kind)
    bases: dict[str, str] = {}
    uses: dict[str, int] = {}
    for index in range(n):
        if index < len(every_kind):
            category, kind = every_kind[index]
        else:
            category = _pick(rng, _CATEGORIES)
            kind = _pick(rng, category.kinds)
        yield _product(rng, category, kind, bases, uses)


def write_jsonl(out: TextIO, n: int, seed: int = 0) -> None:
    """Write n generated products to out as JSON Lines."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    batch: list[str] = []
    for product in generate_products(n, seed):
        batch.append(encode(product) + "\n")
        if len(batch) >= 2000:
            out.write("".join(batch))
            batch.clear()
    out.write("".join(batch))


def main(argv: Sequence[str] | None = None) -> int:
    """Write N demo products as JSON Lines to --out or stdout."""
    parser = argparse.ArgumentParser(
        prog="python -m catalog_api.demo_data",
        description="Generate deterministic demo products as JSON Lines.",
    )
    parser.add_argument("n", type=int, help="number of products")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", help="output file (default: stdout)")
    args = parser.parse_args(argv)
    n: int = args.n
    seed: int = args.seed
    out_path: str | None = args.out
    if n < 0:
        parser.error("n must not be negative")
    if out_path is not None:
        with open(out_path, "w", encoding="utf-8", newline="\n") as out:
            write_jsonl(out, n, seed)
        return 0
    try:
        write_jsonl(sys.stdout, n, seed)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); silence the flush at interpreter exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
