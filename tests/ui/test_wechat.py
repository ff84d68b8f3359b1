"""The WeChat callback, replayed with signed and unsigned requests in plain and safe mode.

Late answers go to a fake WeChat API: a real HTTP server on 127.0.0.1 in a thread.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from kg.settings import Settings
from tests.ui.test_wechat_crypto import (
    APP_ID,
    ENCODING_AES_KEY,
    KEY,
    reference_decrypt,
    reference_encrypt,
    reference_signature,
)
from ui.wechat import (
    EMPTY_TEXT,
    EMPTY_VOICE,
    RESPONDER_FAILED,
    TOO_LATE,
    UNSUPPORTED,
    WELCOME,
    session_id,
    wechat_router,
)
from ui.wechat_client import WeChatApiError, WeChatClient

TOKEN = "cityagent-test-token"
OPENID = "oABCDEFG_follower_1"
ACCOUNT = "gh_0123456789ab"


# -- fakes ------------------------------------------------------------------------------
class FakeResponder:
    """Records its calls; waits for ``release`` when ``slow``; fails when told to."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.slow = False
        self.fail = False
        self.release = threading.Event()

    def reply_text(self, session_id: str, text: str) -> str:
        self.calls.append((session_id, text))
        if self.slow:
            self.release.wait(10)
        if self.fail:
            raise RuntimeError("the bot broke")
        return f"回答：{text}"


class FakeWeChatApi:
    """WeChat's token and customer-service endpoints, on a local port."""

    def __init__(self) -> None:
        self.tokens_issued: list[str] = []
        self.revoked: set[str] = set()
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.received = threading.Event()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query)
                if url.path != "/cgi-bin/token" or query.get("secret") != ["the-secret"]:
                    self._answer({"errcode": 40125, "errmsg": "invalid appsecret"})
                    return
                token = f"ACCESS-{len(api.tokens_issued) + 1}"
                api.tokens_issued.append(token)
                self._answer({"access_token": token, "expires_in": 7200})

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                token = parse_qs(url.query).get("access_token", [""])[0]
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if token not in api.tokens_issued or token in api.revoked:
                    self._answer({"errcode": 40001, "errmsg": "invalid credential"})
                    return
                api.sent.append((token, body))
                api.received.set()
                self._answer({"errcode": 0, "errmsg": "ok"})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)

    def wait_for_message(self, timeout: float = 5.0) -> tuple[str, dict[str, Any]]:
        assert self.received.wait(timeout), "no customer-service message arrived"
        return self.sent[-1]


@pytest.fixture()
def fake_api() -> Iterator[FakeWeChatApi]:
    api = FakeWeChatApi()
    api.thread.start()
    try:
        yield api
    finally:
        api.server.shutdown()
        api.server.server_close()


@pytest.fixture()
def responder() -> Iterator[FakeResponder]:
    bot = FakeResponder()
    yield bot
    bot.release.set()  # never leave a worker thread waiting


def make_settings(api_base: str = "http://127.0.0.1:9", **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "wechat_token": SecretStr(TOKEN),
        "wechat_encoding_aes_key": SecretStr(ENCODING_AES_KEY),
        "wechat_app_id": APP_ID,
        "wechat_app_secret": SecretStr("the-secret"),
        "wechat_api_base": api_base,
        "wechat_reply_deadline_s": 4.5,
        "wechat_max_body_bytes": 4096,
    }
    values.update(overrides)
    return Settings(**values)


def make_client(responder: FakeResponder, settings: Settings) -> TestClient:
    app = FastAPI()
    app.include_router(wechat_router(responder, settings))
    return TestClient(app)


@pytest.fixture()
def client(responder: FakeResponder, fake_api: FakeWeChatApi) -> TestClient:
    return make_client(responder, make_settings(fake_api.base))


# -- requests as WeChat sends them ------------------------------------------------------
def signed(**extra: str) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), str(int.from_bytes(os.urandom(4), "big"))
    return {"timestamp": timestamp, "nonce": nonce,
            "signature": reference_signature(TOKEN, timestamp, nonce), "openid": OPENID, **extra}


