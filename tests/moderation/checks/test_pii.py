"""Personal details: phones, helplines, NHS numbers, postcodes, email forms."""

from __future__ import annotations

import pytest

from moderation.checks.pii import nhs_check_digit_ok, scan_pii


def kinds(text: str) -> list[str]:
    return [f.kind or "" for f in scan_pii(text)]


@pytest.mark.parametrize("text", [
    "text me on 07700 900123", "ring +44 7700 900456 tonight", "my mobile 07700-900-432",
    "landline 020 7946 0321", "07700900567 any time",
])
def test_phone_numbers(text: str) -> None:
    found = scan_pii(text)
    assert [f.kind for f in found] == ["phone"]
    start, end = found[0].span or (0, 0)
    assert text[start:end].strip()[-3:].isdigit()


@pytest.mark.parametrize("text", [
    "Samaritans are on 116 123.", "Ring NHS 111 or 999.", "Text SHOUT to 85258.",
    "Mind infoline 0300 123 3393.", "Macmillan 0808 808 00 00.", "Papyrus 0800 068 4141.",
    "Childline 0800 1111.", "Domestic abuse helpline 0808 2000 247.",
    # freephone and non-geographic numbers belong to organisations...
    "The charity's line is 0808 800 1234.", "Their advice line 0345 600 7777 was helpful.",
])
def test_helplines_are_not_personal_details(text: str) -> None:
    assert kinds(text) == []


def test_nhs_check_digit() -> None:
    assert nhs_check_digit_ok("9434765919")
    assert not nhs_check_digit_ok("9434765918")
    assert not nhs_check_digit_ok("123")


def test_nhs_number_layout_or_context_required() -> None:
    assert "nhs_number" in kinds("it's 943 476 5919 on the letter")
    assert "nhs_number" in kinds("my NHS number: 9434765919")
    assert "nhs_number" not in kinds("order ref 9434765919 shipped")
    assert "nhs_number" not in kinds("my NHS number is 943 476 5918")  # bad check digit


@pytest.mark.parametrize("text,kind", [
    ("Postcode is M14 5TQ", "postcode"),
    ("We're at 12 Acacia Avenue if you want it", "address"),
    ("email me at jo.bloggs@example.com", "email"),
    ("mail jo_b at example dot co dot uk", "email"),
    ("NI number QQ 12 34 56 C", "ni_number"),
    ("born 4 July 1956 in Leeds", "dob"),
    ("DOB: 02/11/1970", "dob"),
])
def test_other_kinds(text: str, kind: str) -> None:
    assert kind in kinds(text)


@pytest.mark.parametrize("text", [
    "My HbA1c is 48 mmol/mol.", "Op on 12/03, nervous!", "Reference A/12345 on the letter.",
    "Hi I'm Sarah, 42, from the North West.", "I work as a nurse on a ward.",
    "I'll look at it tomorrow dot dot dot",
])
def test_ordinary_numbers_and_words_are_not_pii(text: str) -> None:
    assert kinds(text) == []


def test_service_number_the_poster_says_is_theirs() -> None:
    assert kinds("ring me on 0800 123 4567 at work") == ["phone"]


@pytest.mark.parametrize("text", [
    "my mobile is 07700 nine zero zero 415", "oh seven seven double oh, nine double oh, 352",
])
def test_phone_with_digits_as_words(text: str) -> None:
    assert kinds(text) == ["phone"]


@pytest.mark.parametrize("text,kind", [
    ("email = pete.m(at)example.co.uk", "email"),
    ("write to j.smith at example.com", "email"),
    ("I'm at number 22 on Ashgrove Avenue", "address"),
])
def test_more_written_forms(text: str, kind: str) -> None:
    assert kind in kinds(text)


@pytest.mark.parametrize("text", [
    "find it at nhs.uk", "meet me at 3 at the Co-op", "code HEAL20 at www.example.co.uk",
    "one or two, three four five six seven eight nine things", "see youtube.com/@somechannel",
])
def test_written_forms_that_are_not_pii(text: str) -> None:
    assert kinds(text) == []


# --- rules round 9 -----------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "call me on 07700\n900 432 tonight",  # broken over a line
    "my phone: 07700 9OO 871",  # letter O typed for zero
    "mob o77oo 9oo 112",
    "seven seven zero zero, nine zero zero, eight one two is my mobile",  # no leading 0
    "my mobile starts 07700 and the rest is 900 219",  # in two pieces
])
def test_round9_phone_forms(text: str) -> None:
    assert "phone" in kinds(text)


@pytest.mark.parametrize("text,kind", [
    ("write to r o s e @ example . org", "email"),
    ("it's jo.b @ example.net", "email"),
    ("Her DOB is 02/07/1949", "dob"),
    ("date of birth was the 3rd of May 1960", "dob"),
    ("patient number is AB1 234567", "other_id"),
    ("my hospital number at St James's is X0012345", "other_id"),
    ("national insurance qq 11 22 33 d", "ni_number"),
    ("my NHS no is nine nine nine, five eight nine, zero six two three", "nhs_number"),
    ("add me facebook.com/jane.doe.77", "social"),
    ("my snapchat is jay_m_2001", "social"),
    ("on tiktok - bendy.lou.x", "social"),
    ("our daughter Maisie Carter is at Park Lane Academy", "name"),
    ("look for me on Facebook as Wendy Ann Jones", "name"),
    ("the house on Elm Road, number 31, with the ramp", "address"),
])
def test_round9_written_forms(text: str, kind: str) -> None:
    assert kind in kinds(text)


