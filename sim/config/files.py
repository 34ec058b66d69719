"""Named input files (scenarios, experiments), YAML reading and near-name suggestions."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import yaml

from sim.config.errors import ScenarioError

SOURCE_ROOT = Path(__file__).resolve().parents[2]  # the source tree of an editable install


def suggest(word: str, options) -> str:
    """`` (did you mean 'x'?)`` for the closest option, or an empty string."""
    near = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{near[0]}'?)" if near else ""


def named_dirs(folder: str, env: str | None = None) -> list[Path]:
    """Folders searched for named files: ``$env``, ./<folder>, the source tree's <folder>."""
    dirs = []
    if env and os.environ.get(env):
        dirs.append(Path(os.environ[env]))
    dirs.append(Path.cwd() / folder)
    dirs.append(SOURCE_ROOT / folder)
    seen, out = set(), []
    for d in dirs:
        if d.is_dir() and d.resolve() not in seen:
            seen.add(d.resolve())
            out.append(d)
    return out


def shipped_files(folder: str, env: str | None = None) -> dict[str, Path]:
    """Named YAML files in :func:`named_dirs` (first folder wins)."""
    found: dict[str, Path] = {}
    for d in named_dirs(folder, env):
        for f in sorted(d.glob("*.yaml")):
            found.setdefault(f.stem, f)
    return found


def find_named(ref: str | os.PathLike, kind: str, shipped: dict[str, Path]) -> Path:
    """Resolve a reference (a path, or the name of a shipped ``kind``) to a file."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise ScenarioError(str(ref), "", f"no such {kind} file")
        return p
    if str(ref) in shipped:
        return shipped[str(ref)]
    raise ScenarioError(str(ref), "", f"no such {kind} file or shipped {kind}"
                        f"{suggest(str(ref), shipped)}; shipped: "
                        f"{', '.join(sorted(shipped)) or 'none'}")


def read_yaml(path: Path, mapping_hint: str = "the file must be a mapping of keys") -> dict:
    """A YAML mapping read with ``safe_load``; every problem is a :class:`ScenarioError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError(str(path), "", f"cannot read: {e.strerror}") from None
    except UnicodeDecodeError:
        raise ScenarioError(str(path), "", "not UTF-8 text") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ScenarioError(str(path), "", f"malformed YAML{at}: "
                            f"{getattr(e, 'problem', None) or e}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(str(path), "", mapping_hint)
    return data
