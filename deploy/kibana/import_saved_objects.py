"""One-shot: import deploy/kibana/saved_objects.ndjson into Kibana (data view, saved search, dashboard).

Run by the `kibana-setup` container of docker-compose.yml once Kibana is healthy, as the
`newsflow_kibana_setup` user (deploy/elasticsearch/setup.py). `overwrite=true` keeps the objects'
ids, so re-running it updates them in place. Standard library only.

    KIBANA_URL=http://kibana:5601 KIBANA_USERNAME=... KIBANA_PASSWORD=... \
        python import_saved_objects.py saved_objects.ndjson
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/ndjson\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def import_objects(url: str, auth: str, path: str) -> dict:
    with open(path, "rb") as f:
        body, ctype = multipart(os.path.basename(path), f.read())
    req = urllib.request.Request(
        f"{url.rstrip('/')}/api/saved_objects/_import?overwrite=true",
        data=body,
        method="POST",
        headers={"Content-Type": ctype, "kbn-xsrf": "newsflow", "Authorization": f"Basic {auth}"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/setup/saved_objects.ndjson"
    url = os.environ.get("KIBANA_URL", "http://kibana:5601")
    user, password = os.environ.get("KIBANA_USERNAME", ""), os.environ.get("KIBANA_PASSWORD", "")
    if not user or not password:
        print("kibana-setup: KIBANA_USERNAME and KIBANA_PASSWORD must be set", file=sys.stderr)
        return 1
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    deadline = time.monotonic() + float(os.environ.get("KIBANA_SETUP_TIMEOUT_S", "300"))
    while True:
        try:
            answer = import_objects(url, auth, path)
            break
        except (urllib.error.URLError, OSError) as exc:
            # 503 while Kibana finishes starting, connection refused before it listens: try again.
            status = getattr(exc, "code", None)
            if status in (400, 401, 403) or time.monotonic() > deadline:
                detail = exc.read().decode(errors="replace") if hasattr(exc, "read") else ""
                print(f"kibana-setup: import failed: {exc} {detail}", file=sys.stderr)
                return 1
            time.sleep(3)
    if not answer.get("success"):
        print(f"kibana-setup: import reported errors: {json.dumps(answer.get('errors'), indent=2)}", file=sys.stderr)
        return 1
    print(f"kibana-setup: imported {answer.get('successCount')} saved objects from {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