def message_xml(msg_type: str, msg_id: str | None = "1001", sender: str = OPENID,
                **fields: str) -> str:
    parts = [f"<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>",
             f"<FromUserName><![CDATA[{sender}]]></FromUserName>",
             "<CreateTime>1700000000</CreateTime>",
             f"<MsgType><![CDATA[{msg_type}]]></MsgType>"]
    parts += [f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items()]
    if msg_id is not None:
        parts.append(f"<MsgId>{msg_id}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


def post_plain(client: TestClient, xml: str | bytes, **query: str) -> Any:
    params = query or signed()
    return client.post("/wechat", params=params, content=xml,
                       headers={"Content-Type": "text/xml"})


def post_safe(client: TestClient, xml: str, app_id: str = APP_ID,
              bad_signature: bool = False) -> Any:
    encrypted = reference_encrypt(KEY, app_id, xml, os.urandom(16))
    params = signed(encrypt_type="aes")
    parts = (TOKEN, params["timestamp"], params["nonce"], encrypted)
    params["msg_signature"] = reference_signature(*parts) if not bad_signature else "0" * 40
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>" \
           f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return client.post("/wechat", params=params, content=body)


def reply_fields(xml: str) -> dict[str, str]:
    return {child.tag: child.text or "" for child in ElementTree.fromstring(xml)}


def reply_text(response: Any) -> str:
    assert response.status_code == 200, response.text
    fields = reply_fields(response.text)
    assert fields["ToUserName"] == OPENID and fields["FromUserName"] == ACCOUNT
    assert fields["MsgType"] == "text"
    return fields["Content"]


# -- GET: the server check ----------------------------------------------------------------
def test_server_check_echoes_echostr(client: TestClient) -> None:
    response = client.get("/wechat", params=signed(echostr="8765309"))
    assert response.status_code == 200 and response.text == "8765309"


def test_server_check_refuses_a_wrong_signature(client: TestClient) -> None:
    params = signed(echostr="8765309")
    params["signature"] = reference_signature("wrong-token", params["timestamp"], params["nonce"])
    response = client.get("/wechat", params=params)
    assert response.status_code == 403
    assert "wrong signature" in response.json()["message"] and "8765309" not in response.text


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"echostr": "1"}, 403, "timestamp or nonce is missing"),
        ({"timestamp": "1700000000", "nonce": "1", "echostr": "1",
          "signature": reference_signature(TOKEN, "1700000000", "1")}, 403, "too far from now"),
    ],
)
def test_server_check_refuses_unsigned_and_stale_requests(
    client: TestClient, params: dict[str, str], status: int, message: str
) -> None:
    response = client.get("/wechat", params=params)
    assert response.status_code == status and message in response.json()["message"]


def test_server_check_without_echostr_is_a_400(client: TestClient) -> None:
    assert client.get("/wechat", params=signed()).status_code == 400


def test_unconfigured_callback_answers_503(responder: FakeResponder) -> None:
    client = make_client(responder, make_settings(wechat_token=None,
                                                  wechat_encoding_aes_key=None))
    assert client.get("/wechat", params=signed(echostr="1")).status_code == 503
    assert post_plain(client, message_xml("text", Content="你好")).status_code == 503
    assert responder.calls == []


# -- POST in plain mode -------------------------------------------------------------------
def test_text_goes_to_the_responder_with_one_session_per_follower(
    client: TestClient, responder: FakeResponder
) -> None:
    assert reply_text(post_plain(client, message_xml("text", "1", Content="怎么办居住证？"))) \
        == "回答：怎么办居住证？"
    post_plain(client, message_xml("text", "2", Content="需要什么材料？"))
    post_plain(client, message_xml("text", "3", sender="oOTHER", Content="你好"))
    sessions = [call[0] for call in responder.calls]
    assert sessions[0] == sessions[1] == session_id(OPENID) != sessions[2]
    assert OPENID not in sessions[0]


def test_voice_uses_the_speech_recognition(client: TestClient, responder: FakeResponder) -> None:
    xml = message_xml("voice", MediaId="m1", Format="amr", Recognition="路灯坏了")
    assert reply_text(post_plain(client, xml)) == "回答：路灯坏了"
    assert responder.calls == [(session_id(OPENID), "路灯坏了")]


def test_voice_without_recognition_asks_to_type(
    client: TestClient, responder: FakeResponder
) -> None:
    xml = message_xml("voice", MediaId="m1", Format="amr", Recognition="")
    assert reply_text(post_plain(client, xml)) == EMPTY_VOICE
    assert reply_text(post_plain(client, message_xml("text", "9", Content="  "))) == EMPTY_TEXT
    assert responder.calls == []


def test_subscribing_gets_a_welcome_and_other_events_an_ack(
    client: TestClient, responder: FakeResponder
) -> None:
    subscribe = message_xml("event", None, Event="subscribe")
    assert reply_text(post_plain(client, subscribe)) == WELCOME
    assert reply_text(post_plain(client, subscribe)) == WELCOME  # WeChat's retry
    click = message_xml("event", None, Event="CLICK", EventKey="MENU_1")
    assert post_plain(client, click).text == "success"
    assert responder.calls == []


@pytest.mark.parametrize("msg_type", ["image", "video", "location", "link", "shortvideo"])
def test_other_messages_get_a_polite_note(
    client: TestClient, responder: FakeResponder, msg_type: str
) -> None:
    assert reply_text(post_plain(client, message_xml(msg_type, PicUrl="http://x"))) == UNSUPPORTED
    assert responder.calls == []


