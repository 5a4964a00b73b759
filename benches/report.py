#!/usr/bin/env python3
"""Prints the benchmark figures and their ratios from criterion's estimates.

Run after `cargo bench --bench confirm`, `--bench operations`, `--bench wire` and/or
`--bench http`:

    python3 benches/report.py [TARGET_DIR]

Every figure is criterion's median time per operation; every ratio divides two figures of
the same run.
"""

import json
import os
import sys

root = os.path.join(sys.argv[1] if len(sys.argv) > 1 else "target", "criterion")


def median(*parts):
    path = os.path.join(root, *parts, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except OSError:
        return None


def ns(x):
    if x is None:
        return "—"
    if x >= 1e6:
        return f"{x / 1e6:.2f} ms"
    if x >= 1e3:
        return f"{x / 1e3:.2f} µs"
    return f"{x:.0f} ns"


def ratio(a, b):
    return "—" if a is None or b is None else f"{a / b:.2f}x"


print("## ConfirmSignUp against its floor\n")
print("| users | floor (SecretHash + tag + lookup) | floor without SecretHash "
      "| with secret | ratio | without secret | ratio to floor | ratio to floor without SecretHash |")
print("|---|---|---|---|---|---|---|---|")
sizes = [1000, 100000, 1000000]
conf = {}
for n in sizes:
    fs = median("confirm", "floor_secret", str(n))
    fp = median("confirm", "floor_plain", str(n))
    cs = median("confirm", "confirm_secret", str(n))
    cp = median("confirm", "confirm_plain", str(n))
    conf[n] = (fs, fp, cs, cp)
    print(f"| {n:,} | {ns(fs)} | {ns(fp)} | {ns(cs)} | {ratio(cs, fs)} | {ns(cp)} "
          f"| {ratio(cp, fs)} | {ratio(cp, fp)} |")
print("\n| users | bare reference | / floor | ConfirmSignUp / bare | stepped (public continuations) "
      "| / ConfirmSignUp |")
print("|---|---|---|---|---|---|")
for n in sizes:
    fs, _, cs, _ = conf[n]
    bs = median("confirm", "bare_secret", str(n))
    ss = median("confirm", "stepped_secret", str(n))
    print(f"| {n:,} | {ns(bs)} | {ratio(bs, fs)} | {ratio(cs, bs)} | {ns(ss)} | {ratio(ss, cs)} |")
if conf.get(1000) and conf.get(1000000):
    a, b = conf[1000], conf[1000000]
    print(f"\n1M users / 1k users: with secret {ratio(b[2], a[2])}, without secret "
          f"{ratio(b[3], a[3])}; the floor itself {ratio(b[0], a[0])} (with SecretHash), "
          f"{ratio(b[1], a[1])} (without)")

one = median("confirm_threads", "one_thread")
two = median("confirm_threads", "two_threads")
if one and two:
    print("\n## Two threads on one store\n")
    print(f"one thread {ns(one)} per confirmation; two threads {ns(two)} per pair of "
          f"confirmations; throughput two/one: {2 * one / two:.2f}x")
    c1 = median("confirm_threads", "control_one_thread")
    c2 = median("confirm_threads", "control_two_threads")
    if c1 and c2:
        print(f"\ncontrol (threads sharing nothing): two/one {2 * c1 / c2:.2f}x; ConfirmSignUp "
              f"reaches {(2 * one / two) / (2 * c1 / c2):.2f} of the control's speedup")

acc = median("confirm_paths", "accepted")
if acc:
    print("\n## Rejected ConfirmSignUp paths (100k users)\n")
    acc_enabled = median("confirm_paths", "accepted_enabled")
    print("| path | time | ratio to accepted | ratio to accepted under ENABLED |")
    print("|---|---|---|---|")
    for name in ["floor_plain", "accepted", "wrong_code", "accepted_enabled",
                 "unknown_user_enabled", "throttled", "validation_error"]:
        t = median("confirm_paths", name)
        print(f"| {name} | {ns(t)} | {ratio(t, acc)} | {ratio(t, acc_enabled)} |")

ops = [("operations", "resend_confirmation_code"), ("operations", "sign_up_passwordless"),
       ("password", "sign_up_with_password_argon2id_default")]
if any(median(*o) for o in ops):
    print("\n## Other operations (100k users)\n")
    print("| operation | time | ratio to accepted ConfirmSignUp |")
    print("|---|---|---|")
    for o in ops:
        t = median(*o)
        print(f"| {o[1]} | {ns(t)} | {ratio(t, acc)} |")

if median("wire", "driver_plain"):
    print("\n## Wire layer: ConfirmSignUp through wire::handle vs Driver::confirm_sign_up "
          "(100k users)\n")
    print("| client | driver | wire::handle | difference | ratio | wire::decode alone |")
    print("|---|---|---|---|---|---|")
    for name in ["plain", "secret"]:
        d = median("wire", f"driver_{name}")
        h = median("wire", f"handle_{name}")
        dec = median("wire", f"decode_only_{name}")
        diff = None if d is None or h is None else h - d
        print(f"| {name} | {ns(d)} | {ns(h)} | {ns(diff)} | {ratio(h, d)} | {ns(dec)} |")

if median("http", "empty_200_1conn"):
    print("\n## HTTP round trip: ConfirmSignUp vs an empty 200 (per request)\n")
    print("| connections | empty 200 | ConfirmSignUp | ratio |")
    print("|---|---|---|---|")
    for n in [1, 4]:
        e = median("http", f"empty_200_{n}conn")
        c = median("http", f"confirm_sign_up_{n}conn")
        print(f"| {n} | {ns(e)} | {ns(c)} | {ratio(c, e)} |")
