"""An export appears whole or not at all: a session can end in the middle of writing it; a result's table sits
beside it."""

import json

import pytest

from rlhf.paths import directory_written_whole, write_result


def test_directory_appears_only_when_complete(tmp_path):
    final = tmp_path / "export"
    with directory_written_whole(str(final)) as partial:
        (tmp_path / "export.partial" / "config.json").write_text("{}")
        assert not final.exists()  # a driver checking for export/config.json skips nothing yet
        assert partial == str(tmp_path / "export.partial")
    assert (final / "config.json").read_text() == "{}" and not (tmp_path / "export.partial").exists()


def test_interrupted_write_leaves_the_old_export(tmp_path):
    final = tmp_path / "export"
    final.mkdir()
    (final / "weights").write_text("old")
    with pytest.raises(KeyboardInterrupt), directory_written_whole(str(final)) as partial:
        (tmp_path / "export.partial" / "weights").write_text("half")
        raise KeyboardInterrupt
    assert (final / "weights").read_text() == "old"
    with directory_written_whole(str(final)) as partial:  # the next attempt starts clean and replaces it
        assert not (tmp_path / "export.partial" / "weights").exists()
        (tmp_path / "export.partial" / "weights").write_text("new")
    assert (final / "weights").read_text() == "new" and partial


def test_write_result_puts_the_table_beside_the_json(tmp_path):
    out = tmp_path / "new" / "dir" / "result.json"  # directories made as needed
    write_result(str(out), {"a": [1, 2]}, "| a |\n", indent=1)
    assert json.loads(out.read_text()) == {"a": [1, 2]} and out.read_text().startswith('{\n "a"')
    assert (tmp_path / "new" / "dir" / "result.md").read_text() == "| a |\n"
