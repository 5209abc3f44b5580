"""Copy generated result tables into the Markdown documents, so that no number in them is typed by hand.

A block in README.md or REPORT.md between

    <!-- table: results/bench/cpu_summary.md -->
    ...
    <!-- end table -->

is replaced by the current content of the named file (written by the script that made the result).

python scripts/report/fill_tables.py README.md REPORT.md          # rewrite the blocks
python scripts/report/fill_tables.py --check README.md REPORT.md  # exit 1 if a block is out of date
"""

import argparse
import re
import sys
from pathlib import Path

BLOCK = re.compile(r"(<!-- table: (?P<path>\S+) -->\n)(?P<body>.*?)(<!-- end table -->)", re.DOTALL)


def fill(text: str, root: Path) -> str:
    def replace(match: re.Match) -> str:
        table = (root / match["path"]).read_text().rstrip("\n") + "\n"
        return match.group(1) + table + match.group(4)

    return BLOCK.sub(replace, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("documents", nargs="+")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    stale = []
    for document in map(Path, args.documents):
        text = document.read_text()
        filled = fill(text, Path.cwd())
        if filled != text:
            stale.append(str(document))
            if not args.check:
                document.write_text(filled)
    if args.check and stale:
        sys.exit(f"tables out of date in {', '.join(stale)}: python scripts/report/fill_tables.py {' '.join(stale)}")
    print("up to date" if args.check else f"filled {', '.join(stale) or 'nothing (all up to date)'}")


if __name__ == "__main__":
    main()
