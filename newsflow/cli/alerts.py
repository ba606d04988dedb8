"""`newsflow alerts`: saved queries that raise an alert when a new article matches (add, list, remove), and the
alerts themselves as they come (tail)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import typer
from kafka import TopicPartition
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from newsflow.cli.settings import CliSettings
from newsflow.cli.tables import read_table, write_entry
from newsflow.contract import DecodeError, Topics, decode
from newsflow.contract.alerts import Alert, SavedQuery
from newsflow.contract.codec import describe_validation_error
from newsflow.contract.queries import article_query
from newsflow.runtime import kafka_mends

app = typer.Typer(help="Saved queries that raise alerts as matching articles are indexed: add, list, remove, tail.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

CLIENT = "newsflow-alerts-cli"


def read_queries(s: CliSettings) -> dict[str, SavedQuery]:
    return read_table(s, Topics.SAVED_QUERIES, SavedQuery, CLIENT)


def _matching_now(s: CliSettings, q: SavedQuery) -> int | None:
    """How many stored articles the query matches now (None when Elasticsearch cannot say)."""
    try:
        es = s.elasticsearch(request_timeout=30)
        return es.count(index=s.alias, query=article_query(q.query, q.people, q.places, q.organisations))["count"]
    except Exception:  # noqa: BLE001 - a figure shown for information only
        return None


def _alerts_sent(s: CliSettings) -> dict[str, int]:
    """Alerts raised so far, per query, as the alerts index records them."""
    try:
        es = s.elasticsearch(request_timeout=30)
        if not es.indices.exists(index=s.alerts_index):
            return {}
        res = es.search(index=s.alerts_index, size=0, aggs={"q": {"terms": {"field": "query", "size": 10_000}}})
        return {b["key"]: b["doc_count"] for b in res["aggregations"]["q"]["buckets"]}
    except Exception:  # noqa: BLE001 - a figure shown for information only
        return {}


@app.command("add")
def add(
    name: str = typer.Argument(..., help="Its name: lower-case letters, digits, '.', '_' or '-'."),
    query: str = typer.Argument(..., help='Words, as `newsflow search` takes them ("" for entities alone).'),
    person: list[str] = typer.Option([], "--person", help="A person every match must name (repeatable)."),
    place: list[str] = typer.Option([], "--place", help="A place every match must name (repeatable)."),
    org: list[str] = typer.Option([], "--org", help="An organisation every match must name (repeatable)."),
    webhook: str | None = typer.Option(None, "--webhook", help="POST each alert here, as JSON."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite a saved query of that name."),
) -> None:
    """Save a query: every article indexed from now on that matches it raises an alert, once per story."""
    s = CliSettings()
    try:
        saved = SavedQuery(
            name=name,
            query=query,
            people=person,
            places=place,
            organisations=org,
            webhook=webhook,
            created_at=datetime.now(UTC),
        )
        article_query(saved.query, saved.people, saved.places, saved.organisations)
    except ValidationError as exc:
        err.print(f"[red]{describe_validation_error(exc)}[/red]")
        raise typer.Exit(2) from None
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    if name in read_queries(s) and not replace:
        err.print(f"[red]a saved query named {name!r} exists[/red]: --replace overwrites it")
        raise typer.Exit(1)
    write_entry(s, Topics.SAVED_QUERIES, name, saved, CLIENT)
    now = _matching_now(s, saved)
    known = "" if now is None else f"; {now} stored articles match it now (they raise no alert)"
    err.print(f"saved query {name!r} added: articles indexed from now on raise its alerts{known}")


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Every saved query, with the alerts it raised so far."""
    s = CliSettings()
    queries = sorted(read_queries(s).values(), key=lambda q: q.name)
    sent = _alerts_sent(s)
    if as_json:
        print(json.dumps([{**q.model_dump(mode="json"), "alerts": sent.get(q.name, 0)} for q in queries], indent=2))
        return
    table = Table("name", "query", "people", "places", "organisations", "webhook", "alerts", "created")
    for q in queries:
        table.add_row(
            q.name,
            q.query,
            ", ".join(q.people),
            ", ".join(q.places),
            ", ".join(q.organisations),
            q.webhook or "",
            str(sent.get(q.name, 0)),
            q.created_at.isoformat(timespec="seconds"),
        )
    out.print(table)


@app.command("remove")
def remove(name: str = typer.Argument(..., help="The saved query's name.")) -> None:
    """Remove a saved query: the indexers stop matching it within a second or so."""
    s = CliSettings()
    if name not in read_queries(s):
        err.print(f"[red]no saved query named {name!r}[/red]")
        raise typer.Exit(1)
    write_entry(s, Topics.SAVED_QUERIES, name, None, CLIENT)
    err.print(f"saved query {name!r} removed")


def _line(alert: Alert) -> str:
    when = alert.matched_at.isoformat(timespec="seconds")
    where = alert.source or alert.url or alert.article_id
    return f"{when}  {alert.query}  {alert.title or '(no title)'}  [{where}]  story {alert.story_id}"


@app.command("tail")
def tail(
    from_start: bool = typer.Option(False, "--from-start", help="Every alert on the topic, not only new ones."),
    query: str | None = typer.Option(None, "--query", help="Only this saved query's alerts."),
    count: int | None = typer.Option(None, "--count", "-n", min=1, help="Stop after this many alerts."),
    timeout: float | None = typer.Option(None, "--timeout", help="Stop after this many seconds."),
    as_json: bool = typer.Option(False, "--json", help="One JSON alert a line."),
) -> None:
    """Show alerts as they are raised, until Ctrl-C (or --count, or --timeout)."""
    s = CliSettings()
    topic = s.scoped(Topics.ALERTS)
    consumer = kafka_mends.consumer(**s.kafka_client_config(), client_id=CLIENT, enable_auto_commit=False)
    shown, deadline = 0, (time.monotonic() + timeout) if timeout else None
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not tps:
            err.print(f"[red]no topic {topic}[/red]: `newsflow init` (or `newsflow up`) creates it")
            raise typer.Exit(1)
        consumer.assign(tps)
        (consumer.seek_to_beginning if from_start else consumer.seek_to_end)(*tps)
        for tp in tps:
            consumer.position(tp)  # fixes where "now" is before the first alert can arrive
        if not as_json:
            err.print(f"waiting for alerts on {topic} (Ctrl-C stops)")
        while (count is None or shown < count) and (deadline is None or time.monotonic() < deadline):
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    try:
                        alert = decode(record.value, record.headers, Alert)
                    except DecodeError as exc:
                        err.print(f"[yellow]unreadable record at {record.partition}/{record.offset}: {exc}[/yellow]")
                        continue
                    if query and alert.query != query:
                        continue
                    if as_json:
                        print(json.dumps(alert.model_dump(mode="json"), ensure_ascii=False), flush=True)
                    else:
                        out.print(_line(alert), markup=False, highlight=False)
                    shown += 1
                    if count is not None and shown >= count:
                        return
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()
