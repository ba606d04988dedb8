"""The `newsflow` command: run the local deployment, feed articles, search them, watch lag."""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import replace
from datetime import date

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from newsflow.cli import alerts, feeding, feeds, keys, mapping, ports, stack
from newsflow.cli.deadletters import read_letters, replay
from newsflow.cli.local import apache
from newsflow.cli.procs import descendants
from newsflow.cli.progress import duration, tracked
from newsflow.cli.search import copies, hits_line, plural, query_body, summarise
from newsflow.cli.settings import CliSettings
from newsflow.cli.sources import read_items
from newsflow.cli.timeline import bar, read_timeline, timeline_body
from newsflow.contract import Topics
from newsflow.contract.stages import CORENLP_PORT
from newsflow.exporter.lag import LagRate, LagReader, pipeline_groups, pipeline_topic_names
from newsflow.exporter.status import GroupStatus, PartitionStatus, watch
from newsflow.runtime.http import ServiceHTTP
from newsflow.runtime.logs import configure_logging
from newsflow.runtime.servers import wait_until
from newsflow.runtime.shutdown import stop_on_signals
from newsflow.runtime.topics import ensure_topics, evict_group_members

app = typer.Typer(
    help="newsflow: news articles from Kafka, enriched with entities and dates, searchable in Elasticsearch.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(feeds.app, name="feeds")
app.add_typer(keys.app, name="keys")
app.add_typer(alerts.app, name="alerts")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def settings() -> CliSettings:
    return CliSettings()


# -- the local deployment ----------------------------------------------------


@app.command()
def init() -> None:
    """Create the topics and the Elasticsearch index, template and alias (idempotent)."""
    from newsflow.contract.mapping import ensure_index

    s = settings()
    created = ensure_topics(s.kafka_client_config(), s.topic_partitions, s.topic_replication, s.namespace)
    index = ensure_index(s.elasticsearch(request_timeout=30), s.alias, s.es_index_version)
    out.print(f"topics ready ({', '.join(created) or 'already there'}); index {index} behind alias {s.alias}")


def _chosen_stack(s: CliSettings, option: str | None) -> str:
    """--stack, else NEWSFLOW_STACK when set, else the stack already running here, else embedded."""
    if option:
        if option not in stack.STACKS:
            err.print(f"[red]--stack is one of {', '.join(stack.STACKS)}, not {option!r}[/red]")
            raise typer.Exit(2)
        return option
    if "stack" in s.model_fields_set:
        return s.stack
    return stack.recorded_stack(s) or s.stack


@app.command()
def up(
    timeout: float = typer.Option(180, help="Seconds to wait for each component to be healthy."),
    stack_option: str | None = typer.Option(
        None,
        "--stack",
        help="The local stack: embedded (noida-db) or apache (Apache Kafka and Elasticsearch). "
        "Default: NEWSFLOW_STACK, else what runs here, else embedded.",
    ),
) -> None:
    """Start the local stack, the lag exporter, the three services and Prometheus; start only what is not running."""
    s = settings()
    chosen = _chosen_stack(s, stack_option)
    managed = stack.manages_stack(s)
    running = stack.recorded_stack(s)
    if managed and running and running != chosen and any(c.proc.pid() for c in stack.components(s, running)):
        err.print(
            f"[red]the {running} stack is running in {s.home.resolve()}[/red]: `newsflow down` first, "
            f"then `newsflow up --stack {chosen}` (each stack keeps its own data)"
        )
        raise typer.Exit(1)
    comps = stack.components(s, chosen)
    # Every port a component to be started needs, checked before any starts: a component that found its port
    # taken died at once, while its probe was answered by whatever held the port, and `up` said "started".
    taken = ports.held([p for c in comps if not c.proc.pid() for p in c.ports])
    if taken:
        err.print(f"[red]cannot start in {s.home.resolve()}: {len(taken)} of the ports it needs are taken[/red]")
        for h in taken:
            err.print(f"  {h.describe()}", highlight=False)
        homes = sorted({str(h.home) for h in taken if h.home})
        hint = f"`NEWSFLOW_HOME={homes[0]} newsflow down` stops that deployment" if homes else "stop what holds them"
        err.print(f"{hint}, or give this one other ports (README, Configuration). Nothing was started.")
        raise typer.Exit(1)
    if managed:
        stack.record_stack(s, chosen)
    last_infrastructure = max((i for i, c in enumerate(comps) if c.infrastructure), default=None)
    started: list[stack.Component] = []
    try:
        with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=False) as progress:
            for i, comp in enumerate(comps):
                _bring_up(s, comp, progress, managed and chosen == "embedded", timeout, started)
                if i == last_infrastructure:
                    init()
    except BaseException:
        # What this `up` started goes again, so a failed start leaves nothing running; what ran before stays.
        for comp in reversed(started):
            comp.proc.stop()
        if started:
            err.print(f"stopped what this start had started: {', '.join(c.name for c in started)}")
        raise


