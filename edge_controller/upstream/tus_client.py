"""A small tus 1.0 client (core + creation + creation-with-upload) on httpx.

Why not ``tuspy`` (tus/tus-py-client, the maintained Python client)? It was checked:
its async uploader is built on aiohttp and its sync one on requests (two more HTTP
stacks plus tinydb), TLS trust is a boolean (``verify_tls_cert``) so central's
private CA cannot be pinned without process-wide environment variables, it has no
hook to pace the body through our token bucket, and it drops the response headers
where central returns the signed receipt. httpx (already used by the project's tests)
gives async, an ``ssl.SSLContext`` for mutual TLS, and streamed bodies, so the
protocol part left is ~150 lines.

Never re-sending confirmed data: a body starts at the offset central last confirmed
(the creation response, a PATCH response, or a HEAD after any failure); a body
carries at most ``chunk_bytes``; so after a cut at most one chunk goes out again.
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urljoin

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from edge_controller.config.upstream import UpstreamConfig
from edge_controller.upstream.pacing import TokenBucket
from edge_controller.upstream.store import OutgoingItem
from ektp.receipts import (
    RECEIPT_HEADER,
    ReceiptError,
    SignedReceipt,
    parse_wire,
    verify_receipt,
)

TUS_VERSION = "1.0.0"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
PIECE_BYTES = 8 * 1024
_LINK_STATUSES = frozenset({408, 423, 425, 429, 500, 502, 503, 504})


class LinkError(Exception):
    """Central or the link is down or busy: back off and try again."""


class CentralRefused(Exception):
    """Central refused the item (``code``); ``retryable``: only for now."""

    def __init__(self, code: str, *, retryable: bool) -> None:
        super().__init__(code)
        self.code = code
        self.retryable = retryable


class UploadJournal(Protocol):
    """Where the forwarder writes down an upload's progress (its database)."""

    async def url_known(self, url: str) -> None: ...

    async def url_lost(self) -> None: ...


@dataclass
class Attempt:
    """What one call to :meth:`TusClient.upload` sent; kept even when it failed."""

    bytes_sent: int = 0
    url: str | None = None


