"""``rekam-central``: run the reference central receiver, or prepare its keys.

rekam-central run --config central.toml
rekam-central init-receipt-key --key receipt.key --public receipt.pub.pem
rekam-central register-booth --config central.toml --booth-id booth-01 --public-key k.pem
rekam-central --print-default-config
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import shutil
import ssl
import sys
from pathlib import Path

import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from central.app import build_app
from central.checks import BOOTH_ID_PATTERN, RETIRED_DIR
from central.config import DEFAULT_CONFIG_TOML, CentralConfig, load_central_config
from ektp.receipts import create_receipt_key


def client_ca_bundle(config: CentralConfig) -> Path:
    """Concatenate the trusted client CAs into one file for the TLS server."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    bundle = config.data_dir / "client-cas.pem"
    bundle.write_bytes(b"".join(path.read_bytes() for path in config.client_ca_paths))
    return bundle


def run(config: CentralConfig) -> int:
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(config),
            host=config.host,
            port=config.port,
            ssl_certfile=str(config.tls_cert_path),
            ssl_keyfile=str(config.tls_key_path),
            ssl_ca_certs=str(client_ca_bundle(config)),
            ssl_cert_reqs=ssl.CERT_REQUIRED,
            log_level=config.log_level.lower(),
            timeout_graceful_shutdown=5,
            access_log=False,
        )
    )
    server.run()
    return 0


def init_receipt_key(key_path: Path, public_path: Path) -> int:
    if key_path.exists():
        print(f"{key_path} exists; refusing to replace central's receipt key", file=sys.stderr)
        return 1
    create_receipt_key(key_path, public_path)
    print(f"receipt key: {key_path}; give {public_path} to every edge")
    return 0


def register_booth(config: CentralConfig, booth_id: str, public_key: Path) -> int:
    if not BOOTH_ID_PATTERN.fullmatch(booth_id):
        print(f"not a booth id: {booth_id!r}", file=sys.stderr)
        return 2
    key = serialization.load_pem_public_key(public_key.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        print("the booth key must be an Ed25519 public key (PEM)", file=sys.stderr)
        return 2
    config.booth_keys_dir.mkdir(parents=True, exist_ok=True)
    current = config.booth_keys_dir / f"{booth_id}.pem"
    if current.exists() and current.read_bytes() == public_key.read_bytes():
        print(f"{booth_id}: this key is already registered; no change")
        return 0
    if current.exists():  # a replaced unit: keep its key for the records it sealed before
        retired = retire_booth_key(config.booth_keys_dir, booth_id, dt.datetime.now(dt.UTC))
        print(f"{booth_id}: the previous key is retired ({retired.name})")
    shutil.copyfile(public_key, current)
    return 0


def retire_booth_key(keys_dir: Path, booth_id: str, now: dt.datetime) -> Path:
    """Move ``<booth_id>.pem`` to ``retired/<booth_id>.<key id>.json`` with the time."""
    current = keys_dir / f"{booth_id}.pem"
    pem = current.read_text(encoding="ascii")
    key_id = hashlib.sha256(pem.encode()).hexdigest()[:16]
    retired = keys_dir / RETIRED_DIR / f"{booth_id}.{key_id}.json"
    retired.parent.mkdir(parents=True, exist_ok=True)
    entry = {"public_key_pem": pem, "retired_at": now.isoformat()}
    retired.write_text(json.dumps(entry, indent=2) + "\n", encoding="utf-8")
    current.unlink()
    return retired


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rekam-central", description=__doc__.split("\n")[0])
    parser.add_argument("--print-default-config", action="store_true")
    commands = parser.add_subparsers(dest="command")
    run_parser = commands.add_parser("run", help="serve the tus upload endpoints")
    run_parser.add_argument("--config", type=Path, required=True)
    key_parser = commands.add_parser("init-receipt-key", help="make central's receipt key")
    key_parser.add_argument("--key", type=Path, required=True)
    key_parser.add_argument("--public", type=Path, required=True)
    booth_parser = commands.add_parser("register-booth", help="accept a booth's packets")
    booth_parser.add_argument("--config", type=Path, required=True)
    booth_parser.add_argument("--booth-id", required=True)
    booth_parser.add_argument("--public-key", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.print_default_config:
        print(DEFAULT_CONFIG_TOML, end="")
        return 0
    if args.command == "run":
        return run(load_central_config(args.config))
    if args.command == "init-receipt-key":
        return init_receipt_key(args.key, args.public)
    if args.command == "register-booth":
        return register_booth(load_central_config(args.config), args.booth_id, args.public_key)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
