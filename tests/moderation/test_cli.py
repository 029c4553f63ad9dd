"""``forum moderation scan`` and ``lift-expired`` through Flask's CLI runner (the real
checks engine: these lines are clear-cut)."""

from __future__ import annotations

import json

from moderation.actions import do_mute_member


def test_scan_writes_one_json_line_per_input_in_order(app):
    lines = [
        {"text": "Has anyone found a good pillow for neck pain?"},
        {"text": "Call me on 07700 900123 any time",
         "meta": {"account_age_days": 400, "post_count": 90}},
        "not json",
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    result = app.test_cli_runner().invoke(args=["moderation", "scan"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines()]
    assert len(out) == 3
    assert out[0] == {"labels": [], "findings": []}
    assert out[1]["labels"] == ["pii"]
    finding = out[1]["findings"][0]
    assert finding["kind"] == "phone" and finding["severity"] and finding["rule"]
    assert finding["span"][0] == lines[1]["text"].index("07700")
    assert "error" in out[2]


def test_lift_expired_reports_count(app, db, make):
    board = make.board()
    sanction = do_mute_member(db, actor=make.viewer(make.facilitator(board)),
                              user=make.user(), board=board, days=1, reason="Rude")
    sanction.ends_at = sanction.starts_at.replace(year=sanction.starts_at.year - 1)
    db.commit()
    result = app.test_cli_runner().invoke(args=["moderation", "lift-expired"])
    assert result.exit_code == 0, result.output
    assert "Lifted 1 sanction." in result.output