def _bring_up(s, comp, progress: Progress, evict: bool, timeout: float, started: list) -> None:
    task = progress.add_task(f"{comp.name}: starting", total=1)
    was = comp.proc.pid()
    if not was:
        if comp.group and evict:
            # noida-db never expires a dead member, and this machine runs the group's only consumer,
            # which is not running: any member left is dead. (Kafka expires it after the session timeout.)
            evict_group_members(s.kafka_client_config(), comp.group)
        if comp.prepare:
            try:
                comp.prepare(_progress_line(progress, task, comp.name))
            except apache.ApacheStackError as exc:
                progress.update(task, description=f"[red]{comp.name}: cannot start[/red]")
                err.print(f"[red]{comp.name}:[/red] {exc}", highlight=False)
                raise typer.Exit(1) from None
    pid = comp.proc.start()
    if not was:
        started.append(comp)

    def ready() -> bool:
        if comp.proc.pid() is None:
            raise TimeoutError(f"{comp.name} exited while starting (see {comp.proc.logfile})")
        return comp.probe()[0]

    try:
        wait_until(ready, timeout, f"{comp.name} (see {comp.proc.logfile})", interval=0.25)
        # The probe may be answered by another process that took a port since the check: it must be ours.
        strangers = [p for _, _, p in comp.ports if (holder := ports.listener(p)) and holder not in descendants(pid)]
        if strangers:
            raise TimeoutError(f"{comp.name}'s port {strangers[0]} is answered by another process, not pid {pid}")
    except TimeoutError as exc:
        progress.update(task, description=f"[red]{comp.name}: not healthy[/red]")
        err.print(f"[red]{exc}[/red] (pid {comp.proc.pid()}, health {comp.probe()[1]})")
        _tail(comp.proc.logfile)
        raise typer.Exit(1) from None
    progress.update(
        task,
        completed=1,
        description=f"{comp.name}: {'already running' if was else 'started'} (pid {pid}) {comp.address}",
    )


def _progress_line(progress: Progress, task, name: str):
    """Progress of a long step: the task's line on a terminal; elsewhere (CI, a log) a line every few seconds."""
    last = {"at": 0.0}

    def say(text: str) -> None:
        progress.update(task, description=f"{name}: {text}")
        if not err.is_terminal and time.monotonic() - last["at"] >= 3:
            last["at"] = time.monotonic()
            err.print(f"{name}: {text}", highlight=False, markup=False)

    return say


