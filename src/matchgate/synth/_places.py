"""Where synthetic taxpayers live: real city/state pairs, synthetic streets and ZIP codes.

The cities and states are real so a state check in the matcher is meaningful; the ZIP code is the
city's real three-digit prefix plus two synthetic digits, so it is consistent with the state but
does not point at a real delivery area. Street names are invented from common word lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "CITIES",
    "DIRECTIONALS",
    "STREET_NAMES",
    "STREET_TYPES",
    "City",
    "city_weights",
]


@dataclass(frozen=True)
class City:
    name: str
    state: str
    zip_prefix: str
    # Relative weights for where non-Hispanic and Hispanic households live; Hispanic households
    # concentrate in the Southwest, Florida, Chicago and New York as they do in census data.
    weight_general: float
    weight_hispanic: float


CITIES: tuple[City, ...] = (
    City("LOS ANGELES", "CA", "900", 6, 14),
    City("SAN DIEGO", "CA", "921", 3, 5),
    City("SAN JOSE", "CA", "951", 2, 4),
    City("FRESNO", "CA", "937", 1, 3),
    City("SACRAMENTO", "CA", "958", 2, 2),
    City("SANTA ANA", "CA", "927", 1, 4),
    City("RIVERSIDE", "CA", "925", 1, 3),
    City("HOUSTON", "TX", "770", 5, 10),
    City("SAN ANTONIO", "TX", "782", 3, 9),
    City("DALLAS", "TX", "752", 3, 5),
    City("EL PASO", "TX", "799", 1, 5),
    City("MCALLEN", "TX", "785", 1, 4),
    City("LAREDO", "TX", "780", 1, 3),
    City("AUSTIN", "TX", "787", 2, 3),
    City("PHOENIX", "AZ", "850", 3, 5),
    City("TUCSON", "AZ", "857", 1, 2),
    City("ALBUQUERQUE", "NM", "871", 1, 3),
    City("LAS VEGAS", "NV", "891", 2, 3),
    City("DENVER", "CO", "802", 2, 2),
    City("MIAMI", "FL", "331", 2, 8),
    City("ORLANDO", "FL", "328", 2, 3),
    City("TAMPA", "FL", "336", 2, 2),
    City("JACKSONVILLE", "FL", "322", 2, 1),
    City("CHICAGO", "IL", "606", 5, 6),
    City("NEW YORK", "NY", "100", 6, 7),
    City("BROOKLYN", "NY", "112", 4, 4),
    City("BRONX", "NY", "104", 2, 5),
    City("NEWARK", "NJ", "071", 1, 2),
    City("PATERSON", "NJ", "075", 1, 2),
    City("PHILADELPHIA", "PA", "191", 4, 2),
    City("PITTSBURGH", "PA", "152", 2, 0.3),
    City("BOSTON", "MA", "021", 3, 1),
    City("WASHINGTON", "DC", "200", 2, 1),
    City("BALTIMORE", "MD", "212", 2, 0.5),
    City("ATLANTA", "GA", "303", 4, 1),
    City("CHARLOTTE", "NC", "282", 3, 1),
    City("RALEIGH", "NC", "276", 2, 0.7),
    City("NASHVILLE", "TN", "372", 2, 0.5),
    City("MEMPHIS", "TN", "381", 2, 0.3),
    City("COLUMBUS", "OH", "432", 3, 0.5),
    City("CLEVELAND", "OH", "441", 2, 0.5),
    City("DETROIT", "MI", "482", 3, 0.5),
    City("INDIANAPOLIS", "IN", "462", 3, 0.5),
    City("MINNEAPOLIS", "MN", "554", 2, 0.4),
    City("MILWAUKEE", "WI", "532", 2, 0.6),
    City("KANSAS CITY", "MO", "641", 2, 0.5),
    City("SAINT LOUIS", "MO", "631", 2, 0.3),
    City("OMAHA", "NE", "681", 1, 0.4),
    City("OKLAHOMA CITY", "OK", "731", 2, 0.7),
    City("SEATTLE", "WA", "981", 3, 1),
    City("YAKIMA", "WA", "989", 0.5, 1),
    City("PORTLAND", "OR", "972", 2, 0.7),
    City("SALT LAKE CITY", "UT", "841", 1, 0.6),
    City("BOISE", "ID", "837", 1, 0.4),
    City("NEW ORLEANS", "LA", "701", 2, 0.3),
    City("LOUISVILLE", "KY", "402", 2, 0.2),
    City("BIRMINGHAM", "AL", "352", 2, 0.2),
    City("RICHMOND", "VA", "232", 2, 0.4),
)

STREET_NAMES: tuple[str, ...] = (
    "MAIN", "OAK", "PINE", "MAPLE", "CEDAR", "ELM", "WASHINGTON", "LAKE", "HILL", "PARK",
    "WALNUT", "SPRING", "NORTH", "RIDGE", "CHURCH", "WILLOW", "MILL", "SUNSET", "JACKSON",
    "LINCOLN", "HIGHLAND", "JEFFERSON", "MADISON", "FRANKLIN", "ADAMS", "MONROE", "CHESTNUT",
    "MEADOW", "FOREST", "RIVER", "VALLEY", "LAUREL", "HICKORY", "SYCAMORE", "BIRCH", "ASH",
    "POPLAR", "MAGNOLIA", "DOGWOOD", "CHERRY", "ORCHARD", "GROVE", "PROSPECT", "CENTRAL",
    "BROADWAY", "MARKET", "COLLEGE", "SCHOOL", "UNION", "LIBERTY", "HARRISON", "GRANT",
    "CLEVELAND", "GARFIELD", "WILSON", "TAYLOR", "HARDING", "PIERCE", "TYLER", "POLK", "HAYES",
    "VISTA", "SIERRA", "MESA", "LOMA", "ALAMEDA", "CAMINO REAL", "SAN PEDRO", "SANTA ROSA",
    "LAS PALMAS", "DEL MAR", "BUENA VISTA", "EL PASEO", "SAN JUAN", "MONTE VISTA", "LA PAZ",
    "LOS ROBLES", "PALO ALTO", "CANYON", "DESERT", "CACTUS", "MESQUITE", "PALM", "CYPRESS",
    "BAYVIEW", "HARBOR", "OCEAN", "COASTAL", "BEACH", "SHORE", "CREEK", "BROOK", "FALLS",
    "STONE", "ROCK", "GRANITE", "SILVER", "GOLDEN", "SUNRISE", "MORNING", "EVENING", "STAR",
    "KING", "QUEEN", "PRINCE", "DUKE", "EARL", "COUNTRY CLUB", "AIRPORT", "RAILROAD", "DEPOT",
    "MILITARY", "INDUSTRIAL", "COMMERCE", "TRADE", "FAIRVIEW", "PLEASANT", "GREENWOOD",
    "WOODLAND", "OAKWOOD", "ELMWOOD", "BRIARWOOD", "KENWOOD", "RIDGEWOOD", "LAKEWOOD",
    "1ST", "2ND", "3RD", "4TH", "5TH", "6TH", "7TH", "8TH", "9TH", "10TH", "11TH", "12TH",
    "14TH", "16TH", "18TH", "21ST", "23RD", "27TH", "32ND", "45TH",
)  # fmt: skip

# USPS Publication 28 abbreviation -> the word a requester may spell out instead.
STREET_TYPES: dict[str, str] = {
    "ST": "STREET",
    "AVE": "AVENUE",
    "RD": "ROAD",
    "DR": "DRIVE",
    "LN": "LANE",
    "BLVD": "BOULEVARD",
    "CT": "COURT",
    "WAY": "WAY",
    "PL": "PLACE",
    "CIR": "CIRCLE",
    "PKWY": "PARKWAY",
    "TRL": "TRAIL",
}
# How often each street type appears, in the order of STREET_TYPES.
STREET_TYPE_WEIGHTS: tuple[float, ...] = (30, 22, 12, 12, 6, 4, 4, 3, 3, 2, 1, 1)

DIRECTIONALS: dict[str, str] = {
    "": "",
    "N": "NORTH",
    "S": "SOUTH",
    "E": "EAST",
    "W": "WEST",
}
DIRECTIONAL_WEIGHTS: tuple[float, ...] = (55, 12, 11, 11, 11)


def city_weights(*, hispanic: bool) -> np.ndarray:
    """Probability of each city in CITIES for a household of the given ethnicity."""
    weights = np.array(
        [city.weight_hispanic if hispanic else city.weight_general for city in CITIES],
        dtype=np.float64,
    )
    return weights / weights.sum()
