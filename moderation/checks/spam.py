"""Spam checks (links, shorteners, medicine sales, scam/promo wording) and the pure
helpers the app uses for history-based spam (near-duplicates, bursts)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from moderation.checks.pii import EMAIL_BRACKETED, EMAIL_SPACED, EMAIL_SPOKEN
from moderation.checks.types import AuthorMeta, Finding

_I = re.I

NEW_ACCOUNT_DAYS = 7
FEW_POSTS = 3

# A bare host's labels are bounded (63 characters each, as in DNS; up to ten before the
# suffix): unbounded, a post of "a.a.a.…" with no link in it made the pattern rescan the
# rest of the post from every label, seconds of CPU with the GIL held. A longer host is
# still found, from a later label or past a longer label's first 63 characters.
URL = re.compile(
    r"\bhttps?://[^\s<>\"']+|\bwww\.[^\s<>\"']+|\bt\.me/[\w/]+|"
    r"(?:\b|(?<=[\w-]{63}))[\w-]{1,63}(?:\.[\w-]{1,63}){0,9}\.(?:com|co\.uk|org\.uk|org|net|io|ru|xyz|info|biz|shop|online|"
    r"site|store|clinic|health|click|top|uk|ly|gl|me|gd|cc|at|be|to|eu|co|ee|gg|gle|ai|bio)/"
    r"[^\s<>\"']*|"
    # a bare domain ("neurocalm.co.uk", "spinwin.example"); not an email's domain, and not
    # "e.g." or a sentence run together ("tired.Then"): the top-level domain must be known
    r"(?<![@\w.-])(?:[a-z\d](?:[\w-]*[a-z\d])?\.)+(?:com|co\.uk|org\.uk|org|net|io|xyz|info|"
    r"biz|shop|online|site|store|clinic|health|click|app|co|uk|me|tv|example)\b(?![.@-]?\w)",
    _I,
)
#: A link written so that it does not look like one ("www dot cures dot com",
#: "www . x . com / nhs", "h t t p s : / /"): no member writes a link so but to get past
#: a filter. Not an email written out ("name at example dot com": see pii).
OBFUSCATED_URL = re.compile(
    r"\bwww\s*(?:\s\.\s|\s?\(dot\)\s?|\s?\[dot\]\s?|\sdot\s)\s*[\w-]+"
    # Words bounded as in URL (63 characters, or from past a longer word's first 63).
    r"|(?<!\bat\s)(?<!\(at\)\s)(?<!\[at\]\s)(?:\b|(?<=[\w-]{63}))[a-z][\w-]{1,63}\s*"
    r"(?:\sdot\s|\(dot\)|\[dot\])\s*"
    r"(?:com|co|net|org|uk|io|example|info|biz|shop|online|xyz)\b"
    r"|(?:\b|(?<=[\w-]{63}))[a-z][\w-]{1,63}\s\.\s[a-z][\w-]{1,63}\s\.\s(?:com|co|net|org|uk|io|example|info|biz|shop)\b"
    r"|\bh\s*t\s*t\s*p\s*s?\s*:\s*/\s*/(?<=\s/)|\bh\s+t\s*t\s*p\s*s?\s*:\s*/\s*/|"
    r"\bh\s*t\s*t\s*p\s*s?\s+:\s*/\s*/"
    # "defanged" as in a security report: "hxxps://", "cure[.]com", "cure(.)com"
    # a two-part domain spaced out ("healthyyou . com"): matched from the " . ", so that a
    # long run of word characters is not rescanned from each of them (the name before is
    # read in scan_spam)
    r"|(?<=[a-z\d]{3})\s\.\s(?:com|net|org|co\.uk|shop|xyz|info|biz|online|store)\b"
    # (from the bracket, as the spaced domain above)
    r"|\bhxxps?://|(?<=[\w-])(?:\[\.\]|\(\.\)|\{\.\})[a-z]{2,6}\b", _I)
#: How the dots of a link written out are written ("(dot)", " . ", "[.]").
_WRITTEN_DOT = re.compile(r"\s*(?:\(dot\)|\[dot\]|\sdot\s|\s\.\s|\[\.\]|\(\.\)|\{\.\})\s*", _I)
SHORTENERS = frozenset(
    "bit.ly tinyurl.com t.co goo.gl ow.ly is.gd buff.ly rebrand.ly cutt.ly shorturl.at "
    "tiny.cc rb.gy t.ly s.id v.gd bl.ink lnkd.in shorte.st adf.ly qr.ae tr.im "
    # shop affiliate short links
    "amzn.to amzn.eu a.co ebay.us "
    # link pages that hide where each link goes
    "linktr.ee beacons.ai lnk.bio".split()
)
#: Domains a brand-new member may link to without a spam flag (health services, charities).
TRUSTED_DOMAINS = (
    "nhs.uk", "gov.uk", "nhs.scot", "nhs.wales", "hscni.net", "nice.org.uk", "mind.org.uk",
    "samaritans.org", "versusarthritis.org", "macmillan.org.uk", "diabetes.org.uk",
    "ms-society.org.uk", "mssociety.org.uk", "bhf.org.uk", "stroke.org.uk", "cancerresearchuk.org",
    "asthmaandlung.org.uk", "crohnsandcolitis.org.uk", "epilepsy.org.uk", "alzheimers.org.uk",
    "carersuk.org", "ageuk.org.uk", "citizensadvice.org.uk", "rethink.org", "youngminds.org.uk",
    "papyrus-uk.org", "giveusashout.org", "nspcc.org.uk", "childline.org.uk", "who.int",
)

MEDICINE = re.compile(
    r"\b(?:tramadol|xanax|alprazolam|diazepam|valium|oxycodone|oxycontin|codeine|co-?codamol|"
    r"dihydrocodeine|morphine|fentanyl|pregabalin|lyrica|gabapentin|zopiclone|zolpidem|"
    r"modafinil|armodafinil|adderall|ritalin|methylphenidate|ozempic|wegovy|mounjaro|"
    r"semaglutide|tirzepatide|saxenda|viagra|cialis|levitra|sildenafil|tadalafil|ketamine|"
    r"sertraline|propranolol|lorazepam|clonazepam|temazepam|nitrazepam|buprenorphine|"
    r"methadone|oramorph|steroids?|insulin|antibiotics|amoxicillin|ivermectin|testosterone|"
    r"meds|medication|pills|tablets|capsules|patches|pens|weed|cannabis|marijuana|thc|"
    r"sensors|test\s+strips|oxys?|xans|percs|"
    r"(?:weight[\s-]?loss|fat[\s-]?loss|slimming|skinny)\s+(?:jabs?|injections?|pens?))\b", _I)
#: Talk of what a prescription costs, not a sale ("£9.90 per item", "a prepayment
#: certificate").
PRESCRIPTION_CHARGE = re.compile(r"\b(?:prescription\s+(?:charge|item|fee)s?|prepayment|PPC|"
                                 r"per\s+item|exemption)\b", _I)
SALE = re.compile(
    r"\b(?:selling|sell|for\s+sale|DM\s+me|DM\b|PM\s+me|message\s+me|inbox\s+me|"
    r"no\s+prescription|without\s+(?:a\s+)?prescription|no\s+script|discreet(?:ly)?|"
    r"next[-\s]day\s+delivery|buy\s+(?:\w+\s+){0,6}online|online\s+pharmacy|can\s+get\s+you|"
    r"going\s+cheap|anyone\s+want\s+my|order\s+now|wholesale|can\s+post|cash\s+only|"
    r"price\s+list|half\s+price|cheaper\s+than|postage|snap\s+me|(?:whats\s?app|telegram)\s+"
    r"(?:me|for)|(?:on|via)\s+(?:whats\s?app|telegram)|all\s+available|anyone\s+want\s+(?:some|any)|"
    r"for\s+(?:the\s+)?best\s+prices?|"
    # "Email us for prices", "message me for the price list"
    r"(?:email|e-mail|message|text|contact|DM|PM|inbox)\s+(?:us|me)\s+for\s+(?:the\s+)?"
    r"(?:prices?|price\s+list|details|stock))\b"
    # a messaging contact given as such ("Telegram: @fastmeds", "WhatsApp - +44...")
    r"|\b(?:whats\s?app|telegram|wickr|signal|kik)\s*[:@-]\s*[@+\d\w]"
    r"|£\s?\d+(?:\.\d\d)?(?:\s*(?:each|a|per|for|ono|o\.n\.o))?|\b\d+\s?quid\b", _I)
#: A shop or pharmacy named near the medicine and its price: the poster is comparing what
#: shops charge, unless they also ask to be contacted or offer it without a prescription.
RETAILER = re.compile(r"\b(?:boots|tesco|asda|superdrug|lloyds|sainsbury'?s|morrisons|"
                      r"amazon|the\s+pharmacy|my\s+pharmacy|the\s+chemist)\b", _I)
CONTACT_SALE = re.compile(r"\b(?:DM|PM|message|inbox|whats\s?app|telegram|no\s+prescription|"
                          r"without\s+(?:a\s+)?prescription|selling|for\s+sale)\b", _I)
SPARE = re.compile(r"\b(?:spare|leftover|unused|unopened)\b", _I)

# Wording that is spam/fraud whoever posts it.
SCAM_ANY_AGE = re.compile(
    r"\b(?:sick|fit)\s+notes?\s+(?:available|for\s+sale|£)|"
    r"\b(?:driving\s+licen[cs]es?|passports?)\b[^.!?]{0,40}\b(?:buy|fast|discreet|real)\b|"
    r"\b(?:buy|real)\b[^.!?]{0,30}\b(?:driving\s+licen[cs]es?|passports?)\b|"
    r"\bsugar\s+dadd(?:y|ies)\b|\b100%\s+guaranteed\b|\bguaranteed\s+(?:approval|income|"
    r"results)\b|\bdoctors\s+(?:don't|do\s+not|hate)\b[^.!?]{0,30}\b(?:want|know|see)\b|"
    r"\bdoctors\s+are\s+(?:stunned|baffled|shocked)\b|\bearn\s+£\s?\d|\bmake\s+£\s?\d|"
    # fit notes sold online, "no questions asked"
    r"\b(?:sick|fit)\s+notes?\b[^.!?]{0,40}\b(?:online|issued|£|buy|no\s+questions)\b|"
    # "Need a fit note? We can provide one same day": the seller's voice
    r"\b(?:sick|fit)\s+notes?\b[^.!\n]{0,40}\bwe\s+(?:can\s+)?(?:provide|issue|supply|send)\b|"
    # curses and lovers: "psychic healer", "remove curses", "bring back your lover"
    r"\b(?:psychic|spiritual)\s+healer\b|\bremove\s+(?:curses?|spells?|hexes)\b|"
    r"\bbring\s+back\s+(?:your\s+|my\s+)?(?:lover|ex)\b|\blove\s+spells?\b|"
    # a supply offered past the prescriber: "without a prescription, I can show you where"
    r"\bwithout\s+(?:a\s+)?prescription\b[^.!?\n]{0,60}\b(?:show\s+you|where\s+to\s+get|"
    r"message\s+me|DM\s+me|get\s+you)\b|"
    # letters sold: "doctor's letter for your landlord, £25, sent within 1 hour"
    r"\b(?:doctor'?s|GP|medical)\s+(?:letters?|notes?|certificates?)\b[^.!\n]{0,60}\b(?:sent\s+"
    r"within|emailed\s+within|we\s+(?:can\s+)?(?:provide|issue|send|write))\b|"
    r"\bno\s+questions\s+asked\b|\bguaranteed\s+(?:\d+%\s+)?(?:\w+\s+)?returns?\b|"
    r"\b\d+%\s+(?:weekly|daily|monthly)\s+returns?\b|\bpassive\s+income\b|"
    r"\b(?:use\s+my|my)\s+(?:referral|affiliate|discount)\s+(?:link|code)\b|"
    r"\b(?:referral|affiliate)\s+link\b|\bcasino\b|\bfree\s+spins\b|"
    r"\b(?:buy|cheap)\s+(?:\w+\s+){0,3}(?:followers|likes|subscribers)\b|"
    r"\b\d+[km]?\s+(?:instagram|tiktok|youtube)\s+(?:followers|likes|views)\b|"
    # orders taken by message: "WhatsApp +44... for orders", "message me for prices"
    # (not "I'll call them for prices": the poster is the one to contact)
    r"\b(?:text|call|message|email|DM|PM|inbox)\s+(?:me|us)\b[^.!?\n]{0,30}\bfor\s+"
    r"(?:orders?|prices|price\s+list)\b|"
    r"\b(?:whats\s?app|telegram|signal)\b[^.!?\n]{0,30}\bfor\s+(?:orders?|prices|price\s+list)\b|"
    # money multiplied: "invest £250 and get £2500 back", "double your money"
    r"\b(?:invest|deposit|put\s+in)\s+£\s?\d[\d,]*[^.!?\n]{0,40}£\s?\d[\d,]*\s+(?:back|profit|"
    r"returns?)\b|\bdouble\s+your\s+(?:money|investment|savings|bitcoin)\b|"
    # the healer's testimony: "Dr X cured my herpes with herbs, email him"
    r"\b(?:spell\s+caster|herbal\s+doctor|native\s+doctor|traditional\s+healer)\b|"
    r"\bno\s+credit\s+checks?\b|\bwe\s+lend\b|"
    # "write off up to 80% of your debt" (a Debt Relief Order from Citizens Advice is no spam)
    r"\bwrite\s+off\s+(?:up\s+to\s+)?\d+\s?%\s+of\s+(?:your|the)\s+debts?\b|"
    # advance-fee fraud: "Dear Beloved... donate my fortune to charity through you"
    r"\bdear\s+beloved\b|\bdonate\s+(?:my|the|her|his)\s+(?:fortune|funds|estate|inheritance)\b|"
    r"\b(?:fortune|funds)\b[^.!?\n]{0,40}\bthrough\s+you\b|"
    # "help me move my inheritance, you get 30%"
    r"\binheritance\b[^.!?\n]{0,60}\b(?:you\s+(?:get|will\s+get|receive)|\d+\s?%)|"
    r"\bmove\s+(?:my|the|our)\s+(?:inheritance|funds|money)\s+(?:from|out)\b|"
    r"\b(?:earn|make)\s+\d[\d,]*\s*(?:pounds?|quid)\b|\b100\s?%\s+guarant(?:ee|e)?d\b|"
    # "I sell it at cost to forum members, DM"
    r"\bI\s+(?:sell|supply)\s+(?:it|them|these)\b[^.!?\n]{0,40}\b(?:DM|PM|message|inbox|at\s+cost|"
    r"to\s+(?:forum\s+)?members)\b|"
    # an affiliate's code: "with my code JO50", "use my discount code"
    r"\b(?:with|use|using)\s+my\s+(?:\w+\s+)?code\b|"
    # "message me and I'll get you a discount"
    r"\b(?:message|DM|PM|inbox|text)\s+me\b[^.!?\n]{0,40}\b(?:discount|deal|free\s+sample)\b",
    _I)
#: An offer with a link to a shop, from any account: discount and affiliate codes,
#: "official site", "via my link", "today only".
PROMO_WITH_LINK = re.compile(
    r"\b(?:\d+%\s+off|(?:discount|promo|voucher|coupon|affiliate|referral)\s+codes?|"
    r"official\s+(?:site|website|store|shop)|(?:via|through|using|with)\s+my\s+link|"
    r"(?:today|this\s+week(?:end)?)\s+only|(?:buy|get|order)\s+(?:yours|it\s+now|now|today)|"
    r"use\s+(?:my\s+)?code|if\s+anyone\s+(?:needs|wants)\s+(?:cheap|discount(?:ed)?)|"
    r"visit\s+my\s+(?:site|shop|page|blog|store|website)|download\s+(?:it\s+|the\s+app\s+)?(?:here|now|today)|"
    # money made, told with a link: "my cousin made £10,000 with this app"
    r"(?:made|making|earned|earning|earns?)\s+(?:over\s+|up\s+to\s+)?£\s?\d)\b"
    r"|\bcode\s+(?-i:[A-Z][A-Z0-9]{3,})\b", _I)
_REF_IN_URL = re.compile(r"[/?&](?:ref|aff|affiliate|referral|partner)[=/]", _I)
#: Money from home, a pitch at any age when it asks to be contacted.
WFH_PITCH = re.compile(
    r"(?:\b(?:earn|income|money|cash)\b|£\s?\d)[^.!?\n]{0,40}\bfrom\s+(?:home|(?:your|their|"
    r"my)\s+(?:phone|sofa|laptop|bed))\b|"
    r"\bfrom\s+home\b[^.!?\n]{0,40}(?:\bearn|£\s?\d)|\bwork\s+from\s+home\s+with\s+me\b|"
    r"\blooking\s+for\s+\d+\s+(?:\w+\s+)?(?:people|ladies|mums|women|men)\b|"
    r"\bjoin(?:ing)?\s+my\s+(?:\w+\s+){0,2}business\b|"
    r"\brecruiting\b[^.!?\n]{0,30}\b(?:home|remote)\s+workers?\b|"
    r"\b(?:packing|stuffing)\s+envelopes\b", _I)
CONTACT_ME = re.compile(
    r"\b(?:message|DM|PM|inbox|text|email|contact)\s+me\b|\bget\s+in\s+touch\b|"
    r"\bcomment\s+(?:\w+\s+)?below\b|\blink\s+in\s+(?:my\s+)?bio\b|\bhit\s+me\s+up\b|"
    r"\bask\s+me\s+how\b|\breply\s+(?:here|below)\b|\bapply\s+(?:via|by|now|here)\b", _I)

#: The healer's testimony at any age: a cure by herbs or spells, then "email him" ("Dr X
#: cured my herpes with herbs, email him"). Both parts: a member thanking a surgeon who
#: "cured my back" and saying "message him" has no herbs or spells.
HEALER_CURED = re.compile(
    r"\b(?:cured|healed)\s+(?:my|me|him|her)\b[^.!?\n]{0,60}\b(?:contact|email|e-mail|"
    r"whats\s?app|message|text)\s+(?:him|her|them|dr|doctor)\b", _I)
#: A cure for a lasting disease claimed for someone, with a way to reach the healer ("he
#: cured my husband's diabetes... His number is +234...").
CURE_CLAIM = re.compile(
    r"\b(?:cured|reversed|healed|got\s+rid\s+of)\s+(?:my|his|her|me|our|their)\s+(?:\w+'s\s+)?"
    r"(?:type\s*[12]\s+)?(?:diabetes|herpes|hiv|cancer|ms|arthritis|lupus|crohn'?s|copd|"
    r"fibromyalgia|epilepsy|parkinson'?s|dementia|hepatitis|kidney\s+disease)\b", _I)
HEALER_CONTACT = re.compile(
    r"\b(?:his|her)\s+(?:number|mobile|phone|email|whats\s?app)\b|"
    r"\b(?:contact|email|message|call|text|whats\s?app)\s+(?:him|her)\b|"
    r"\+(?!44)\d{1,3}[\s-]?\d{2,4}[\s-]?\d{3}[\s-]?\d{3,4}\b", _I)
HEALER_WORDS = re.compile(r"\b(?:herbs?|herbal|spells?|roots|testimony|native|witch\s*doctor)\b",
                          _I)

# Promotional wording that is spam from a new or low-post account.
PROMO_NEW = re.compile(
    r"\b(?:click\s+here|check\s+(?:out\s+)?my\s+(?:profile|blog|page|channel|site)|"
    r"visit\s+my\s+(?:profile|page|site)|DM\s+me\s+for|invest(?:ing|ment|ments|or|ors)?|"
    r"bitcoin|crypto|forex|broker|payday\s+loans?|bad\s+credit|promo\s+code|\d+%\s+off|code\s+[A-Z0-9]{4,}|"
    r"free\s+(?:ebook|e-book|gift|trial|iphone|sample)|giveaway|bulk\s+buy|wholesale|"
    r"seo\b|rank\s+#?1|free\s+(?:consultation|assessment|quote)|I\s+sell\b|"
    r"I\s+run\s+(?:a|an)\s+(?:clinic|business|company|shop|practice|agency)|call\s+(?:us\s+)?(?:now|today)|services\s+for\s+your|(?:our|my)\s+(?:agency|clinic|shop|store|"
    r"business|channel)|google\s+(?:them|it)|hello\s+dear|"
    r"be\s+your\s+friend|cures|herbal\s+(?:capsules|remedy|pills)|email\s+me\s+at|"
    r"contact\s+(?:us|me|our)|order\s+now|buy\s+now|sign[\s-]?up|"
    # asking to be contacted privately or off the forum
    r"(?:pop|drop|send|shoot|slide)\s+(?:me\s+|into\s+my\s+)?(?:a\s+)?(?:DMs?|PM|inbox|msg)|"
    r"DM\s+(?:me|for)|PM\s+me|inbox\s+me|"
    r"link\s+in\s+(?:my\s+|the\s+)?(?:bio|profile|comments?)|"
    r"link\s+below|hit\s+me\s+up|ask\s+me\s+how|brand\s+ambassadors?|"
    # a product praised, then where to buy: "until I found X, find it on their website"
    r"(?:find|get|buy)\s+(?:it|them)\s+(?:on|from|at)\s+(?:their|the)\s+(?:official\s+)?"
    r"(?:website|site|shop)|nothing\s+helped[^.!?\n]{0,40}until\s+I\s+found|"
    r"we\s+buy\s+any|cash\s+same\s+day|ask\s+me\s+about\s+(?:our|my)|small\s+fee|"
    r"(?:send|drop)\s+me\s+(?:a\s+)?(?:message|msg|dm|pm|email)|new\s+cure\s+for|"
    r"no\s+more\s+(?:insulin|injections|tablets|meds|medication)|"
    # a post ending ", DM" or ", PM" (not "see you at 3 pm")
    r",\s*(?:DM|PM)\s*[.!]*\s*$|"
    r"click\s+(?:on\s+)?my\s+(?:name|profile|avatar)|see\s+my\s+website|great\s+prices|"
    r"(?:\+|and|plus|earn)\s+commission|apply\s+(?:via|by|now|here)|"
    r"in\s+my\s+(?:bio|profile)|on\s+my\s+(?:profile|page|wall)|pinned\s+post|"
    # romance scams: "looking for an honest woman", "kindly email me"
    r"kindly\s+(?:email|contact|message|reply|write)|looking\s+for\s+(?:a|an)\s+(?:honest|"
    r"serious|caring|good|loving)\s+(?:woman|man|lady|partner)|"
    r"(?:whats\s?app|telegram|signal|snap(?:chat)?)\s+(?:me|us|group|"
    r"channel|for)|(?:on|via)\s+(?:whats\s?app|telegram)|join\s+(?:our|my)\s+(?:\w+\s+){0,4}"
    r"(?:group|channel|course|team|programme|program)|"
    # selling: offers, crypto tokens, gambling
    r"flash\s+sale|2\s+for\s+1|limited\s+(?:time|spots|offer|places)|shop\s+now|"
    r"subscribe|presale|airdrop|tokens?|coins?\b[^.!?]{0,30}\bmoon\w*|deposit\s+£|"
    r"early\s+bird|results\s+in\s+\d+\s+days|\d+%\s+of\s+(?:users|people|customers))\b"
    r"|\b(?:whats\s?app|telegram|signal|wickr)\s*:?\s*[@+\d]|\bbuy\s+cheap\b"
    # a keyword to send: "Message me the word HEAL", "comment INFO"
    # (not "send NHS England a complaint": after "send", "me" or "the word" first; and no
    # common acronym)
    r"|\b(?:(?:message|DM|PM|text|comment)\s+(?:me\s+)?(?:the\s+word\s+)?|"
    r"send\s+(?:me\s+(?:the\s+word\s+)?|the\s+word\s+))[\"']?"
    r"(?!(?:NHS|GP|PIP|DWP|ESA|MRI|ICU|ASAP|PALS|UK|OK|LOL)\b)(?-i:[A-Z]{3,})\b",
    _I)
_UK_MOBILE = re.compile(r"(?<![\d+])(?:\+44\s?|0)7\d{3}[\s-]?\d{3}[\s-]?\d{3}(?!\d)")
#: With a new account's phone number: a price or a service offered.
_PRICE_OR_SERVICE = re.compile(r"£\s?\d|\b(?:service|rates|bookings?|appointments\s+available)\b",
                               _I)
# As pii.EMAIL, and bounded for the same reason.
EMAIL_ADDR = re.compile(r"(?:\b|(?<=[\w.+-]{64}))[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+\b")


def is_new_account(meta: AuthorMeta | None) -> bool:
    if meta is None:
        return False
    young = meta.account_age_days is not None and meta.account_age_days < NEW_ACCOUNT_DAYS
    few = meta.post_count is not None and meta.post_count < FEW_POSTS
    return young or few


def _host(url: str) -> str:
    u = re.sub(r"^[a-z]+://", "", url, flags=_I)
    return u.split("/", 1)[0].split("?", 1)[0].lower().removeprefix("www.").rstrip(".,)")


def _trusted(host: str) -> bool:
    return any(host == d or host.endswith("." + d) for d in TRUSTED_DOMAINS)


def scan_spam(text: str, meta: AuthorMeta | None) -> list[Finding]:
    out: list[Finding] = []
    new = is_new_account(meta)
    for m in URL.finditer(text):
        host = _host(m.group())
        if host in SHORTENERS:
            out.append(Finding("spam.url_shortener", "spam", "medium",
                               "Uses a link shortener, which hides where the link goes.",
                               m.span(), "link"))
        elif new and not _trusted(host):
            out.append(Finding("spam.new_account_link", "spam", "medium",
                               "Link posted by a new account or one with very few posts.",
                               m.span(), "link"))
        elif not _trusted(host) and (_REF_IN_URL.search(m.group())
                                     or PROMO_WITH_LINK.search(text)):
            out.append(Finding("spam.promo_link", "spam", "medium",
                               "A link to a shop with an offer or referral code.",
                               m.span(), "link"))
    if not out:
        emails: list[tuple[int, int]] | None = None
        for m in OBFUSCATED_URL.finditer(text):
            if emails is None:  # only when a link may be written out: three scans saved
                emails = [e.span() for pat in (EMAIL_SPOKEN, EMAIL_BRACKETED, EMAIL_SPACED)
                          for e in pat.finditer(text)]
            if any(m.start() < b and a < m.end() for a, b in emails):
                continue  # an email address written out: personal details, not a link
            written = m.group()
            if written[0] in " \t\n[({":  # " . com", "[.]com": the name is the word before
                name = re.search(r"[\w-]{1,63}$", text[max(0, m.start() - 63):m.start()])
                written = (name.group() if name else "") + written
            if not _trusted(_WRITTEN_DOT.sub(".", written).lower().removeprefix("www.")):
                out.append(Finding("spam.obfuscated_link", "spam", "medium",
                                   "A link written out so that it does not look like one.",
                                   m.span(), "link"))
                break
    rep = _repeated_phrase(text)
    if rep is not None and (new or URL.search(text)):
        out.append(Finding("spam.repeated_phrase", "spam", "low",
                           "The same phrase repeated several times in one post.", rep, "promo"))
    for m in MEDICINE.finditer(text):
        lo, hi = max(0, m.start() - 80), min(len(text), m.end() + 80)
        window = text[lo:hi]
        if PRESCRIPTION_CHARGE.search(window):
            continue
        if RETAILER.search(window) and not CONTACT_SALE.search(window):
            continue  # "about £15 at Boots online": what a shop charges, not a sale
        if SALE.search(window) or (SPARE.search(window) and re.search(
                r"\banyone\s+(?:want|need)|\bcollect|\bpost\b|£", window, _I)):
            out.append(Finding("spam.medicine_sale", "spam", "high",
                               "Offers medicine for sale or supply (selling prescription "
                               "medicines is not allowed).", m.span(), "medicine_sale"))
            break
    healer = HEALER_CURED.search(text)
    if healer is None or not HEALER_WORDS.search(text):
        healer = CURE_CLAIM.search(text) if HEALER_CONTACT.search(text) else None
    if healer is not None:
        out.append(Finding("spam.healer_testimony", "spam", "medium",
                           "A cure by herbs or spells, with the healer's contact.",
                           healer.span(), "scam"))
    pitch = WFH_PITCH.search(text)
    if pitch is not None and (new or CONTACT_ME.search(text)):
        out.append(Finding("spam.work_from_home", "spam", "medium",
                           "A money-from-home pitch asking to be contacted.", pitch.span(),
                           "scam"))
    stuffed = _keyword_stuffing(text)
    if stuffed is not None:
        out.append(Finding("spam.keyword_stuffing", "spam", "medium",
                           "One search word repeated through a list of shopping words.",
                           stuffed, "promo"))
    for m in SCAM_ANY_AGE.finditer(text):
        out.append(Finding("spam.scam_wording", "spam", "medium",
                           "Wording typical of scams or fraud.", m.span(), "scam"))
        break
    if new and not any(f.kind == "promo" for f in out):
        # a new account's phone number with a price: a service or goods advertised
        phone = _UK_MOBILE.search(text)
        if phone is not None and _PRICE_OR_SERVICE.search(text):
            out.append(Finding("spam.new_account_contact", "spam", "low",
                               "A new account advertising with a phone number and a price.",
                               phone.span(), "promo"))
    if new:
        for m in PROMO_NEW.finditer(text):
            out.append(Finding("spam.new_account_promo", "spam", "low",
                               "Promotional or contact-me wording from a new account.",
                               m.span(), "promo"))
            break
        if not any(f.kind == "promo" for f in out):
            for m in EMAIL_ADDR.finditer(text):
                out.append(Finding("spam.new_account_contact", "spam", "low",
                                   "A new account asking to be contacted off the forum.",
                                   m.span(), "promo"))
                break
    return out


_WORD = re.compile(r"[a-z0-9£$%]+(?:[.'-][a-z0-9]+)*", _I)
#: Keyword stuffing, written for search engines ("best cbd uk cbd oil for pain cbd gummies
#: uk buy cbd online cheap cbd uk"): one word at least STUFF_TIMES times and a fifth of the
#: words, in a post with at least two shopping words. A member repeating a word for effect
#: ("pain, pain, pain") has no shopping words.
STUFF_TIMES = 4
_SHOPPING = frozenset("best cheap cheapest buy online uk shop store sale price prices deal "
                      "deals discount order delivery free".split())
_COMMON = frozenset("the a an and or to of for in on at my i is it uk with".split())


_SHOPPING_WORD = re.compile(r"\b(?:" + "|".join(sorted(_SHOPPING)) + r")\b", _I)


def _keyword_stuffing(text: str) -> tuple[int, int] | None:
    if _SHOPPING_WORD.search(text) is None:  # most posts: no need to count words
        return None
    words = [(m.group().lower(), m.span()) for m in _WORD.finditer(text)]
    if len(words) < 8:
        return None
    shopping = {w for w, _ in words if w in _SHOPPING}
    if len(shopping) < 2:
        return None
    counts: dict[str, int] = {}
    for w, _ in words:
        if w not in _COMMON and w not in _SHOPPING and len(w) > 2:
            counts[w] = counts.get(w, 0) + 1
    if not counts:
        return None
    top, n = max(counts.items(), key=lambda kv: kv[1])
    if n < STUFF_TIMES or n * 5 < len(words):
        return None
    spans = [sp for w, sp in words if w == top]
    return (spans[0][0], spans[-1][1])
#: A phrase of REPEAT_WORDS words said REPEAT_TIMES times in one post is a promo pasted
#: over and over; from a new account, or with a link.
REPEAT_WORDS = 3
REPEAT_TIMES = 3


def _repeated_phrase(text: str) -> tuple[int, int] | None:
    words = [(m.group().lower(), m.span()) for m in _WORD.finditer(text)]
    seen: dict[tuple[str, ...], list[int]] = {}
    for i in range(len(words) - REPEAT_WORDS + 1):
        gram = tuple(w for w, _ in words[i:i + REPEAT_WORDS])
        if len(set(gram)) < REPEAT_WORDS:
            continue  # "help me help me": not a pasted promo
        starts = seen.setdefault(gram, [])
        if not starts or i - starts[-1] >= REPEAT_WORDS:
            starts.append(i)
        if len(starts) >= REPEAT_TIMES:
            return (words[starts[0]][1][0], words[i + REPEAT_WORDS - 1][1][1])
    return None


# --- history helpers (pure: the app supplies the history) -------------------------------
def _shingles(text: str, n: int = 4) -> set[str]:
    norm = re.sub(r"[^\w£]+", " ", text.lower()).strip()
    norm = re.sub(r"\s+", " ", norm)
    if len(norm) < n:
        return {norm} if norm else set()
    return {norm[i:i + n] for i in range(len(norm) - n + 1)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character 4-grams of the normalised texts (0..1)."""
    sa, sb = _shingles(a), _shingles(b)
    if not sa and not sb:
        return 1.0
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def is_near_duplicate(text: str, recent_texts: Sequence[str], threshold: float = 0.9) -> bool:
    """True if ``text`` is at least ``threshold`` similar to any of ``recent_texts``."""
    return any(similarity(text, r) >= threshold for r in recent_texts)


def is_burst(timestamps: Sequence[datetime], now: datetime, limit: int,
             window_seconds: int) -> bool:
    """True if at least ``limit`` of ``timestamps`` fall in the window (now - window, now].

    Pass the author's earlier post times; the app decides whether to count the current
    post. Naive and aware datetimes must not be mixed (as with any datetime comparison).
    """
    if limit <= 0:
        return True
    start = now - timedelta(seconds=window_seconds)
    return sum(1 for t in timestamps if start < t <= now) >= limit
