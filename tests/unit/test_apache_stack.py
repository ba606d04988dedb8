"""The apache stack's assembly, without running it: versions declared once, clear errors for what is missing."""

import pytest

from newsflow.cli.local import apache
from tests.running import cli, isolated_env


def test_versions_come_from_the_poms():
    assert apache.kafka_version() == "3.9.1"
    assert apache.elasticsearch_version() == "8.19.21"
    assert apache.kafka_dist_dir().name.startswith("kafka-3.9.1-")
    assert apache.elasticsearch_dist_dir().name.startswith("elasticsearch-8.19.21-")


def test_a_missing_jdk_or_maven_names_the_debian_packages(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(apache.ApacheStackError) as raised:
        apache.require_tools()
    message = str(raised.value)
    assert "java, javac, jar, mvn are not installed" in message
    assert "apt-get install maven openjdk-17-jdk-headless" in message


def test_up_on_the_apache_stack_without_java_fails_saying_what_to_install(tmp_path):
    env = isolated_env(
        tmp_path / "home",
        NEWSFLOW_STACK="apache",
        NEWSFLOW_CACHE_DIR=str(tmp_path / "cache"),
        NEWSFLOW_KAFKA_BOOTSTRAP="127.0.0.1:1",
        NEWSFLOW_ES_URL="http://127.0.0.1:2",
        PATH=str(tmp_path / "empty-path"),
    )
    done = cli(["up"], env, timeout=60)
    assert done.returncode == 1
    assert "apt-get install maven openjdk-17-jdk-headless" in done.stderr.decode(), done.stderr.decode()


def test_a_heap_size_is_checked_and_the_starting_heap_is_half(tmp_path):
    assert apache.min_heap("1g") == "512m" and apache.min_heap("512m") == "256m"
    with pytest.raises(apache.ApacheStackError):
        apache.min_heap("lots")
    node = apache.KafkaNode(tmp_path / "data", tmp_path / "config", 19092, 19093)
    node.write_config()
    props = dict(line.split("=", 1) for line in node.properties.read_text().splitlines())
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["process.roles"] == "broker,controller" and props["log.dirs"] == str(tmp_path / "data")
    assert node.argv(tmp_path)[-2:] == ["kafka.Kafka", str(node.properties)]
