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


# --- categories added after studying misses on unseen posts (by kind, not by sentence) ---

@pytest.mark.parametrize("text", [
    "dont want 2 be here anymore, cant keep myself safe",
    "im thinkin bout jumpin tbh",
    "no1 wud even notice if i was gone",
    "they'd all be better w/o me",
    "i just want to sleep n never wake up",
])
def test_phone_typing_without_apostrophes_or_spelling(text: str) -> None:
    assert "risk.suicidal" in rules(text)


@pytest.mark.parametrize("text", [
    "By the time anyone reads this I'll be gone. I love you all, I'm sorry.",
    "This is my last post. Thank you for everything.",
    "Logging off for good now.",
    "I left a letter for each of my children explaining everything.",
])
def test_farewell_messages(text: str) -> None:
    assert {"risk.farewell", "risk.preparation"} & set(rules(text))


@pytest.mark.parametrize("text", [
    "This is my last post before my holiday, back in two weeks!",
    "If anyone reads this and knows a good dentist in Leeds, shout.",
    "Wrote a letter to my MP about the bus cuts.",
    "Wrote a long letter to my nan for her birthday.",
    "I wrote a letter to my dad on the anniversary and left it at his grave.",
])
def test_everyday_last_posts_and_letters_are_not_farewells(text: str) -> None:
    assert rules(text) == []


@pytest.mark.parametrize("text", [
    "My tablets are all lined up on the bedside table.",
    "I've been keeping back a couple of my sleeping tablets every night.",
    "Been putting my tramadol in a tin for weeks now.",
    "Sitting here with the blade again.",
])
def test_means_staged_or_saved_up(text: str) -> None:
    assert "risk.preparation" in rules(text)


@pytest.mark.parametrize("text", [
    "Set out my tablets for the week in the dosette box.",
    "Collecting my meds from the chemist on the way home.",
    "I won't need my crutches now the physio has signed me off.",
])
def test_everyday_medication_routines_are_not_means(text: str) -> None:
    assert rules(text) == []


@pytest.mark.parametrize("text", [
    "Been looking up which car parks in town are high enough.",
    "Would my life insurance still pay out if it was suicide?",
    "I've stood on the edge of the railway bridge every night this week.",
    "If I stopped my insulin how long would it take?",
])
def test_method_research_heights_and_insurance(text: str) -> None:
    assert "risk.method" in rules(text)


@pytest.mark.parametrize("text", [
    "The views from the bridge over the gorge were stunning.",
    "Is life insurance worth it with a chronic illness?",
    "My dad's life insurance paid out, so the funeral is covered.",
])
def test_heights_and_insurance_in_everyday_talk(text: str) -> None:
    assert rules(text) == []


@pytest.mark.parametrize("text", [
    "Scalded myself on purpose again tonight.",
    "I keep hitting myself when I get things wrong, it's the only thing that helps.",
    "Scratched my legs till they bled again.",
    "Used the scissors on my arm in the work toilets.",
])
def test_self_injury_by_other_means(text: str) -> None:
    assert "risk.self_harm" in rules(text)


@pytest.mark.parametrize("text", [
    "Burnt myself on the oven tray making tea, so clumsy.",
    "I hurt myself lifting the shopping, pulled something in my back.",
    "Any advice for a self-harm support group for parents?",
])
def test_accidents_and_topic_mentions_are_not_self_harm(text: str) -> None:
    assert rules(text) == []


@pytest.mark.parametrize("text", [
    "My mum's boyfriend comes into my room at night when she's at work.",
    "Someone on a game keeps asking my 12 year old for photos.",
    "The lodger takes all of her pension and she's scared of him.",
    "My grandad was left in soiled sheets all afternoon at the home.",
    "He chokes me when he's angry and says he'll kill me if I leave.",
])
def test_safeguarding_and_harm_from_others(text: str) -> None:
    assert "risk.safeguarding" in rules(text)


@pytest.mark.parametrize("text", [
    "My sister swallowed a whole box of her tablets an hour ago and is slurring.",
    "Took the lot. Sorry everyone.",
    "Had all my sertraline with vodka, feel really strange.",
])
def test_overdose_by_someone_else_or_without_a_time(text: str) -> None:
    assert "risk.overdose_in_progress" in rules(text)


@pytest.mark.parametrize("text", [
    "Took all my tablets this morning as usual, feeling fine.",
    "I took them all back to the pharmacy for disposal.",
])
def test_routine_doses_are_not_overdoses(text: str) -> None:
    assert "risk.overdose_in_progress" not in rules(text)


@pytest.mark.parametrize("text", [
    "When my marriage broke down I wanted to die. Life is good again now.",
    "I once sat on a cliff edge thinking about jumping. That was ten years ago.",
    "My son self-harmed for a while. He's 25 now and doing well.",
])
def test_recovery_told_in_the_next_sentence(text: str) -> None:
    scan = scan_risk(text)
    assert scan.findings == []
    assert "past" in scan.cues


