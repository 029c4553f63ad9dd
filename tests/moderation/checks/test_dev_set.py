"""Measure the checks on the shared development set and assert the targets."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from moderation.checks.evaluate import evaluate

REPO = Path(__file__).resolve().parents[3]
DEFAULT = REPO / ".." / "shared" / "moderation" / "dev_set.jsonl"
# A developer worktree (e.g. /work/wt/NAME) has shared/ one level further up.
WORKTREE_DEFAULT = REPO / ".." / ".." / "shared" / "moderation" / "dev_set.jsonl"


def _dev_path() -> Path:
    env = os.environ.get("ALONGSIDE_DEV_SET")
    if env:
        return Path(env)
    return DEFAULT if DEFAULT.is_file() or not WORKTREE_DEFAULT.is_file() else WORKTREE_DEFAULT


def _rows() -> list[dict]:
    path = _dev_path()
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"dev set missing at {path} (required in CI)")
        pytest.fail(f"dev set missing at {path}; set ALONGSIDE_DEV_SET")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_dev_set_targets() -> None:
    res = evaluate(_rows())
    print("\ndev set:", json.dumps(res, indent=1))
    assert res["risk"]["recall"] >= 0.95
    assert res["risk"]["precision"] >= 0.80
    assert res["pii"]["recall"] >= 0.95
    assert res["pii"]["precision"] >= 0.90
    assert res["spam"]["recall"] >= 0.90
    assert res["ordinary"] > 0
    assert res["ordinary_flagged_rate"] < 0.05


def test_heldout_file_is_not_in_training_or_dev() -> None:
    data = Path(__file__).resolve().parents[3] / "moderation" / "checks" / "data"

    def keys(p: Path) -> set[str]:
        return {" ".join(json.loads(x)["text"].lower().split())
                for x in p.read_text(encoding="utf-8").splitlines() if x}

    training, heldout, dev = keys(data / "training.jsonl"), keys(data / "heldout.jsonl"), \
        keys(_dev_path())
    heldout2 = keys(data / "heldout2.jsonl")
    assert len(training) >= 500
    assert not training & dev
    assert not heldout & training
    assert not heldout & dev
    assert len(heldout2) >= 200
    assert not heldout2 & (training | dev | heldout)
    heldout3 = keys(data / "heldout3a.jsonl") | keys(data / "heldout3b.jsonl")
    assert len(heldout3) >= 300
    assert not heldout3 & (training | dev | heldout | heldout2)
    heldout4 = keys(data / "heldout4.jsonl")
    assert len(heldout4) >= 200
    assert not heldout4 & (training | dev | heldout | heldout2 | heldout3)
    heldout5 = keys(data / "heldout5.jsonl")
    assert len(heldout5) >= 200
    assert not heldout5 & (training | dev | heldout | heldout2 | heldout3 | heldout4)
    heldout6 = keys(data / "heldout6.jsonl")
    assert len(heldout6) >= 250
    assert not heldout6 & (training | dev | heldout | heldout2 | heldout3 | heldout4 | heldout5)
    heldout7 = keys(data / "heldout7.jsonl")
    assert len(heldout7) >= 250
    assert not heldout7 & (training | dev | heldout | heldout2 | heldout3 | heldout4 | heldout5
                           | heldout6)
    heldout8 = keys(data / "heldout8.jsonl")
    assert len(heldout8) >= 250
    assert not heldout8 & (training | dev | heldout | heldout2 | heldout3 | heldout4 | heldout5
                           | heldout6 | heldout7)


def test_heldout2_ordinary_posts_are_rarely_flagged_and_risk_is_caught() -> None:
    """heldout2.jsonl: 229 posts (157 ordinary, 72 risk) written after the first held-out
    file; its misses were studied, and since the checks5 round (26 Nov 2026) it is trained
    on with heldout.jsonl and heldout3a.jsonl, so this is a regression check only, not a
    measure of unseen posts. First measured: ordinary flagged
    2.5%, risk P 0.94 R 0.82; after the two risk rounds of 26 Nov 2026: 1.9%, P 0.96 R 0.92;
    after the riskgen round (more training data, whole-post scores): 1.9%, P 0.96 R 0.94.
    The floors catch regressions; the blind figures are heldout3b's, below."""
    path = Path(__file__).resolve().parents[3] / "moderation" / "checks" / "data" / \
        "heldout2.jsonl"
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
    res = evaluate(rows)
    print("\nheldout2:", json.dumps(res, indent=1))
    assert res["ordinary"] >= 150 and res["risk"]["tp"] + res["risk"]["fn"] >= 60
    assert res["ordinary_flagged_rate"] < 0.05
    assert res["risk"]["recall"] >= 0.80
    assert res["risk"]["precision"] >= 0.85


