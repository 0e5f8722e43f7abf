"""Print a real access token for a local user: ``python -m local.token admin``.

Asks the running local server's identity provider (moto Cognito lives in that
process), through the same authorize + token endpoints the dashboard uses, with
the user's password (read from the server's state directory unless given).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import secrets
import urllib.parse
from pathlib import Path

import requests

DEFAULT_STATE_DIR = Path(__file__).resolve().parent.parent / ".local-state"


def password_of(username: str, state_dir: Path = DEFAULT_STATE_DIR) -> str:
    """The local user's password, as the server wrote it for this installation."""
    from local.identity import USERS_FILE

    return str(json.loads((state_dir / USERS_FILE).read_text())[username])


def fetch(url: str, username: str, password: str | None = None, state_dir: Path = DEFAULT_STATE_DIR) -> str:
    config = requests.get(f"{url}/dashboard/config.json", timeout=10).json()["oidc"]
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    params = {
        "response_type": "code",
        "client_id": config["clientId"],
        "redirect_uri": config["redirectUri"],
        "state": "cli",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    answer = requests.post(
        f"{config['authorizeUrl']}?{urllib.parse.urlencode(params)}",
        data={"username": username, "password": password or password_of(username, state_dir)},
        allow_redirects=False,
        timeout=10,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"local sign-in refused ({answer.status_code}): wrong password or server URL?")
    location = urllib.parse.urlparse(answer.headers["Location"])
    code = urllib.parse.parse_qs(location.query)["code"][0]
    tokens = requests.post(
        config["tokenUrl"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "client_id": config["clientId"],
            "redirect_uri": config["redirectUri"],
        },
        timeout=10,
    ).json()
    return str(tokens["access_token"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("username", choices=["admin", "operator", "viewer"])
    parser.add_argument("--url", default="http://127.0.0.1:8787")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR, help="the server's --state-dir")
    args = parser.parse_args()
    print(fetch(args.url, args.username, state_dir=args.state_dir))


if __name__ == "__main__":
    main()
