"""The WeChat Official Account (微信公众号) callback: ``GET`` and ``POST /wechat``.

``GET`` answers WeChat's server check; ``POST`` receives followers' messages in plain or
safe (AES) mode and answers them passively. A follower's text, or the speech recognition of
a voice message, goes to a :class:`ChatResponder` (one dialogue per OpenID); subscribing
gets a welcome; other messages a polite note that only text and voice are understood.

WeChat waits five seconds and then retries the same message up to three times. So:

* each message (by ``MsgId``; events by sender and ``CreateTime``) runs the responder once;
  a retry gets the reply when it is ready and an empty ``success`` otherwise;
* the responder has ``wechat_reply_deadline_s`` (4.5 s). When it is late the callback answers
  ``success`` (WeChat then shows nothing and does not retry) and sends the answer, when it is
  ready, as a customer-service message. ``success`` rather than a 「正在处理」 placeholder:
  the follower would otherwise get two messages for one question. Without an AppSecret the
  late answer cannot be sent, so then the follower is told to ask again instead.

Message contents are never logged (they may carry phone or ID-card numbers); OpenIDs are
logged only as the hashed session id.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Annotated, Protocol
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]
from defusedxml.ElementTree import (  # type: ignore[import-untyped, unused-ignore]
    fromstring as safe_fromstring,
)
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from kg.errors import ConfigurationError
from kg.settings import Settings, get_settings
from ui.wechat_client import WeChatApiError, WeChatClient
from ui.wechat_crypto import (
    WeChatCipher,
    WeChatError,
    WeChatMessageError,
    WeChatSignatureError,
    sign,
    verify_signature,
)

log = logging.getLogger(__name__)

ACK = "success"
WELCOME = (
    "您好，欢迎关注滨江市城市智能体！直接发送文字或语音即可咨询政务服务、反映问题、"
    "查询工单进度或报告紧急情况。"
)
UNSUPPORTED = "抱歉，目前只支持文字和语音消息，请用文字或语音描述您的问题。"
EMPTY_TEXT = "您好，请输入您想咨询的问题。"
EMPTY_VOICE = "抱歉，没有听清您的语音，请改用文字输入您的问题。"
RESPONDER_FAILED = "抱歉，系统暂时无法回答，请稍后再试，或拨打 12345 热线。"
TOO_LATE = "抱歉，您的问题处理时间较长，暂时无法答复，请稍后再发送一次。"


class ChatResponder(Protocol):
    """What answers a follower: any bot with a per-session dialogue."""

    def reply_text(self, session_id: str, text: str) -> str:
        """The answer to ``text`` in the dialogue ``session_id``, as plain text."""
        ...


class CallbackQuery(BaseModel):
    """The query WeChat adds to every callback."""

    signature: str = ""
    timestamp: str = ""
    nonce: str = ""
    echostr: str = ""
    openid: str = ""
    encrypt_type: str = ""
    msg_signature: str = ""


class WeChatMessage(BaseModel):
    """A follower's message or event, as the callback's XML gives it."""

    model_config = ConfigDict(populate_by_name=True)

    to_user: str = Field(alias="ToUserName", min_length=1)
    from_user: str = Field(alias="FromUserName", min_length=1)
    create_time: int = Field(alias="CreateTime", ge=0)
    msg_type: str = Field(alias="MsgType", min_length=1)
    content: str = Field(default="", alias="Content")
    recognition: str = Field(default="", alias="Recognition")
    event: str = Field(default="", alias="Event")
    msg_id: str = Field(default="", alias="MsgId")

    @property
    def dedup_key(self) -> str:
        """What WeChat keeps the same across retries: MsgId, or sender and time for events."""
        return self.msg_id or f"{self.from_user}:{self.create_time}"


def session_id(open_id: str) -> str:
    """The dialogue of one follower: a stable id that does not reveal the OpenID."""
    return "wechat-" + hashlib.sha256(open_id.encode("utf-8")).hexdigest()[:24]


def parse_xml(data: bytes | str) -> dict[str, str]:
    """The children of a WeChat ``<xml>`` body as tag → text.

    Any DTD is refused (so entities, external ones included, are never expanded), as is
    anything that is not well-formed XML with an ``<xml>`` root.
    """
    try:
        root: Element = safe_fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise WeChatMessageError("XML with a DTD or entities is refused") from exc
    except (ParseError, ValueError) as exc:
        raise WeChatMessageError(f"the body is not well-formed XML: {exc}") from exc
    if root.tag != "xml":
        raise WeChatMessageError("the body's root element is not <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


def parse_message(data: bytes | str) -> WeChatMessage:
    """The message in a plain (decrypted) WeChat body."""
    fields = parse_xml(data)
    try:
        return WeChatMessage.model_validate(fields)
    except ValidationError as exc:
        wrong = ", ".join(sorted({str(error["loc"][0]) for error in exc.errors()}))
        raise WeChatMessageError(f"the message lacks or has bad fields: {wrong}") from exc


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(message: WeChatMessage, text: str, now: int | None = None) -> str:
    """A passive text reply to ``message``."""
    created = int(time.time()) if now is None else now
    return (
        f"<xml><ToUserName>{_cdata(message.from_user)}</ToUserName>"
        f"<FromUserName>{_cdata(message.to_user)}</FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(text)}</Content></xml>"
    )


class PayloadTooLargeError(WeChatError):
    """A callback body above ``wechat_max_body_bytes``."""

    code = "E063"
    http_status = 413


class WeChatNotConfiguredError(WeChatError):
    """The callback lacks a setting it needs for this request (the token, the AES key)."""

    code = "E065"
    http_status = 503


def _error_response(exc: WeChatError) -> JSONResponse:
    return JSONResponse(status_code=exc.http_status,
                        content={"error": exc.code, "message": exc.message})


@dataclass
class _Answer:
    """One message's answer, shared by WeChat's retries of it."""

    open_id: str
    created: float = field(default_factory=time.monotonic)
    text: str | None = None
    late: bool = False  # the answer goes out as a customer-service message
    ready: threading.Event = field(default_factory=threading.Event)


class _AnswerCache:
    """Answers by message key, forgotten after a TTL or beyond a maximum (oldest first)."""

    def __init__(self, ttl_s: float, max_entries: int) -> None:
        self._ttl_s = ttl_s
        self._max = max_entries
        self._entries: OrderedDict[str, _Answer] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_add(self, key: str, open_id: str) -> tuple[_Answer, bool]:
        """The answer for ``key`` and whether it is new (the caller must then produce it)."""
        now = time.monotonic()
        with self._lock:
            while self._entries and now - next(iter(self._entries.values())).created >= self._ttl_s:
                self._entries.popitem(last=False)
            entry = self._entries.get(key)
            if entry is not None:
                return entry, False
            while len(self._entries) >= self._max:
                self._entries.popitem(last=False)
            entry = self._entries[key] = _Answer(open_id)
            return entry, True

    def __len__(self) -> int:
        return len(self._entries)


class WeChatCallback:
    """The callback's logic apart from HTTP: checks, decryption, answers, late delivery."""

    def __init__(
        self,
        responder: ChatResponder,
        settings: Settings,
        client: WeChatClient | None = None,
    ) -> None:
        self.responder = responder
        self.settings = settings
        self._token = settings.wechat_token.get_secret_value() if settings.wechat_token else ""
        self._cipher: WeChatCipher | None = None
        if settings.wechat_encoding_aes_key:
            try:
                self._cipher = WeChatCipher(settings.wechat_encoding_aes_key.get_secret_value(),
                                            settings.wechat_app_id or "")
            except ValueError as exc:
                raise ConfigurationError(f"WeChat safe mode: {exc}") from exc
        if client is None and settings.wechat_app_id and settings.wechat_app_secret:
            client = WeChatClient(settings.wechat_app_id,
                                  settings.wechat_app_secret.get_secret_value(),
                                  settings.wechat_api_base, settings.wechat_http_timeout_s)
        self.client = client
        self.answers = _AnswerCache(settings.wechat_dedup_ttl_s, settings.wechat_dedup_max_entries)
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(settings.wechat_workers, thread_name_prefix="wechat")
        if not self._token:
            log.warning("WeChat callback: CITYAGENT_WECHAT_TOKEN is not set; it answers 503")

    # -- checks ---------------------------------------------------------------------------
    def _check_origin(self, query: CallbackQuery, *signed: str) -> None:
        """The request is signed with our token and recent, or an error is raised."""
        if not self._token:
            raise WeChatNotConfiguredError("the WeChat callback is not configured (no token)")
        if not query.timestamp.isdigit() or not query.nonce:
            raise WeChatSignatureError("timestamp or nonce is missing")
        skew = self.settings.wechat_max_clock_skew_s
        if skew and abs(time.time() - int(query.timestamp)) > skew:
            raise WeChatSignatureError("the timestamp is too far from now; replay refused")
        verify_signature(query.msg_signature if signed else query.signature, self._token,
                         query.timestamp, query.nonce, *signed)

    def verify_server(self, query: CallbackQuery) -> str:
        """The ``echostr`` of WeChat's server check, once its signature is right."""
        self._check_origin(query)
        if not query.echostr:
            raise WeChatMessageError("echostr is missing")
        return query.echostr

    def open(self, query: CallbackQuery, body: bytes) -> tuple[WeChatMessage, bool]:
        """The checked (and in safe mode decrypted) message, and whether it was encrypted."""
        mode = query.encrypt_type.lower()
        if mode in ("", "raw"):
            self._check_origin(query)
            return parse_message(body), False
        if mode != "aes":
            raise WeChatMessageError(f"unknown encrypt_type {query.encrypt_type[:20]!r}")
        envelope = parse_xml(body)
        encrypted = envelope.get("Encrypt", "")
        if not encrypted:
            raise WeChatMessageError("safe mode body without <Encrypt>")
        self._check_origin(query, encrypted)
        if self._cipher is None:
            raise WeChatNotConfiguredError("safe mode needs CITYAGENT_WECHAT_ENCODING_AES_KEY")
        return parse_message(self._cipher.decrypt(encrypted)), True

    # -- answers --------------------------------------------------------------------------
    def answer(self, message: WeChatMessage, started: float) -> str | None:
        """The passive reply to ``message``, or None to acknowledge with ``success``."""
        fixed: str | None = None
        question = ""
        if message.msg_type == "event":
            if message.event.lower() != "subscribe":
                return None  # menu clicks, locations, unsubscribing: nothing to say
            fixed = WELCOME
        elif message.msg_type == "text":
            question = message.content
            fixed = None if question else EMPTY_TEXT
        elif message.msg_type == "voice":
            question = message.recognition
            fixed = None if question else EMPTY_VOICE
        else:
            fixed = UNSUPPORTED

        entry, new = self.answers.get_or_add(message.dedup_key, message.from_user)
        wait = 0.0
        if new:
            if fixed is not None:
                self._finish(entry, fixed)
            else:
                self._pool.submit(self._run, entry, question)
                wait = self.settings.wechat_reply_deadline_s - (time.monotonic() - started)
        else:
            log.info("WeChat retry of %s for %s", message.msg_type, session_id(entry.open_id))
        entry.ready.wait(max(wait, 0.0))
        with self._lock:
            if entry.text is not None and not entry.late:
                return entry.text
            entry.late = True
        if new and self.client is None:
            return TOO_LATE
        return None

    def _run(self, entry: _Answer, question: str) -> None:
        """Ask the responder (in a worker thread) and send the answer if it came late."""
        session = session_id(entry.open_id)
        started = time.monotonic()
        try:
            text = self.responder.reply_text(session, question).strip() or RESPONDER_FAILED
        except Exception:
            log.exception("the responder failed for %s", session)
            text = RESPONDER_FAILED
        late = self._finish(entry, text)
        log.info("answered %s in %.2f s%s", session, time.monotonic() - started,
                 " (late)" if late else "")
        if late:
            self._deliver(entry.open_id, text)

    def _finish(self, entry: _Answer, text: str) -> bool:
        """Record the answer; True when its passive reply has been given up on."""
        with self._lock:
            entry.text = text
            late = entry.late
        entry.ready.set()
        return late

    def _deliver(self, open_id: str, text: str) -> None:
        """Send a late answer as a customer-service message, or log why it cannot be sent."""
        if self.client is None:
            log.warning("a late answer for %s could not be sent: CITYAGENT_WECHAT_APP_ID and "
                        "CITYAGENT_WECHAT_APP_SECRET are not set", session_id(open_id))
            return
        try:
            self.client.send_text(open_id, text)
        except WeChatApiError as exc:
            log.warning("a late answer for %s could not be sent: %s", session_id(open_id), exc)

    # -- replies --------------------------------------------------------------------------
    def render(self, message: WeChatMessage, text: str | None, encrypted: bool) -> Response:
        """The HTTP reply: ``success``, or the text reply (encrypted when the message was)."""
        if text is None:
            return PlainTextResponse(ACK)
        xml = text_reply_xml(message, text)
        if encrypted and self._cipher is not None:
            timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
            ciphertext = self._cipher.encrypt(xml)
            xml = (
                f"<xml><Encrypt>{_cdata(ciphertext)}</Encrypt>"
                f"<MsgSignature>{_cdata(sign(self._token, timestamp, nonce, ciphertext))}"
                f"</MsgSignature><TimeStamp>{timestamp}</TimeStamp>"
                f"<Nonce>{_cdata(nonce)}</Nonce></xml>"
            )
        return Response(xml, media_type="application/xml")

    def handle(self, query: CallbackQuery, body: bytes, started: float) -> Response:
        """A whole POST: check, open, answer, render; WeChat errors become 4xx/503."""
        try:
            message, encrypted = self.open(query, body)
            return self.render(message, self.answer(message, started), encrypted)
        except WeChatError as exc:
            log.info("WeChat callback refused: %s", exc)
            return _error_response(exc)


