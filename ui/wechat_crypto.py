"""Signatures and message encryption of the WeChat Official Account callback.

WeChat signs every callback with the SHA-1 of the sorted token, timestamp and nonce; in
safe mode (安全模式) it also encrypts the message with AES-256-CBC under the account's
EncodingAESKey: the 43-character key plus ``=`` is the base64 of the 32-byte AES key, the IV
is the key's first 16 bytes, and the plaintext is 16 random bytes, the XML's length as four
bytes in network order, the XML and the AppID, padded by PKCS#7 to 32-byte blocks. Safe
mode's ``msg_signature`` adds the base64 ciphertext to the signed parts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from kg.errors import CityAgentError

ENCODING_AES_KEY_CHARS = 43
_BLOCK_BITS = 32 * 8  # WeChat pads to 32-byte blocks, not AES's 16
_RANDOM_BYTES = 16
_LENGTH = struct.Struct("!I")


class WeChatError(CityAgentError):
    """Root of the WeChat callback's errors."""

    code = "E060"
    http_status = 400


class WeChatSignatureError(WeChatError):
    """A callback whose signature is missing, wrong or too old: it may not come from WeChat."""

    code = "E061"
    http_status = 403


class WeChatMessageError(WeChatError):
    """A callback body that is not a well-formed, safe, decryptable WeChat message."""

    code = "E062"
    http_status = 400


def sign(token: str, *parts: str) -> str:
    """WeChat's signature: the hex SHA-1 of ``token`` and ``parts`` sorted and joined.

    Plain callbacks sign (token, timestamp, nonce); safe mode adds the ciphertext.
    """
    return hashlib.sha1("".join(sorted((token, *parts))).encode("utf-8")).hexdigest()


def verify_signature(signature: str, token: str, *parts: str) -> None:
    """Raise :class:`WeChatSignatureError` unless ``signature`` signs ``parts`` with ``token``.

    The comparison takes constant time, so the signature cannot be guessed byte by byte.
    """
    if not signature:
        raise WeChatSignatureError("the request is not signed")
    if not hmac.compare_digest(signature.lower().encode("ascii", "replace"),
                               sign(token, *parts).encode("ascii")):
        raise WeChatSignatureError("wrong signature: the request does not come from WeChat")


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key behind a 43-character EncodingAESKey.

    Raises ``ValueError`` for a key of the wrong length or alphabet, so a misconfigured
    deployment fails at start-up rather than on the first message.
    """
    if len(encoding_aes_key) != ENCODING_AES_KEY_CHARS:
        raise ValueError(f"EncodingAESKey must have {ENCODING_AES_KEY_CHARS} characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("EncodingAESKey is not base64") from exc
    if len(key) != 32:  # pragma: no cover - 43 base64 characters always give 32 bytes
        raise ValueError("EncodingAESKey does not decode to 32 bytes")
    return key


class WeChatCipher:
    """Encrypts and decrypts safe-mode messages of one Official Account."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        if not app_id:
            raise ValueError("safe mode needs the account's AppID")
        self._key = decode_aes_key(encoding_aes_key)
        self._app_id = app_id.encode("utf-8")

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, xml: str, random_prefix: bytes | None = None) -> str:
        """``xml`` encrypted for WeChat, as base64; ``random_prefix`` is fixed only by tests."""
        prefix = os.urandom(_RANDOM_BYTES) if random_prefix is None else random_prefix
        if len(prefix) != _RANDOM_BYTES:
            raise ValueError(f"the random prefix must have {_RANDOM_BYTES} bytes")
        body = xml.encode("utf-8")
        plain = prefix + _LENGTH.pack(len(body)) + body + self._app_id
        padder = padding.PKCS7(_BLOCK_BITS).padder()
        padded = padder.update(plain) + padder.finalize()
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """The XML inside ``encrypted``, checked to be addressed to this account's AppID.

        Raises :class:`WeChatMessageError` for anything that is not such a message.
        """
        try:
            data = base64.b64decode(encrypted.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WeChatMessageError("Encrypt is not base64") from exc
        if not data or len(data) % 16:
            raise WeChatMessageError("Encrypt is not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        padded = decryptor.update(data) + decryptor.finalize()
        unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
        try:
            plain = unpadder.update(padded) + unpadder.finalize()
        except ValueError as exc:
            raise WeChatMessageError("Encrypt does not decrypt with this EncodingAESKey") from exc
        header = _RANDOM_BYTES + _LENGTH.size
        if len(plain) < header:
            raise WeChatMessageError("the decrypted message is too short")
        (length,) = _LENGTH.unpack_from(plain, _RANDOM_BYTES)
        body, app_id = plain[header:header + length], plain[header + length:]
        if len(body) != length or not hmac.compare_digest(app_id, self._app_id):
            raise WeChatMessageError("the message is not addressed to this account's AppID")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WeChatMessageError("the decrypted message is not UTF-8") from exc