def make_ssl_context(config: UpstreamConfig) -> ssl.SSLContext:
    """Trust only central's CA; present the edge's client certificate."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(config.ca_cert_path))
    context.load_cert_chain(str(config.cert_path), str(config.key_path))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class TusClient:
    """Uploads one item at a time per call; calls may run concurrently."""

    def __init__(
        self,
        config: UpstreamConfig,
        bucket: TokenBucket,
        receipt_key: Ed25519PublicKey,
        *,
        on_confirmed: Callable[[int], None] = lambda count: None,
    ) -> None:
        self._config = config
        self._bucket = bucket
        self._receipt_key = receipt_key
        self._on_confirmed = on_confirmed
        self._base = config.central_url.rstrip("/") + "/"
        self._http = httpx.AsyncClient(
            verify=make_ssl_context(config),
            timeout=httpx.Timeout(config.request_timeout_seconds),
            limits=httpx.Limits(max_connections=config.parallel_uploads + 1),
            headers={"Tus-Resumable": TUS_VERSION},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def upload(
        self, item: OutgoingItem, data: bytes, journal: UploadJournal, attempt: Attempt
    ) -> SignedReceipt:
        """Send what central lacks of ``item``; return central's verified receipt."""
        url = item.upload_url
        body_from: int | None = None  # the offset the last body started at
        if not item.tried:  # the caller noted the attempt before calling
            body_from = 0
            response = await self._create(item, data, attempt)
        elif item.upload_url is not None:
            known = item.upload_url
            response = await self._send(lambda: self._http.head(known))
            if response.status_code == 404:
                await journal.url_lost()
                response = await self._create(item, b"", attempt)
        else:
            response = await self._create(item, b"", attempt)
        if attempt.url is not None and attempt.url != url:
            await journal.url_known(attempt.url)
        upload_url = attempt.url or url
        assert upload_url is not None
        while True:
            receipt = self._receipt(item, response)
            offset = item.size if receipt else int(response.headers.get("Upload-Offset", 0))
            if body_from is not None:
                self._on_confirmed(max(0, offset - body_from))
                body_from = None
            if receipt is not None:
                return receipt
            if offset >= item.size:
                response = await self._send(lambda: self._http.head(upload_url))
                if self._receipt(item, response) is None:
                    raise LinkError("the upload is complete but central gave no receipt")
                continue
            body_from = offset
            response = await self._patch(upload_url, data, offset, attempt)

    async def _create(self, item: OutgoingItem, data: bytes, attempt: Attempt) -> httpx.Response:
        metadata = ",".join(
            f"{key} {base64.b64encode(value.encode()).decode()}"
            for key, value in (
                ("packet_id", item.packet_id),
                ("sha256", item.sha256),
                ("kind", item.kind),
            )
        )
        headers = {"Upload-Length": str(item.size), "Upload-Metadata": metadata}
        first = data[: self._config.chunk_bytes]
        if first:
            headers |= {"Content-Type": OFFSET_CONTENT_TYPE, "Content-Length": str(len(first))}
        response = await self._send(
            lambda: self._http.post(
                urljoin(self._base, "uploads"),
                headers=headers,
                content=self._body(first, attempt) if first else None,
            )
        )
        if response.status_code != 201 or "Location" not in response.headers:
            raise LinkError(f"central did not create the upload ({response.status_code})")
        attempt.url = urljoin(self._base, response.headers["Location"])
        return response

    async def _patch(self, url: str, data: bytes, offset: int, attempt: Attempt) -> httpx.Response:
        piece = data[offset : offset + self._config.chunk_bytes]
        response = await self._send(
            lambda: self._http.patch(
                url,
                headers={
                    "Upload-Offset": str(offset),
                    "Content-Type": OFFSET_CONTENT_TYPE,
                    "Content-Length": str(len(piece)),
                },
                content=self._body(piece, attempt),
            )
        )
        if response.status_code == 409 and "Upload-Offset" in response.headers:
            return response  # central is elsewhere: continue from its offset
        if response.status_code != 204:
            raise LinkError(f"central answered PATCH with {response.status_code}")
        return response

    async def _body(self, piece: bytes, attempt: Attempt) -> AsyncIterator[bytes]:
        view = memoryview(piece)
        for start in range(0, len(view), PIECE_BYTES):
            part = bytes(view[start : start + PIECE_BYTES])
            await self._bucket.take(len(part))
            attempt.bytes_sent += len(part)
            yield part

    async def _send(self, request: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        try:
            response = await request()
        except httpx.TransportError as err:
            raise LinkError(f"link: {type(err).__name__}") from err
        if response.status_code in _LINK_STATUSES:
            raise LinkError(f"central answered {response.status_code}")
        if response.status_code in (409, 413, 415, 422) and response.headers.get(
            "Content-Type", ""
        ).startswith("application/json"):
            body = response.json()
            raise CentralRefused(
                str(body.get("code", f"http.{response.status_code}")),
                retryable=bool(body.get("retryable", False)),
            )
        if response.status_code in (400, 412, 413, 415):
            raise CentralRefused(f"http.{response.status_code}", retryable=False)
        return response

    def _receipt(self, item: OutgoingItem, response: httpx.Response) -> SignedReceipt | None:
        text = response.headers.get(RECEIPT_HEADER)
        if text is None:
            return None
        try:
            body, signature = parse_wire(text)
            return verify_receipt(
                body,
                signature,
                self._receipt_key,
                packet_id=item.packet_id,
                sha256=item.sha256,
                size=item.size,
                kind=item.kind,
            )
        except ReceiptError as err:
            raise LinkError(f"central's receipt was refused: {err}") from err
