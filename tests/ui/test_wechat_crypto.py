"""WeChat signatures and safe-mode AES, against a reference written here from WeChat's docs."""

from __future__ import annotations

import base64
import hashlib
import os
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ui.wechat_crypto import (
    WeChatCipher,
    WeChatMessageError,
    WeChatSignatureError,
    decode_aes_key,
    sign,
    verify_signature,
)

APP_ID = "wx1234567890abcdef"
# 32 known bytes → the 43-character EncodingAESKey WeChat would show for them.
KEY = bytes(range(32))
ENCODING_AES_KEY = base64.b64encode(KEY).decode("ascii").rstrip("=")


# -- a reference implementation, step by step from the documented algorithm ----------------
def reference_signature(*parts: str) -> str:
    """sha1 of the parts sorted as strings and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def reference_encrypt(key: bytes, app_id: str, xml: str, prefix: bytes) -> str:
    """random(16) + len(xml) as 4 bytes big-endian + xml + appid, PKCS#7 to 32, AES-CBC."""
    body = xml.encode("utf-8")
    plain = prefix + struct.pack(">I", len(body)) + body + app_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def reference_decrypt(key: bytes, encrypted: str) -> tuple[str, str]:
    """The XML and AppID inside a safe-mode ``Encrypt``."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    plain = plain[: -plain[-1]]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length].decode(), plain[20 + length :].decode()


# -- signatures -------------------------------------------------------------------------
def test_signature_is_the_sha1_of_the_sorted_parts() -> None:
    assert sign("token", "1700000000", "nonce") == reference_signature(
        "1700000000", "nonce", "token"
    )
    # Sorted as strings: "10" < "9"; order of the arguments does not matter.
    assert sign("b", "9", "10") == hashlib.sha1(b"109b").hexdigest()


def test_verify_signature_accepts_the_right_one_and_refuses_others() -> None:
    good = reference_signature("tok", "1700000000", "42")
    verify_signature(good, "tok", "1700000000", "42")
    verify_signature(good.upper(), "tok", "1700000000", "42")
    with pytest.raises(WeChatSignatureError, match="wrong signature"):
        verify_signature(good, "other", "1700000000", "42")
    with pytest.raises(WeChatSignatureError, match="not signed"):
        verify_signature("", "tok", "1700000000", "42")
    with pytest.raises(WeChatSignatureError):
        verify_signature("签名", "tok", "1700000000", "42")


# -- keys and AES -----------------------------------------------------------------------
def test_encoding_aes_key_decodes_to_32_bytes() -> None:
    assert len(ENCODING_AES_KEY) == 43
    assert decode_aes_key(ENCODING_AES_KEY) == KEY
    with pytest.raises(ValueError, match="43"):
        decode_aes_key(ENCODING_AES_KEY[:-1])
    with pytest.raises(ValueError, match="base64"):
        decode_aes_key("!" * 43)


def test_encrypt_matches_the_reference_vector() -> None:
    xml = "<xml><Content><![CDATA[你好，12345]]></Content></xml>"
    prefix = b"0123456789abcdef"
    expected = reference_encrypt(KEY, APP_ID, xml, prefix)
    assert WeChatCipher(ENCODING_AES_KEY, APP_ID).encrypt(xml, prefix) == expected
    assert len(base64.b64decode(expected)) % 32 == 0


@pytest.mark.parametrize("size", [0, 1, 10, 11, 12, 100, 1000])
def test_round_trip_at_every_padding_length(size: int) -> None:
    cipher = WeChatCipher(ENCODING_AES_KEY, APP_ID)
    xml = "<xml>" + "问" * size + "</xml>"
    encrypted = cipher.encrypt(xml)
    assert cipher.decrypt(encrypted) == xml
    assert reference_decrypt(KEY, encrypted) == (xml, APP_ID)
    # Each encryption takes fresh random bytes.
    assert cipher.encrypt(xml) != encrypted


def test_decrypts_what_the_reference_encrypts() -> None:
    encrypted = reference_encrypt(KEY, APP_ID, "<xml>hi</xml>", os.urandom(16))
    assert WeChatCipher(ENCODING_AES_KEY, APP_ID).decrypt(encrypted) == "<xml>hi</xml>"


def test_refuses_another_accounts_message() -> None:
    encrypted = reference_encrypt(KEY, "wxOTHER", "<xml>hi</xml>", os.urandom(16))
    with pytest.raises(WeChatMessageError, match="AppID"):
        WeChatCipher(ENCODING_AES_KEY, APP_ID).decrypt(encrypted)


@pytest.mark.parametrize(
    "encrypted",
    [
        "not base64 !!",
        base64.b64encode(b"short").decode(),
        base64.b64encode(os.urandom(64)).decode(),  # random blocks: bad padding or garbage
        "",
    ],
)
def test_refuses_what_is_not_a_message(encrypted: str) -> None:
    with pytest.raises(WeChatMessageError):
        WeChatCipher(ENCODING_AES_KEY, APP_ID).decrypt(encrypted)


def test_refuses_a_message_under_another_key() -> None:
    other = bytes(range(1, 33))
    encrypted = reference_encrypt(other, APP_ID, "<xml>hi</xml>", os.urandom(16))
    with pytest.raises(WeChatMessageError):
        WeChatCipher(ENCODING_AES_KEY, APP_ID).decrypt(encrypted)


def test_safe_mode_needs_an_app_id() -> None:
    with pytest.raises(ValueError, match="AppID"):
        WeChatCipher(ENCODING_AES_KEY, "")
