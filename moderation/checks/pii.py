"""Personal-details checks: phone, email, postcode, address, NHS/CHI number, NI number,
date of birth, full name, social handle, workplace and other patient identifiers.

Every finding has ``kind`` so the UI can say "this looks like a phone number".
"""

from __future__ import annotations

import re

import phonenumbers

from moderation.checks.text import sentence_at, sentences
from moderation.checks.types import Finding

_I = re.I

#: Helplines and service numbers that are NOT personal details (digits only).
HELPLINE_DIGITS: frozenset[str] = frozenset(
    {
        "116123",  # Samaritans
        "116111",  # Childline
        "111",  # NHS 111
        "999",
        "112",
        "85258",  # Shout (text)
        "03001233393",  # Mind infoline
        "08088080000",  # Macmillan support line
        "08000684141",  # Papyrus HOPELINE247
        "08001111",  # Childline
        "08082000247",  # National Domestic Abuse Helpline
        "0800585858",  # CALM
        "08088005000",  # NSPCC helpline
        "08006781602",  # Age UK advice line
    }
)
_HELPLINE_LOCAL = {d[1:] for d in HELPLINE_DIGITS if d.startswith("0")}

_PHONE_PREFIX = re.compile(r"^\s*(?:\(?\+|00|\(?0)")
#: Freephone and non-geographic ranges (0800/0808, 03xx, 084x/087x, 0500): charities,
#: services and firms use them, people almost never do, so one is a personal detail only
#: when the poster says it is theirs ("ring me on", "my number").
_SERVICE_RANGE = re.compile(r"^0(?:80[08]|3[0-79]\d|8[47]\d|500|9\d\d)")
# ("our team", "our office": a firm's voice, not a person's)
_MINE = re.compile(r"\b(?:my|me|mine|our(?!\s+(?:team|company|office|clinic|shop|store|staff|"
                   r"experts|advisors|advisers|helpline|sales))|us|I'm|I\s+am|we're)\b"
                   r"[^.!?\n]{0,40}$", _I)
#: Digits written as words ("07700 nine zero zero 415"), read as digits inside a run
#: that has at least PHONE_WORD_DIGITS digits in all.
_DIGIT_WORD = {"zero": "0", "oh": "0", "o": "0", "nought": "0", "one": "1", "two": "2",
               "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
               "eight": "8", "nine": "9"}
_DW = r"(?:zero|oh|o|nought|one|two|three|four|five|six|seven|eight|nine)"
_DIGIT_RUN = re.compile(
    r"(?<![\w+])(?:\+|\b)(?:(?:double|triple)\s+" + _DW + r"|" + _DW + r"|\d+)"
    r"(?:[\s,.-]{1,3}(?:(?:double|triple)\s+" + _DW + r"|" + _DW + r"|\d+)\b)+", _I)
PHONE_WORD_DIGITS = 10


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _is_helpline(raw: str) -> bool:
    d = _digits(raw)
    if d.startswith("44"):
        d = "0" + d[2:]
    return d in HELPLINE_DIGITS or d.lstrip("0") in _HELPLINE_LOCAL


#: A number broken over a line ("07700\n900555") and the letter O typed for a zero
#: ("07700 9OO 234", "o77oo"): read as digits, one character for one, so spans stay valid.
_LINE_IN_NUMBER = re.compile(r"(?<=\d)[ \t]*\n[ \t]*(?=\d)")
_O_FOR_ZERO = re.compile(r"\b[\dOo]*\d[\dOo]*\b")


def phone_view(text: str) -> str:
    """``text`` with line breaks inside a number made spaces and O read as 0 in digit runs."""
    text = _LINE_IN_NUMBER.sub(lambda m: " " * len(m.group()), text)
    return _O_FOR_ZERO.sub(lambda m: m.group().replace("O", "0").replace("o", "0"), text)


#: An old-style local number after the town ("telephone me on Leeds 4960 527").
TOWN_NUMBER = re.compile(r"\b(?:ring|call|phone|telephone)\s+(?:me|us)\s+(?:on\s+)?[A-Z][a-z]+\s+"
                         r"\d{3,4}\s?\d{3,4}\b")
