"""An export appears whole or not at all: a session can end in the middle of writing it."""

import pytest

from rlhf.paths import directory_written_whole


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
