#!/usr/bin/env python3
"""Checks the library's declared rust-version against its dependencies.

No other toolchain can be installed on CI's machines, so the MSRV cannot be compiled against
there. What can be checked: no dependency the library builds with (normal and build
dependencies, every feature on, dev-dependencies excluded) declares a newer `rust-version` than
the crate does. Dependencies that declare none are listed, not failed.
"""
import json
import subprocess
import sys


def version(v):
    """`1.85` and `1.85.0` are the same version."""
    parts = [int(p) for p in v.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def main():
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--all-features", "--locked"],
        check=True, capture_output=True, text=True).stdout)
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    failed = False
    for member in meta["workspace_members"]:
        crate = packages[member]
        declared = crate.get("rust_version")
        if not declared:
            print(f"{crate['name']}: declares no rust-version")
            failed = True
            continue
        seen, stack = set(), [member]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            for dep in nodes[node]["deps"]:
                if any(k["kind"] in (None, "build") for k in dep["dep_kinds"]):
                    stack.append(dep["pkg"])
        seen.discard(member)
        newer = sorted(
            (packages[d]["name"], packages[d]["version"], packages[d]["rust_version"])
            for d in seen
            if packages[d].get("rust_version")
            and version(packages[d]["rust_version"]) > version(declared))
        unknown = sorted(packages[d]["name"] for d in seen if not packages[d].get("rust_version"))
        highest = max((packages[d].get("rust_version") or "0" for d in seen), key=version,
                      default="none")
        print(f"{crate['name']} {declared}: {len(seen)} dependencies, highest declared "
              f"{highest}; none declared: {', '.join(unknown) or '-'}")
        for name, ver, rv in newer:
            print(f"  {name} {ver} needs Rust {rv}")
            failed = True
    sys.exit(1 if failed else 0)


main()