@app.command()
def down() -> None:
    """Stop the three services, then the local stack (its data is kept)."""
    s = settings()
    for comp in reversed(stack.components(s)):
        stopped = comp.proc.stop()
        out.print(f"{comp.name}: {'stopped' if stopped else 'not running'}")
    stack.record_stack(s, None)


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Show each component with its pid, address and health."""
    s = settings()
    rows = [c.status() for c in stack.components(s)]
    where = {"stack": stack.current_stack(s) if stack.manages_stack(s) else "external", "home": str(s.home.resolve())}
    es_row = next((r for r in rows if r["name"] == "elasticsearch"), None)
    warnings = []
    if where["stack"] == "embedded" and es_row and es_row["health"] == "healthy":
        warnings = stack.archive_warnings(s)
    if as_json:
        print(json.dumps(where | {"components": rows, "warnings": warnings}, indent=2))
    else:
        out.print(f"stack: [bold]{where['stack']}[/bold]  home: {where['home']}", highlight=False)
        for warning in warnings:
            err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
        table = Table("component", "pid", "address", "health")
        for r in rows:
            colour = {"healthy": "green", "unhealthy": "yellow"}.get(r["health"], "red")
            table.add_row(r["name"], str(r["pid"] or "-"), r["address"], f"[{colour}]{r['health']}[/{colour}]")
        out.print(table)
    if any(r["health"] != "healthy" for r in rows):
        raise typer.Exit(1)


def _tail(path, lines: int = 15) -> None:
    try:
        for line in path.read_text(errors="replace").splitlines()[-lines:]:
            err.print(line, markup=False, highlight=False)
    except OSError:
        pass


# -- feeding -----------------------------------------------------------------


@app.command()
def feed(
    paths: list[str] = typer.Argument(..., help="Files (.txt .md .html .json .jsonl), directories, or - for stdin."),
    wait: bool = typer.Option(False, "--wait", help="Wait until every accepted article is searchable."),
    timeout: float = typer.Option(300, help="Seconds --wait waits at most."),
    max_bytes: int = typer.Option(2_000_000, envvar="NEWSFLOW_MAX_ARTICLE_BYTES", help="Largest article accepted."),
    retry_for: float | None = typer.Option(
        None, help="Seconds to keep resending what ingest cannot take (default NEWSFLOW_FEED_RETRY_S, 120)."
    ),
    field_map: str | None = typer.Option(
        None,
        "--map",
        help="Another tool's JSON field names onto newsflow's, theirs=ours: --map body=text,date_publish=published.",
    ),
    preset: str | None = typer.Option(
        None, "--preset", help=f"The field names of a known tool: {', '.join(mapping.PRESETS)}. --map adds to it."
    ),
) -> None:
    """Feed articles onto the raw topic through ingest. Exits 1 if any was rejected."""
    s = settings()
    try:
        fmap = mapping.field_map(preset, field_map)
    except mapping.MapError as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(2) from None
    items = list(read_items(paths, max_bytes))
    if fmap is not None:
        items = [replace(i, article=mapping.apply(i.article, fmap)) if i.article else i for i in items]
    rejected = [(i.origin, i.error) for i in items if i.error]
    sendable = [i for i in items if not i.error]
    url = f"{s.ingest_endpoint}/v1/articles"
    with tracked(err, "feeding", len(sendable)) as progress:

        def on_retry(count: int, reason: str, delay: float) -> None:
            progress.say(f"resending {count} in {delay:.1f} s: {reason[:80]}")

        def on_done(count: int) -> None:
            progress.say("")
            progress.advance(count)

        outcome = feeding.feed(
            sendable,
            lambda chunk: feeding.post_articles(url, chunk, s.api_key),
            s.feed_batch,
            s.feed_retry_s if retry_for is None else retry_for,
            max_bytes=s.feed_request_bytes,
            on_done=on_done,
            on_retry=on_retry,
        )
    rejected += outcome.rejected
    accepted = [article_id for _, article_id in outcome.accepted]
    resent = f", resent {outcome.resent} that ingest could not take at first" if outcome.resent else ""
    out.print(f"accepted {len(accepted)}, rejected {len(rejected)}{resent}")
    for origin, reason in rejected:
        err.print(f"  [red]rejected[/red] {origin}: {reason}", highlight=False)
    if wait and accepted:
        _wait_searchable(s, sorted(set(accepted)), timeout)
    if rejected:
        raise typer.Exit(1)


def _wait_searchable(s: CliSettings, ids: list[str], timeout: float) -> None:
    es = s.elasticsearch(request_timeout=30)
    found: set[str] = set()
    deadline = time.monotonic() + timeout
    with Progress(
        TextColumn("searchable"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    ) as progress:
        task = progress.add_task("wait", total=len(ids))
        while len(found) < len(ids) and time.monotonic() < deadline:
            missing = [i for i in ids if i not in found]
            for start in range(0, len(missing), 1000):
                res = es.search(
                    index=s.alias,
                    query={"ids": {"values": missing[start : start + 1000]}},
                    size=1000,
                    source=False,
                    ignore_unavailable=True,
                )
                found.update(h["_id"] for h in res["hits"]["hits"])
            progress.update(task, completed=len(found))
            if len(found) < len(ids):
                time.sleep(0.25)
    if len(found) < len(ids):
        err.print(
            f"[red]{len(ids) - len(found)} of {len(ids)} articles not searchable after {timeout:.0f} s[/red] "
            "(see `newsflow lag` and `newsflow status`)"
        )
        raise typer.Exit(1)
    out.print(f"all {len(ids)} searchable")


# -- reading -----------------------------------------------------------------


@app.command()
def search(
    query: str = typer.Argument(
        ..., help='Words to look for in titles, bodies and entity names ("" with --person, --place or --org: any).'
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable hits with the full enrichment."),
    size: int = typer.Option(10, "--size", "-n", min=1, max=1000, help="Most hits shown."),
    show_all: bool = typer.Option(
        False, "--all", help="Every matching article, copies too (by default one per story, with its copies counted)."
    ),
    person: list[str] = typer.Option([], "--person", help="Only articles naming this person (repeatable)."),
    place: list[str] = typer.Option([], "--place", help="Only articles naming this place (repeatable)."),
    org: list[str] = typer.Option([], "--org", help="Only articles naming this organisation (repeatable)."),
) -> None:
    """Full-text search over the indexed articles, one hit per story (what a saved query of `alerts add` matches)."""
    s = settings()
    try:
        body = query_body(query, size, not show_all, person, place, org)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    res = s.elasticsearch(request_timeout=30).search(index=s.alias, **body)
    hits, total = res["hits"]["hits"], res["hits"]["total"]["value"]
    stories = res.get("aggregations", {}).get("stories", {}).get("value")
    if as_json:
        print(
            json.dumps(
                {
                    "total": total,
                    **({"stories": stories} if stories is not None else {}),
                    "hits": [
                        {"id": h["_id"], "score": h["_score"], **h["_source"], "copies": copies(h)[0]} for h in hits
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    out.print(f"[bold]{query!r}[/bold]: {hits_line(total, stories)}", highlight=False)
    for hit in map(summarise, hits):
        out.print(
            f"\n[bold]{hit['title'] or '(no title)'}[/bold]  [dim]{hit['source'] or ''} {hit['published'] or ''}[/dim]"
        )
        if hit["copies"]:
            where = ", ".join(c.get("source") or c.get("url") or c["id"] for c in hit["copies_shown"])
            more = (
                f" and {hit['copies'] - len(hit['copies_shown'])} more"
                if hit["copies"] > len(hit["copies_shown"])
                else ""
            )
            out.print(f"  [dim]and {plural(hit['copies'], 'copy', 'copies')}: {where}{more}[/dim]", highlight=False)
        for label in ("people", "organisations", "places"):
            if hit[label]:
                out.print(f"  {label}: {', '.join(hit[label])}", highlight=False)
        if hit["dates"]:
            out.print(f"  dates: {'; '.join(hit['dates'])}", highlight=False)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None


@app.command()
def entity(
    name: str = typer.Argument(..., help="A person, organisation or place, as the articles name it (any case)."),
    by: str = typer.Option("week", "--by", help="Count per day, week (from Monday) or month of publication."),
    since: str | None = typer.Option(None, "--from", help="First publication day counted (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--to", help="Last publication day counted (YYYY-MM-DD)."),
    top: int = typer.Option(10, "--top", min=1, max=100, help="Names mentioned with it shown, of each kind."),
    as_json: bool = typer.Option(False, "--json", help="The same figures, machine-readable."),
) -> None:
    """One entity over time: its articles per day, week or month, and who and what is mentioned with it."""
    first, last = _day(since, "--from"), _day(until, "--to")
    try:
        body = timeline_body(name, by, first, last, top)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    s = settings()
    line = read_timeline(name, by, s.elasticsearch(request_timeout=30).search(index=s.alias, **body), top)
    if as_json:
        print(json.dumps(line.as_dict(), indent=2, ensure_ascii=False))
        return
    if not line.articles:
        out.print(f"no article mentions {name!r}")
        return
    known = ", ".join(f"{n} ({c})" for n, c in line.known_as)
    many = "articles mention" if line.articles != 1 else "article mentions"
    out.print(f"[bold]{line.articles}[/bold] {many} {name!r}" + (f", as {known}" if known else ""))
    chart = Table(title=f"articles per {by}, by publication date", show_edge=False)
    chart.add_column(by, no_wrap=True)
    chart.add_column("articles", justify="right")
    chart.add_column("", no_wrap=True)
    most = max((n for _, n in line.periods), default=0)
    for start, n in line.periods:
        chart.add_row(start, str(n), f"[cyan]{bar(n, most)}[/cyan]")
    out.print(chart)
    if line.undated:
        out.print(f"{line.undated} of them without a publication date, in no {by}")
    mentioned = Table(title="mentioned with it (articles)", show_edge=False)
    for kind in line.companions:
        mentioned.add_column(kind)
    rows = max((len(v) for v in line.companions.values()), default=0)
    for i in range(rows):
        mentioned.add_row(*(f"{v[i][0]} ({v[i][1]})" if i < len(v) else "" for v in line.companions.values()))
    if rows:
        out.print(mentioned)


def _behind(seconds: float | None) -> str:
    return "?" if seconds is None else duration(seconds, digits=1)


def _judged(verdicts: list[GroupStatus]) -> dict[tuple[str, str, int], tuple[GroupStatus, PartitionStatus]]:
    """Each partition's verdict, and its group's, by (group, topic, partition)."""
    return {(p.row.group, p.row.topic, p.row.partition): (v, p) for v in verdicts for p in v.partitions}


def _lag_table(readings: list[LagRate], verdicts: list[GroupStatus], title: str | None = None) -> Table:
    table = Table(title=title)
    # Names are never cut: in a narrow terminal the figures wrap instead.
    for name in ("group", "topic"):
        table.add_column(name, no_wrap=True, min_width=max([len(name)] + [len(getattr(r.row, name)) for r in readings]))
    for name in ("part", "commit", "end", "lag", "behind", "lag/s", "read/s", "status"):
        table.add_column(name, justify="right")
    judged = _judged(verdicts)

    def rate(value: float | None) -> str:
        return "-" if value is None else f"{value:+.1f}"

    for r in readings:
        row = r.row
        verdict, part = judged.get((row.group, row.topic, row.partition), (None, None))
        table.add_row(
            row.group,
            row.topic,
            str(row.partition),
            str(row.committed),
            str(row.end),
            str(row.lag),
            _behind(part.lag_seconds) if part else "?",
            rate(r.lag_per_s),
            "-" if r.consumed_per_s is None else f"{r.consumed_per_s:.1f}",
            part.status.name if part and verdict and verdict.status is not None else "-",
        )
    total = sum(r.row.lag for r in readings)
    trend = [r.lag_per_s for r in readings if r.lag_per_s is not None]
    table.add_row("total", "", "", "", "", str(total), "", rate(sum(trend)) if trend else "-", "", "", style="bold")
    return table


STATUS_STYLE = {"OK": "green", "WARN": "yellow", "STALL": "red", "STOP": "bold red"}


def _status_table(verdicts: list[GroupStatus], window: float) -> Table:
    table = Table(title=f"status per group, over {window:g} s")
    for name in ("group", "members", "lag", "behind", "status", "why"):
        table.add_column(name, justify="right" if name in ("members", "lag", "behind") else "left")
    for v in verdicts:
        name = v.status.name if v.status is not None else "-"
        table.add_row(
            v.group,
            str(v.members),
            str(v.lag),
            _behind(v.lag_seconds),
            f"[{STATUS_STYLE.get(name, 'dim')}]{name}[/]",
            v.reason,
        )
    return table


def _row_json(r: LagRate, judged: dict) -> dict:
    _, part = judged.get((r.row.group, r.row.topic, r.row.partition), (None, None))
    row = part.as_dict() if part is not None else r.row.as_dict() | {"lag_seconds": None, "status": None}
    return row | {"lag_per_s": r.lag_per_s, "consumed_per_s": r.consumed_per_s}


@app.command()
def lag(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    watch_: bool = typer.Option(False, "--watch", "-w", help="A live view: lag and its rate, until Ctrl-C."),
    interval: float = typer.Option(2.0, min=0.2, help="Seconds between readings."),
    window: float = typer.Option(
        10.0,
        min=0,
        help="Seconds of readings each group's status is judged over (OK, WARN, STALL, STOP); with --watch, the "
        "last this many. 0: one reading, no status. STALL and STOP need the offsets unmoved through it: a longer "
        "window is surer.",
    ),
) -> None:
    """Lag per consumer group, topic and partition (as the broker sees it): in messages, in seconds behind (the
    age of the oldest message not consumed), and each group's status over a window of readings."""
    s = settings()
    groups = pipeline_groups(s)
    reader = LagReader(s.kafka_client_config())
    stop = threading.Event()
    try:
        if not watch_:
            seen: list[tuple[list[LagRate], list[GroupStatus]]] = []
            started = time.monotonic()
            with err.status(f"reading lag for {window:g} s") as progress:

                def keep(readings: list[LagRate], verdicts: list[GroupStatus]) -> None:
                    seen.append((readings, verdicts))
                    elapsed = time.monotonic() - started
                    progress.update(f"reading lag: {elapsed:.0f} of {window:g} s, {len(seen)} readings")
                    if elapsed + 1e-3 >= window:
                        stop.set()

                watch(reader, groups, min(interval, window) if window else interval, window, keep, stop)
            readings, verdicts = seen[-1]
            judged = _judged(verdicts)
            if as_json:
                doc = {
                    "partitions": [_row_json(r, judged) for r in readings],
                    "groups": [v.as_dict() for v in verdicts],
                    "total_lag": sum(r.row.lag for r in readings),
                    "window_s": window,
                }
                print(json.dumps(doc, indent=2))
            else:
                out.print(_lag_table(readings, verdicts))
                out.print(_status_table(verdicts, window))
            return
        with Live(console=out, auto_refresh=False) as live:

            def show(readings: list[LagRate], verdicts: list[GroupStatus]) -> None:
                if as_json:
                    print(json.dumps([_row_json(r, _judged(verdicts)) for r in readings]), flush=True)
                else:
                    title = f"consumer lag, every {interval:g} s (Ctrl-C to stop)"
                    live.update(
                        Group(_lag_table(readings, verdicts, title), _status_table(verdicts, window)), refresh=True
                    )

            # Ctrl-C ends the reading in progress and the loop, rather than raising wherever it lands: inside a
            # client call it could leave the Kafka clients half-closed and the command hanging at exit.
            stop = stop_on_signals(grace_s=10.0)
            watch(reader, groups, interval, window, show, stop)
    finally:
        reader.close()


