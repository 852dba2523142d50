#!/usr/bin/env python3
"""Packs an orb source tree (CircleCI's orb development kit layout) into one orb YAML.

`src/@orb.yml` gives the top level; each `commands/`, `jobs/`, `executors/` and `examples/`
file becomes the component named after the file; a string value that is exactly
`<<include(path)>>` becomes the text of that file (relative to `src/`), as `circleci orb pack`
does. The offline stand-in for `circleci orb pack`, which needs no network but is not
installed here; used by tests/orb/check-orb.sh.

Usage: pack_orb.py SRC_DIR OUTPUT_FILE
"""

import re
import sys
from pathlib import Path

import yaml

COMPONENT_KINDS = ("commands", "jobs", "executors", "examples")
INCLUDE = re.compile(r"^<<include\(([^()]+)\)>>$")
INCLUDE_ANYWHERE = re.compile(r"<<\s*include\(")


class PackError(Exception):
    """A reason the source tree cannot be packed, naming the file."""


def _resolve(value, src: Path, where: str, included: set):
    """Returns value with every `<<include(...)>>` string replaced by the file's text."""
    if isinstance(value, dict):
        return {k: _resolve(v, src, where, included) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, src, where, included) for v in value]
    if isinstance(value, str):
        match = INCLUDE.match(value.strip())
        if match:
            target = (src / match.group(1)).resolve()
            if src.resolve() not in target.parents:
                raise PackError(f"{where}: include `{match.group(1)}` leaves the orb source")
            if not target.is_file():
                raise PackError(f"{where}: included file `{match.group(1)}` does not exist")
            included.add(target.relative_to(src.resolve()).as_posix())
            return target.read_text(encoding="utf-8")
        if INCLUDE_ANYWHERE.search(value):
            raise PackError(f"{where}: `<<include(...)>>` must be the whole value")
    return value


def _load(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise PackError(f"{path}: not valid YAML: {err}") from err


def pack(src: Path):
    """Returns (the packed orb as data, the set of included files relative to src)."""
    orb_file = src / "@orb.yml"
    if not orb_file.is_file():
        raise PackError(f"{orb_file}: missing")
    orb = _load(orb_file)
    if not isinstance(orb, dict):
        raise PackError(f"{orb_file}: must be a mapping")
    included: set = set()
    for kind in COMPONENT_KINDS:
        folder = src / kind
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.suffix == ".yaml":
                raise PackError(f"{path}: name component files *.yml")
            if path.suffix != ".yml":
                continue
            data = _load(path)
            if not isinstance(data, dict):
                raise PackError(f"{path}: a component must be a mapping")
            components = orb.setdefault(kind, {})
            if path.stem in components:
                raise PackError(f"{path}: {kind} `{path.stem}` is defined twice")
            components[path.stem] = _resolve(data, src, str(path), included)
    return orb, included


class _Dumper(yaml.SafeDumper):
    """Writes multi-line strings (the included scripts) as literal blocks."""


def _str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(orb) -> str:
    return yaml.dump(orb, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    src, out = Path(argv[1]), Path(argv[2])
    try:
        orb, included = pack(src)
    except PackError as err:
        print(f"pack: {err}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    text = dump(orb)
    if yaml.safe_load(text) != orb:
        print("pack: the packed orb does not read back as written", file=sys.stderr)
        return 1
    out.write_text(text, encoding="utf-8")
    counts = ", ".join(f"{len(orb.get(k) or {})} {k}" for k in COMPONENT_KINDS)
    print(f"ok: packed {src} into {out} ({counts}, {len(included)} scripts included)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