def test_a_failing_responder_gets_an_apology_not_a_500(
    client: TestClient, responder: FakeResponder
) -> None:
    responder.fail = True
    assert reply_text(post_plain(client, message_xml("text", Content="你好"))) == RESPONDER_FAILED


def test_a_retry_runs_the_responder_once_and_gets_the_same_reply(
    client: TestClient, responder: FakeResponder
) -> None:
    xml = message_xml("text", "777", Content="查询工单")
    first, second = post_plain(client, xml), post_plain(client, xml)
    assert reply_text(first) == reply_text(second) == "回答：查询工单"
    assert len(responder.calls) == 1


@pytest.mark.parametrize("query", [{}, {"wrong": "1"}])
def test_unsigned_or_wrongly_signed_posts_are_403(
    client: TestClient, responder: FakeResponder, query: dict[str, str]
) -> None:
    params = signed() if query else {"timestamp": str(int(time.time())), "nonce": "1"}
    if query:
        params["signature"] = "f" * 40
    response = post_plain(client, message_xml("text", Content="你好"), **params)
    assert response.status_code == 403, response.text
    assert responder.calls == []


XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Content>&b;</Content></xml>'
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (XXE, "DTD"),
        (LAUGHS, "DTD"),
        ('<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml/>', "DTD"),
        ("<xml><ToUserName>a</ToUserName>", "not well-formed"),
        ("", "not well-formed"),
        (b"\xff\xfe<xml>", "not well-formed"),
        ("<html><body/></html>", "root"),
        ("<xml><ToUserName>a</ToUserName></xml>", "FromUserName"),
        (message_xml("text").replace("1700000000", "yesterday"), "CreateTime"),
    ],
)
def test_bad_xml_is_a_clear_400(
    client: TestClient, responder: FakeResponder, body: str | bytes, message: str
) -> None:
    response = post_plain(client, body)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    assert "root:" not in response.text  # /etc/passwd was never read
    assert responder.calls == []


def test_random_bodies_never_give_a_500(client: TestClient) -> None:
    for size in (1, 17, 300, 4000):
        assert post_plain(client, os.urandom(size)).status_code == 400


def test_oversize_bodies_are_413(client: TestClient, responder: FakeResponder) -> None:
    big = message_xml("text", Content="长" * 5000)
    assert post_plain(client, big).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        for _ in range(10):
            yield b"x" * 1000

    response = client.post("/wechat", params=signed(), content=chunks())
    assert response.status_code == 413 and "larger than 4096" in response.json()["message"]
    assert responder.calls == []


def test_message_contents_are_not_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    post_plain(client, message_xml("text", Content="我的电话13805712345，身份证330102199001011234"))
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("ui."))
    assert "answered wechat-" in ours
    assert "13805712345" not in ours and "330102199001011234" not in ours and OPENID not in ours


