"""One-shot: the roles and users newsflow needs on a secured Elasticsearch, and Kibana's own password.

Run by the `es-setup` container of docker-compose.yml (the newsflow image: Python and the pinned
Elasticsearch client), as the `elastic` superuser, before anything else talks to Elasticsearch.
Idempotent: roles and users are created or updated, so a changed password in .env takes effect on
the next `docker compose up`.

Every component gets its own user, allowed only what it does:

    user                    used by                         may
    kibana_system           Kibana's server                 (built-in role)
    newsflow_init           `newsflow init`                 install the template, create articles-v* and the alias
    newsflow_index          the index service               read and write articles*, alerts-v1
    newsflow_reader         the CLI (search) and people     read articles*; Discover, Dashboard, Visualize (read)
                            logging in to Kibana
    newsflow_kibana_setup   the saved-objects import        create data views, searches, visualizations, dashboards

Passwords come from the environment (see deploy/env.example); nothing is written anywhere.
"""

from __future__ import annotations

import os
import sys
import time

# Every index name newsflow writes or reads starts with the alias ("articles", "articles-v1", ...).
ALIAS = os.environ.get("NEWSFLOW_ES_ALIAS", "articles")
INDICES = [f"{ALIAS}*"]
# One record per alert raised (newsflow/contract/mapping.py ALERTS_INDEX), created by the index service.
ALERTS = "alerts-v1"
KIBANA_APP = "kibana-.kibana"  # Kibana's application name for the default tenant (kibana.index .kibana)

ROLES: dict[str, dict] = {
    "newsflow_init": {
        "description": "newsflow init: index template, versioned index and alias",
        "cluster": ["manage_index_templates", "monitor"],
        # manage: creating an index *with an alias* needs it on both names; it covers the alias swap too.
        "indices": [{"names": INDICES, "privileges": ["create_index", "manage", "view_index_metadata"]}],
    },
    "newsflow_index": {
        "description": "newsflow index service: writes enriched articles",
        # The index service re-applies the index template at start-up (newsflow/stages/index/service.py calls
        # ensure_index), which needs manage_index_templates; without that call, write would be enough.
        "cluster": ["manage_index_templates"],
        # read and maintenance (refresh): before writing a batch it searches the archive for earlier copies of its
        # stories, after writing it looks again and matches the batch against the saved queries, each time on a
        # refreshed index.
        "indices": [
            {"names": INDICES, "privileges": ["read", "write", "maintenance", "view_index_metadata"]},
            {"names": [ALERTS], "privileges": ["create_index", "read", "write", "maintenance", "view_index_metadata"]},
        ],
    },
    "newsflow_reader": {
        "description": "newsflow readers: the CLI's search and people using Kibana",
        "indices": [{"names": [*INDICES, ALERTS], "privileges": ["read", "view_index_metadata"]}],
        "applications": [
            {
                "application": KIBANA_APP,
                "privileges": ["feature_discover_v2.read", "feature_dashboard_v2.read", "feature_visualize_v2.read"],
                "resources": ["space:default"],
            }
        ],
    },
    "newsflow_kibana_setup": {
        "description": "newsflow Kibana saved-objects import",
        "applications": [
            {
                "application": KIBANA_APP,
                "privileges": [
                    "feature_indexPatterns.all",
                    "feature_discover_v2.all",
                    "feature_dashboard_v2.all",
                    "feature_visualize_v2.all",
                ],
                "resources": ["space:default"],
            }
        ],
    },
}

# user -> (environment variable holding its password, roles)
USERS: dict[str, tuple[str, list[str]]] = {
    "newsflow_init": ("ES_INIT_PASSWORD", ["newsflow_init"]),
    "newsflow_index": ("ES_INDEX_PASSWORD", ["newsflow_index"]),
    "newsflow_reader": ("ES_READER_PASSWORD", ["newsflow_reader"]),
    "newsflow_kibana_setup": ("ES_KIBANA_SETUP_PASSWORD", ["newsflow_kibana_setup"]),
}
# Built-in users whose password is set here.
BUILTIN_PASSWORDS = {"kibana_system": "KIBANA_SYSTEM_PASSWORD"}


def required(name: str) -> str:
    value = os.environ.get(name, "")
    if len(value) < 8 or "change-me" in value:
        sys.exit(
            f"es-setup: {name} is unset, shorter than 8 characters or still the placeholder (see deploy/env.example)"
        )
    return value


def wait_for(es, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            es.cluster.health(wait_for_status="yellow", timeout="5s")
            return
        except Exception as exc:  # noqa: BLE001 - any failure here means "not yet"
            if time.monotonic() > deadline:
                sys.exit(f"es-setup: Elasticsearch not ready after {timeout_s:.0f} s: {exc}")
            time.sleep(2)


def main() -> None:
    from elasticsearch import Elasticsearch

    url = os.environ.get("NEWSFLOW_ES_URL", "http://elasticsearch:9200")
    passwords = {user: required(var) for user, (var, _) in USERS.items()}
    builtin = {user: required(var) for user, var in BUILTIN_PASSWORDS.items()}
    es = Elasticsearch(url, basic_auth=("elastic", required("ELASTIC_PASSWORD")), request_timeout=30)
    wait_for(es, float(os.environ.get("ES_SETUP_TIMEOUT_S", "300")))

    for user, password in builtin.items():
        es.security.change_password(username=user, password=password)
        print(f"es-setup: password of {user} set")
    for name, role in ROLES.items():
        es.security.put_role(name=name, **role)
        print(f"es-setup: role {name} ready")
    for user, (_, roles) in USERS.items():
        es.security.put_user(username=user, password=passwords[user], roles=roles, full_name=f"newsflow {user}")
        print(f"es-setup: user {user} ready (roles {', '.join(roles)})")


if __name__ == "__main__":
    main()
