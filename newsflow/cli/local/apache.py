"""The ``apache`` local stack: Apache Kafka and Elasticsearch, assembled from their own artifacts on Maven Central.

Kafka is its release's broker (``kafka_2.13`` and its runtime dependencies), its storage formatted by
Kafka's own StorageTool and started with Kafka's own main class, ``kafka.Kafka``, in KRaft combined mode.
Elasticsearch is its server jar and HTTP transport module, started as a node by a small launcher
(``assets/apache/elasticsearch/java``) that does what the distribution's bootstrap does for a node.

The artifacts are copied once, with Maven, into a cache outside the repository (``~/.cache/newsflow`` or
``$NEWSFLOW_CACHE_DIR``); later starts use the cache and need no network. Versions are declared once, in
the POMs under ``assets/apache/``, and match docker-compose.yml's images.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

ASSETS = Path(str(files("newsflow").joinpath("assets", "apache")))
_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
Say = Callable[[str], None]

# What a user installs when a tool is missing: Debian's package names.
DEBIAN_PACKAGES = {
    "java": "openjdk-17-jdk-headless",
    "javac": "openjdk-17-jdk-headless",
    "jar": "openjdk-17-jdk-headless",
    "mvn": "maven",
}


class ApacheStackError(RuntimeError):
    """The apache stack cannot be assembled or started here; the message says why and what to do."""


def pom_property(part: str, name: str) -> str:
    root = ET.parse(ASSETS / part / "pom.xml").getroot()
    node = root.find(f"m:properties/m:{name}", _POM_NS)
    if node is None or not (node.text or "").strip():
        raise ApacheStackError(f"assets/apache/{part}/pom.xml has no <{name}> property")
    return (node.text or "").strip()


def kafka_version() -> str:
    return pom_property("kafka", "kafka.version")


def elasticsearch_version() -> str:
    return pom_property("elasticsearch", "elasticsearch.version")


def cache_dir() -> Path:
    explicit = os.environ.get("NEWSFLOW_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsflow"


def missing_tools(needed: tuple[str, ...] = ("java", "javac", "jar", "mvn")) -> list[str]:
    return [tool for tool in needed if shutil.which(tool) is None]


def require_tools(needed: tuple[str, ...] = ("java", "javac", "jar", "mvn")) -> None:
    missing = missing_tools(needed)
    if missing:
        packages = sorted({DEBIAN_PACKAGES[t] for t in missing})
        raise ApacheStackError(
            f"the apache stack needs a JDK (17 or newer) and Maven, and {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not installed. On Debian: "
            f"apt-get install {' '.join(packages)}. (The embedded stack, NEWSFLOW_STACK=embedded, needs neither.)"
        )


# -- assembling: Maven copies the artifacts into the cache --------------------------------------------------


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


_DOWNLOADED = re.compile(r"^\[INFO\] Downloaded from [^:]+: (\S+)")
_COPYING = re.compile(r"^\[INFO\] Copying (\S+) to ")


def maven_copy(pom: Path, out: Path, say: Say, what: str, **filters: str) -> None:
    """``mvn dependency:copy-dependencies`` of ``pom`` into ``out``, showing each artifact as it arrives.

    Only file names are shown: Maven's own lines carry the repository's address, which stays out of logs."""
    argv = [
        "mvn",
        "--batch-mode",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={out}",
        "-DincludeScope=runtime",
        *(f"-D{k}={v}" for k, v in filters.items()),
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
    errors, fetched, copied = [], 0, 0
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.rstrip()
        if m := _DOWNLOADED.match(line):
            fetched += 1
            say(f"{what}: fetched {fetched} files ({m.group(1).rsplit('/', 1)[-1]})")
        elif m := _COPYING.match(line):
            copied += 1
            say(f"{what}: {copied} jars in the cache ({Path(m.group(1)).name})")
        elif line.startswith("[ERROR]"):
            errors.append(re.sub(r"https?://\S+", "<repository>", line))
    if proc.wait() != 0:
        detail = "\n".join(errors[:12]) or "(no error lines)"
        raise ApacheStackError(
            f"Maven could not fetch {what} (mvn exited {proc.returncode}); a first start "
            f"needs Maven Central, later ones work from {cache_dir()}:\n{detail}"
        )


def target_dir(name: str, inputs: list[Path]) -> Path:
    return cache_dir() / "apache" / f"{name}-{_digest(inputs)}"


def assembled(target: Path, build: Callable[[Path], None], say: Say) -> Path:
    """``target``, built once by ``build`` and reused after (no network then)."""
    if (target / ".complete").exists():
        return target
    require_tools()
    staging = target.with_name(target.name + f".partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        build(staging)
        (staging / ".complete").write_text("")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)  # atomic: a second `up` racing this one sees all of it or none
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    say(f"assembled {target}")
    return target


def kafka_dist_dir() -> Path:
    """``<cache>/apache/kafka-<version>-<digest>/`` with ``lib/`` (the classpath) and ``log4j.properties``;
    the digest is of the assets it is made from, so a changed POM makes a new one."""
    return target_dir(f"kafka-{kafka_version()}", [ASSETS / "kafka" / "pom.xml", ASSETS / "kafka" / "log4j.properties"])


def kafka_dist(say: Say = lambda _: None) -> Path:
    """The Kafka distribution in the cache, assembled first if it is not there yet."""
    version = kafka_version()

    def build(root: Path) -> None:
        maven_copy(ASSETS / "kafka" / "pom.xml", root / "lib", say, f"Kafka {version}")
        shutil.copy(ASSETS / "kafka" / "log4j.properties", root / "log4j.properties")

    return assembled(kafka_dist_dir(), build, say)


def _java_sources() -> list[Path]:
    return sorted((ASSETS / "elasticsearch" / "java").rglob("*.java"))


def elasticsearch_dist_dir() -> Path:
    """``<cache>/apache/elasticsearch-<version>-<digest>/``: ``lib/`` (the server, on the module path, as the
    distribution runs it), ``modules/`` (transport-netty4, and newsflow's plugin for what Maven Central lacks),
    ``launcher/`` (the compiled launcher)."""
    return target_dir(
        f"elasticsearch-{elasticsearch_version()}", [ASSETS / "elasticsearch" / "pom.xml", *_java_sources()]
    )


def elasticsearch_dist(say: Say = lambda _: None) -> Path:
    """The Elasticsearch node in the cache, assembled (and its launcher compiled) first if it is not there yet."""
    version = elasticsearch_version()
    sources = _java_sources()

    def build(root: Path) -> None:
        pom = ASSETS / "elasticsearch" / "pom.xml"
        # transport-netty4 and Netty form a module of their own, loaded by the node, not the server's classpath.
        maven_copy(
            pom,
            root / "lib",
            say,
            f"Elasticsearch {version}",
            excludeGroupIds="io.netty",
            excludeArtifactIds="transport-netty4",
        )
        netty = root / "modules" / "transport-netty4"
        maven_copy(pom, netty, say, "Elasticsearch's transport-netty4 module", includeArtifactIds="transport-netty4")
        maven_copy(pom, netty, say, "Netty", includeGroupIds="io.netty")
        _descriptor(
            netty,
            "transport-netty4",
            "org.elasticsearch.transport.netty4.Netty4Plugin",
            version,
            "Netty 4 HTTP and transport, from Maven Central",
        )
        say("Elasticsearch: compiling the launcher and newsflow's local-modules plugin")
        launcher = [p for p in sources if p.name == "ElasticsearchLocal.java"]
        plugin = [p for p in sources if p not in launcher]
        _javac(root / "lib", launcher, root / "launcher")
        classes = root / "plugin-classes"
        _javac(root / "lib", plugin, classes)
        local = root / "modules" / "newsflow-local"
        local.mkdir(parents=True)
        _run(["jar", "--create", "--file", str(local / "newsflow-local.jar"), "-C", str(classes), "."], "jar")
        shutil.rmtree(classes)
        _descriptor(
            local,
            "newsflow-local",
            "newsflow.local.es.LocalModulesPlugin",
            version,
            "the english analyser and GET /, which Maven Central does not publish as modules",
        )

    return assembled(elasticsearch_dist_dir(), build, say)


def _descriptor(directory: Path, name: str, classname: str, es_version: str, description: str) -> None:
    (directory / "plugin-descriptor.properties").write_text(
        f"name={name}\ndescription={description}\nversion={es_version}\nclassname={classname}\n"
        f"java.version=17\nelasticsearch.version={es_version}\n"
    )


def _javac(module_path: Path, sources: list[Path], out: Path) -> None:
    _run(
        [
            "javac",
            "--release",
            "17",
            "-nowarn",
            "--module-path",
            str(module_path),
            "--add-modules",
            "ALL-MODULE-PATH",
            "-d",
            str(out),
            *map(str, sources),
        ],
        "javac",
    )


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise ApacheStackError(f"{what} failed ({done.returncode}): {(done.stderr or done.stdout)[-2000:]}")


# -- one home's servers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KafkaNode:
    """A single-node KRaft cluster (broker and controller in one JVM) on loopback."""

    data_dir: Path
    config_dir: Path
    port: int
    controller_port: int
    heap: str = "512m"
    host: str = "127.0.0.1"

    @property
    def properties(self) -> Path:
        return self.config_dir / "server.properties"

    def write_config(self) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # As docker-compose.yml configures the broker, with loopback listeners and the data under the home.
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.data_dir),
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            # At rest, unlike compose's broker: the controller writes a no-op record every 500 ms by default (a
            # third of the idle broker's CPU), and 8 request handlers and 3 network threads each wake several
            # times a second for a machine of two cores. Measured idle, alone: 2.47% of a core, 1.37% with these.
            "metadata.max.idle.interval.ms": "5000",
            "num.io.threads": "2",
            "num.network.threads": "2",
        }
        self.properties.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))

    def format_storage(self, dist: Path) -> bool:
        """Kafka's StorageTool formats the data directory once; False when it already was."""
        if (self.data_dir / "meta.properties").exists():
            return False
        _run(
            [
                "java",
                "-cp",
                f"{dist / 'lib'}/*",
                f"-Dlog4j.configuration=file:{dist / 'log4j.properties'}",
                "kafka.tools.StorageTool",
                "format",
                "--ignore-formatted",
                "-t",
                _kafka_cluster_id(),
                "-c",
                str(self.properties),
            ],
            "Kafka's storage format",
        )
        return True

    def argv(self, dist: Path) -> list[str]:
        return [
            "java",
            f"-Xms{min_heap(self.heap)}",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            "-XX:InitiatingHeapOccupancyPercent=35",
            "-XX:+ExplicitGCInvokesConcurrent",
            "-Djava.awt.headless=true",
            f"-Dlog4j.configuration=file:{dist / 'log4j.properties'}",
            "-cp",
            f"{dist / 'lib'}/*",
            "kafka.Kafka",
            str(self.properties),
        ]


@dataclass(frozen=True)
class ElasticsearchNode:
    """One Elasticsearch node on loopback, security off (there is no x-pack on Maven Central either)."""

    data_dir: Path
    config_dir: Path
    logs_dir: Path
    http_port: int
    transport_port: int
    heap: str = "1g"
    host: str = "127.0.0.1"

    def write_config(self) -> None:
        for d in (self.config_dir, self.data_dir, self.logs_dir, self.tmp_dir):
            d.mkdir(parents=True, exist_ok=True)
        settings = {
            "cluster.name": "newsflow-local",
            "node.name": "newsflow-local",
            "discovery.type": "single-node",
            "network.host": self.host,
            "http.port": self.http_port,
            "transport.port": self.transport_port,
            "path.data": str(self.data_dir),
            "path.logs": str(self.logs_dir),
            # A developer's disk fills up; the local node should keep taking writes, not turn indices read-only.
            "cluster.routing.allocation.disk.threshold_enabled": "false",
        }
        (self.config_dir / "elasticsearch.yml").write_text("".join(f"{k}: {v}\n" for k, v in settings.items()))
        # The node logs to stdout, which `newsflow up` sends to logs/elasticsearch.log beside the others.
        (self.config_dir / "log4j2.properties").write_text(
            "status = error\n"
            "appender.console.type = Console\nappender.console.name = console\n"
            "appender.console.layout.type = PatternLayout\n"
            "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n\n"
            "rootLogger.level = info\nrootLogger.appenderRef.console.ref = console\n"
            "logger.deprecation.name = org.elasticsearch.deprecation\nlogger.deprecation.level = error\n"
        )

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir.parent / "elasticsearch-tmp"

    def argv(self, dist: Path) -> list[str]:
        return [
            "java",
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-Dfile.encoding=UTF-8",
            "-Djava.locale.providers=CLDR",
            "-Dlog4j2.formatMsgNoLookups=true",
            "-Des.networkaddress.cache.ttl=60",
            "-XX:+ExitOnOutOfMemoryError",
            f"-Djava.io.tmpdir={self.tmp_dir}",
            "--module-path",
            str(dist / "lib"),
            "--add-modules",
            "ALL-MODULE-PATH",
            "-cp",
            str(dist / "launcher"),
            "newsflow.local.es.ElasticsearchLocal",
            str(dist),
            str(self.config_dir),
        ]


def min_heap(heap: str) -> str:
    """Half the maximum heap as the starting one, so an idle JVM does not hold all of it at once."""
    m = re.fullmatch(r"(\d+)([kmgKMG])", heap)
    if not m:
        raise ApacheStackError(f"a heap size looks like 512m or 1g, not {heap!r}")
    value, unit = int(m.group(1)), m.group(2).lower()
    mib = value * {"k": 1 / 1024, "m": 1, "g": 1024}[unit]
    return f"{max(64, int(mib // 2))}m"


def _kafka_cluster_id() -> str:
    """A cluster id as Kafka's StorageTool random-uuid makes one: 16 random bytes, URL-safe base64, no padding
    (and not starting with '-', which a command line would read as an option)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):
            return text
