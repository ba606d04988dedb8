"""System tools some tests need: Debian's prometheus package (prometheus, promtool), and a JDK and Maven for
the apache stack.

Where one is missing the test skips and says how to install it; with NEWSFLOW_TEST_REQUIRE_TOOLS=1
(as .ci/run sets) it fails instead, so CI can never pass without having run it."""

from __future__ import annotations

import os
import shutil

import pytest

from newsflow.cli.local.apache import DEBIAN_PACKAGES

HOW = {
    "promtool": "apt-get install prometheus",
    "prometheus": "apt-get install prometheus",
    **{tool: f"apt-get install {package}" for tool, package in DEBIAN_PACKAGES.items()},
}


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path:
        return path
    message = f"{tool} is not installed (Debian: {HOW.get(tool, 'install it')})"
    if os.environ.get("NEWSFLOW_TEST_REQUIRE_TOOLS") == "1":
        pytest.fail(message + "; NEWSFLOW_TEST_REQUIRE_TOOLS=1 makes this a failure")
    pytest.skip(message)


def require_apache_tools() -> None:
    """The apache stack's JDK and Maven (.ci/run installs them)."""
    for tool in DEBIAN_PACKAGES:
        require(tool)


def require_packet_capture() -> None:
    """Reading loopback's packets (tests/wire.py): root, as CI runs."""
    from tests.wire import can_capture

    why = can_capture()
    if why is None:
        return
    if os.environ.get("NEWSFLOW_TEST_REQUIRE_TOOLS") == "1":
        pytest.fail(why + "; NEWSFLOW_TEST_REQUIRE_TOOLS=1 makes this a failure")
    pytest.skip(why)
