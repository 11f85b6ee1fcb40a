"""Mint a signed test JWT for calling the CDS Hooks service, as an EHR would.

    python examples/mint_jwt.py http://127.0.0.1:8000/cds-services/mpox-vaccination

prints a compact JWT to put after ``Authorization: Bearer``. It is signed (ES384) with the
TEST key in ``examples/keys/test-ehr-private.pem`` for the issuer ``https://ehr.example.test``,
whose public half is ``examples/keys/test-ehr-jwks.json``; ``examples/try-it.toml`` trusts
that issuer. The token lives five minutes and carries a fresh ``jti``, so each call needs a
new one (the service refuses a replayed ``jti``).

The private key is published with the project: it proves nothing and must never be trusted
outside a local test set-up.
"""

from __future__ import annotations

import argparse
import time
import uuid
from pathlib import Path

import jwt

HERE = Path(__file__).resolve().parent
ISSUER = "https://ehr.example.test"
KEY_ID = "test-ehr-1"
LIFETIME_SECONDS = 300


def mint(audience: str, *, issuer: str = ISSUER, now: float | None = None) -> str:
    """A CDS Hooks client JWT (spec 2.0: iss, aud, exp, iat, jti; kid and typ in the header)."""
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": issuer,
        "sub": "mpox-adapter-example",
        "aud": audience,
        "iat": issued,
        "exp": issued + LIFETIME_SECONDS,
        "jti": str(uuid.uuid4()),
    }
    key = (HERE / "keys" / "test-ehr-private.pem").read_bytes()
    return jwt.encode(claims, key, algorithm="ES384", headers={"kid": KEY_ID, "typ": "JWT"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("audience", help="the URL of the CDS service called (the JWT's aud)")
    print(mint(parser.parse_args().audience))


if __name__ == "__main__":
    main()
