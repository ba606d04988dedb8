"""System tools some tests need (Debian's prometheus package: prometheus and promtool).

Where one is missing the test skips and says how to install it; with NEWSFLOW_TEST_REQUIRE_TOOLS=1
(as .ci/run sets) it fails instead, so CI can never pass without having run it."""

from __future__ import annotations

import os
import shutil

import pytest

HOW = {"promtool": "apt-get install prometheus", "prometheus": "apt-get install prometheus"}


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path:
        return path
    message = f"{tool} is not installed (Debian: {HOW.get(tool, 'install it')})"
    if os.environ.get("NEWSFLOW_TEST_REQUIRE_TOOLS") == "1":
        pytest.fail(message + "; NEWSFLOW_TEST_REQUIRE_TOOLS=1 makes this a failure")
    pytest.skip(message)
