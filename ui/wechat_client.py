"""The WeChat API calls the callback needs: the access token and customer-service messages.

An answer that misses WeChat's five-second window is sent later as a customer-service
message (客服消息), which needs the account's access token; the token lives two hours and
WeChat limits how often it may be fetched, so it is cached until shortly before it expires.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import Any

import httpx

from ui.wechat_crypto import WeChatError

log = logging.getLogger(__name__)

# Refresh the token this long before WeChat says it expires.
_TOKEN_MARGIN_S = 300.0
# errcodes that mean the token is invalid or expired: fetch a new one and try once more.
_TOKEN_ERRORS = frozenset({40001, 40014, 42001})


class WeChatApiError(WeChatError):
    """WeChat's API could not be reached or refused a call; the message carries its errcode."""

    code = "E064"
    http_status = 502

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


class WeChatClient:
    """Calls WeChat's API for one Official Account; thread-safe, one token for all threads."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        api_base: str = "https://api.weixin.qq.com",
        timeout_s: float = 5.0,
        http: httpx.Client | None = None,
    ) -> None:
        self._app_id = app_id
        self._app_secret = app_secret
        self._http = http or httpx.Client(base_url=api_base.rstrip("/"), timeout=timeout_s)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One API call; WeChat answers HTTP 200 with an ``errcode`` when it refuses."""
        try:
            response = self._http.request(method, path, **kwargs)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise WeChatApiError(f"WeChat API {path} failed: {type(exc).__name__}") from exc
        if not isinstance(body, dict):
            raise WeChatApiError(f"WeChat API {path} answered something other than an object")
        errcode = body.get("errcode", 0)
        if errcode != 0:
            raise WeChatApiError(
                f"WeChat API {path} refused: errcode {errcode} {body.get('errmsg', '')}",
                errcode if isinstance(errcode, int) else None,
            )
        return body

    def access_token(self, refresh: bool = False) -> str:
        """The account's access token, fetched from ``/cgi-bin/token`` only when needed."""
        with self._lock:
            if not refresh and self._token and time.monotonic() < self._token_expires:
                return self._token
            body = self._call(
                "GET",
                "/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self._app_id,
                        "secret": self._app_secret},
            )
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                raise WeChatApiError("WeChat API /cgi-bin/token gave no access_token")
            expires_in = float(body.get("expires_in", 7200))
            self._token = token
            self._token_expires = time.monotonic() + max(expires_in - _TOKEN_MARGIN_S, 0.0)
            log.info("fetched a WeChat access token valid for %.0f s", expires_in)
            return token

    def send_text(self, open_id: str, text: str) -> None:
        """Send ``text`` to the follower ``open_id`` as a customer-service message.

        A token WeChat no longer accepts is replaced once; other refusals raise
        :class:`WeChatApiError`. The body is UTF-8 JSON without ``\\u`` escapes, which WeChat
        would show verbatim.
        """
        payload = json.dumps(
            {"touser": open_id, "msgtype": "text", "text": {"content": text}}, ensure_ascii=False
        ).encode("utf-8")
        for attempt in range(2):
            token = self.access_token(refresh=attempt > 0)
            try:
                self._call(
                    "POST",
                    "/cgi-bin/message/custom/send",
                    params={"access_token": token},
                    content=payload,
                    headers={"Content-Type": "application/json; charset=utf-8"},
                )
                return
            except WeChatApiError as exc:
                if attempt or exc.errcode not in _TOKEN_ERRORS:
                    raise
                log.info("WeChat refused the access token; fetching a new one")