# -- POST in safe mode --------------------------------------------------------------------
def open_safe_reply(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.text
    envelope = reply_fields(response.text)
    assert envelope["MsgSignature"] == reference_signature(
        TOKEN, envelope["TimeStamp"], envelope["Nonce"], envelope["Encrypt"]
    )
    xml, app_id = reference_decrypt(KEY, envelope["Encrypt"])
    assert app_id == APP_ID
    return reply_fields(xml)


def test_safe_mode_text_gets_an_encrypted_signed_reply(
    client: TestClient, responder: FakeResponder
) -> None:
    fields = open_safe_reply(post_safe(client, message_xml("text", Content="垃圾分类怎么分？")))
    assert fields["Content"] == "回答：垃圾分类怎么分？" and fields["ToUserName"] == OPENID
    assert responder.calls == [(session_id(OPENID), "垃圾分类怎么分？")]


def test_safe_mode_voice_and_subscribe(client: TestClient) -> None:
    voice = message_xml("voice", "5", Recognition="井盖丢了")
    assert open_safe_reply(post_safe(client, voice))["Content"] == "回答：井盖丢了"
    subscribe = message_xml("event", None, Event="subscribe")
    assert open_safe_reply(post_safe(client, subscribe))["Content"] == WELCOME


def test_safe_mode_retry_is_answered_once(client: TestClient, responder: FakeResponder) -> None:
    xml = message_xml("text", "888", Content="你好")
    first, second = open_safe_reply(post_safe(client, xml)), open_safe_reply(post_safe(client, xml))
    assert first["Content"] == second["Content"] and len(responder.calls) == 1


def test_safe_mode_refuses_a_wrong_msg_signature(
    client: TestClient, responder: FakeResponder
) -> None:
    response = post_safe(client, message_xml("text", Content="你好"), bad_signature=True)
    assert response.status_code == 403 and "wrong signature" in response.json()["message"]
    assert responder.calls == []


def test_safe_mode_refuses_another_account_and_inner_dtds(
    client: TestClient, responder: FakeResponder
) -> None:
    response = post_safe(client, message_xml("text", Content="你好"), app_id="wxOTHER")
    assert response.status_code == 400 and "AppID" in response.json()["message"]
    response = post_safe(client, XXE)
    assert response.status_code == 400 and "DTD" in response.json()["message"]
    assert responder.calls == []


def test_safe_mode_without_encrypt_is_a_400(client: TestClient) -> None:
    response = client.post("/wechat", params=signed(encrypt_type="aes"), content="<xml/>")
    assert response.status_code == 400 and "Encrypt" in response.json()["message"]


# -- the five-second window ----------------------------------------------------------------
def test_a_late_answer_is_acked_and_sent_as_a_customer_service_message(
    responder: FakeResponder, fake_api: FakeWeChatApi
) -> None:
    client = make_client(responder, make_settings(fake_api.base, wechat_reply_deadline_s=0.3))
    responder.slow = True
    xml = message_xml("text", "4242", Content="附近哪里有避难场所？")
    started = time.monotonic()
    first = post_plain(client, xml)
    assert first.status_code == 200 and first.text == "success"
    assert time.monotonic() - started < 3
    # WeChat's retry while the bot still works: another ack, not a second run.
    assert post_plain(client, xml).text == "success"
    responder.release.set()
    token, body = fake_api.wait_for_message()
    assert token == fake_api.tokens_issued[-1]
    assert body == {"touser": OPENID, "msgtype": "text",
                    "text": {"content": "回答：附近哪里有避难场所？"}}
    # A retry after the answer went out: still no passive duplicate.
    assert post_plain(client, xml).text == "success"
    assert len(responder.calls) == 1 and len(fake_api.sent) == 1


def test_a_retry_during_the_first_wait_moves_the_answer_to_customer_service(
    responder: FakeResponder, fake_api: FakeWeChatApi
) -> None:
    """WeChat retries once it gave up on the first request, so that one's reply is lost."""
    client = make_client(responder, make_settings(fake_api.base, wechat_reply_deadline_s=3))
    responder.slow = True
    xml = message_xml("text", "6060", Content="你好")
    first: list[Any] = []
    waiting = threading.Thread(target=lambda: first.append(post_plain(client, xml)))
    waiting.start()
    deadline = time.monotonic() + 5
    while not responder.calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert post_plain(client, xml).text == "success"
    responder.release.set()
    waiting.join(5)
    assert first[0].text == "success"  # no passive reply: it goes out once, by the API
    assert fake_api.wait_for_message()[1]["text"]["content"] == "回答：你好"
    assert len(responder.calls) == 1 and len(fake_api.sent) == 1


def test_late_answer_without_app_secret_tells_the_follower_and_logs(
    responder: FakeResponder, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(wechat_app_secret=None, wechat_reply_deadline_s=0.2)
    client = make_client(responder, settings)
    responder.slow = True
    caplog.set_level(logging.WARNING, logger="ui.wechat")
    xml = message_xml("text", "5151", Content="你好")
    assert reply_text(post_plain(client, xml)) == TOO_LATE
    responder.release.set()
    deadline = time.monotonic() + 5
    while "could not be sent" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "APP_SECRET are not set" in caplog.text


# -- the API client -----------------------------------------------------------------------
def test_client_caches_the_token_and_replaces_a_revoked_one(fake_api: FakeWeChatApi) -> None:
    client = WeChatClient(APP_ID, "the-secret", fake_api.base)
    try:
        client.send_text(OPENID, "第一条")
        client.send_text(OPENID, "第二条")
        assert fake_api.tokens_issued == ["ACCESS-1"]
        fake_api.revoked.add("ACCESS-1")
        client.send_text(OPENID, "第三条")
        assert fake_api.tokens_issued == ["ACCESS-1", "ACCESS-2"]
        assert [(token, body["text"]["content"]) for token, body in fake_api.sent] == [
            ("ACCESS-1", "第一条"), ("ACCESS-1", "第二条"), ("ACCESS-2", "第三条")]
    finally:
        client.close()


def test_client_reports_refusals_and_unreachable_servers(fake_api: FakeWeChatApi) -> None:
    client = WeChatClient(APP_ID, "wrong-secret", fake_api.base)
    with pytest.raises(WeChatApiError, match="40125"):
        client.send_text(OPENID, "你好")
    client.close()
    client = WeChatClient(APP_ID, "the-secret", "http://127.0.0.1:9", timeout_s=1)
    with pytest.raises(WeChatApiError, match="failed"):
        client.access_token()
    client.close()