#: Floors for the labelled sets not trained on, just under their figures on 27 Nov 2026
#: (network head, four writers' examples, rules round 9), so that a change making posts
#: nobody trained on worse fails here. heldout3b, 4, 5, 6 and 8 are blind: never study
#: their misses; heldout7's misses were studied in the checks6 round. heldout3b-7 were also
#: used to choose between options in the round of 27 Nov 2026 (totals only); heldout8 was
#: not: its totals were read before the round and after every choice
#: (moderation/checks/data/README.md, with each set's history).
#: (file, risk posts at least, ordinary posts at least, risk recall, risk precision,
#:  ordinary flagged at most, personal-details recall, spam recall)
UNTRAINED_FLOORS = [
    ("heldout3b.jsonl", 45, 75, 0.92, 0.84, 0.09, 0.98, 0.95),
    ("heldout4.jsonl", 60, 90, 0.96, 0.93, 0.03, 0.98, 0.95),
    ("heldout5.jsonl", 60, 90, 0.92, 0.90, 0.06, 0.94, 0.85),
    ("heldout6.jsonl", 75, 120, 0.90, 0.94, 0.04, 0.93, 0.95),
    ("heldout7.jsonl", 60, 130, 0.97, 0.86, 0.06, 0.97, 0.97),
    ("heldout8.jsonl", 75, 120, 0.94, 0.90, 0.05, 0.95, 0.87),
]


@pytest.mark.parametrize(("name", "risky", "ordinary", "risk_r", "risk_p", "ord_max", "pii_r",
                          "spam_r"), UNTRAINED_FLOORS)
def test_sets_not_trained_on_do_not_get_worse(name: str, risky: int, ordinary: int,
                                              risk_r: float, risk_p: float, ord_max: float,
                                              pii_r: float, spam_r: float) -> None:
    path = Path(__file__).resolve().parents[3] / "moderation" / "checks" / "data" / name
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x]
    res = evaluate(rows)
    print(f"\n{name}:", json.dumps(res, indent=1))
    assert res["risk"]["tp"] + res["risk"]["fn"] >= risky and res["ordinary"] >= ordinary
    assert res["risk"]["recall"] >= risk_r and res["risk"]["precision"] >= risk_p
    assert res["ordinary_flagged_rate"] <= ord_max
    assert res["pii"]["recall"] >= pii_r and res["spam"]["recall"] >= spam_r


def test_round9_studied_sets_do_not_get_worse() -> None:
    """studied9.jsonl (223 posts, written by the rules9 helper before it read the checks),
    studied9b (100), 9c (70), 9d (54), 9e (50), 9f (40), 9g (40), 9h (32), 9i (30), 9j (26),
    9k (26), 9l (24) and 9m (20, mostly hard ordinary), written after reading them; 9c-9l
    were measured before their fixes
    (personal details R 0.93 / 0.84 / 1.00 / 1.00 / 0.73 / 0.75 / 0.80 / 0.70 / 1.00 /
    0.88, spam R 0.85 / 0.80 / 0.53 / 0.75 / 0.60 / 0.50 / 0.90 / 0.88 / 1.00 / 0.86; 9k
    needed none). All thirteen were studied, so this
    is a regression check for the round's personal-details and spam rules. Personal-details
    precision stays near 0.92: the misses counted are mostly a spammer's own phone number or
    email in a spam post, which these sets label spam only."""
    data = Path(__file__).resolve().parents[3] / "moderation" / "checks" / "data"
    rows = [json.loads(x) for name in ("studied9.jsonl", "studied9b.jsonl", "studied9c.jsonl",
                                                "studied9d.jsonl", "studied9e.jsonl",
                                                "studied9f.jsonl", "studied9g.jsonl",
                                                "studied9h.jsonl", "studied9i.jsonl",
                                                "studied9j.jsonl", "studied9k.jsonl",
                                                "studied9l.jsonl", "studied9m.jsonl")
            for x in (data / name).read_text(encoding="utf-8").splitlines() if x]
    res = evaluate(rows)
    assert res["pii"]["tp"] + res["pii"]["fn"] >= 160 and res["ordinary"] >= 140
    assert res["pii"]["recall"] >= 0.98 and res["pii"]["precision"] >= 0.90
    # missed: a link inserted by an established account, an NI number in two halves, an
    # email written back to front (README)
    assert res["spam"]["recall"] >= 0.98 and res["spam"]["precision"] >= 0.98
    assert res["ordinary_flagged_rate"] <= 0.05
