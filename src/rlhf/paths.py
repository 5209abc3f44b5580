"""Where models and data come from: a local path or a Hugging Face Hub id, and the errors a user can act on; and
how outputs are written (an export directory whole, a result file with its table beside it).

Every loader in the project resolves its argument here, so "not found", "looks like a path but is not there"
and "no Hub" read the same everywhere and fail in a second instead of after a minute of network retries.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sys
from pathlib import Path
from urllib.parse import urlparse

OFFLINE_HELP = "see README.md, 'Local files and offline use'"


class InputError(ValueError):
    """Bad input from the user (a path, a file, a setting). Its message is the whole story: ``cli.py`` prints
    it as one line (set ``RLHF_TRACEBACK=1`` for the traceback)."""


@contextlib.contextmanager
def directory_written_whole(path: str):
    """Yield a temporary directory beside ``path`` and rename it to ``path`` once the block has finished: a reader,
    or a study driver that skips a stage whose output exists, never sees half an export (a session can end at any
    moment). An existing ``path`` is replaced."""
    final = Path(path)
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    yield str(partial)
    if final.exists():
        shutil.rmtree(final)
    os.replace(partial, final)


def write_result(out: str, result: dict, table: str, indent: int = 2) -> None:
    """A result as JSON at ``out`` and its Markdown table beside it (``NAME.md`` for ``NAME.json``), which REPORT.md
    and README.md show through scripts/report/fill_tables.py."""
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=indent)
    with open(os.path.splitext(out)[0] + ".md", "w") as f:
        f.write(table)


def run_with_one_line_errors(main) -> None:
    """Run a command's ``main``; an ``InputError`` behind whatever it raised (jsonargparse wraps errors raised while
    instantiating) ends the process with ``error: ...`` on stderr and status 2. Other errors keep their traceback."""
    try:
        main()
    except Exception as error:  # noqa: BLE001 - only input errors are shortened; everything else is re-raised
        cause = error
        while cause is not None and not isinstance(cause, InputError):
            cause = cause.__cause__ or cause.__context__
        if cause is None or os.environ.get("RLHF_TRACEBACK"):
            raise
        print(f"error: {cause}", file=sys.stderr)
        sys.exit(2)


def looks_like_path(path: str) -> bool:
    """Hub ids are ``owner/name``; anything else with path syntax is meant to be on disk."""
    return (
        path.startswith((".", "/", "~"))
        or path.count("/") > 1
        or path.endswith((".gguf", ".json", ".jsonl", ".gz", ".parquet", ".yaml"))
        or "\\" in path
    )


def local_path(path: str) -> str | None:
    """The expanded local path if ``path`` exists on disk, else None (a Hub id or a missing file)."""
    expanded = os.path.expanduser(path)
    return expanded if os.path.exists(expanded) else None


def require_local_or_hub(path: str, what: str) -> str | None:
    """Return the local path, or None for a Hub id that the Hub can serve; raise ``InputError`` otherwise."""
    found = local_path(path)
    if found is not None:
        return found
    if looks_like_path(path):
        raise InputError(f"{what} {path!r} does not exist (expected a local path or a Hub id 'owner/name')")
    if path.count("/") != 1 or not all(path.split("/")):
        raise InputError(f"{what} {path!r} is neither an existing local path nor a Hub id 'owner/name'")
    require_hub(path, what)
    return None


def hub_reachable(timeout: float = 3.0) -> bool:
    """One TCP connection to the Hub endpoint: answers in seconds where the library would retry for a minute."""
    if os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes"):
        return False
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((endpoint.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_hub(name: str, what: str) -> None:
    if _in_hub_cache(name):
        return
    if not hub_reachable():
        raise InputError(
            f"{what} {name!r} is not a local path, and the Hugging Face Hub cannot be reached (nor is it cached); "
            f"pass local files instead: {OFFLINE_HELP}"
        )


def _in_hub_cache(name: str) -> bool:
    """A model the Hub cache already holds loads without the network."""
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(name, "config.json"), str)
    except Exception:  # noqa: BLE001 - any failure here only means "not known to be cached"
        return False
