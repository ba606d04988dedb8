"""Where the CLI keeps its state: the same home from every folder of a project."""

from newsflow.cli.settings import default_home


def test_the_home_is_found_upward_from_any_folder_of_the_checkout(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "newsflow"\n')
    deep = tmp_path / "examples" / "articles"
    deep.mkdir(parents=True)
    assert default_home(deep) == tmp_path / ".newsflow"
    assert default_home(tmp_path) == tmp_path / ".newsflow"


def test_an_existing_home_is_found_upward_too(tmp_path):
    (tmp_path / ".newsflow").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "someone-else"\n')
    (tmp_path / "sub").mkdir()
    assert default_home(tmp_path / "sub") == tmp_path / ".newsflow"


def test_outside_any_project_it_is_the_users_data_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "someone-else"\n')
    assert default_home(tmp_path) == tmp_path / "data" / "newsflow"
