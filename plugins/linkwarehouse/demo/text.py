"""Words for the demo site: categories, topics, titles and sentences of an endurance-sports magazine.

Realistic text matters more than it seems: anchor-text profiles, link suggestions and word
counts downstream are only tested meaningfully when anchors and titles vary like a real site's.
All randomness comes from the caller's seeded :class:`random.Random`, so output is deterministic.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

BRAND = "Stride & Trail"
EMAIL = "hello@example.com"
PHONE = "+44 20 7946 0958"


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    topics: tuple[str, ...]


def _topics(text: str) -> tuple[str, ...]:
    return tuple(topic.strip() for topic in text.split(","))


@dataclass(frozen=True)
class PillarSpec:
    slug: str
    subject: str
    category: str


# fmt: off
CATEGORIES: tuple[Category, ...] = (
    Category("running", "Running", _topics(
        "tempo runs, interval sessions, easy runs, running cadence, marathon pacing, "
        "half marathon training, running in the heat, foam rolling, heart rate zones, long runs, "
        "hill repeats, shin splints, running form, base building, parkrun"
    )),
    Category("trail-running", "Trail running", _topics(
        "technical descents, trail shoes, ultra pacing, hydration vests, vertical gain, "
        "night running, mud running, poles on the trail, trail race nutrition, ankle stability, "
        "fell running, mountain ultras, trail etiquette, route finding, river crossings"
    )),
    Category("cycling", "Cycling", _topics(
        "bike fit, gravel riding, indoor trainers, climbing on the bike, cadence drills, "
        "tubeless tyres, group rides, bikepacking kit, chain maintenance, power meters, "
        "winter cycling, saddle comfort, descending, commuting by bike, sportives"
    )),
    Category("hiking", "Hiking", _topics(
        "hiking boots, layering systems, day hikes, map and compass navigation, wild camping, "
        "blister prevention, hiking with kids, trekking poles, hut-to-hut hiking, rain gear, "
        "summit days, backpack fitting, winter hiking, thru-hiking, water filters"
    )),
    Category("swimming", "Swimming", _topics(
        "open water swimming, freestyle technique, swim drills, wetsuits, breathing patterns, "
        "kick sets, pool etiquette, triathlon swimming, cold water swimming, swim goggles, "
        "flip turns, sighting, swim fitness, endurance sets, backstroke"
    )),
    Category("nutrition", "Nutrition", _topics(
        "carb loading, protein timing, race day breakfast, energy gels, hydration, electrolytes, "
        "recovery meals, plant-based fuelling, caffeine, gut training, iron levels, "
        "body composition, ride snacks, sports drinks, long run fuelling"
    )),
    Category("strength", "Strength training", _topics(
        "squats for runners, core stability, mobility routines, kettlebells, single-leg strength, "
        "plyometrics, strength for cyclists, rest days, injury prevention, hip strength, "
        "deadlifts, resistance bands, bodyweight circuits, stretching, periodisation"
    )),
    Category("gear", "Gear", _topics(
        "GPS watches, running socks, headlamps, rain jackets, race shoes, base layers, "
        "bike lights, water bottles, hydration packs, sports sunglasses, compression socks, "
        "heart rate straps, treadmills, gear maintenance, budget gear"
    )),
)
# fmt: on

CATEGORY_BY_SLUG = {category.slug: category for category in CATEGORIES}

PILLARS: tuple[PillarSpec, ...] = (
    PillarSpec("marathon-training", "marathon training", "running"),
    PillarSpec("5k-to-10k", "stepping up from 5K to 10K", "running"),
    PillarSpec("trail-running", "trail running", "trail-running"),
    PillarSpec("ultra-running", "ultra running", "trail-running"),
    PillarSpec("road-cycling", "road cycling", "cycling"),
    PillarSpec("bikepacking", "bikepacking", "cycling"),
    PillarSpec("hiking-essentials", "hiking essentials", "hiking"),
    PillarSpec("wild-camping", "wild camping", "hiking"),
    PillarSpec("open-water-swimming", "open water swimming", "swimming"),
    PillarSpec("sports-nutrition", "sports nutrition", "nutrition"),
    PillarSpec("strength-for-endurance", "strength for endurance athletes", "strength"),
    PillarSpec("gear-buying-guide", "buying outdoor gear", "gear"),
)

TITLE_TEMPLATES: tuple[str, ...] = (
    "How to get started with {t}",
    "{n} tips for better {t}",
    "A beginner's guide to {t}",
    "{T}: what the research says",
    "Why you should make time for {t}",
    "The complete checklist for {t}",
    "Common mistakes with {t}",
    "What a month of {t} taught me",
    "{T} for busy people",
    "Everything you need to know about {t}",
    "{T} myths, debunked",
    "Our favourite approach to {t}",
    "{T} on a budget",
    "Ask the coach: {t}",
    "{T} after 40",
    "The science of {t}",
)

SENTENCES: tuple[str, ...] = (
    "Most athletes underestimate how much {t} shapes the rest of their week.",
    "We asked three coaches how they approach {t}, and their answers surprised us.",
    "If you only change one thing this season, make it {t}.",
    "The first few weeks of {t} feel awkward; by week four it becomes routine.",
    "There is no single right way to handle {t}, but there are plenty of wrong ones.",
    "Start small: ten minutes of {t} twice a week is enough to notice a difference.",
    "Our testers logged more than 400 hours of {t} while writing this piece.",
    "Weather, sleep and stress all change how {t} feels on the day.",
    "Experienced {c} fans often treat {t} as an afterthought, which is a mistake.",
    "A simple log of how {t} went each week tells you more than any app.",
    "Consistency beats intensity, and that holds for {t} too.",
    "Ask ten people about {t} and you will hear eleven opinions.",
    "The research on {t} is younger than you might think.",
    "Good {t} should leave you tired, not broken.",
    "We keep coming back to {t} because it works for beginners and veterans alike.",
    "Budget a little extra time for {t} when the days get shorter.",
)

PRODUCT_SENTENCES: tuple[str, ...] = (
    "We used the {p} for {w} weeks of {c} before writing this review.",
    "The {p} is lighter than last year's model and packs down smaller.",
    "Fit runs slightly small, so consider going up a size.",
    "After {w} weeks the {p} shows almost no wear.",
    "It is not the cheapest option, but the {p} is the one our testers kept reaching for.",
    "Comes in {n} colours; all are made with recycled materials.",
)

ANCHOR_TEMPLATES: tuple[str, ...] = (
    "{t}",
    "{title}",
    "our guide to {t}",
    "more on {t}",
    "this piece on {t}",
    "{t} explained",
    "read more",
    "here",
)

BRANDS: tuple[str, ...] = (
    "Fellside",
    "Northpeak",
    "Velo Nova",
    "Tidewater",
    "Kestrel",
    "Summit & Co",
    "Larkspur",
)
PRODUCT_TYPES: dict[str, tuple[str, ...]] = {
    "running": ("road shoe", "running jacket", "running cap", "race singlet", "running tights"),
    "trail-running": ("trail shoe", "hydration vest", "trail poles", "waterproof smock", "gaiters"),
    "cycling": ("bib shorts", "helmet", "gravel tyre", "saddle bag", "cycling gloves"),
    "hiking": ("hiking boot", "daypack", "trekking pole", "fleece", "rain shell"),
    "swimming": ("wetsuit", "tow float", "swim goggles", "swim cap", "pull buoy"),
    "nutrition": ("energy gel pack", "electrolyte tabs", "recovery shake", "energy bar box", "drink mix"),
    "strength": ("kettlebell", "resistance band set", "foam roller", "yoga mat", "pull-up bar"),
    "gear": ("GPS watch", "headlamp", "chest strap", "soft flask", "sport sunglasses"),
}
PRODUCT_MODELS: tuple[str, ...] = ("Aero", "Ridge", "Drift", "Pulse", "Tempo", "Crest", "Glide", "Forge")

# The German section: topics and titles a German edition would actually publish.
#: German topic -> the English topic whose posts the German articles translate.
GERMAN_TOPICS: dict[str, str] = {
    "Laufschuhe": "race shoes",
    "Intervalltraining": "interval sessions",
    "Marathonvorbereitung": "marathon pacing",
    "Trailrunning": "trail shoes",
    "Radfahren im Winter": "winter cycling",
    "Wanderschuhe": "hiking boots",
    "Regenjacken": "rain jackets",
    "Sporternährung": "carb loading",
    "Krafttraining für Läufer": "squats for runners",
    "Freiwasserschwimmen": "open water swimming",
}
GERMAN_TITLE_TEMPLATES: tuple[str, ...] = (
    "{t}: Tipps für Einsteiger",
    "Der große Ratgeber: {t}",
    "{t} \u2013 die häufigsten Fehler",
    "Alles über {t}",
)
GERMAN_SENTENCES: tuple[str, ...] = (
    "Viele Sportler unterschätzen, wie sehr {t} die ganze Trainingswoche prägt.",
    "Wir haben drei Trainerinnen gefragt, wie sie {t} angehen.",
    "Fangen Sie klein an: zweimal pro Woche zehn Minuten reichen für den Anfang.",
    "Beständigkeit schlägt Intensität, auch beim Thema {t}.",
    "Ein einfaches Trainingstagebuch verrät mehr als jede App.",
    "Wetter, Schlaf und Stress verändern, wie sich {t} am Tag anfühlt.",
)

_GERMAN_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})
_NON_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    """URL slug of a title: German umlauts folded, accents dropped, words joined by hyphens."""
    folded = unicodedata.normalize("NFKD", text.translate(_GERMAN_FOLD))
    ascii_only = folded.encode("ascii", "ignore").decode().lower()
    return _NON_SLUG.sub("-", ascii_only).strip("-")


def capitalise(text: str) -> str:
    """Upper-case the first letter only ("GPS watches" stays, "tempo runs" -> "Tempo runs")."""
    return text[:1].upper() + text[1:]


class Prose:
    """Seeded generator of titles, sentences, paragraphs and anchor texts."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def title(self, template: str, topic: str) -> str:
        return template.format(t=topic, T=capitalise(topic), n=self.rng.choice((3, 5, 7, 9, 10, 12)))

    def sentence(self, topic: str, category: str = "endurance") -> str:
        return self.rng.choice(SENTENCES).format(t=topic, c=category.lower())

    def sentences(self, topic: str, category: str, count: int) -> str:
        """``count`` different sentences about ``topic``."""
        picked = self.rng.sample(SENTENCES, count)
        return " ".join(template.format(t=topic, c=category.lower()) for template in picked)

    def product_sentences(self, product: str, category: str, count: int) -> str:
        rng = self.rng
        return " ".join(
            template.format(p=product, c=category.lower(), w=rng.randint(3, 12), n=rng.randint(2, 6))
            for template in rng.sample(PRODUCT_SENTENCES, count)
        )

    def german_sentences(self, topic: str, count: int) -> str:
        return " ".join(template.format(t=topic) for template in self.rng.sample(GERMAN_SENTENCES, count))

    def anchor(self, topic: str, title: str) -> str:
        return self.rng.choice(ANCHOR_TEMPLATES).format(t=topic, title=title)

    def excerpt(self, topic: str, category: str) -> str:
        return self.sentence(topic, category)