async def _read_body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLargeError(f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    stream: AsyncIterator[bytes] = request.stream()
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def wechat_router(
    responder: ChatResponder,
    settings: Settings | None = None,
    client: WeChatClient | None = None,
) -> APIRouter:
    """The ``/wechat`` callback answering followers with ``responder``.

    ``settings`` default to the environment; ``client`` (WeChat's API, for late answers)
    defaults to one built from the AppID and AppSecret when both are set.
    """
    callback = WeChatCallback(responder, settings or get_settings(), client)
    router = APIRouter(tags=["wechat"])

    @router.get("/wechat", response_class=PlainTextResponse)
    def verify_server(query: Annotated[CallbackQuery, Query()]) -> Response:
        """WeChat's server check: ``echostr`` back when the signature is right, else 403."""
        try:
            return PlainTextResponse(callback.verify_server(query))
        except WeChatError as exc:
            return _error_response(exc)

    @router.post("/wechat")
    async def receive(request: Request, query: Annotated[CallbackQuery, Query()]) -> Response:
        """A follower's message or event; the reply is passive XML or ``success``.

        Plain mode checks ``signature``; safe mode (``encrypt_type=aes``) checks
        ``msg_signature``, decrypts, and encrypts the reply. Bad signatures give 403,
        malformed or DTD-carrying XML 400, bodies over the limit 413.
        """
        started = time.monotonic()
        try:
            body = await _read_body(request, callback.settings.wechat_max_body_bytes)
        except WeChatError as exc:
            return _error_response(exc)
        return await run_in_threadpool(callback.handle, query, body, started)

    return router
