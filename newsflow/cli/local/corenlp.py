"""A Stanford CoreNLP server for the ``corenlp-<language>`` recognisers (newsflow/nlp/corenlp.py), assembled from
its artifacts on Maven Central like the apache stack (``assets/corenlp/pom.xml``: the server and the models of
English, Spanish, German and French) into newsflow's cache, and started with CoreNLP's own server class."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from newsflow.cli.local.apache import Say, assembled, maven_copy, target_dir

ASSETS = Path(str(files("newsflow").joinpath("assets", "corenlp")))


def corenlp_version() -> str:
    node = (
        ET.parse(ASSETS / "pom.xml")
        .getroot()
        .find("m:properties/m:corenlp.version", {"m": "http://maven.apache.org/POM/4.0.0"})
    )
    assert node is not None and node.text, "assets/corenlp/pom.xml declares corenlp.version"
    return node.text.strip()


def corenlp_dist_dir() -> Path:
    """``<cache>/apache/corenlp-<version>-<digest>/``, whose ``lib`` is the server's classpath (1.6 GB with its
    models)."""
    return target_dir(f"corenlp-{corenlp_version()}", [ASSETS / "pom.xml"])


def corenlp_dist(say: Say = lambda _: None) -> Path:
    """The server's jars and models in the cache, fetched first if they are not there yet."""
    version = corenlp_version()

    def build(root: Path) -> None:
        maven_copy(ASSETS / "pom.xml", root / "lib", say, f"CoreNLP {version} and its models")

    return assembled(corenlp_dist_dir(), build, say)


@dataclass(frozen=True)
class CoreNLPServer:
    """CoreNLP's server listens on every interface (it has no option to bind one): on a shared network, keep its
    port behind a firewall."""

    port: int
    heap: str = "4g"  # English's three NER models and a Spanish one take about 2.5 GB between them
    threads: int = 4
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def argv(self, dist: Path) -> list[str]:
        return [
            "java",
            f"-Xmx{self.heap}",
            "-XX:+ExitOnOutOfMemoryError",
            "-cp",
            f"{dist / 'lib'}/*",
            "edu.stanford.nlp.pipeline.StanfordCoreNLPServer",
            "-port",
            str(self.port),
            "-threads",
            str(self.threads),
            "-timeout",
            "120000",
            # A piece of an article is at most recognise.PIECE_CHARS long; the server's default cap is that.
            "-maxCharLength",
            "150000",
            "-quiet",
        ]


@contextmanager
def running(server: CoreNLPServer, dist: Path, log: Path | None = None) -> Iterator[subprocess.Popen]:
    """A CoreNLP server started, ready (its /ready answers), and stopped on leaving, however the block ends."""
    from newsflow.runtime.servers import http_status, stop_child, wait_until

    with open(log or "/dev/null", "ab") as out:
        proc = subprocess.Popen(server.argv(dist), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_until(
            lambda: http_status(server.url + "/ready") == 200 or proc.poll() is not None, 120, "CoreNLP's /ready"
        )
        if proc.poll() is not None:
            raise RuntimeError(f"the CoreNLP server exited with {proc.returncode} while starting (log: {log})")
        yield proc
    finally:
        stop_child(proc)
