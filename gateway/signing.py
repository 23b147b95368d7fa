"""``X-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` (protocol-v1), both ways."""

import hashlib
import hmac

PREFIX = "sha256="


def sign(secret: str, body: bytes) -> str:
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of a signature header."""
    return header is not None and hmac.compare_digest(sign(secret, body), header.strip())
