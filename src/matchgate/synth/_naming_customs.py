"""Naming customs the requester's data gets wrong: accents, particles, nicknames.

These small tables are written by hand; the frequencies come from the census tables. They only
have to be good enough to reproduce the variation listed in docs/SOURCES.md, "Matching hazards".
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "ACCENTED_FORMS",
    "NICKNAMES",
    "PARTICLE_SURNAMES",
    "plain_name",
    "strip_accents",
]

# Plain census spelling -> the accented spelling a Spanish speaker writes on a return.
ACCENTED_FORMS: dict[str, str] = {
    # first names
    "JOSE": "JOSÉ",
    "MARIA": "MARÍA",
    "JESUS": "JESÚS",
    "RAMON": "RAMÓN",
    "JOAQUIN": "JOAQUÍN",
    "MARTIN": "MARTÍN",
    "ANDRES": "ANDRÉS",
    "RAUL": "RAÚL",
    "HECTOR": "HÉCTOR",
    "OSCAR": "ÓSCAR",
    "IVAN": "IVÁN",
    "RUBEN": "RUBÉN",
    "JULIAN": "JULIÁN",
    "SEBASTIAN": "SEBASTIÁN",
    "ADRIAN": "ADRIÁN",
    "ANGEL": "ÁNGEL",
    "VERONICA": "VERÓNICA",
    "MONICA": "MÓNICA",
    "SOFIA": "SOFÍA",
    "LUCIA": "LUCÍA",
    "CONCEPCION": "CONCEPCIÓN",
    "ASUNCION": "ASUNCIÓN",
    "NICOLAS": "NICOLÁS",
    "TOMAS": "TOMÁS",
    "MATIAS": "MATÍAS",
    "ELIAS": "ELÍAS",
    "EFRAIN": "EFRAÍN",
    "GERMAN": "GERMÁN",
    "BENJAMIN": "BENJAMÍN",
    "ROCIO": "ROCÍO",
    # surnames
    "GARCIA": "GARCÍA",
    "RODRIGUEZ": "RODRÍGUEZ",
    "MARTINEZ": "MARTÍNEZ",
    "HERNANDEZ": "HERNÁNDEZ",
    "LOPEZ": "LÓPEZ",
    "GONZALEZ": "GONZÁLEZ",
    "PEREZ": "PÉREZ",
    "SANCHEZ": "SÁNCHEZ",
    "RAMIREZ": "RAMÍREZ",
    "GOMEZ": "GÓMEZ",
    "DIAZ": "DÍAZ",
    "MUNOZ": "MUÑOZ",
    "ALVAREZ": "ÁLVAREZ",
    "JIMENEZ": "JIMÉNEZ",
    "VASQUEZ": "VÁSQUEZ",
    "VAZQUEZ": "VÁZQUEZ",
    "CHAVEZ": "CHÁVEZ",
    "DOMINGUEZ": "DOMÍNGUEZ",
    "GUTIERREZ": "GUTIÉRREZ",
    "FERNANDEZ": "FERNÁNDEZ",
    "MENDEZ": "MÉNDEZ",
    "NUNEZ": "NÚÑEZ",
    "IBANEZ": "IBÁÑEZ",
    "PENA": "PEÑA",
    "RIOS": "RÍOS",
    "SUAREZ": "SUÁREZ",
    "MARQUEZ": "MÁRQUEZ",
    "VELAZQUEZ": "VELÁZQUEZ",
    "BENITEZ": "BENÍTEZ",
    "CACERES": "CÁCERES",
    "GALVAN": "GALVÁN",
    "MONTANEZ": "MONTAÑEZ",
    "ORDONEZ": "ORDÓÑEZ",
    "PATINO": "PATIÑO",
    "LEON": "LEÓN",
    "RINCON": "RINCÓN",
    "CORDOBA": "CÓRDOBA",
    "ACUNA": "ACUÑA",
    "CASTANEDA": "CASTAÑEDA",
    "ZUNIGA": "ZÚÑIGA",
}

# Census surname (written joined, as the census tables hold it) -> the surname as written on a
# return with its particle. The request side writes these joined, spaced, or without the particle.
PARTICLE_SURNAMES: dict[str, str] = {
    "DELACRUZ": "DE LA CRUZ",
    "DELEON": "DE LEON",
    "DEJESUS": "DE JESUS",
    "DELAROSA": "DE LA ROSA",
    "DELATORRE": "DE LA TORRE",
    "DELOSSANTOS": "DE LOS SANTOS",
    "DELVALLE": "DEL VALLE",
    "DELAGARZA": "DE LA GARZA",
    "DELUNA": "DE LUNA",
    "DELRIO": "DEL RIO",
    "DELAFUENTE": "DE LA FUENTE",
    "DELOSREYES": "DE LOS REYES",
    "DELAPAZ": "DE LA PAZ",
    "DELAO": "DE LA O",
    "DELTORO": "DEL TORO",
    "DELCASTILLO": "DEL CASTILLO",
    "DELAVEGA": "DE LA VEGA",
    "DELAGUILA": "DEL AGUILA",
    "DELOERA": "DE LOERA",
}

# Formal first name -> nicknames and hypocorisms a requester may have on file instead.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "WILLIAM": ("BILL", "BILLY", "WILL", "WILLIE"),
    "ROBERT": ("BOB", "BOBBY", "ROB"),
    "RICHARD": ("RICK", "RICH", "DICK"),
    "JAMES": ("JIM", "JIMMY", "JAMIE"),
    "JOHN": ("JACK", "JOHNNY"),
    "MICHAEL": ("MIKE", "MIKEY"),
    "JOSEPH": ("JOE", "JOEY"),
    "THOMAS": ("TOM", "TOMMY"),
    "CHARLES": ("CHUCK", "CHARLIE"),
    "DAVID": ("DAVE",),
    "DANIEL": ("DAN", "DANNY"),
    "CHRISTOPHER": ("CHRIS",),
    "MATTHEW": ("MATT",),
    "ANTHONY": ("TONY",),
    "EDWARD": ("ED", "EDDIE", "TED"),
    "STEVEN": ("STEVE",),
    "STEPHEN": ("STEVE",),
    "KENNETH": ("KEN", "KENNY"),
    "TIMOTHY": ("TIM",),
    "GREGORY": ("GREG",),
    "NICHOLAS": ("NICK",),
    "BENJAMIN": ("BEN",),
    "SAMUEL": ("SAM",),
    "ALEXANDER": ("ALEX",),
    "ELIZABETH": ("LIZ", "BETH", "BETTY"),
    "MARGARET": ("MAGGIE", "PEGGY"),
    "KATHERINE": ("KATE", "KATHY"),
    "CATHERINE": ("CATHY", "KATE"),
    "JENNIFER": ("JEN", "JENNY"),
    "PATRICIA": ("PATTY", "TRISH", "PAT"),
    "SUSAN": ("SUE",),
    "DEBORAH": ("DEBBIE", "DEB"),
    "REBECCA": ("BECKY",),
    "CHRISTINA": ("TINA",),
    "JESSICA": ("JESS",),
    # Spanish hypocorisms: Pepe/Jose, Paco/Francisco, Lupe/Guadalupe (docs/SOURCES.md, "Matching
    # hazards")
    "JOSE": ("PEPE", "CHEPE"),
    "FRANCISCO": ("PACO", "PANCHO", "FRANK"),
    "GUADALUPE": ("LUPE", "LUPITA"),
    "JESUS": ("CHUY", "CHUCHO"),
    "ALEJANDRO": ("ALEX",),
    "ROBERTO": ("BETO",),
    "ALBERTO": ("BETO",),
    "ENRIQUE": ("KIKE",),
    "IGNACIO": ("NACHO",),
    "EDUARDO": ("LALO",),
    "GUILLERMO": ("MEMO",),
    "CONCEPCION": ("CONCHA", "CONCHITA"),
    "DOLORES": ("LOLA",),
    "ROSARIO": ("CHARO",),
    "SANTIAGO": ("CHAGO",),
    "ANTONIO": ("TONO", "TONY"),
    "GREGORIO": ("GOYO",),
    "RAMON": ("MONCHO",),
    "MANUEL": ("MANNY", "MANOLO"),
    "RAFAEL": ("RAFA",),
    "MARGARITA": ("MAGGIE",),
    "REFUGIO": ("CUCO",),
    "ISABEL": ("CHABELA",),
}


def strip_accents(text: str) -> str:
    """The text with diacritics removed, as most requester systems store names."""
    if text.isascii():  # nearly every name: skip the Unicode round trip
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def plain_name(text: str) -> str:
    """Upper case, no accents, hyphens as spaces: how two spellings of one name compare."""
    return strip_accents(text).upper().replace("-", " ")
