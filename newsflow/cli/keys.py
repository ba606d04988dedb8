"""`newsflow keys`: the API keys ingest asks partners for, on the compacted ``keys.v1`` topic (hashes only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from newsflow.cli.settings import CliSettings
from newsflow.cli.tables import read_table, write_entry
from newsflow.contract import Topics
from newsflow.contract.codec import describe_validation_error
from newsflow.contract.keys import ApiKey, key_hash, new_key

app = typer.Typer(help="API keys for ingest's HTTP endpoint: create (shown once), list, revoke.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def read_keys(s: CliSettings) -> dict[str, ApiKey]:
    """Every key by name, as the topic holds it now."""
    return read_table(s, Topics.KEYS, ApiKey, "newsflow-keys-cli")


def _write(s: CliSettings, key: ApiKey) -> None:
    write_entry(s, Topics.KEYS, key.name, key, "newsflow-keys-cli")


@app.command("create")
def create(
    name: str = typer.Argument(..., help="Who will hold it: lower-case letters, digits, '.', '_' or '-'."),
    scope: list[str] = typer.Option(["submit"], "--scope", help="What it may do (submit)."),
    rate: float | None = typer.Option(None, "--rate", help="Articles per second (default NEWSFLOW_INGEST_RATE_PER_S)."),
    burst: int | None = typer.Option(None, "--burst", help="Articles at once (default NEWSFLOW_INGEST_BURST)."),
) -> None:
    """Create a key and print it, once: only its hash is stored."""
    s = CliSettings()
    existing = read_keys(s).get(name)
    if existing is not None and existing.revoked_at is None:
        err.print(f"[red]a key named {name!r} exists[/red]: revoke it first (`newsflow keys revoke {name}`)")
        raise typer.Exit(1)
    secret = new_key()
    try:
        key = ApiKey(
            name=name,
            sha256=key_hash(secret),
            shown=secret[:10],
            scopes=scope,
            rate_per_s=rate,
            burst=burst,
            created_at=datetime.now(UTC),
        )
    except ValidationError as exc:
        err.print(f"[red]{describe_validation_error(exc)}[/red]")
        raise typer.Exit(2) from None
    _write(s, key)
    err.print(f"key {name!r} created; it is shown once, here, and stored only as a hash:")
    out.print(secret, markup=False, highlight=False)


@app.command("list")
def list_keys(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Every key: its name, first characters, scopes, when it was created and revoked."""
    keys = sorted(read_keys(CliSettings()).values(), key=lambda k: k.name)
    if as_json:
        out.print_json(json.dumps([k.model_dump(mode="json", exclude={"sha256"}) for k in keys]))
        return
    table = Table("name", "key", "scopes", "rate", "created", "revoked")
    for k in keys:
        revoked = k.revoked_at.isoformat(timespec="seconds") if k.revoked_at else ""
        rate = f"{k.rate_per_s:g}/s, burst {k.burst}" if k.rate_per_s or k.burst else "default"
        created = k.created_at.isoformat(timespec="seconds")
        table.add_row(k.name, k.shown + "…", ",".join(k.scopes), rate, created, revoked)
    out.print(table)


@app.command("revoke")
def revoke(name: str = typer.Argument(..., help="The key's name.")) -> None:
    """Revoke a key: every ingest replica refuses it within a second or so. It stays listed, as revoked."""
    s = CliSettings()
    key = read_keys(s).get(name)
    if key is None:
        err.print(f"[red]no key named {name!r}[/red]")
        raise typer.Exit(1)
    if key.revoked_at is not None:
        err.print(f"key {name!r} was revoked at {key.revoked_at.isoformat()} already")
        return
    _write(s, key.model_copy(update={"revoked_at": datetime.now(UTC)}))
    err.print(f"key {name!r} revoked")