@pytest.mark.parametrize("text", [
    "Thanks @sunflower_88 for the advice", "@bluebird_44 you were right about the GP",
    "It's a 25 minute drive to the hospital", "about 3 mile walk down the road",
    "my snap is broken again", "see facebook.com/groups/lupusuk for the group",
    "qq 12 34 56 c",  # lower case with nothing saying it is an NI number
    "my son Jack and I went to the clinic", "tablets ordered, 07:30 dose at 0700 hrs",
    "use code SAVE15 at shop.example.com",
])
def test_round9_not_personal_details(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize("text,kind", [
    ("e-mail me ann.b at example.net", "email"),
    ("my email address is pat at example.org thanks", "email"),
    ("dan@example (dot) com", "email"),
    ("postcode is bd7 1dp", "postcode"),
    ("my NHS no. 9995 890 623", "nhs_number"),
    ("NI no QQ-65-43-21-B", "ni_number"),
    ("I'm hannah_walks on tiktok", "social"),
    ("linkedin.com/in/amy-price-42", "social"),
    ("call (+44) 07700 900 765", "phone"),
    ("I was born in Bradford Royal on 12/12/80", "dob"),
])
def test_round9_more_forms(text: str, kind: str) -> None:
    assert kind in kinds(text)


@pytest.mark.parametrize("text", [
    "contact them at versusarthritis.org", "the postcode lottery for treatment",
    "booking no 9990 587 914",  # passes the check, but the words say booking, not NHS
    "ref 1234 567 890 on the letter", "I'm back on tiktok for the cat videos",
])
def test_round9_more_not_personal_details(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize("text,kind", [
    ("text 447700900432 on whatsapp", "phone"),
    ("Apartment 4, Riverside Mews - come up to the second floor", "address"),
    ("my home is the corner house on Holly Bank Road", "address"),
    ("I'm a 01/12/79 baby", "dob"),
    ("b. 4/9/1962", "dob"),
    ("birthdate 9 Sep 1962", "dob"),
    ("MRN: 12345678", "other_id"),
    ("on fb - search Tina Marie Cole", "name"),
    ("Noah Fielding is in Year 2 at Moorside Primary", "name"),
])
def test_round9_written_forms_b(text: str, kind: str) -> None:
    assert kind in kinds(text)


@pytest.mark.parametrize("text", [
    "She was born on 1st May, same as me", "premium line 0909 879 0001 was a rip-off",
    "Tracking number 9990587914 for the parcel",  # passes the check, but it's a parcel's
    "Westfield Primary have been great about her insulin",
])
def test_round9_not_personal_details_b(text: str) -> None:
    assert kinds(text) == []


def test_round9_studied9c_forms() -> None:
    assert "phone" in kinds("please ring me on Bradford 4960 112 after tea")
    assert "social" in kinds("find me on snapchat it's mo.k.1999")
    assert kinds("the hospital switchboard is 0113 496 0999, ask for the ward") == []
    assert "phone" in kinds("my switchboard extension is gone, ring me on 0113 496 0998")


@pytest.mark.parametrize("text,kind", [
    ("we're at 9 Moor Bank, Otley", "address"),
    ("post it to 3 The Garth please", "address"),
    ("my sister Aoife McBride lives nearby", "name"),
    ("I work in the Tesco on Otley Road, nights", "workplace"),
])
def test_round9_studied9d_forms(text: str, kind: str) -> None:
    assert kind in kinds(text)


def test_lower_case_ni_number_needs_the_words() -> None:
    assert kinds("Nice one, qq 12 34 56 c was my locker code") == []
    assert kinds("N.I. qq 12 34 56 c") == ["ni_number"]


@pytest.mark.parametrize("text,kind", [
    ("Morning all, Brenda Hollis here, newly diagnosed", "name"),
    ("Search \"Kerry Anne Moss\" on FB if you want to add me", "name"),
    ("moved again, number 14 now, Larch Grove", "address"),
])
def test_round9_studied9g_forms(text: str, kind: str) -> None:
    assert kind in kinds(text)


def test_a_landline_with_ask_for_is_still_a_personal_detail() -> None:
    # "ask for Pat" / "ask for the Tuesday group": homes and groups say it as often as wards
    assert "phone" in kinds("Call the house on 0113 496 0778 and ask for Jo")


@pytest.mark.parametrize("text,kind", [
    ("my birthday 9/9/1969 is on the form wrong", "dob"),
    ("my grandaughter Isla Moore has the same", "name"),
    ("we moved to 21 mill rd, otley", "address"),
])
def test_round9_studied9h_forms(text: str, kind: str) -> None:
    assert kind in kinds(text)


@pytest.mark.parametrize("text", ["mail: bob (@) example.org", "bob at sign example dot com"])
def test_round9_studied9i_emails(text: str) -> None:
    assert kinds(text) == ["email"]


@pytest.mark.parametrize("text", ["My daughter (Poppy Reyes, 9) has it too",
                                  "I'm Maggie, Maggie Thornton, from the Otley group"])
def test_round9_studied9j_names(text: str) -> None:
    assert "name" in kinds(text)


def test_round9_studied9l_form_names() -> None:
    assert "name" in kinds("Next of kin: Brian Hollis, same address")
    assert kinds("Name: Type 2 diabetes support") == []  # "Type" is no first name here


def test_a_firms_freephone_is_no_personal_detail() -> None:
    assert kinds("call our team free on 0800 555 0162 today") == []
    assert kinds("ring me on 0800 555 0163, it's my work line") == ["phone"]
