import json

from newsflow.cli.sources import read_items


def items(tmp_path, name, data: bytes, max_bytes=10_000):
    path = tmp_path / name
    path.write_bytes(data)
    return list(read_items([str(path)], max_bytes))


def test_text_markdown_html(tmp_path):
    assert items(tmp_path, "a.txt", b"Some text")[0].article == {"text": "Some text"}
    assert items(tmp_path, "a.md", b"# T\n\nbody")[0].article == {"text": "# T\n\nbody"}
    assert items(tmp_path, "a.html", b"<p>x</p>")[0].article == {"html": "<p>x</p>"}


def test_json_and_jsonl(tmp_path):
    assert items(tmp_path, "a.json", json.dumps({"text": "x", "title": "T"}).encode())[0].article["title"] == "T"
    lines = items(tmp_path, "m.jsonl", b'{"text": "a"}\n\n{"text": "b"}\nnot json\n')
    assert [i.origin.rsplit(":", 1)[1] for i in lines] == ["1", "3", "4"]
    assert lines[2].error.startswith("not valid JSON")


def test_each_bad_file_gets_its_reason(tmp_path):
    assert items(tmp_path, "e.txt", b"  \n")[0].error == "empty file"
    assert "not UTF-8" in items(tmp_path, "l.txt", "caf\u00e9".encode("latin-1"))[0].error
    assert "unknown extension '.pdf'" in items(tmp_path, "x.pdf", b"%PDF")[0].error
    assert "binary" in items(tmp_path, "b.txt", b"ab\x00cd")[0].error
    assert "got list" in items(tmp_path, "l.json", b"[1]")[0].error
    assert "article limit" in items(tmp_path, "big.txt", b"x" * 200, max_bytes=100)[0].error


def test_directories_are_expanded_in_order_without_hidden_files(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.txt").write_text("b")
    (tmp_path / "d" / "a.txt").write_text("a")
    (tmp_path / "d" / ".hidden.txt").write_text("h")
    got = list(read_items([str(tmp_path / "d")], 1000))
    assert [i.article["text"] for i in got] == ["a", "b"]


def test_missing_file(tmp_path):
    assert list(read_items([str(tmp_path / "nope.txt")], 10))[0].error == "no such file"
