#!/usr/bin/env python3
"""Checks that dependencies run one way, as the README's layout says.

1. Between crates: events <- function <- loadgen-engine <- loadgen-report <- loadgen (the
   CLI). The engine pulls in no clap, no indicatif and neither of the crates above it;
   only the CLI depends on clap (read from `cargo tree`).
2. Inside every crate: no import circle between its modules. Each source file is a module;
   a `crate::a::b` (or `super::`) path in its non-test code is an edge to the longest
   module it names. Test modules (`#[cfg(test)]` to the end of the file) are left out:
   tests may look anywhere.

Usage: scripts/check-layers.py   (exit 1 with what is wrong)
"""

import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRATES = {
    "retail-events": "events/src",
    "retail-function": "function/src",
    "loadgen-engine": "loadgen/engine/src",
    "loadgen-report": "loadgen/report/src",
    "loadgen": "loadgen/cli/src",
    "benches": "benches/src",
}
# What each crate may depend on among the workspace's crates (normal dependencies).
ALLOWED = {
    "retail-events": set(),
    "retail-function": {"retail-events"},
    "loadgen-engine": {"retail-events", "retail-function"},
    "loadgen-report": {"retail-events", "retail-function", "loadgen-engine"},
    "loadgen": {"retail-events", "retail-function", "loadgen-engine", "loadgen-report"},
    "benches": {"retail-events", "retail-function", "loadgen-engine", "loadgen-report"},
}
TERMINAL_CRATES = {"clap", "indicatif"}

problems = []


def dependencies(package):
    out = subprocess.run(
        ["cargo", "tree", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    names = set()
    for line in out.splitlines():
        if line.strip():
            names.add(line.split()[0])
    names.discard(package)
    return names


for package, allowed in ALLOWED.items():
    deps = dependencies(package)
    for other in set(CRATES) - allowed - {package}:
        if other in deps:
            problems.append(f"{package} depends on {other}; dependencies run events <- function <- engine <- report <- CLI")
    if package != "loadgen":
        for t in sorted(TERMINAL_CRATES & deps):
            problems.append(f"{package} depends on {t}: only the CLI talks to the terminal")


def module_of(src, path):
    rel = path.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return tuple(parts)


PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super)::\{([^}]*)\}")


def code_of(text):
    text = text.split("#[cfg(test)]", 1)[0]
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("//")]
    return "\n".join(lines)


def references(module, code):
    refs = []
    for kind, rest in PATH.findall(code):
        base = [] if kind == "crate" else list(module[:-1])
        refs.append(tuple(base + rest.strip(":").split("::")))
    for kind, inner in GROUP.findall(code):
        base = [] if kind == "crate" else list(module[:-1])
        for item in inner.split(","):
            name = item.strip().split("::")[0].split(" ")[0]
            if name:
                refs.append(tuple(base + [name]))
    return refs


for package, rel in CRATES.items():
    src = ROOT / rel
    files = sorted(p for p in src.rglob("*.rs") if p.name != "main.rs")
    modules = {module_of(src, p): p for p in files}
    edges = {m: set() for m in modules}
    for m, path in modules.items():
        for ref in references(m, code_of(path.read_text())):
            # The longest prefix that is a module of this crate; the crate root (its
            # re-exports) is no module of its own here.
            target = next((ref[:n] for n in range(len(ref), 0, -1) if ref[:n] in modules), None)
            if target is not None and target != m:
                edges[m].add(target)
    # Depth-first search for a cycle.
    state = {}
    stack = []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(edges[m]):
            if state.get(n) == "open":
                cycle = stack[stack.index(n):] + [n]
                problems.append(f"{package}: import circle " + " -> ".join("::".join(c) or "crate" for c in cycle))
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = "done"

    for m in sorted(modules):
        if m not in state:
            visit(m)

if problems:
    for p in problems:
        print(f"error: {p}", file=sys.stderr)
    sys.exit(1)
print(f"layers ok: {len(CRATES)} crates depend one way; no import circle between modules")
