"""Risk rules: a lexicon with negation scope, recovery/idiom/resource mitigators and
explicit overdose-in-progress patterns.

``scan_risk(text)`` returns positive findings and the names of mitigating cues it saw
(the engine uses the cues to gate the semantic model, which misfires on exactly these).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from moderation.checks.text import is_negated, sentence_at
from moderation.checks.types import Finding

_I = re.I

# --- building blocks -------------------------------------------------------------------
# "carry on" / "go on" that ends the thought ("I'm not going to carry on."), unlike
# "I'm not going on holiday" or "not going to carry on with the diet".
_END_OF_THOUGHT = (r"(?=\s*(?:[.!?,;\n]|$|\s+(?:any\s*more|like\s+this|after|if|without|much"
                   r"\s+longer|for\s+much\s+longer|with\s+(?:life|this\s+life|living))\b))")
_SELF = r"(?:myself|himself|herself|themselves|themself|ourselves)"
_PILLS = (
    r"(?:pills?|tablets?|meds|medication|medicines?|capsules?|paracetamol|co-?codamol|"
    r"ibuprofen|painkillers?|pain killers?|sleeping pills|antidepressants|insulin|"
    r"sertraline|citalopram|amitriptyline|pregabalin|gabapentin|tramadol|codeine|"
    r"morphine|oxycodone|diazepam|zopiclone|quetiapine|lithium|propranolol|"
    r"mirtazapine|fluoxetine|venlafaxine|the (?:box|packet|bottle|lot))"
)
_PERSON = (
    r"(?:him|her|them|my (?:husband|wife|partner|neighbour|boss|dad|mum|brother|sister|"
    r"ex|son|daughter|flatmate|carer)|the (?:baby|kids?|people|lot of them)|someone|people)"
)


@dataclass(frozen=True)
class _Rule:
    rule: str
    pattern: re.Pattern[str]
    severity: str
    reason: str
    negatable: bool = True
    past_sensitive: bool = True


def _r(rule: str, pat: str, severity: str, reason: str, *, neg: bool = True,
       past: bool = True) -> _Rule:
    return _Rule(rule, re.compile(pat, _I), severity, reason, neg, past)


# --- urgent: overdose in progress ------------------------------------------------------
_OD_TAKE = (
    r"(?:\bI(?:'ve| have)?\s+(?:just\s+|already\s+)?|^\s*(?:just\s+)?|[.!?]\s*(?:just\s+)?)"
    r"(?:took|taken|swallowed|downed|necked|had)\b"
)
_OD_AMOUNT = (
    r"(?:way\s+|far\s+|a\s+lot\s+|loads\s+|much\s+)?(?:more|too\s+many|too\s+much|loads|"
    r"a\s+(?:load|lot|handful|bunch)|all(?:\s+of)?|the\s+(?:whole|rest|lot)|a\s+(?:whole\s+)?"
    r"(?:box|pack|packet|bottle|strip|month's)|(?:a|the)\s+(?:full|whole|entire)\s+(?:box|pack|packet|"
    r"bottle|strip|lot)|every|double|triple|\d{2,}|twenty|thirty|forty|"
    r"fifty|a\s+fistful|an?\s+(?:overdose|od))"
)
_OD_RECENT = (
    r"(?:\b(?:an?|one|two|\d+|half\s+an?|few)\s+(?:hours?|hrs?|mins?|minutes?)\s+(?:ago|back)\b|"
    r"\b(?:ears?|head)\s+(?:is\s+|are\s+)?(?:buzzing|ringing|spinning)|"
    r"\bjust\s+now\b|\bearlier\b|\btonight\b|\bthis\s+(?:morning|evening|afternoon)\b|"
    r"\bfeel(?:ing|s)?\s+(?:weird|strange|funny|sick|dizzy|sleepy|drowsy|off|woozy|odd)|"
    r"\b(?:can't|cannot)\s+(?:stay\s+awake|breathe|see\s+straight|feel\s+my)|"
    r"\bheart\s+(?:is\s+)?(?:racing|pounding)|\bvomit|\bthrowing\s+up|\bringing\s+in\s+my\s+ears)"
)
OVERDOSE_MIXED = re.compile(
    r"\b(?:drank|drunk|downed|necked|had|drinking)\b[^.!?]{0,30}\b(?:bottle|bottles|loads|lots|"
    r"cans|pints)\b[^.!?]{0,40}\b(?:with|and|on\s+top\s+of)\s+(?:all\s+)?(?:my\s+|the\s+)?"
    + _PILLS, _I)
OVERDOSE_TAKE = re.compile(_OD_TAKE + r"[^.!?]{0,30}?" + _OD_AMOUNT + r"[^.!?]{0,40}?"
                           + _PILLS, _I)
OVERDOSE_RECENT = re.compile(_OD_RECENT, _I)
OVERDOSE_DIRECT = re.compile(
    r"\bI(?:'ve| have)?\s+(?:just\s+)?(?:overdosed|od'?d|taken\s+an?\s+(?:overdose|od))\b|"
    r"\bI(?:'m| am)\s+overdosing\b", _I)
OVERDOSE_RESOLVED = re.compile(
    r"\b(?:said|told me)\s+(?:I'd|I would|I'll|I will)\s+be\s+(?:fine|ok|okay|alright)|"
    r"\b(?:I'm|I am|I was|was)\s+(?:fine|ok|okay)\s+(?:now|after)|\baccident(?:al|ally)\b", _I)

# --- lexicon -------------------------------------------------------------------------
RULES: tuple[_Rule, ...] = (
    # suicidal ideation, explicit
    _r("risk.suicidal", r"\bsuicidal\b|\bsuicide\s+(?:attempt|plan|note)s?\b|"
       r"\b(?:commit|committing|attempt|attempting)\s+suicide\b|\bthoughts?\s+of\s+suicide\b",
       "high", "Mentions suicidal thoughts or plans."),
    _r("risk.suicidal", r"\b(?:kill|killing|end|ending|top|topping|off|offing)\s+" + _SELF +
       r"\b", "high", "Talks about killing themselves."),
    _r("risk.suicidal", r"\b(?:end|ending|take|taking|took)\s+(?:my|his|her|their)\s+(?:own\s+)?"
       r"li(?:fe|ves)\b|\bend(?:ing)?\s+it\s+all\b|\bend\s+it\s+(?:tonight|now|today|soon)\b",
       "high", "Talks about ending their life."),
    _r("risk.suicidal", r"\b(?:want|wants|wanted|wanting|wanna|going|ready)\s+to\s+die\b|"
       r"\bwish\s+(?:I|he|she|they)\s+(?:was|were|'d|had)\s+(?:dead|never\s+been\s+born)\b|"
       r"\bbetter\s+off\s+(?:dead|without\s+(?:me|him|her|them))\b",
       "high", "Says they want to die or others would be better off without them."),
    _r("risk.suicidal", r"\b(?:don't|doesn't|do\s+not|does\s+not|didn't|no\s+longer)\s+want\s+to\s+"
       r"(?:live|be\s+alive|be\s+here|exist|wake\s+up|carry\s+on|go\s+on)\b|"
       r"\b(?:can't|cannot|can\s+not)\s+(?:go\s+on|carry\s+on|keep\s+going)\b|"
       r"\bnot\s+(?:worth|going\s+to\s+stick)\s+(?:living|around)\b|"
       r"\b(?:isn't|is\s+not|not)\s+worth\s+living\b|\bno\s+(?:reason|point)\s+"
       r"(?:to|in)\s+(?:live|living|carrying\s+on|going\s+on|being\s+here)\b|"
       r"\bwhat's\s+the\s+point\s+(?:in|of)\s+(?:carrying\s+on|living|going\s+on|being\s+alive)|"
       # a conditional plan: "if the scan is bad I'm not going to carry on"
       r"\b(?:I'm|I\s+am|I'll|I\s+will)\s+not\s+(?:going\s+to\s+|gonna\s+)?(?:carry(?:ing)?\s+on|"
       r"go(?:ing)?\s+on|keep(?:ing)?\s+going|bother\s+(?:carrying|going)\s+on)"
       + _END_OF_THOUGHT + "|"
       r"\bnot\s+(?:going\s+to|gonna)\s+(?:carry\s+on|go\s+on|keep\s+going)" + _END_OF_THOUGHT + "|"
       # no future in view: "can't see myself getting to Christmas"
       r"\b(?:can't|cant|cannot|can\s+not|don't|dont|do\s+not)\s+(?:see|imagine|picture)\s+(?:myself|me)\s+"
       r"(?:still\s+)?(?:being\s+(?:around|here|alive)|around|here|alive|getting\s+to|"
       r"making\s+it\s+(?:to|through|past))\b",
       "high", "Expresses not wanting to live.", neg=False),
    _r("risk.suicidal", r"\b(?:kms|kys|unaliv\w*|sewerslide|su1c1de|suic1de|ctb|"
       r"catch\s+the\s+bus)\b", "high", "Uses slang for suicide."),
    _r("risk.suicidal", r"\b(?:go\s+to\s+sleep|fall\s+asleep|sleep)\s+(?:and\s+)?(?:not|never)\s+"
       r"wake\s+up\b|\bsleep\s+forever\b|\bdisappear(?:ed)?\s+for\s+(?:good|ever)\b|"
       r"\bnot\s+(?:be|being)\s+(?:here|around)\s+(?:much\s+longer|tomorrow|next\s+week)\b|"
       r"\bwon't\s+be\s+(?:here|around)\s+(?:much\s+longer|tomorrow|for\s+long)\b|"
       r"(?:\bnot|n't)\b[^.!?]{0,25}\bbe\s+(?:here|around)\s+(?:much\s+|for\s+(?:much\s+)?)?"
       r"(?:longer|long)\b|"
       r"\bwill\s+be\s+my\s+last\b|\btonight\s+is\s+the\s+night\b|\bno\s+way\s+out\b|"
       r"\bwant\s+(?:it\s+all|everything)\s+to\s+(?:stop|end|be\s+over)\b|"
       r"\bjust\s+want\s+it\s+to\s+(?:stop|end|be\s+over)\b|"
       r"\bspeed\s+it\s+up\b|\bjoin\s+(?:my\s+|her\s+|his\s+)?(?:dad|mum|husband|wife|son|"
       r"daughter|partner)\b(?!\s+(?:for|at|in|on))",
       "high", "Passive or indirect wish to die.", neg=False),
    # method-seeking: asking how to, how much, how long (never negated: a question)
    _r("risk.method", r"\bhow\s+(?:many|much)\s+(?:of\s+(?:my|these|the)\s+)?" + _PILLS +
       r"[^.!?]{0,30}\b(?:would|does|will|to)\s+(?:it\s+take|kill|be\s+(?:fatal|lethal|enough))|"
       r"\bhow\s+long\s+(?:does|would|will|do)\s+(?:it\s+take\s+for\s+)?(?:an?\s+)?"
       r"(?:overdose|od)\b|\b(?:lethal|fatal)\s+(?:dose|amount)\b|"
       r"\b(?:most\s+)?(?:painless|quickest|easiest|surest)\s+way\s+to\s+(?:die|go|end\s+it)\b",
       "high", "Asks about a method or amount: possible planning.", neg=False, past=False),
    # preparation / means
    _r("risk.preparation", r"\b(?:saving|saved|stockpil\w+|hoard\w*|hiding|hidden|collecting|"
       r"stashing|stashed)\s+(?:up\s+)?(?:all\s+)?(?:my|his|her|their)?\s*" + _PILLS,
       "high", "Mentions saving up medication (access to means)."),
    _r("risk.preparation", r"\b(?:written|wrote|writing)\s+(?:goodbye\s+)?(?:letters?|notes?)\s+"
       r"(?:to|for)\b|\bgoodbye\s+(?:letters?|notes?)\b|\bsorted\s+(?:out\s+)?(?:my|his|her)\s+"
       r"(?:will|affairs)\b|\bgiving\s+away\s+(?:all\s+)?(?:my|his|her|their)\s+"
       r"(?:things|stuff|belongings)\b|\bplanning\s+how\b|\bmade\s+a\s+plan\b|"
       r"\bposted\s+(?:a\s+)?goodbye\b|\bsaid\s+goodbye\s+to\s+everyone\b",
       "high", "Describes preparation or farewell behaviour.", neg=False, past=False),
    # self-harm
    _r("risk.self_harm", r"\bself[-\s]?harm\w*\b|\bself[-\s]?injur\w*|\bsh\s+(?:relapse|urges?)\b|"
       r"\bcut(?:ting)?\s+" + _SELF + r"\b|\bcut\s+again\b|\b(?:hurt|hurting|harm|harming|"
       r"punish|punishing|injure|injuring)\s+" + _SELF + r"\b|\bcuts\s+on\s+(?:my|his|her|their)\b",
       "high", "Mentions self-harm."),
    _r("risk.self_harm", r"\b(?:burn|burning|burnt|burned|cutting|slash|slashed|slashing|carve|"
       r"carving|carved)\s+(?:my|his|her)\s+(?:own\s+)?(?:wrists?|arms?|legs?|thighs?|skin|"
       r"stomach|hips?)\b", "high", "Describes self-injury.", neg=False),
    _r("risk.self_harm", r"\b(?:burn(?:ed|t)?|cut|scratch(?:ed)?|hit|bruised)\s+(?:my|his|her)\s+"
       r"\w+\s+on\s+purpose\b|\b(?:scratch|scratching|picking|pick)\w*\s+until\s+(?:I|it)\s+"
       r"bleeds?\b|\bhitting\s+my\s+head\s+(?:against|on)\b|\bstarv\w+\s+myself\b|"
       r"\b(?:skip|skipping|stopped|stop)\s+(?:taking\s+)?my\s+\w+\s+on\s+purpose\b|"
       r"\bon\s+purpose\s+(?:to|because)\s+(?:hurt|punish)\b",
       "high", "Describes deliberate self-injury.", neg=False),
    # harm to others and safeguarding
    _r("risk.harm_to_others", r"\bI(?:'ll|\s+will|'m\s+going\s+to|\s+swear\s+I'll)\s+"
       r"(?:stab|kill|strangle|batter|knife|shoot|hurt|murder)\s+" + _PERSON + r"\b|"
       r"\bI(?:'ll|\s+will|'m\s+going\s+to)\s+(?:break|smash|punch|kick)\s+(?:his|her|their)\s+"
       r"(?:face|head|jaw|legs?|neck)\b|"
       r"\b(?:thoughts?|thinking)\s+(?:about|of)\s+(?:hurting|killing|stabbing|harming)\s+"
       + _PERSON + r"|\bscared\s+(?:I'm|I\s+am|I'll|I\s+will|I\s+might)\s+(?:going\s+to\s+)?"
       r"(?:hurt|shake|harm|smother)\s+(?:her|him|them|the\s+baby|my\s+(?:baby|son|daughter))",
       "high", "Talks about harming another person."),
    _r("risk.safeguarding", r"\b(?:he|she|they|my\s+(?:husband|wife|partner|boyfriend|"
       r"girlfriend|ex|dad|mum|stepdad|stepmum|carer|son|daughter))\s+(?:has\s+)?"
       r"(?:hit|hits|punched|punches|slapped|slaps|kicked|kicks|pushed|strangled|choked)\s+me\b|"
       r"\b(?:touches|touched|touching)\s+me\b|\bscared\s+to\s+go\s+home\b|"
       r"\blocks?\s+(?:him|her|me|them)\s+in\b|\bkeep\s+it\s+(?:a\s+)?secret\b|"
       r"\b(?:takes|took|controls?|keeps)\s+(?:all\s+)?(?:my|the)\s+(?:bank\s+card|money|"
       r"benefits|pension|phone)\b|\bwon't\s+let\s+me\s+(?:see|go|leave|talk)\b|"
       r"\bchecks\s+my\s+phone\b|\bbruises?\s+[^.]{0,30}(?:can't|cannot|couldn't|won't)\s+"
       r"explain\b|\bmake\s+me\s+disappear\b|\bthreaten\w*\s+to\s+(?:kill|hurt|hit)\b|"
       r"\b(?:in|left\s+in)\s+soiled\b|\bgroom\w*\b|\bmessag\w+\s+my\s+\d{1,2}[-\s]year[-\s]old",
       "high", "Possible abuse or a safeguarding concern.", neg=False, past=False),
)

# --- mitigating cues ---------------------------------------------------------------------
_PAST = re.compile(
    r"\b(?:(?:years?|months?|weeks?|decades?|long|a\s+while)\s+ago|used\s+to|as\s+a\s+(?:teen\w*|kid|child|student)|when\s+I\s+was|back\s+in|"
    r"in\s+(?:19|20)\d\d|for\s+a\s+while|at\s+the\s+time|years?\s+(?:free|clean)|"
    r"(?:free|clean|recovered|recovering)\s+from|recovery|survived|survivor|since\s+I\s+last|"
    r"in\s+my\s+(?:teens|twenties|thirties|forties|fifties|youth|early\s+\w+)|"
    r"the\s+worst\s+(?:of\s+it\s+)?is\s+behind|once\s+(?:was|felt))\b", _I)
_CURRENT = re.compile(
    r"\b(?:again|still|relapse\w*|tonight|right\s+now|at\s+the\s+moment|last\s+night|"
    r"this\s+(?:week|morning|evening)|these\s+days|currently|lately|keep|started|"
    r"can't\s+stop|blew\s+it)\b", _I)
_FREE_FROM = re.compile(r"\b(?:free|clean|recovered|recovery|survivor|survived)\s+(?:from|of)"
                        r"\s+(?:\w+\s+){0,2}$", _I)
IDIOMS = re.compile(
    r"\b(?:is|are|was|were)\s+killing\s+me\b|\bkilling\s+me\s+(?:softly|slowly)?\b(?=.*(?:😂|🤣|lol))|"
    r"\bcould\s+(?:murder|kill)\s+(?:a|an|for)\b|\bdying\s+(?:to|for)\b|\bdeath\s+of\s+me\b|"
    r"\bI'd\s+kill\s+for\b|\bmurder\s+on\b|\bdead\s+(?:tired|on\s+my\s+feet|beat)\b|"
    r"\bdie\s+of\s+(?:boredom|embarrassment|shame)\b|\b(?:nearly\s+)?died\s+laughing\b|"
    r"\bkill(?:ed)?\s+two\s+birds\b|\bground\s+to\s+swallow\s+me\b|\bkill\s+me\s+now\b|"
    r"\b(?:bored|scared|worried)\s+to\s+death\b|\bto\s+die\s+for\b|\bkill(?:ing)?\s+time\b|"
    r"\bkiller\s+(?:t\s+)?cells?\b|\bkill(?:ing|s)?\s+(?:the\s+)?(?:cancer|tumou?r|bacteria|"
    r"virus|germs|cells)\b|\bpain\s*killers?\b|\bmurder\s+(?:a|an)\s+\w+\b|"
    r"\bone\s+more\s+\w+[^.!?]{0,40}(?:I'll|I\s+will|I'm\s+going\s+to)\s+(?:kill|shoot|hang)\s+"
    r"myself\b|\b(?:lol|lmao|haha\w*|jk)\b|😂|🤣|😅|😆|😤|🙄|😜|😉", _I)
RESOURCE = re.compile(
    r"\b(?:samaritans|116\s?123|shout|85258|nhs\s+111|111\s+option\s+2|call\s+999|papyrus|"
    r"helpline|crisis\s+(?:line|resources|team\s+number)|prevention\s+day|awareness\s+"
    r"(?:week|day|month)|sponsored\s+walk|fundrais\w+|nhs\.uk)\b", _I)
REPORTED_QUESTION = re.compile(
    r"\basked\s+(?:me\s+)?(?:if|whether|about|'|\")[^.!?]{0,80}(?:said\s+no|answered\s+no|"
    r"laughed)|\b(?:leaflet|pil|patient\s+information|side\s+effects?\s+list|label)\b[^.!?]{0,40}"
    r"\b(?:if\s+you\s+(?:have|get|experience)|may\s+cause|can\s+cause|side\s+effects?)|\b(?:scene|drama|film|episode|documentary|novel|"
    r"show|soap|series)\b", _I)


def _is_past(text: str, start: int) -> bool:
    s, e = sentence_at(text, start)
    sent = text[s:e]
    if _FREE_FROM.search(text[max(0, start - 40):start]):
        return True
    return bool(_PAST.search(sent)) and not _CURRENT.search(sent)


def _overdose(text: str) -> list[Finding]:
    out: list[Finding] = []
    resolved = bool(OVERDOSE_RESOLVED.search(text))
    for m in OVERDOSE_TAKE.finditer(text):
        s, e = sentence_at(text, m.start())
        nearby = text[s:min(len(text), e + 120)]
        if OVERDOSE_RECENT.search(nearby) and not resolved:
            out.append(Finding("risk.overdose_in_progress", "risk", "urgent",
                               "Describes taking too much medication recently: possible "
                               "overdose in progress. Act now.", (m.start(), m.end())))
    for m in OVERDOSE_MIXED.finditer(text):
        s, e = sentence_at(text, m.start())
        if OVERDOSE_RECENT.search(text[s:min(len(text), e + 120)]) and not resolved:
            out.append(Finding("risk.overdose_in_progress", "risk", "urgent",
                               "Describes mixing a lot of alcohol with medication recently: "
                               "possible overdose. Act now.", (m.start(), m.end())))
    for m in OVERDOSE_DIRECT.finditer(text):
        if not _is_past(text, m.start()) and not resolved:
            out.append(Finding("risk.overdose_in_progress", "risk", "urgent",
                               "Says they have taken an overdose. Act now.",
                               (m.start(), m.end())))
    return out


@dataclass
class RiskScan:
    """Rule output: positive findings, mitigating cue names, and spans to hide from the
    semantic model (idioms, negated or recovered mentions, helpline/awareness wording)."""

    findings: list[Finding]
    cues: list[str]
    masks: list[tuple[int, int]]


def scan_risk(text: str) -> RiskScan:
    """Run the risk rules.

    Mitigating cues: "negated", "past", "idiom", "resource", "reported" — each means a
    risk word appeared but in a context that is usually not a current risk.
    """
    findings = _overdose(text)
    cues: set[str] = set()
    masks: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    serious = re.search(r"\bI\s+mean\s+it\b|\bnot\s+joking\b|\bseriously\b", text, _I)
    for rule in RULES:
        for m in rule.pattern.finditer(text):
            span = (m.start(), m.end())
            if any(a <= span[0] < b for a, b in seen):
                continue
            if rule.negatable and is_negated(text, m.start()):
                cues.add("negated")
                masks.append(span)
                continue
            if rule.past_sensitive and _is_past(text, m.start()):
                cues.add("past")
                masks.append(span)
                continue
            s, e = sentence_at(text, m.start())
            sent = text[s:e]
            if IDIOMS.search(sent) and rule.rule in ("risk.suicidal", "risk.harm_to_others") \
                    and not serious:
                cues.add("idiom")
                masks.append(span)
                continue
            if REPORTED_QUESTION.search(sent) or (RESOURCE.search(sent) and
                                                  rule.rule == "risk.suicidal"):
                cues.add("reported")
                masks.append(span)
                continue
            seen.add(span)
            findings.append(Finding(rule.rule, "risk", rule.severity, rule.reason, span))
    for pat, cue in ((IDIOMS, "idiom"), (RESOURCE, "resource"), (REPORTED_QUESTION, "reported")):
        for m in pat.finditer(text):
            cues.add(cue)
            masks.append(m.span())
    if re.search(r"\b(?:not|never|no)\b[^.!?]{0,20}\b(?:suicid\w*|self[-\s]?harm\w*|danger|"
                 r"hurt|harm\w*|die|dying)\b", text, _I):
        cues.add("negated")
    if _PAST.search(text) and not _CURRENT.search(text):
        cues.add("past")
    return RiskScan(findings, sorted(cues), masks)
