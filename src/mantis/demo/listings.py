"""The marketplace's inventory: boats and vehicles generated from a fixed seed.

Everything is derived from ``random.Random(SEED)`` so the listings, prices and sellers are the same
on every start, which lets example plans and tests name concrete listings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from typing import Literal

SEED = 27_0519
LISTING_COUNT = 84
CURRENT_YEAR = 2025

Kind = Literal["boat", "vehicle"]
SellerType = Literal["private", "dealer"]

STATES: dict[str, str] = {
    "AL": "Alabama",
    "CA": "California",
    "FL": "Florida",
    "GA": "Georgia",
    "MD": "Maryland",
    "NC": "North Carolina",
    "NJ": "New Jersey",
    "SC": "South Carolina",
    "TX": "Texas",
}

# (city, state, area code, weight): Florida carries about 40% of the weight, like a real boat market.
CITIES: tuple[tuple[str, str, str, int], ...] = (
    ("Miami", "FL", "305", 6),
    ("Fort Lauderdale", "FL", "954", 5),
    ("Tampa", "FL", "813", 4),
    ("Sarasota", "FL", "941", 3),
    ("Naples", "FL", "239", 3),
    ("Jacksonville", "FL", "904", 3),
    ("Destin", "FL", "850", 2),
    ("Stuart", "FL", "772", 2),
    ("Houston", "TX", "713", 3),
    ("Galveston", "TX", "409", 2),
    ("Austin", "TX", "512", 2),
    ("Wilmington", "NC", "910", 2),
    ("Morehead City", "NC", "252", 2),
    ("Charleston", "SC", "843", 3),
    ("Myrtle Beach", "SC", "843", 2),
    ("Savannah", "GA", "912", 2),
    ("Orange Beach", "AL", "251", 2),
    ("San Diego", "CA", "619", 3),
    ("Newport Beach", "CA", "949", 2),
    ("Annapolis", "MD", "410", 3),
    ("Point Pleasant", "NJ", "732", 2),
)

# (make, model, length in feet, price when new, power)
BOATS: tuple[tuple[str, str, int, int, str], ...] = (
    ("Boston Whaler", "170 Montauk", 17, 42_000, "Mercury 90 FourStroke"),
    ("Boston Whaler", "230 Vantage", 23, 115_000, "Mercury Verado 300"),
    ("Boston Whaler", "270 Dauntless", 27, 185_000, "twin Mercury Verado 250s"),
    ("Boston Whaler", "330 Outrage", 33, 420_000, "triple Mercury Verado 300s"),
    ("Sea Ray", "SPX 210", 21, 62_000, "MerCruiser 4.5L sterndrive"),
    ("Sea Ray", "SLX 280", 28, 205_000, "MerCruiser 8.2L sterndrive"),
    ("Sea Ray", "Sundancer 320", 32, 330_000, "twin MerCruiser 6.2L sterndrives"),
    ("Grady-White", "Fisherman 216", 21, 98_000, "Yamaha F200"),
    ("Grady-White", "Freedom 235", 23, 140_000, "Yamaha F300"),
    ("Grady-White", "Canyon 306", 30, 295_000, "twin Yamaha F300s"),
    ("Yamaha", "AR250", 25, 88_000, "twin Yamaha 1.8L jet engines"),
    ("Yamaha", "252S", 25, 79_000, "twin Yamaha 1.8L jet engines"),
    ("Sea Fox", "228 Commander", 22, 86_000, "Yamaha F200"),
    ("Sea Fox", "266 Traveler", 26, 132_000, "Yamaha F300"),
    ("Robalo", "R222", 22, 84_000, "Yamaha F200"),
    ("Key West", "239 FS", 23, 92_000, "Suzuki DF250"),
    ("Pursuit", "DC 266", 26, 168_000, "twin Yamaha F200s"),
    ("Scout", "215 XSF", 21, 81_000, "Yamaha F150"),
    ("Cobia", "240 CC", 24, 112_000, "Yamaha F250"),
    ("Bennington", "24 LXSB", 24, 96_000, "Yamaha F150"),
    ("MasterCraft", "XT22", 22, 165_000, "Ilmor 6.2L inboard"),
    ("Malibu", "Wakesetter 23 LSV", 23, 178_000, "Malibu Monsoon M6 inboard"),
    ("Chaparral", "267 SSX", 27, 148_000, "Volvo Penta V8 sterndrive"),
    ("Regal", "26 FasDeck", 26, 152_000, "twin Yamaha F200s"),
    ("Sportsman", "Open 232", 23, 89_000, "Yamaha F250"),
)

# (make, model, price when new, is a pickup truck)
VEHICLES: tuple[tuple[str, str, int, bool], ...] = (
    ("Ford", "F-150", 52_000, True),
    ("Ford", "F-250 Super Duty", 64_000, True),
    ("Ford", "Bronco", 48_000, False),
    ("Chevrolet", "Silverado 1500", 51_000, True),
    ("Chevrolet", "Tahoe", 62_000, False),
    ("Ram", "1500 Big Horn", 49_000, True),
    ("Ram", "2500 Laramie", 68_000, True),
    ("GMC", "Sierra 2500HD", 66_000, True),
    ("Toyota", "Tacoma TRD Off-Road", 44_000, True),
    ("Toyota", "Tundra SR5", 52_000, True),
    ("Toyota", "4Runner", 46_000, False),
    ("Jeep", "Wrangler Unlimited", 45_000, False),
    ("Jeep", "Grand Cherokee", 47_000, False),
    ("Honda", "CR-V EX", 34_000, False),
    ("Subaru", "Outback", 33_000, False),
    ("Tesla", "Model Y", 50_000, False),
    ("Nissan", "Frontier", 38_000, True),
)

# (name, kind, city): dealers always list from their own lot.
DEALERS: tuple[tuple[str, Kind, str], ...] = (
    ("Gulf Coast Marine", "boat", "Tampa"),
    ("Atlantic Yacht & Boat Sales", "boat", "Fort Lauderdale"),
    ("Suncoast Boat Center", "boat", "Sarasota"),
    ("Bluewater Marine Group", "boat", "Miami"),
    ("Lowcountry Boats", "boat", "Charleston"),
    ("Bay Harbor Marine", "boat", "Annapolis"),
    ("Pacific Coast Yachts", "boat", "Newport Beach"),
    ("Galveston Bay Marine", "boat", "Galveston"),
    ("Sunshine Ford", "vehicle", "Jacksonville"),
    ("Bayside Auto Group", "vehicle", "Miami"),
    ("Lone Star Truck Center", "vehicle", "Houston"),
    ("Palmetto Motors", "vehicle", "Myrtle Beach"),
    ("Cape Fear Chevrolet", "vehicle", "Wilmington"),
)

FIRST_NAMES = (
    "James", "Maria", "Robert", "Linda", "Michael", "Carlos", "Jennifer", "David", "Ashley", "Daniel",
    "Patricia", "Kevin", "Laura", "Brian", "Megan", "Luis", "Rachel", "Tom", "Heather", "Derek",
)
LAST_NAMES = (
    "Johnson", "Martinez", "Williams", "Nguyen", "Brown", "Garcia", "Miller", "Davis", "Rodriguez", "Wilson",
    "Anderson", "Thompson", "Moore", "Jackson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall",
)

BOAT_OPENERS = (
    "Freshwater-cooled and always stored on a lift.",
    "Garage kept on a covered trailer since new.",
    "Meticulously maintained with service records available.",
    "Fresh bottom paint and a new battery bank this spring.",
    "Turn-key and ready for the sandbar this weekend.",
)
BOAT_FEATURES = (
    "Garmin GPS/chartplotter", "T-top with rocket launchers", "JL Audio stereo", "bow filler cushions",
    "aluminum tandem-axle trailer", "Bimini top", "trim tabs", "raw-water washdown", "livewell",
    "SeaDek flooring", "underwater LED lights", "Minn Kota trolling motor",
)
VEHICLE_OPENERS = (
    "One owner with a clean Carfax.",
    "Dealer serviced every 5,000 miles.",
    "Non-smoker, garage kept, no accidents.",
    "Highway miles, runs and drives like new.",
    "Fresh tires and brakes, ready for the ramp.",
)
VEHICLE_FEATURES = (
    "heated leather seats", "Apple CarPlay", "backup camera", "adaptive cruise control", "sunroof",
    "all-weather floor mats", "remote start",
)
TRUCK_FEATURES = (
    "factory tow package", "spray-in bed liner", "trailer brake controller", "running boards", "4x4",
)

@dataclass(frozen=True)
class Listing:
    """One boat or vehicle for sale."""

    id: int
    kind: Kind
    year: int
    make: str
    model: str
    price: int
    city: str
    state: str
    seller_type: SellerType
    seller_name: str
    phone: str
    length_ft: int | None
    mileage: int | None
    description: str

    @property
    def title(self) -> str:
        return f"{self.year} {self.make} {self.model}"

    @property
    def location(self) -> str:
        return f"{self.city}, {self.state}"

    @property
    def tel(self) -> str:
        """The phone number in E.164 form for ``tel:`` links."""
        return "+1" + "".join(ch for ch in self.phone if ch.isdigit())


def _city(name: str) -> tuple[str, str, str, int]:
    return next(city for city in CITIES if city[0] == name)


def _phone(rng: random.Random, area_code: str) -> str:
    """A number in the 555-01xx block, which is reserved for fiction and never rings anyone."""
    return f"({area_code}) 555-01{rng.randint(0, 99):02d}"


def _round_price(value: float) -> int:
    return max(4_500, round(value / 500.0) * 500)


def _boat(rng: random.Random) -> tuple[str, str, int, int, int, str]:
    make, model, length, new_price, power = rng.choice(BOATS)
    year = rng.randint(2008, 2024)
    age = CURRENT_YEAR - year
    price = _round_price(new_price * (0.93**age) * rng.uniform(0.9, 1.08))
    hours = max(12, age * rng.randint(35, 90))
    features = ", ".join(rng.sample(BOAT_FEATURES, 3))
    description = f"{rng.choice(BOAT_OPENERS)} {hours:,} hours on the {power}. Equipped with {features}."
    return make, model, year, price, length, description


def _vehicle(rng: random.Random) -> tuple[str, str, int, int, int, str]:
    make, model, new_price, is_truck = rng.choice(VEHICLES)
    year = rng.randint(2012, 2024)
    age = CURRENT_YEAR - year
    mileage = max(1_200, age * rng.randint(7_500, 14_500) + rng.randint(0, 999))
    price = _round_price(new_price * (0.91**age) * rng.uniform(0.92, 1.06) - mileage * 0.015)
    pool = VEHICLE_FEATURES + TRUCK_FEATURES if is_truck else VEHICLE_FEATURES
    features = ", ".join(rng.sample(pool, 3))
    description = f"{rng.choice(VEHICLE_OPENERS)} Well equipped with {features}."
    return make, model, year, price, mileage, description


@cache
def all_listings() -> tuple[Listing, ...]:
    """The full inventory, newest listing first; generated once and then shared read-only."""
    rng = random.Random(SEED)
    ids = sorted(rng.sample(range(30_000, 99_999), LISTING_COUNT), reverse=True)
    dealer_phones = {name: _phone(rng, _city(city)[2]) for name, _, city in DEALERS}
    weights = [city[3] for city in CITIES]
    listings: list[Listing] = []
    for listing_id in ids:
        kind: Kind = "boat" if rng.random() < 0.6 else "vehicle"
        make, model, year, price, measure, description = _boat(rng) if kind == "boat" else _vehicle(rng)
        seller_type: SellerType = "dealer" if rng.random() < 0.45 else "private"
        if seller_type == "dealer":
            seller_name, _, city_name = rng.choice([dealer for dealer in DEALERS if dealer[1] == kind])
            city, state, _, _ = _city(city_name)
            phone = dealer_phones[seller_name]
        else:
            city, state, area_code, _ = rng.choices(CITIES, weights=weights)[0]
            seller_name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            phone = _phone(rng, area_code)
        listings.append(
            Listing(
                id=listing_id,
                kind=kind,
                year=year,
                make=make,
                model=model,
                price=price,
                city=city,
                state=state,
                seller_type=seller_type,
                seller_name=seller_name,
                phone=phone,
                length_ft=measure if kind == "boat" else None,
                mileage=measure if kind == "vehicle" else None,
                description=description,
            )
        )
    return tuple(listings)


def find_listing(listing_id: int) -> Listing | None:
    """The listing with this id, or None."""
    return next((listing for listing in all_listings() if listing.id == listing_id), None)
