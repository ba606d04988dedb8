"""The CoreNLP recogniser against a real CoreNLP server (assembled from Maven Central into the cache, as
`newsflow corenlp` does) on a free port: English and Spanish articles through the enrichment, offsets right past
an emoji, and a server that is gone costs the batch's texts, each with its error, not the process."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsflow.cli.local.corenlp import CoreNLPServer, corenlp_dist, running
from newsflow.contract import ArticleSubmission
from newsflow.nlp.enrichment import Failure, enrich_batch
from newsflow.nlp.recognise import recognisers
from newsflow.runtime.servers import free_port, http_status
from newsflow.stages.ingest.prepare import prepare
from tests.tools import require_apache_tools

ENGLISH = (
    "Ada Lindqvist, the mayor of Oslo, met officials of the United Nations in Geneva on Monday. "
    "Lindqvist said the talks with the World Health Organization went well."
)
SPANISH = (
    "La alcaldesa de Sevilla, María Fernández, se reunió el lunes en Madrid con representantes de la "
    "Organización Mundial de la Salud. Fernández dijo que la reunión fue útil."
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_apache_tools()
    node = CoreNLPServer(free_port(), heap="3g", threads=2)
    with running(node, corenlp_dist(), tmp_path_factory.mktemp("corenlp") / "server.log") as proc:
        yield node, proc


def enriched(url: str, *texts: tuple[str, str]):
    now = datetime.now(UTC)
    readers = recognisers("spacy", "corenlp-en,corenlp-es", "ner", url)
    raws = [prepare(ArticleSubmission(text=t, language=lang), "test", now, 10**6) for t, lang in texts]
    return enrich_batch(raws, readers, now)


def test_english_and_spanish_articles_get_their_entities_from_corenlp(server) -> None:
    node, _ = server
    english, spanish = enriched(node.url, (ENGLISH, "en"), (SPANISH, "es"))
    assert english.enrichment.model == "corenlp_en" and spanish.enrichment.model == "corenlp_es"
    assert [f.name for f in english.people] == ["Ada Lindqvist"] and "Lindqvist" in english.people[0].variants
    assert {f.name for f in english.places} >= {"Oslo", "Geneva"}
    assert {f.name for f in english.organisations} >= {"United Nations", "World Health Organization"}
    assert spanish.entities_status == "ok" and [f.name for f in spanish.people] == ["María Fernández"]
    assert {f.name for f in spanish.places} >= {"Sevilla", "Madrid"}
    assert "Organización Mundial de la Salud" in {f.name for f in spanish.organisations}


def test_mentions_after_an_emoji_keep_their_offsets(server) -> None:
    node, _ = server
    (article,) = enriched(node.url, ("🙂🙂 " + ENGLISH, "en"))
    assert article.entities
    for mention in article.entities:
        assert article.body[mention.start : mention.end] == mention.text


def test_a_server_that_is_gone_costs_each_text_with_its_error_not_the_process(server) -> None:
    node, proc = server
    readers = recognisers("spacy", "corenlp-en", "ner", node.url)
    proc.terminate()
    proc.wait(30)
    assert proc.poll() is not None and http_status(node.url + "/ready") == 0  # the fault happened
    now = datetime.now(UTC)
    raws = [
        prepare(ArticleSubmission(text=t, language="en"), "test", now, 10**6) for t in (ENGLISH, ENGLISH + " More.")
    ]
    results = enrich_batch(raws, readers, now)
    assert all(isinstance(r, Failure) and r.reason == "enrich-crashed" for r in results)
    assert all(r.message.startswith("corenlp_en failed: ") and "refused" in r.message for r in results), results
    with pytest.raises(RuntimeError, match="NEWSFLOW_CORENLP_URL"):
        recognisers("spacy", "corenlp-en", "ner", node.url)
