"""The tus 1.0 upload endpoints of the reference central (FastAPI; served by ``cli``).

Core protocol + the ``creation`` and ``creation-with-upload`` extensions
(https://tus.io/protocols/resumable-upload). Rekam's additions, all in headers or
metadata so a stock tus client can still talk to it:

* ``Upload-Metadata`` must carry ``packet_id`` (UUID), ``sha256`` (hex of the whole
  packet) and ``kind`` (``enrollment`` | ``telemetry``). The upload URL is
  ``/uploads/<packet_id>``: creating the same packet again returns the same upload
  (its current offset), so a client that crashed right after POST loses nothing.
* The response that completes an upload — and any later POST/HEAD/PATCH for that
  packet id — carries ``Rekam-Receipt`` (see :mod:`ektp.receipts`). Same id, other
  bytes: ``409`` with ``{"code": "packet.id_conflict"}``.
* A complete upload that fails the checks (:mod:`central.checks`) answers ``422``
  ``{"code": ..., "retryable": bool}`` and is dropped.
* A PATCH cut mid-body keeps every byte received (fsynced) and confirms it to the
  next HEAD; ``423`` while another request is still writing the same upload.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import logging
import os
import re
import uuid
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect

from central.checks import BoothKeys, Rejection, check_item
from central.config import CentralConfig
from central.store import CentralStore, StoredItem, Upload
from ektp.receipts import (
    ITEM_KINDS,
    RECEIPT_HEADER,
    ItemKind,
    Receipt,
    load_receipt_private_key,
    receipt_key_id,
    sign_receipt,
    to_wire,
)

log = logging.getLogger(__name__)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload"
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


def parse_metadata(header: str) -> dict[str, str]:
    """``key base64,key base64`` → dict (values decoded as UTF-8)."""
    result: dict[str, str] = {}
    for pair in header.split(","):
        key, _, value = pair.strip().partition(" ")
        if not key:
            continue
        result[key] = base64.b64decode(value, validate=True).decode("utf-8")
    return result


def _tus(headers: dict[str, str] | None = None, **extra: Any) -> dict[str, str]:
    result = {"Tus-Resumable": TUS_VERSION, "Cache-Control": "no-store"}
    result.update(headers or {})
    result.update({key.replace("_", "-"): str(value) for key, value in extra.items()})
    return result


def _problem(status: int, code: str, **fields: Any) -> JSONResponse:
    return JSONResponse({"code": code, **fields}, status_code=status, headers=_tus())


class Receiver:
    """Holds the store, the keys and one lock per upload being written."""

    def __init__(self, config: CentralConfig) -> None:
        self.config = config
        self.store = CentralStore(config.data_dir)
        self.booth_keys = BoothKeys(config.booth_keys_dir)
        self._receipt_key = load_receipt_private_key(config.receipt_key_path.read_bytes())
        self._key_id = receipt_key_id(self._receipt_key.public_key())
        self._locks: dict[str, asyncio.Lock] = {}

    def _stored_headers(self, item: StoredItem) -> dict[str, str]:
        wire = to_wire(item.receipt_body, item.receipt_signature)
        return _tus({RECEIPT_HEADER: wire}, Upload_Offset=item.size, Upload_Length=item.size)

    async def create(self, request: Request) -> Response:
        try:
            length = int(request.headers["Upload-Length"])
            meta = parse_metadata(request.headers.get("Upload-Metadata", ""))
            packet_id = str(uuid.UUID(meta["packet_id"]))
            sha256, kind = meta["sha256"], meta["kind"]
        except (KeyError, ValueError, binascii.Error) as err:
            log.info("bad upload creation: %s", type(err).__name__)
            return _problem(400, "upload.bad_request")
        if not SHA256_PATTERN.fullmatch(sha256) or kind not in ITEM_KINDS or length <= 0:
            return _problem(400, "upload.bad_request")
        if length > self.config.max_packet_bytes:
            return _problem(413, "packet.oversize")
        location = f"/uploads/{packet_id}"
        stored = self.store.item(packet_id)
        if stored is not None:
            if (stored.sha256, stored.size, stored.kind) != (sha256, length, kind):
                return _problem(409, "packet.id_conflict")
            return Response(
                status_code=201, headers=self._stored_headers(stored) | {"Location": location}
            )
        upload = self.store.upload(packet_id)
        if upload is not None and (upload.sha256, upload.length, upload.kind) != (
            sha256,
            length,
            kind,
        ):
            return _problem(409, "packet.id_conflict")
        if upload is None:
            upload = self.store.create_upload(packet_id, kind, sha256, length)
        has_body = request.headers.get("Content-Type") == OFFSET_CONTENT_TYPE
        lock = self._locks.setdefault(packet_id, asyncio.Lock())
        if has_body and upload.offset == 0 and not lock.locked():
            return await self._receive(packet_id, request, 0, 201, {"Location": location})
        if upload.offset == upload.length:
            return await self._finish_locked(packet_id, {"Location": location}, 201)
        return Response(
            status_code=201,
            headers=_tus(Location=location, Upload_Offset=upload.offset),
        )

    async def head(self, packet_id: str) -> Response:
        stored = self.store.item(packet_id)
        if stored is not None:
            return Response(status_code=200, headers=self._stored_headers(stored))
        upload = self.store.upload(packet_id)
        if upload is None:
            return Response(status_code=404, headers=_tus())
        if upload.offset == upload.length:
            return await self._finish_locked(packet_id, {}, 200)
        return Response(
            status_code=200,
            headers=_tus(Upload_Offset=upload.offset, Upload_Length=upload.length),
        )

    async def patch(self, packet_id: str, request: Request) -> Response:
        if request.headers.get("Content-Type") != OFFSET_CONTENT_TYPE:
            return _problem(415, "upload.content_type")
        try:
            offset = int(request.headers["Upload-Offset"])
        except (KeyError, ValueError):
            return _problem(400, "upload.bad_request")
        stored = self.store.item(packet_id)
        if stored is not None:
            if offset == stored.size:
                return Response(status_code=204, headers=self._stored_headers(stored))
            return Response(status_code=409, headers=_tus(Upload_Offset=stored.size))
        if self.store.upload(packet_id) is None:
            return Response(status_code=404, headers=_tus())
        return await self._receive(packet_id, request, offset, 204, {})

    async def _receive(
        self, packet_id: str, request: Request, offset: int, status: int, extra: dict[str, str]
    ) -> Response:
        lock = self._locks.setdefault(packet_id, asyncio.Lock())
        if lock.locked():
            return Response(status_code=423, headers=_tus())
        async with lock:
            upload = self.store.upload(packet_id)
            if upload is None:
                return Response(status_code=404, headers=_tus())
            if offset != upload.offset:
                return Response(status_code=409, headers=_tus(Upload_Offset=upload.offset))
            received, cut = await self._write_body(upload, request)
            new_offset = upload.offset + received
            self.store.record_progress(packet_id, new_offset, received)
            if cut:
                log.info("upload %s cut at %d of %d", packet_id, new_offset, upload.length)
                return Response(status_code=400, headers=_tus(Upload_Offset=new_offset))
            if new_offset < upload.length:
                return Response(status_code=status, headers=_tus(extra, Upload_Offset=new_offset))
            return await self._finish(packet_id, extra, status)

    async def _write_body(self, upload: Upload, request: Request) -> tuple[int, bool]:
        """Append the body at the upload's offset; returns (bytes kept, cut short?)."""
        received = 0
        cut = False
        room = upload.length - upload.offset
        stream = request.stream().__aiter__()
        with self.store.part_path(upload.packet_id).open("r+b") as part:
            part.truncate(upload.offset)
            part.seek(upload.offset)
            while True:
                try:
                    piece = await asyncio.wait_for(
                        stream.__anext__(), self.config.body_idle_timeout_seconds
                    )
                except StopAsyncIteration:
                    break
                except (ClientDisconnect, TimeoutError):
                    cut = True
                    break
                piece = piece[: room - received]
                part.write(piece)
                received += len(piece)
            part.flush()
            await asyncio.to_thread(os.fsync, part.fileno())
        return received, cut

    async def _finish_locked(self, packet_id: str, extra: dict[str, str], status: int) -> Response:
        lock = self._locks.setdefault(packet_id, asyncio.Lock())
        if lock.locked():
            return Response(status_code=423, headers=_tus())
        async with lock:
            return await self._finish(packet_id, extra, status)

    async def _finish(self, packet_id: str, extra: dict[str, str], status: int) -> Response:
        stored = self.store.item(packet_id)
        if stored is not None:
            return Response(status_code=status, headers=self._stored_headers(stored) | extra)
        upload = self.store.upload(packet_id)
        if upload is None:
            return Response(status_code=404, headers=_tus())
        try:
            booth_id = await asyncio.to_thread(self._check, upload)
        except Rejection as rejection:
            self.store.drop_upload(packet_id, rejection.code)
            log.warning("refused %s %s: %s", upload.kind, packet_id, rejection.code)
            return _problem(422, rejection.code, retryable=rejection.retryable)
        receipt = Receipt(
            packet_id=packet_id,
            kind=upload.kind,
            sha256=upload.sha256,
            size=upload.length,
            received_at=dt.datetime.now(dt.UTC),
            central_key_id=self._key_id,
        )
        signed = sign_receipt(receipt, self._receipt_key)
        item = await asyncio.to_thread(self.store.store_item, upload, booth_id, signed)
        log.info("stored %s %s (%d bytes)", upload.kind, packet_id, upload.length)
        return Response(status_code=status, headers=self._stored_headers(item) | extra)

    def _check(self, upload: Upload) -> str | None:
        data = self.store.complete_bytes(upload)
        if len(data) != upload.length or hashlib.sha256(data).hexdigest() != upload.sha256:
            raise Rejection("upload.corrupt", retryable=True)
        kind: ItemKind = upload.kind
        return check_item(
            kind, upload.packet_id, data, self.booth_keys, self.config.max_packet_bytes
        )


