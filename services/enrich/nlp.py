"""Loading the spaCy pipeline named in settings, running only the components the enrichment needs."""

from __future__ import annotations

from dataclasses import dataclass

import spacy


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    components: tuple[str, ...]


def load(model: str, components: str):
    """Load ``model`` (an installed pipeline package or a path) with only ``components`` enabled.

    Never downloads: on these machines a model is a package installed beforehand."""
    keep = [c.strip() for c in components.split(",") if c.strip()]
    try:
        nlp = spacy.load(model, enable=keep) if keep else spacy.load(model)
    except OSError as exc:
        raise RuntimeError(f"spaCy model {model!r} is not installed (NEWSFLOW_SPACY_MODEL): {exc}") from None
    except ValueError as exc:
        raise RuntimeError(f"spaCy model {model!r} cannot run components {keep} (NEWSFLOW_SPACY_COMPONENTS): {exc}") from None
    missing = [c for c in keep if c not in nlp.pipe_names]
    if missing:
        raise RuntimeError(f"spaCy model {model!r} has no component(s) {missing} (NEWSFLOW_SPACY_COMPONENTS); it has {nlp.component_names}")
    info = ModelInfo(f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', model)}", nlp.meta.get("version", "?"), tuple(nlp.pipe_names))
    return nlp, info