@app.command()
def corenlp(
    port: int = typer.Option(CORENLP_PORT, help="The port to serve on (NEWSFLOW_CORENLP_URL=http://127.0.0.1:PORT)."),
    heap: str = typer.Option("4g", help="The server's Java heap."),
) -> None:
    """Run a Stanford CoreNLP server, for the corenlp-<language> recognisers, until stopped (its jars and models,
    1.6 GB, are fetched from Maven Central once)."""
    import os

    from newsflow.cli.local.corenlp import CoreNLPServer, corenlp_dist

    try:
        apache.require_tools(("java", "mvn"))
        dist = corenlp_dist(lambda line: err.print(line))
    except apache.ApacheStackError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    server = CoreNLPServer(port, heap)
    err.print(f"CoreNLP on {server.url}: NEWSFLOW_CORENLP_URL={server.url} NEWSFLOW_SPACY_MODEL=...,corenlp-es")
    os.execvp("java", server.argv(dist))  # the server is this process from here: its signals, its exit code


@app.command()
def exporter() -> None:
    """Serve consumer lag and topic offsets on /metrics for Prometheus, until stopped (`newsflow up` runs it)."""
    from newsflow.exporter.collector import register

    s = settings()
    configure_logging("lag-exporter", s.log_level)
    stop = stop_on_signals()
    reader = LagReader(s.kafka_client_config(), client_id="newsflow-lag-exporter")
    collector = register(reader, pipeline_groups(s), pipeline_topic_names(s), s.lag_window_s, s.lag_deadline_s)
    http = ServiceHTTP(
        s.http_host,
        s.lag_exporter_port,
        health=lambda: (True, {"service": "lag-exporter"}),
        ready=collector.check,
        limits=s.http_limits(),
    ).start()
    err.print(f"lag exporter on http://{s.http_host}:{http.port}/metrics")
    stop.wait()
    http.stop()
    reader.close()