@pytest.mark.parametrize("text", [
    "My son's dog comes into my room at night and sleeps on the bed.",
    "Left a note for the postman to leave parcels round the back.",
    "My son locked me out of his room, typical teenager.",
    "Took the whole lot of old clothes to the tip.",
    "It's our little secret that I eat biscuits in bed.",
    "This is my final update, the op went well and I'm home.",
    "I'll be with my mum again soon, she's coming to stay at Christmas.",
    "The dentist asked me to keep it a secret from the kids that the tooth fairy is me.",
    "Sat with my tablets and a glass of water, trying to remember if I've taken them already.",
    "I've got my tablets here with me, always carry them in my bag.",
    "No reason to stay in on a sunny day like this!",
    "I keep hitting my head on that low beam in the kitchen.",
    "Hit myself with the car door again, bruise the size of an egg.",
])
def test_everyday_sentences_sharing_words_with_the_new_patterns(text: str) -> None:
    assert rules(text) == []


@pytest.mark.parametrize(("text", "rule"), [
    ("I've been researching ways to end it when everyone's asleep.", "risk.method"),
    ("Spent the week googling how to kill myself quickly.", "risk.method"),
    ("I've looked into Dignitas, I just need the money.", "risk.method"),
    ("Keep thinking about driving into a tree on the way home from work.", "risk.suicidal"),
    ("Tempted to swerve into the oncoming lorry some mornings.", "risk.suicidal"),
    ("Chosen the songs for my funeral and tidied the flat.", "risk.preparation"),
    ("Had a few drinks to steady myself. Tonight's the night.", "risk.suicidal"),
    ("Does anyone get urges to smother their baby when she won't settle?", "risk.harm_to_others"),
    ("I swear I'll hurt him if he comes near the house again.", "risk.harm_to_others"),
])
def test_new_risk_categories_are_caught(text: str, rule: str) -> None:
    assert rule in rules(text)


@pytest.mark.parametrize("text", [
    # bereavement: a death reported, not a current risk
    "My cousin took her own life in the spring and the family is still reeling.",
    # an event the poster is excited about
    "Tonight's the night - the concert we've waited a year for!",
    "Tonight's the night, first parkrun since my knee op",
    # funeral planning with a terminal diagnosis
    "The palliative nurse and I chose the music for my funeral; Queen, obviously.",
    # awareness of harmful content aimed at children
    "Parents: there's an app challenge promoting self-harm going round year 8.",
    # safe driving talk, and a past recovery story
    "I never think about driving into anything, I'm a nervous driver who sticks to 50.",
    "Years ago I researched ways to die every night; now I volunteer on a helpline.",
])
def test_new_categories_leave_everyday_posts_alone(text: str) -> None:
    assert rules(text) == []


def test_dead_man_threat_is_an_idiom() -> None:
    assert "idiom" in scan_risk("If he eats my last yoghurt again he's a dead man.").cues


@pytest.mark.parametrize("text", [
    "I spent my teens wanting to die. I'm 35 now and glad I stayed.",
    "I was suicidal after the accident. My brother's kindness turned it around.",
    "When I first joined here I was thinking about ending it. I'm in a much better place now.",
    "I wanted to die after the divorce. Friends and long walks pulled me through.",
])
def test_recovery_told_in_other_words(text: str) -> None:
    assert rules(text) == []


@pytest.mark.parametrize("text", [
    "My mum keeps asking whether I'm suicidal. I'm not, I'm just tired.",
    "The nurse asked about self-harm and I honestly haven't, not for years.",
])
def test_a_question_about_risk_answered_no(text: str) -> None:
    assert rules(text) == []


def test_a_question_about_risk_answered_yes_is_still_risk() -> None:
    assert rules("My sister keeps asking if I'm suicidal. I am, and I don't see the point.")


@pytest.mark.parametrize("text", [
    "She listened properly and we made a plan for the next few weeks.",
    "The school ran a workshop on grooming for parents last night, really useful.",
])
def test_plans_with_a_clinician_and_teaching_about_grooming_are_not_risk(text: str) -> None:
    assert rules(text) == []


@pytest.mark.parametrize("text", [
    "I've made a plan and I'm going to do it on Sunday.",
    "A man online is grooming my 13-year-old, he sends her gifts.",
])
def test_plans_and_grooming_concerns_are_still_risk(text: str) -> None:
    assert rules(text)


@pytest.mark.parametrize("text", [
    "The patient leaflet says it could occasionally cause suicidal thoughts, is that common?",
    "Parents: there are videos on YouTube glorifying self-harm, please check them.",
    "Our school is running a session for carers about online safety and self-harm.",
])
def test_leaflets_warnings_and_sessions_about_risk_are_not_disclosures(text: str) -> None:
    assert rules(text) == []


def test_letters_to_someone_elses_and_nights_that_are_not_farewells() -> None:
    assert rules("Wrote letters to my kids' teachers about the diagnosis.") == []
    assert rules("Left a note for my son's school about his inhaler.") == []
    assert "risk.preparation" in rules("Wrote letters to my kids and left them in the drawer.")
    assert rules("Tonight's the night I finally tell my boss. Wish me luck.") == []
    assert "risk.suicidal" in rules("tonight's the night. thank you all for everything")