def build_app(config: CentralConfig) -> FastAPI:
    """The central web app: tus endpoints under ``/uploads``, receipts, health."""
    receiver = Receiver(config)
    app = FastAPI(title="Rekam central (reference receiver)", version="1")
    app.state.receiver = receiver

    def tus_guard(request: Request) -> Response | None:
        if request.headers.get("Tus-Resumable") != TUS_VERSION:
            return Response(status_code=412, headers=_tus(Tus_Version=TUS_VERSION))
        return None

    @app.options("/uploads")
    async def options() -> Response:
        return Response(
            status_code=204,
            headers=_tus(
                Tus_Version=TUS_VERSION,
                Tus_Extension=TUS_EXTENSIONS,
                Tus_Max_Size=config.max_packet_bytes,
            ),
        )

    @app.post("/uploads")
    async def create(request: Request) -> Response:
        return tus_guard(request) or await receiver.create(request)

    @app.head("/uploads/{packet_id}")
    async def head(packet_id: uuid.UUID, request: Request) -> Response:
        return tus_guard(request) or await receiver.head(str(packet_id))

    @app.patch("/uploads/{packet_id}")
    async def patch(packet_id: uuid.UUID, request: Request) -> Response:
        return tus_guard(request) or await receiver.patch(str(packet_id), request)

    @app.get("/receipts/{packet_id}")
    async def receipt(packet_id: uuid.UUID) -> Response:
        item = receiver.store.item(str(packet_id))
        if item is None:
            return _problem(404, "receipt.unknown")
        return JSONResponse({"receipt": receiver._stored_headers(item)[RECEIPT_HEADER]})

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "stored": receiver.store.count()}

    return app