#: A switchboard's number is a hospital's or a firm's, never a person's.
_SWITCHBOARD = re.compile(r"\bswitchboard\b[^.!?\n]{0,20}$", _I)
#: "447700900808": a mobile with the country code and no plus, run together.
MOBILE_44 = re.compile(r"(?<![\d+])44\s?7\d{3}\s?\d{6}(?!\d)")


def _phones(text: str, taken: list[tuple[int, int]]) -> list[Finding]:
    out: list[Finding] = []
    seen = text
    text = phone_view(text)
    try:
        matches = list(
            phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE)
        )
    except Exception:  # noqa: BLE001 - a library failure must not stop the checks
        return out
    for m in matches:
        raw = m.raw_string
        if "/" in raw or not _PHONE_PREFIX.match(raw):
            continue
        if len(str(m.number.national_number)) < 9 or _is_helpline(raw):
            continue
        before = seen[max(0, m.start - 60):m.start]
        if _is_service_number(raw) and not _MINE.search(before):
            continue
        if _SWITCHBOARD.search(before) and not _MINE.search(before):
            continue
        span = (m.start, m.end)
        if _overlaps(span, taken):
            continue
        out.append(Finding("pii.phone", "pii", "medium",
                           "Looks like a phone number (not a known helpline).", span, "phone"))
    for m in TOWN_NUMBER.finditer(text):
        if not _overlaps(m.span(), taken):
            out.append(Finding("pii.phone", "pii", "medium", "Looks like a phone number after "
                               "the town's name.", m.span(), "phone"))
    for m in MOBILE_44.finditer(text):
        if not _overlaps(m.span(), taken) and not any(
                _overlaps(m.span(), [f.span]) for f in out if f.span):
            out.append(Finding("pii.phone", "pii", "medium", "Looks like a mobile number with "
                               "the country code.", m.span(), "phone"))
    return out


def _is_service_number(raw: str) -> bool:
    d = _digits(raw)
    if d.startswith("44"):
        d = "0" + d[2:]
    return bool(_SERVICE_RANGE.match(d))


def _run_digits(run: str) -> str:
    out = []
    for tok in re.findall(r"double|triple|\d+|[a-z]+", run.lower()):
        if tok.isdigit():
            out.append(tok)
        elif tok in ("double", "triple"):
            out.append(tok)
        else:
            d = _DIGIT_WORD.get(tok, "")
            if out and out[-1] in ("double", "triple"):
                out[-1] = d * (2 if out[-1] == "double" else 3)
            else:
                out.append(d)
    return "".join(x for x in out if x.isdigit())


def _spelled_phones(text: str, taken: list[tuple[int, int]]) -> list[Finding]:
    """Phone numbers with some digits written as words: read the run as digits."""
    out: list[Finding] = []
    for m in _DIGIT_RUN.finditer(text):
        run = m.group()
        if not re.search(r"[a-z]", run, _I):
            continue  # all digits: the phone matcher has seen it
        digits = _run_digits(run)
        before = text[max(0, m.start() - 60):m.start()]
        if (len(digits) == 10 and nhs_check_digit_ok(digits)
                and _ID_CONTEXT.search(before[-40:])):
            out.append(Finding("pii.nhs_number", "pii", "high", "Looks like an NHS number "
                               "written in words (passes the check digit).", m.span(),
                               "nhs_number"))
            continue
        if len(digits) == 10 and digits.startswith("7"):
            digits = "0" + digits  # a mobile read out without its leading 0
        if len(digits) < PHONE_WORD_DIGITS or len(digits) > 13:
            continue
        if digits.startswith("44"):
            digits = "0" + digits[2:]
        if not digits.startswith("0") or digits[:2] == "00" or _is_helpline(digits):
            continue
        if _SERVICE_RANGE.match(digits) and not _MINE.search(before):
            continue
        try:
            num = phonenumbers.parse(digits, "GB")
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_possible_number(num) or _overlaps(m.span(), taken):
            continue
        out.append(Finding("pii.phone", "pii", "medium", "Looks like a phone number, some "
                           "digits written as words.", m.span(), "phone"))
    return out


#: A mobile given in two pieces in one sentence about the poster's number ("my number
#: ends 900345, starts 07700"): the 07xxx prefix and a six-digit rest.
_OWN_NUMBER = re.compile(r"\b(?:my|our)\s+(?:mobile|mob|number|phone|no\.?)\b", _I)
_MOBILE_HEAD = re.compile(r"(?<![\d+])07\d{3}(?![\d])")
_MOBILE_TAIL = re.compile(r"(?<![\d+])\d{3}\s?\d{3}(?![\d])")