@app.command()
def deadletters(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output, payloads included."),
) -> None:
    """List the dead letters: what failed where, and why."""
    s = settings()
    letters = read_letters(s.kafka_client_config(), s.scoped(Topics.DEADLETTER))
    if as_json:
        print(json.dumps([{"offset": i.offset, **i.letter.model_dump(mode="json")} for i in letters], indent=2))
        return
    table = Table("#", "stage", "reason", "from", "error")
    for item in letters:
        dl = item.letter
        table.add_row(
            str(item.offset), dl.stage, dl.error_type, f"{dl.topic}/{dl.partition}@{dl.offset}", dl.error_message[:100]
        )
    out.print(table)
    out.print(f"{len(letters)} dead letters")


@app.command("replay")
def replay_cmd(
    offsets: list[int] = typer.Argument(None, help="Dead-letter numbers (the # column) to replay."),
    reason: str | None = typer.Option(None, help="Replay every letter with this reason."),
    stage: str | None = typer.Option(None, help="Replay every letter from this stage."),
    all_: bool = typer.Option(False, "--all", help="Replay every dead letter."),
) -> None:
    """Send chosen dead letters back to their original topic, unchanged (after a fix)."""
    s = settings()
    letters = read_letters(s.kafka_client_config(), s.scoped(Topics.DEADLETTER))
    wanted = set(offsets or [])
    chosen = [
        i
        for i in letters
        if all_
        or i.offset in wanted
        or (reason and i.letter.error_type == reason)
        or (stage and i.letter.stage == stage)
    ]
    if not chosen:
        err.print("nothing chosen: give dead-letter numbers, --reason, --stage or --all")
        raise typer.Exit(1)
    count = replay(s.kafka_client_config(), chosen)
    out.print(f"replayed {count} dead letters to their original topics")


if __name__ == "__main__":
    app(sys.argv[1:])
