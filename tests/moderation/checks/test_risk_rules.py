"""Hard cases for the risk rules (rules only: no model involved)."""

from __future__ import annotations

import pytest

from moderation.checks.risk_rules import scan_risk
from moderation.checks.text import is_negated


def rules(text: str) -> list[str]:
    return [f.rule for f in scan_risk(text).findings]


@pytest.mark.parametrize("text", [
    "I'm not suicidal any more, just worn out by the clinic letters.",
    "I wouldn't ever hurt myself, the dog needs me.",
    "I have never self-harmed but I get why people do.",
    "I don't want to kill myself, I want the pain managed properly.",
    "No thoughts of harming myself, just grumpy.",
])
def test_negation_including_contractions(text: str) -> None:
    scan = scan_risk(text)
    assert scan.findings == []
    assert "negated" in scan.cues


def test_negation_scope_stops_at_clause_break() -> None:
    text = "I'm not sure why, but I want to kill myself"
    assert "risk.suicidal" in rules(text)
    assert not is_negated(text, text.index("kill"))


@pytest.mark.parametrize("text", [
    "Twelve years ago I tried to take my own life. Now I run a choir.",
    "I used to self-harm as a student. I'm 40 now and doing fine.",
    "Three years free from self-harm today!",
])
def test_recovery_stories_are_not_current_risk(text: str) -> None:
    scan = scan_risk(text)
    assert scan.findings == []
    assert "past" in scan.cues


def test_relapse_in_recovery_language_is_current() -> None:
    assert "risk.self_harm" in rules("Two years clean and I cut again last night.")


@pytest.mark.parametrize("text", [
    "This gluten-free bread is killing me.",
    "My hips are killing me after the walk.",
    "I'm dying to try the new pool.",
    "I'd kill for a lie-in.",
    "If I fill in one more form I'll shoot myself 😂",
])
def test_idioms(text: str) -> None:
    assert rules(text) == []


def test_serious_threat_is_not_an_idiom() -> None:
    assert "risk.harm_to_others" in rules("I swear I'll stab him if he does it again. I mean it.")


@pytest.mark.parametrize("text", [
    "My son told me he wants to die.",
    "My wife keeps saying she'd be better off dead.",
    "My brother has been talking about killing himself.",
])
def test_carer_describing_someone_else_is_still_risk(text: str) -> None:
    assert any(r.startswith("risk.") for r in rules(text))


@pytest.mark.parametrize("text", [
    "took way more of my pills than I should have about an hour ago, feeling weird",
    "I've just swallowed a whole packet of paracetamol. Feel sick.",
    "necked a full pack of co-codamol about an hour back, ears buzzing",
    "I've taken an overdose.",
])
def test_overdose_in_progress_is_urgent(text: str) -> None:
    findings = [f for f in scan_risk(text).findings if f.rule == "risk.overdose_in_progress"]
    assert findings and findings[0].severity == "urgent"
    assert findings[0].span is not None


@pytest.mark.parametrize("text", [
    "Accidentally took my metformin twice. Rang 111 and they said I'd be fine.",
    "The hospital gave my mum too much morphine once by mistake.",
    "The scene where she took an overdose upset me.",
])
def test_not_overdose_in_progress(text: str) -> None:
    assert "risk.overdose_in_progress" not in rules(text)


def test_helpline_post_is_not_risk() -> None:
    scan = scan_risk("If you feel suicidal, Samaritans are on 116 123, any time.")
    assert scan.findings == []
    assert "resource" in scan.cues or "reported" in scan.cues


def test_safeguarding_child() -> None:
    assert "risk.safeguarding" in rules("An adult keeps messaging my 13-year-old and says "
                                        "to keep it secret.")


@pytest.mark.parametrize("text", [
    "If the scan is bad next week I'm not going to carry on.",
    "i cant see myself getting to the summer",
    "How many of my co-codamol would it take",
    "what's the most painless way to go",
    "Drank a bottle of wine with my sleeping pills half an hour ago, feel dizzy",
])
def test_conditional_plans_methods_and_mixed_overdose_are_risk(text: str) -> None:
    assert scan_risk(text).findings


@pytest.mark.parametrize("text", [
    "I'm not going on holiday this year, too expensive",
    "I'm not going to carry on with the diet, it's miserable",
    "I can't see myself going back to that job",
    "Had a glass of wine with my tablets, feeling sleepy",
])
def test_everyday_uses_of_those_words_are_not_risk(text: str) -> None:
    assert not scan_risk(text).findings


def test_an_hour_ago_is_not_the_past() -> None:
    assert scan_risk("I cut myself an hour ago and it's still bleeding").findings
    assert "past" in scan_risk("I self-harmed years ago").cues