def _split_mobiles(text: str, taken: list[tuple[int, int]]) -> list[Finding]:
    out: list[Finding] = []
    if _MOBILE_HEAD.search(text) is None:  # most posts: no sentence to split
        return out
    for a, b in sentences(text):
        if not _OWN_NUMBER.search(text, a, b):
            continue
        head = _MOBILE_HEAD.search(text, a, b)
        tails = [m for m in _MOBILE_TAIL.finditer(text, a, b)
                 if head is None or not (head.start() <= m.start() < head.end())]
        if head is None or not tails:
            continue
        span = (min(head.start(), tails[0].start()), max(head.end(), tails[0].end()))
        if not _overlaps(span, taken):
            out.append(Finding("pii.phone", "pii", "medium", "Looks like a mobile number "
                               "given in two pieces.", span, "phone"))
    return out


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in taken)


# --- email -----------------------------------------------------------------------------
# Every run is bounded (64 characters before the @, as in RFC 5321; 63 a label, as in DNS):
# unbounded, a post of "a.a.a.…" made each pattern rescan the rest of the post from every
# word, seconds of CPU with the GIL held. A longer run may start anywhere past its first
# 64 characters (_LONG_RUN), so a longer name is still found, from there.
_LONG_RUN = r"(?:\b|(?<=[\w.+-]{64}))"
EMAIL = re.compile(_LONG_RUN + r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+\b")
_TLD = r"(?:com|co|uk|org|net|io|me|info|biz|gov|ac|edu|ie|de|fr|us)"
EMAIL_SPOKEN = re.compile(
    # ("at sign" too: "tina at sign example dot net")
    _LONG_RUN + r"[\w.+-]{1,64}\s*(?:\(at\)|\[at\]|\{at\}|\sat(?:\s+sign)?\s)\s*[\w-]{1,63}"
    r"(?:\s*(?:\(dot\)|\[dot\]|\{dot\}|\sdot\s)\s*[\w-]+)*"
    r"\s*(?:\(dot\)|\[dot\]|\{dot\}|\sdot\s)\s*" + _TLD + r"\b",
    _I,
)

#: An address with spaces put in ("p a u l @ example . net", "jo @ example.com"): an @
#: with a dotted domain ending in a known suffix. The letters before are bounded.
_DOT_ANY = r"(?:\s*\.\s*|\s*\(dot\)\s*|\s*\[dot\]\s*|\s+dot\s+)"
EMAIL_SPACED = re.compile(
    r"(?<![\w.+-])(?:\w\s){0,40}[\w.+-]{1,64}\s*@\s*[\w-]{1,63}(?:" + _DOT_ANY
    + r"[\w-]{1,63}){0,3}?" + _DOT_ANY + _TLD + r"\b", _I)
#: "my email is jsmith at example.org", "email me mike at example.com": a plain "at" is an
#: address's only right after the word email (elsewhere "at nhs.uk" is a website).
EMAIL_AFTER_WORD = re.compile(
    r"\be-?mail(?:'s|\s+address(?:'s)?)?\s*(?:is|me(?:\s+on)?|:|-)?\s*"
    r"([a-z][\w.+-]{0,63}\s+at\s+[\w-]{1,63}(?:\.[\w-]{1,63}){0,4}\." + _TLD + r")\b", _I)

_AT_BRACKET = r"(?:\(at\)|\[at\]|\{at\}|<at>|\(@\)|\[@\])"
EMAIL_BRACKETED = re.compile(
    _LONG_RUN + r"[\w.+-]{1,64}\s*" + _AT_BRACKET
    + r"\s*[\w-]+(?:\s*(?:\.|\(dot\)|\[dot\]|\sdot\s)\s*[\w-]+)*"
    r"\s*(?:\.|\(dot\)|\[dot\]|\sdot\s)\s*" + _TLD + r"\b"
    # "pete.m at example.co.uk": a local part that looks like an address's (a dot,
    # underscore or digit in it), then a dotted domain
    # (not a discount code: "code SAVE15 at shop.com")
    r"|(?<!code\s)(?<!code:\s)\b[a-z]{1,64}[._\d][\w.+-]{0,64}\s+at\s+(?!www\.)"
    r"[\w-]+(?:\.[\w-]+)*\." + _TLD + r"\b",
    _I,
)

# --- postcode / address ------------------------------------------------------------------
POSTCODE = re.compile(r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?)\s?\d[ABD-HJLNP-UW-Z]{2}\b")
#: In lower case ("ls6 2qt") only when the word postcode comes just before.
POSTCODE_ANY_CASE = re.compile(
    r"\bpost\s?code(?:'s|\s+is|\s*:|\s*-)?\s*((?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?)\s?\d"
    r"[ABD-HJLNP-UW-Z]{2})\b", _I)
_SUFFIX_CLEAR = (r"(?:Road|Rd|Street|St|Lane|Ln|Avenue|Ave|Close|Crescent|Drive|Terrace|Gardens|"
                 r"Grove|Mews|Parade|Boulevard|Cottages)")
_SUFFIX_ANY = (_SUFFIX_CLEAR[:-1] + r"|Way|Court|Place|Park|View|Hill|Row|Square|Walk|Green|"
               r"Rise|Avenue|Yard|Wharf|Fields|Meadow|Meadows|Chase|Croft|"
               # northern and estate names: "4 Sunny Bank", "11 The Paddock", "Oak Fold"
               r"Bank|Paddock|Fold|Garth|Brow|Nook|Vale|Dale|Grange|Gate|Lea)")
HOUSE_STREET = re.compile(
    r"\b(?:(?:flat|apartment|apt|unit)\s+\d+[a-z]?,?\s+)?\d{1,4}[a-z]?,?\s+"
    r"(?:[A-Z][a-z'-]+\s+){1,3}" + _SUFFIX_ANY + r"\b"
    # "number 22 on Ashgrove Avenue", "no. 5 in Mill Lane"
    r"|\b(?:number|no\.?)\s*\d{1,4}[a-z]?,?\s+(?:on|in|along|up|down)\s+(?:the\s+)?"
    r"(?:[A-Z][a-z'-]+\s+){1,3}" + _SUFFIX_ANY + r"\b"
    # "we're at number 9 now, Rosemary Court"
    r"|\b(?:number|no\.?)\s*\d{1,4}[a-z]?(?:\s+now)?,\s+(?:the\s+)?"
    r"(?:[A-Z][a-z'-]+\s+){1,3}" + _SUFFIX_ANY + r"\b"
    # lower case "12 rose lane"; not a distance or a time ("40 minute drive")
    r"|\b\d{1,4}[a-z]?,?\s+(?!(?:at|in|on|of|the|a|and|to|for|my|our|or|by|min(?:ute)?s?|"
    r"h(?:ou)?rs?|hour|miles?|km|days?|weeks?|secs?|seconds?|test|long|short)\b)[a-z'-]+\s+"
    r"(?:[a-z'-]+\s+)?(?:road|street|lane|avenue|close|crescent|drive|terrace|gardens|grove|"
    # "8 church st, pudsey": the short forms only before a comma or full stop
    r"(?:st|rd|ave)(?=\s*[,.]|\s*$))\b"
    # the street first: "Mill Street, number 14", "Station Road, house number 8"
    r"|\b(?:[A-Z][a-z'-]+\s+){1,3}" + _SUFFIX_ANY + r"\b,?\s+(?:(?:house|flat|door)\s+)?"
    r"(?:number|no\.)\s*\d{1,4}[a-z]?\b"
)
RESIDENCE = re.compile(
    r"\b(?:I|we|she|he|they|mum|dad)\s+(?:live|lives|living|'re|'m|am|are|is)\s+"
    r"(?:at|on|in|next\s+door\s+to|opposite|above|behind|near)\b[^.!?]{0,40}?"
    r"\b(?:[A-Z][a-z'-]+\s+)+" + _SUFFIX_ANY + r"\b"
    # "our house is the last one on Ferncliffe Drive"
    r"|\b(?:[Oo]ur|[Mm]y)\s+(?:house|home|flat|bungalow|place)\s+is\b[^.!?]{0,40}?\b(?:on|in|at)\s+"
    r"(?:[A-Z][a-z'-]+\s+)+" + _SUFFIX_ANY + r"\b"
    # "Flat 12, Beech House": a flat's number and its building's name
    r"|\b(?:[Ff]lat|[Aa]partment|[Aa]pt\.?)\s+\d{1,4}[a-z]?,?\s+[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?"
)

# --- NHS / CHI / NI / DOB / other ids ------------------------------------------------------
NHS_SPACED = re.compile(r"(?<![\d-])\d{3}[ -]\d{3}[ -]\d{4}(?![\d-])")
TEN_DIGITS = re.compile(r"(?<![\d+])\d{10}(?!\d)")
#: Ten digits grouped some other way ("9990 587 914"), read as an NHS number with ID words.
TEN_DIGITS_GROUPED = re.compile(r"(?<![\d+-])\d(?:[ -]?\d){9}(?![\d-])")
_ID_CONTEXT = re.compile(
    r"\b(?:nhs|chi|patient|hospital|number|no\.?|num|id|records?|wristband|health)\b", _I)
_NHS_WORD = re.compile(r"\b(?:nhs|chi)\b", _I)
#: Ten digits said to be an order's, parcel's or booking's are not an NHS number, even when
#: they pass the check (one in eleven do).
_NOT_NHS = re.compile(r"\b(?:order|tracking|parcel|booking|invoice|reference|ref|account|"
                      r"policy|confirmation|delivery|transaction)\b", _I)
NI_NUMBER = re.compile(r"\b[A-Z]{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?[A-D]\b")
#: In lower case ("qq 65 43 21 b") only when the words say what it is.
NI_NUMBER_ANY_CASE = re.compile(r"\b[A-Z]{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?\d{2}[\s-]?[A-D]\b", _I)
_NI_CONTEXT = re.compile(r"\b(?:national\s+insurance|NI|NINO)\b|\bN\.I\.", _I)
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_DATE = (r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d\d|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?"
         + _MONTH + r",?(?:\s+(?:19|20)\d\d)?|" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?,?"
         r"(?:\s+(?:19|20)\d\d)?)")
DOB = re.compile(r"(?:\b(?:born|DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|"
                 r"birthday(?:'s|\s+is)?)\b|\bb\.)[:\s,]*"
                 # "born in Leeds on 5/6/77"
                 r"(?:(?:in|at)\s+(?:[A-Z][\w'-]+\s+){1,3}(?=on\b))?"
                 r"(?:(?:is|was|=|-)\s+)?(?:on\s+)?(?:the\s+)?" + _DATE, _I)
#: "a 14/03/68 baby": a birth date said as a kind of baby.
DOB_BABY = re.compile(r"\b(?:a|an)\s+(\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)?\d\d)\s+baby\b", _I)
_BORN_WORD = re.compile(r"born|birthday", _I)
_HAS_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d\d|(?:19|20)\d\d")
OTHER_ID = re.compile(
    r"\b(?:hospital|patient|MRN|CHI|unit|case|NHS)\s+(?:number|no\.?|ID|#)"
    # "hospital number at the LGI is ..."
    r"(?:\s+(?:at|for|from|in|on)(?:\s+[\w']{1,30}){1,3})?\s*(?:is|:|-)?\s*"
    # "RR8 123456", "M0098765", "K1234567"
    r"(?:[A-Z]{1,4}\d{0,2}\s?)?\d{5,}\b"
    # "MRN 00456789": a medical record number needs no "number" after it
    r"|\bMRN\s*[:#]?\s*[A-Z]{0,4}\d{5,}\b", _I)

# --- names, handles, workplace -------------------------------------------------------------
_NOT_NAME = frozenset(
    """new here just not so also really the from going feeling in on at a an very type
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december nhs royal national mental health
    versus arthritis samaritans macmillan mind the dr doctor nurse mrs mr miss ms st saint
    good great happy sorry thanks thank hi hello dear team group forum crohns long covid
    diabetes cancer uk england scotland wales ireland north south east west""".split()
)
# (the surname may be O'Brien, McBride or MacLeod)
_FULL_NAME = (r"([A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?\s+(?:[A-Z]'|Ma?c)?[A-Z][a-z]+"
              r"(?:-[A-Z][a-z]+)?)")
NAME_PATTERNS = (
    re.compile(r"\b(?:[Mm]y\s+(?:real\s+)?name\s+is|[Mm]y\s+(?:real\s+)?name,|[Ii]'m|I\s+am|"
               r"[Ii]t's|[Tt]his\s+is|[Cc]all\s+me|[Pp]atient)\s+"
               # "I'm Lorraine, Lorraine Pickles"
               r"(?:[A-Z][a-z]+,\s+)?" + _FULL_NAME),
    re.compile(r"\b(?:[Mm]y|[Oo]ur|[Hh]is|[Hh]er)\s+(?:son|daughter|husband|wife|partner|mum|"
               r"dad|carer|child|kid|brother|sister|grandson|granddaughter|boyfriend|girlfriend)"
               r"(?:'s\s+[a-z]+)?\s+is\s+(?:called\s+)?" + _FULL_NAME),
    re.compile(_FULL_NAME + r"\s+from\s+(?:the\s+)?[A-Z][a-z]+"),
    # a relative named in full ("my son Oliver Bennett goes to...", "our lad Jack Thompson")
    re.compile(r"\b(?:[Mm]y|[Oo]ur)\s+(?:little\s+|eldest\s+|youngest\s+|oldest\s+)?"
               r"(?:son|daughter|lad|lass|boy|girl|grandson|grand?-?daughter|niece|nephew|child|"
               r"husband|wife|partner|mum|dad|mother|father|brother|sister|nan|gran|grandad|"
               r"grandma|grandpa)(?:,?\s+|\s*\(\s*)" + _FULL_NAME),
    # "I'm on FB - search Sandra Owusu"
    re.compile(r"\b(?i:facebook|fb|insta(?:gram)?|linkedin)\b[^.!?\n]{0,20}\b(?i:search"
               r"(?:\s+for)?|look\s+(?:me\s+)?up|find\s+me\s+as)\s+"
               r"([A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,2})"),
    # a form filled in: "Mum: Edna Crowther", "Name: Carol Denby", "Next of kin: ..."
    re.compile(r"\b(?:[Nn]ame|[Mm]um|[Dd]ad|[Mm]other|[Ff]ather|[Ss]on|[Dd]aughter|[Hh]usband|"
               r"[Ww]ife|[Pp]artner|[Cc]ontact|[Cc]arer|[Pp]atient|[Nn]ext\s+of\s+kin)\s*:\s*"
               + _FULL_NAME),
    # "Jean Foster here, 67, Rotherham": a poster introducing themself
    re.compile(_FULL_NAME + r"\s+here\b(?=\s*[,.!-])"),
    # "Search 'Gavin Marsh Bradford' on Facebook"
    re.compile(r"\b[Ss]earch\s+(?:for\s+)?['\"]?([A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,2})['\"]?"
               r"[^.!?\n]{0,20}\b(?i:on\s+(?:facebook|fb|insta(?:gram)?|linkedin))\b"),
    # "I'm on Facebook as Gemma Louise Hartley"
    re.compile(r"\b(?:[Ff]acebook|FB|[Ll]inked[Ii]n)\s+(?:as|under)\s+"
               r"([A-Z][a-z]+(?:\s+[A-Z][a-z]+){1,2})"),
)
#: A school by name ("Westfield Primary", "Brookfield High"): with a full name in the same
#: sentence, a child who can be found.
SCHOOL = re.compile(r"\b[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?\s+(?:Primary|Juniors|Infants|Academy|"
                    r"High|School|Nursery|Grammar|College)\b")
_SCHOOL_WORDS = frozenset("primary juniors infants academy high school nursery grammar college "
                          "year class reception".split())
SOCIAL = re.compile(
    r"\b(?:instagram|insta|ig|twitter|tiktok|facebook|fb|snapchat|snap|telegram|discord|"
    r"threads|bluesky|x)\b[^.!?\n]{0,25}@[\w.]{3,}|(?<![\w./])@[A-Za-z_][\w.]{5,}\b(?!\.\w)",
    _I)
#: A profile link ("facebook.com/john.smith.4521", "tiktok.com/@jo"), not a group or page.
SOCIAL_LINK = re.compile(
    r"\b(?:facebook|fb|instagram|twitter|x|tiktok|linkedin|threads)\.com/(?:in/)?"
    r"(?!(?:groups|pages|events|hashtag|help|watch|share|reel|p)\b)@?[\w.-]{3,60}", _I)
#: A handle without its @ after the platform's name ("my snap is kerry_b_88", "snapchat -
#: tom.b.1999", "Instagram, my username is crohnie.warrior.beth"): only a word shaped like
#: a handle (dots or underscores inside, or letters then digits), not "my snap is broken".
SOCIAL_NAMED = re.compile(
    r"\b(?:insta(?:gram)?|ig|twitter|tiktok|snap(?:chat)?|telegram|discord|threads|bluesky|"
    r"kik)\b[^.!?\n@]{0,30}?(?:\bis|\bit'?s|:|\s-|\bas|\busername|\bhandle)\s*['\"]?"
    r"([a-z][a-z\d]*(?:[._][a-z\d]+)+|[a-z]{2,}\d{2,})\b", _I)
#: The handle first: "I'm sarahs_spoonie on insta", "follow me @jo.b on TikTok".
SOCIAL_BEFORE = re.compile(
    r"\b(?:I'm|I\s+am|find\s+me|follow\s+me|add\s+me)\s+(?:as\s+|at\s+)?@?"
    r"([a-z][a-z\d]*(?:[._][a-z\d]+)+|[a-z]{2,}\d{2,})\s+on\s+(?:insta(?:gram)?|ig|twitter|"
    r"tiktok|snap(?:chat)?|telegram|discord|threads|bluesky|kik)\b", _I)
#: Before a bare @handle: a forum mention of another member ("Thanks @moonbeam_72",
#: "@Jan_W you asked"), not the poster's own account.
_MENTION_BEFORE = re.compile(
    r"(?:^|\n|\b(?:thanks|thank\s+you|thx|ta|cheers|hi|hiya|hey|hello|dear|morning|evening|"
    r"sorry|welcome|agree\s+with|and|said|says|like|replying\s+to|to|with)\b)[\s,]*$", _I)

WORKPLACE = re.compile(
    r"\bI(?:'m|\s+am)\s+(?:the|a|an)\s+[a-z]+(?:\s+[a-z]+)?\s+at\s+(?:the\s+)?[A-Z][\w'&-]+"
    r"(?:\s+(?:on|in)\s+[A-Z]\w+)|\bI\s+work\s+(?:at|for)\s+(?!the\s+NHS\b|NHS\b|home\b)"
    r"(?:the\s+)?[A-Z]\w+(?:\s+[A-Z]\w+)+"
    # "I work at the Sainsbury's on Kirkstall Road"
    r"|\bI\s+work\s+(?:at|in)\s+(?:the\s+)?[A-Z][\w'&-]+(?:\s+[A-Z][\w'&-]+)?\s+(?:on|in)\s+"
    r"(?:[A-Z][a-z'-]+\s+)+" + _SUFFIX_ANY + r"\b"
)


def nhs_check_digit_ok(digits: str) -> bool:
    """Modulus-11 check used by NHS (and Scottish CHI) numbers."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _f(rule: str, kind: str, sev: str, reason: str, span: tuple[int, int]) -> Finding:
    return Finding(rule, "pii", sev, reason, span, kind)


def scan_pii(text: str) -> list[Finding]:
    out: list[Finding] = []
    taken: list[tuple[int, int]] = []

    def add(f: Finding) -> None:
        if f.span is not None and not _overlaps(f.span, taken):
            taken.append(f.span)
            out.append(f)

    for m in NHS_SPACED.finditer(text):
        if nhs_check_digit_ok(_digits(m.group())):
            add(_f("pii.nhs_number", "nhs_number", "high",
                   "Looks like an NHS number (passes the check digit).", m.span()))
    for m in TEN_DIGITS.finditer(text):
        ctx = text[max(0, m.start() - 40):m.start()]
        if (nhs_check_digit_ok(m.group()) and _ID_CONTEXT.search(ctx)
                and (_NHS_WORD.search(ctx) or not _NOT_NHS.search(ctx))):
            add(_f("pii.nhs_number", "nhs_number", "high",
                   "Looks like an NHS/CHI number (check digit passes, ID wording nearby).",
                   m.span()))
    for m in TEN_DIGITS_GROUPED.finditer(text):
        # grouped some other way: only when the words say NHS (an order or booking
        # reference "no 1234 567 890" passes the check one time in eleven)
        ctx = text[max(0, m.start() - 40):m.start()]
        if nhs_check_digit_ok(_digits(m.group())) and _NHS_WORD.search(ctx):
            add(_f("pii.nhs_number", "nhs_number", "high",
                   "Looks like an NHS/CHI number (check digit passes, ID wording nearby).",
                   m.span()))
    for m in OTHER_ID.finditer(text):
        add(_f("pii.other_id", "other_id", "medium", "Looks like a patient or hospital number.",
               m.span()))
    for m in NI_NUMBER.finditer(text):
        add(_f("pii.ni_number", "ni_number", "high", "Looks like a National Insurance number.",
               m.span()))
    for m in NI_NUMBER_ANY_CASE.finditer(text):
        if _NI_CONTEXT.search(text[max(0, m.start() - 40):m.start()]):
            add(_f("pii.ni_number", "ni_number", "high", "Looks like a National Insurance "
                   "number.", m.span()))
    for m in DOB.finditer(text):
        # "born on 3rd March, the same day as my dad": a birthday with no year identifies no one
        if _BORN_WORD.match(m.group()) and not _HAS_YEAR.search(m.group()):
            continue
        add(_f("pii.dob", "dob", "medium", "Looks like a date of birth.", m.span()))
    for m in DOB_BABY.finditer(text):
        add(_f("pii.dob", "dob", "medium", "Looks like a date of birth.", m.span(1)))
    for m in EMAIL.finditer(text):
        add(_f("pii.email", "email", "medium", "Looks like an email address.", m.span()))
    for m in EMAIL_SPOKEN.finditer(text):
        add(_f("pii.email", "email", "medium", "Looks like an email address written out "
               "with 'at' and 'dot'.", m.span()))
    for m in EMAIL_BRACKETED.finditer(text):
        add(_f("pii.email", "email", "medium", "Looks like an email address written out "
               "with 'at'.", m.span()))
    for m in EMAIL_AFTER_WORD.finditer(text):
        add(_f("pii.email", "email", "medium", "Looks like an email address written out "
               "with 'at'.", m.span(1)))
    for m in EMAIL_SPACED.finditer(text):
        add(_f("pii.email", "email", "medium", "Looks like an email address with spaces "
               "put in.", m.span()))
    for f in _phones(text, taken):
        add(f)
    for f in _spelled_phones(text, taken):
        add(f)
    for f in _split_mobiles(text, taken):
        add(f)
    for m in HOUSE_STREET.finditer(text):
        add(_f("pii.address", "address", "high", "Looks like a house number and street.",
               m.span()))
    for m in RESIDENCE.finditer(text):
        add(_f("pii.address", "address", "medium", "Says where someone lives (street named).",
               m.span()))
    for m in POSTCODE.finditer(text):
        add(_f("pii.postcode", "postcode", "medium", "Looks like a full UK postcode.", m.span()))
    for m in POSTCODE_ANY_CASE.finditer(text):
        add(_f("pii.postcode", "postcode", "medium", "Looks like a full UK postcode.",
               m.span(1)))
    for pat in NAME_PATTERNS:
        for m in pat.finditer(text):
            words = m.group(1).lower().replace("'", "").split()
            if any(w in _NOT_NAME for w in words):
                continue
            add(_f("pii.name", "name", "low", "Looks like someone's full name.", m.span(1)))
    for m in SCHOOL.finditer(text):
        a, b = sentence_at(text, m.start())
        for n in re.finditer(_FULL_NAME, text[a:b]):
            span = (a + n.start(1), a + n.end(1))
            words = n.group(1).lower().replace("'", "").split()
            if _overlaps(span, [m.span()]) or any(w in _NOT_NAME or w in _SCHOOL_WORDS
                                                  for w in words):
                continue
            add(_f("pii.name", "name", "low", "A full name with a school's.", span))
    for m in SOCIAL.finditer(text):
        if m.group().startswith("@") and _MENTION_BEFORE.search(text[max(0, m.start() - 30):
                                                                     m.start()]):
            continue
        add(_f("pii.social", "social", "low", "Looks like a social media handle.", m.span()))
    for pat in (SOCIAL_LINK, SOCIAL_NAMED, SOCIAL_BEFORE):
        for m in pat.finditer(text):
            add(_f("pii.social", "social", "low", "Looks like a social media profile.",
                   m.span()))
    for m in WORKPLACE.finditer(text):
        add(_f("pii.workplace", "workplace", "low", "Says where someone works (could locate "
               "them).", m.span()))
    out.sort(key=lambda f: f.span or (0, 0))
    return out
