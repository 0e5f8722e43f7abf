"""The dashboard's sign-in answer: an error is shown only after the state check, as
fixed text with its OAuth code; the issuer's free-text error_description never is
(anyone can put text in a link to the dashboard)."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

LURE = "Your account is locked: call +1 555 0100 or visit evil.example"


def answer_url(dash: Any, **params: str) -> str:
    return f"{dash.base}?{urlencode(params)}"


def test_an_error_without_this_browsers_state_says_only_that_the_state_did_not_match(open_dashboard: Any) -> None:
    dash = open_dashboard()
    # Given a link crafted by someone else, with an error and a lure in error_description
    dash.page.goto(answer_url(dash, error="access_denied", error_description=LURE, state="theirs"))
    # Then the sign-in page shows the state mismatch and nothing of the lure
    box = dash.page.get_by_test_id("sign-in-error")
    box.wait_for()
    assert "did not match" in box.inner_text()
    assert "evil.example" not in dash.page.content()


def test_an_error_for_this_browsers_request_shows_fixed_text_and_the_code(open_dashboard: Any) -> None:
    dash = open_dashboard()
    dash.open()
    # Given a sign-in this browser started (its pending state), answered with an error and a lure
    pending = {"state": "mine", "verifier": "v" * 43, "createdAt": int(time.time() * 1000), "returnTo": ""}
    dash.page.evaluate("p => sessionStorage.setItem('edgex.pkce', p)", json.dumps(pending))
    dash.page.goto(answer_url(dash, error="access_denied", error_description=LURE, state="mine"))
    # Then the fixed sentence with the OAuth code is shown, never the description
    box = dash.page.get_by_test_id("sign-in-error")
    box.wait_for()
    text = box.inner_text()
    assert "The identity provider refused the sign-in" in text and "access_denied" in text
    assert "evil.example" not in dash.page.content()
