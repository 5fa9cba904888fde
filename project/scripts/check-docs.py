#!/usr/bin/env python3
"""Checks that README.md and docs/*.md say nothing that does not exist.

    python3 project/scripts/check-docs.py      (a step of `make -C project test`)

- Every relative Markdown link (`[text](path)`, `[ref]: path`) leads to a file
  or directory of the repository, and its `#anchor`, if any, to a heading of
  that page (GitHub's anchors: lowercase, punctuation dropped, spaces to `-`).
- Every `make` target named in code (`make -C project bench`, `make up`, in a
  code span or block) is a target of project/Makefile, pattern targets such as
  `$(addprefix build-,$(SERVICES))` expanded.

The environment variables are checked by a Rust test against the settings code
(system-tests/tests/api/docs.rs). Prints each broken item and exits 1 if any.
Python 3 standard library only.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = ROOT / "project/Makefile"

FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
INLINE_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
# `make`, options (-C dir, -j4, VAR=value), then the targets.
MAKE = re.compile(r"(?:^|[\s;&|(])make((?:\s+(?:-C\s+\S+|-\w+|\w+=\S*))*)((?:\s+[A-Za-z0-9][\w.-]*)+)")


def pages():
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def lines_with_code(text):
    """(line number, line, whether the line is inside a fenced code block)."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            yield number, line, True
        else:
            yield number, line, fenced


def slug(heading):
    """The anchor GitHub gives a heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links: their text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page, cache={}):
    if page not in cache:
        seen, found = {}, set()
        for _, line, fenced in lines_with_code(page.read_text()):
            match = None if fenced else HEADING.match(line)
            if match:
                base = slug(match.group(2))
                count = seen.get(base, 0)
                seen[base] = count + 1
                found.add(base if count == 0 else f"{base}-{count}")
        cache[page] = found
    return cache[page]


def makefile_targets():
    """The rule names of project/Makefile, with `$(VAR)` and `$(addprefix p,…)` expanded."""
    text = MAKEFILE.read_text().replace("\\\n", " ")
    variables = {}
    for name, value in re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)[ \t]*[:?]?=[ \t]*(.*)$", text, re.M):
        variables[name] = value.strip()

    def expand(value, depth=0):
        if depth > 10:
            return value
        value = re.sub(r"\$\(addprefix ([^,]*),([^)]*\)?)\)",
                       lambda m: " ".join(m.group(1) + w for w in expand(m.group(2), depth + 1).split()),
                       value)
        value = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                       lambda m: expand(variables.get(m.group(1), ""), depth + 1), value)
        return value

    targets = set()
    for line in text.splitlines():
        if not line or line[0] in " \t#." or re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*[:?+]?=", line):
            continue
        match = re.match(r"^([^:#=]+?)\s*:(?!=)", expand(line))
        if match:
            targets.update(match.group(1).split())
    return targets


def code_of(line, fenced):
    """The parts of a line that are code: all of it in a block, else its code spans."""
    return [line] if fenced else [m.group(2) for m in CODE_SPAN.finditer(line)]


def check(page, targets):
    broken, links, makes = [], 0, 0
    name = page.relative_to(ROOT)
    for number, line, fenced in lines_with_code(page.read_text()):
        where = f"{name}:{number}"
        for code in code_of(line, fenced):
            for options, words in MAKE.findall(code):
                directory = re.search(r"-C\s+(\S+)", options)
                if directory and directory.group(1).rstrip("/") != "project":
                    continue
                for target in words.split():
                    makes += 1
                    if target not in targets:
                        broken.append(f"{where}: make target `{target}` is not in project/Makefile")
        if fenced:
            continue
        prose = CODE_SPAN.sub("", line)
        found = INLINE_LINK.findall(prose)
        reference = REFERENCE.match(prose)
        if reference:
            found.append(reference.group(1))
        for target in found:
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            links += 1
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists():
                broken.append(f"{where}: link `{target}`: no {path} in the repository")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                broken.append(f"{where}: link `{target}`: no heading #{anchor} in {resolved.relative_to(ROOT)}")
    return broken, links, makes


def main():
    targets = makefile_targets()
    broken, links, makes = [], 0, 0
    for page in pages():
        b, l, m = check(page, targets)
        broken += b
        links += l
        makes += m
    for item in broken:
        print(item)
    summary = f"{len(pages())} pages, {links} relative links, {makes} make targets"
    if broken:
        print(f"check-docs: {len(broken)} broken ({summary})")
        return 1
    print(f"check-docs: {summary}: all exist")
    return 0


if __name__ == "__main__":
    sys.exit(main())
