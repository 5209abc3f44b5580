"""Result tables in the documents are copies of generated files (scripts/report/fill_tables.py)."""

from conftest import REPO
from helpers import load_script

fill_tables = load_script("scripts/report/fill_tables.py")


def test_a_block_takes_the_file_and_nothing_else_changes(tmp_path):
    (tmp_path / "t.md").write_text("| a | 1 |\n")
    text = "before\n<!-- table: t.md -->\n| a | 0 (stale) |\n<!-- end table -->\nafter <!-- table: t.md --> x\n"
    filled = fill_tables.fill(text, tmp_path)
    assert filled == "before\n<!-- table: t.md -->\n| a | 1 |\n<!-- end table -->\nafter <!-- table: t.md --> x\n"
    assert fill_tables.fill(filled, tmp_path) == filled


def test_the_documents_show_the_current_results():
    for name in ("README.md", "REPORT.md"):
        text = (REPO / name).read_text()
        assert fill_tables.fill(text, REPO) == text, f"{name}: python scripts/report/fill_tables.py {name}"
