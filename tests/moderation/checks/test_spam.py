"""Spam rules and the history helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moderation.checks.spam import is_burst, is_near_duplicate, scan_spam
from moderation.checks.types import AuthorMeta

NEW = AuthorMeta(account_age_days=1, post_count=0)
OLD = AuthorMeta(account_age_days=400, post_count=120)


def rules(text: str, meta: AuthorMeta | None) -> list[str]:
    return [f.rule for f in scan_spam(text, meta)]


def test_link_from_new_account_but_not_from_established() -> None:
    text = "Have a look at https://shop.example.com/deal"
    assert "spam.new_account_link" in rules(text, NEW)
    assert rules(text, OLD) == []
    assert rules(text, None) == []


def test_trusted_link_from_new_account_is_fine() -> None:
    assert rules("See https://www.nhs.uk/conditions/lupus/", NEW) == []


def test_shortener_at_any_age() -> None:
    assert "spam.url_shortener" in rules("this helped me http://bit.ly/abc123", OLD)


def test_medicine_sale_at_any_age() -> None:
    assert "spam.medicine_sale" in rules("Selling my spare diazepam, £2 each, DM me", OLD)
    assert "spam.medicine_sale" in rules("Anyone want my leftover Mounjaro pens? £60", OLD)
    assert rules("Has anyone come off pregabalin? Tapering slowly.", OLD) == []
    assert rules("Selling my old mobility scooter, message me", OLD) == []


def test_near_duplicate() -> None:
    base = "Check out my amazing supplement shop for the best deals on vitamins!"
    assert is_near_duplicate(base + " ", [base.upper()])
    assert is_near_duplicate(base, ["something else", base.replace("amazing", "amazing!")])
    assert not is_near_duplicate(base, ["Does anyone know a good physio in Leeds?"])
    assert not is_near_duplicate(base, [])


def test_burst() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    recent = [now - timedelta(seconds=s) for s in (5, 20, 40)]
    assert is_burst(recent, now, limit=3, window_seconds=60)
    assert not is_burst(recent, now, limit=4, window_seconds=60)
    assert not is_burst(recent, now, limit=3, window_seconds=30)
    assert not is_burst([now + timedelta(seconds=1)], now, limit=1, window_seconds=60)


def test_bare_domain_and_written_out_links_from_new_accounts() -> None:
    assert "spam.new_account_link" in rules("Shop now at calmdrops.co.uk", NEW)
    assert rules("Shop now at calmdrops.co.uk", OLD) == []
    assert rules("see nhs.uk for the leaflet", NEW) == []
    for text in ("go to www dot pills4u dot com", "at h t t p s : / / shop . example . com",
                 "click www . deals . com / nhs"):
        assert "spam.obfuscated_link" in rules(text, OLD), text
    # an email address written out is personal details, not a link; "e.g." is no domain
    assert rules("mail me: jo dot bloggs at example dot co dot uk", OLD) == []
    assert rules("a biologic, e.g. adalimumab, helped", NEW) == []


def test_private_contact_and_offers_from_new_accounts() -> None:
    for text in ("loved your post hun, pop me a DM x", "the gummies changed my life, link in bio",
                 "join our WhatsApp group for real answers", "get this token before it moons",
                 "flash sale, 2 for 1 on turmeric today"):
        assert "spam.new_account_promo" in rules(text, NEW), text
        assert rules(text, OLD) == [], text
    assert rules("Hi all, new here, diagnosed with lupus last month.", NEW) == []


def test_scam_wording_at_any_age() -> None:
    for text in ("Fit notes issued online in 10 minutes, £15", "use my referral link for 20% off",
                 "guaranteed 10% weekly returns", "1000 instagram followers for £3"):
        assert "spam.scam_wording" in rules(text, OLD), text


def test_selling_sensors_and_cannabis_but_not_the_prescription_charge() -> None:
    assert "spam.medicine_sale" in rules("Selling 4 boxes of Libre sensors, £25 each", OLD)
    assert "spam.medicine_sale" in rules("weed for pain, can post anywhere", OLD)
    assert rules("Is it still £9.90 per prescription item?", OLD) == []


def test_phrase_pasted_three_times() -> None:
    text = "Natural joint relief now - Natural joint relief now - Natural joint relief now"
    assert "spam.repeated_phrase" in rules(text, NEW)
    assert "spam.repeated_phrase" not in rules("help me help me help me help me", NEW)


# --- rules round 9 -----------------------------------------------------------------------
def test_defanged_and_affiliate_short_links() -> None:
    assert "spam.obfuscated_link" in rules("see hxxp://cure-shop.example for it", OLD)
    assert "spam.obfuscated_link" in rules("order at gut-reset[.]com today", OLD)
    assert "spam.url_shortener" in rules("got mine from amzn.to/4abcXYZ", OLD)


def test_offer_with_a_link_from_an_established_account() -> None:
    assert "spam.promo_link" in rules("15% off this week only at joint-gel.shop", OLD)
    assert "spam.promo_link" in rules("book through my link calmclinic.example/ref/ann", OLD)
    assert "spam.promo_link" in rules("get it from the official site slimtea.com", OLD)
    # a link with no offer, and an offer on a trusted site, are ordinary from a member
    assert rules("this blog helped me: painjournal.example.com/fatigue", OLD) == []
    assert rules("20% off? no, the https://www.nhs.uk/ page is free", OLD) == []


def test_work_from_home_pitch() -> None:
    assert "spam.work_from_home" in rules(
        "Made £900 last month from home, message me to find out how", OLD)
    assert "spam.work_from_home" in rules("I need 3 ladies to join my skincare business", NEW)
    assert rules("I work from home now and my manager is understanding", OLD) == []
    assert rules("I earn a bit from home doing alterations, it keeps me sane", OLD) == []


def test_keyword_stuffing() -> None:
    text = "keto uk best keto pills buy keto online keto diet cheap keto gummies"
    assert "spam.keyword_stuffing" in rules(text, OLD)
    assert rules("Pain, pain, pain. Pain all day and pain all night, nothing helps.", OLD) == []


def test_medicine_with_a_messaging_contact_or_prices() -> None:
    assert "spam.medicine_sale" in rules("Wickr: @rxuk - oxycodone, diazepam", NEW)
    assert "spam.medicine_sale" in rules("sertraline and propranolol, message me for prices",
                                         OLD)
    assert rules("My gabapentin is out of stock at Boots again", OLD) == []


def test_a_prescribed_drug_with_a_price_is_no_sale() -> None:
    # hydroxychloroquine is a lupus and arthritis drug members talk about, prices included
    assert rules("My hydroxychloroquine was £12 at the private pharmacy abroad", OLD) == []


def test_round9_more_spam_forms() -> None:
    assert "spam.obfuscated_link" in rules("all at gutfix . com", OLD)
    assert "spam.new_account_promo" in rules("Book a free consultation with us", NEW)
    assert "spam.scam_wording" in rules("put in £100 and take £900 back in a week", OLD)
    assert "spam.scam_wording" in rules("I can double your savings in a month", OLD)
    assert "spam.promo_link" in rules("I earned £3,000 in May, download the app here: "
                                      "cashapp.example.com", OLD)
    assert "spam.healer_testimony" in rules(
        "Dr Ade healed me with roots and herbs, contact him on his email", OLD)


def test_round9_more_ordinary() -> None:
    assert rules("I did it . Then I slept for a day", OLD) == []
    assert rules("The physio cured my back pain, message him if you want his details", OLD) == []
    assert rules("I made £20 at the car boot, photos on my blog jo.example.com", OLD) == []


def test_a_trusted_site_spaced_out_is_no_obfuscated_link() -> None:
    assert rules("their page at versusarthritis . org explains it", OLD) == []
    assert rules("see nhs[.]uk for the leaflet", OLD) == []
    # an email address spaced out is personal details, not a link
    assert rules("mail me: k i m @ example . org", OLD) == []


def test_round9_spam_forms_b() -> None:
    assert "spam.new_account_promo" in rules("Dropped a dress size, link in comments", NEW)
    assert "spam.healer_testimony" in rules(
        "Mama Grace cured my sister's lupus. Her whatsapp is +233 24 555 0198", OLD)
    assert "spam.work_from_home" in rules("Making £200 a day from my phone, ask me how", OLD)
    assert "spam.medicine_sale" in rules("slimming jabs £45 each, can post", OLD)
    assert "spam.medicine_sale" in rules("anyone want some xans", NEW)
    assert "spam.scam_wording" in rules("Fast loans, no credit check, apply today", OLD)
    assert "spam.scam_wording" in rules("10% off with my code SUE10", OLD)


def test_round9_ordinary_b() -> None:
    assert rules("The chemo cured my cancer and I can't thank the oncologist enough", OLD) == []
    assert rules("Weight loss jabs aren't for me, the side effects scare me", OLD) == []
    assert rules("I make a bit of money from home with my knitting", OLD) == []


def test_round9_studied9c_forms() -> None:
    assert "spam.scam_wording" in rules("Telegram @x for orders, UK stock", OLD)
    assert "spam.scam_wording" in rules("Handmade soaps, message me for prices", OLD)
    assert "spam.scam_wording" in rules("5k TikTok followers for £10", OLD)
    assert "spam.new_account_promo" in rules("Hello, I sell herbal balm for joints", NEW)
    assert rules("I'll call them for prices tomorrow and report back", OLD) == []


def test_round9_studied9d_forms() -> None:
    assert "spam.scam_wording" in rules("DM me and I can sort you a discount on the tea", OLD)
    assert "spam.new_account_contact" in rules("Dog walking £10 an hour, 07700 900 111", NEW)
    assert "spam.new_account_promo" in rules("Buy cheap followers and likes", NEW)
    # a new member's number with a price in it is not always an advert, but a number alone is
    assert rules("I'm new, my mobile is 07700 900 222 if anyone wants to chat", NEW) == []


def test_round9_studied9e_forms() -> None:
    assert "spam.url_shortener" in rules("everything's at linktr.ee/healwithme", OLD)
    assert "spam.new_account_promo" in rules("see the pinned post on my profile", NEW)
    assert "spam.new_account_promo" in rules("Comment the word FREE and I'll send it", NEW)
    assert "spam.new_account_promo" in rules("I am looking for an honest man, kindly reply", NEW)
    assert "spam.scam_wording" in rules("Sick note needed? We can issue one today", OLD)
    assert "spam.scam_wording" in rules("Love spells that work, bring back your ex", OLD)
    assert "spam.promo_link" in rules("visit my shop for more: balms.example.com", OLD)
    # sharing a charity's page, and a fit note from the GP, are ordinary
    assert rules("For more info see painconcern.org.uk/leaflets", OLD) == []
    assert rules("Got my fit note the same day from the GP, no appointment needed", OLD) == []


def test_round9_studied9f_forms() -> None:
    assert "spam.work_from_home" in rules("Stuffing envelopes at home, £600 a week", NEW)
    assert "spam.work_from_home" in rules(
        "We're recruiting home workers now, no skills needed, apply by DM", OLD)
    assert "spam.new_account_contact" in rules("Blue badge form service, 07700 900 333", NEW)
    assert "spam.new_account_promo" in rules("Free products and commission for you", NEW)
    assert "spam.scam_wording" in rules(
        "got ozempic without a prescription, DM me and I'll get you some", OLD)
    assert "spam.scam_wording" in rules("Medical certificates for work, emailed within 2 hours",
                                        OLD)
    # what a surgery charges for a letter is ordinary
    assert rules("My GP letter for the housing cost £25, daylight robbery", OLD) == []
    assert rules("The Care Quality Commission report on our ward came out", NEW) == []


def test_a_capital_word_is_a_keyword_only_when_asked_for() -> None:
    assert rules("I had to send NHS England a complaint", NEW) == []
    assert rules("text me ASAP if the group is on", NEW) == []
    assert "spam.new_account_promo" in rules("DM me the word GLOW for the guide", NEW)
    assert "spam.new_account_promo" in rules("Course half price today, DM 'LEARN'", NEW)
    assert rules("I'll message PALS about it tomorrow", NEW) == []


def test_round9_studied9g_forms() -> None:
    assert "spam.new_account_promo" in rules("Nothing helped me until I found CalmX", NEW)
    assert "spam.new_account_promo" in rules("Click my profile for great prices", NEW)
    assert "spam.new_account_promo" in rules("Ask me about our vitamin range", NEW)
    assert "spam.scam_wording" in rules("I supply them to members at cost, PM me", OLD)
    assert "spam.promo_link" in rules("if anyone wants cheap lancets: lancets.example.com", OLD)
    # what a shop charges is no sale
    assert rules("Pregabalin was £12 at Boots when I paid privately", OLD) == []
    assert "spam.medicine_sale" in rules("Pregabalin £12 a box, cheaper than Boots, DM me", OLD)


def test_round9_studied9h_forms() -> None:
    assert "spam.scam_wording" in rules("help me move the funds out, you get 20%", OLD)
    assert "spam.scam_wording" in rules("earn 900 pounds a week", OLD)
    assert "spam.scam_wording" in rules("blue badge 100% guaranted", OLD)
    assert "spam.new_account_promo" in rules("no more insulin with this, drop me a message", NEW)
    assert "spam.new_account_promo" in rules("laptop for sale, good price, PM", NEW)
    assert rules("The group meets at 3 pm", NEW) == []
    assert rules("Mum left me a small inheritance and it paid for the stairlift", OLD) == []


def test_round9_studied9i_forms() -> None:
    assert "spam.scam_wording" in rules("We write off up to 70% of your debts", OLD)
    assert rules("Citizens Advice helped me apply for a Debt Relief Order", OLD) == []
    assert rules("email me at sign example dot com? no, bob at sign example dot com", OLD) == []


def test_round9_studied9j_forms() -> None:
    assert "spam.new_account_promo" in rules("I run a clinic for back pain, free assessment", NEW)
    assert rules("My physio runs a clinic on Tuesdays, it's on the NHS", NEW) == []


def test_round9_studied9l_forms() -> None:
    assert "spam.scam_wording" in rules("Dear Beloved, I want to donate my estate to you", OLD)
    assert rules("Mum wants to donate her wheelchair to the hospice", OLD) == []
