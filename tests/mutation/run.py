#!/usr/bin/python3
"""Mutation run: apply each mutant of mutants.py to a scratch copy of the repository,
build it incrementally (one build directory for all mutants), run the fast test suites
and report which suites caught it, as a Markdown table.

    bash tests/mutation/run.sh [--only ID,ID] [--timeout SECONDS] [--out FILE] [--keep]

Exit status 0 when every mutant is caught, 1 when one survives (or fails to build), 2 on
a usage error or when the unmutated copy fails its own tests. Not part of CI (a few
seconds to a minute per mutant on 2 cores)."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import mutants  # noqa: E402

# Suites that need a trained model, PyTorch or the command's training runs: too slow here.
SLOW = {"test_trained", "test_torch_step", "test_cli"}


def sh(cmd, cwd=None, timeout=None, env=None):
    p = subprocess.run(cmd, cwd=cwd, timeout=timeout, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, errors="replace")
    return p.returncode, p.stdout


def copy_tree(dst):
    """The working tree as git sees it (tracked and untracked, not ignored)."""
    rc, out = sh(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others",
                  "--exclude-standard"])
    if rc != 0:
        sys.exit("run.py: git ls-files failed:\n" + out)
    for rel in filter(None, out.split("\0")):
        src = os.path.join(ROOT, rel)
        if not os.path.isfile(src):
            continue
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dst, rel))


def fast_suites(src):
    names = sorted(f[:-2] for f in os.listdir(os.path.join(src, "tests"))
                   if f.startswith("test_") and f.endswith(".c"))
    return [n for n in names if n not in SLOW]


def build(bdir, suites):
    return sh(["cmake", "--build", bdir, "-j2", "--target", "vtape-refcheck", *suites],
              timeout=1800)


def run_suites(bdir, suites, timeout):
    """{suite: [failed test names]} for every suite that failed."""
    env = dict(os.environ, VT_TEST_NO_SKIP="1")
    caught = {}
    for s in suites:
        try:
            rc, out = sh([os.path.join(bdir, "tests", s), "--jobs", "1"], cwd=bdir,
                         timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            caught[s] = ["timeout"]
            continue
        if rc != 0:
            fails = re.findall(r"\[FAIL\] (\S+?):", out) or ["exit %d" % rc]
            caught[s] = list(dict.fromkeys(fails))
    return caught


def check_present(src, m):
    """The mutant's original text occurs exactly `count` times; returns the file's text."""
    path = os.path.join(src, m["file"])
    if not os.path.isfile(path):
        sys.exit("run.py: mutant %s: no file %s; update tests/mutation/mutants.py"
                 % (m["id"], m["file"]))
    with open(path) as f:
        text = f.read()
    n = text.count(m["original"])
    if n != m["count"]:
        sys.exit("run.py: mutant %s: %s holds its original text %d times, expected %d; "
                 "update tests/mutation/mutants.py" % (m["id"], m["file"], n, m["count"]))
    return text


def apply(src, m):
    path = os.path.join(src, m["file"])
    text = check_present(src, m)
    at = -1
    for _ in range(m["nth"]):
        at = text.index(m["original"], at + 1)
    with open(path, "w") as f:
        f.write(text[:at] + m["replacement"] + text[at + len(m["original"]):])
    return path, text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated mutant ids")
    ap.add_argument("--timeout", type=float, default=120, help="per suite and mutant (s)")
    ap.add_argument("--out", help="also write the Markdown table to this file")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    a = ap.parse_args()
    chosen = mutants.M
    if a.only:
        ids = a.only.split(",")
        chosen = [m for m in mutants.M if m["id"] in ids]
        if len(chosen) != len(ids):
            sys.exit("run.py: unknown mutant id in --only")
    scratch = tempfile.mkdtemp(prefix="vtape-mutation-")
    src, bdir = os.path.join(scratch, "src"), os.path.join(scratch, "build")
    try:
        copy_tree(src)
        for m in chosen:   # every original text present before spending time building
            check_present(src, m)
        ref = os.path.realpath(os.path.join(ROOT, "..", "shared", "reference"))
        rc, out = sh(["cmake", "-S", src, "-B", bdir, "-DVT_WERROR=OFF",
                      "-DVT_REFERENCE_DIR=" + ref])
        if rc != 0:
            print(out)
            return 2
        suites = fast_suites(src)
        t0 = time.time()
        rc, out = build(bdir, suites)
        if rc != 0:
            print(out[-4000:])
            return 2
        base = run_suites(bdir, suites, a.timeout)
        if base:
            print("run.py: the unmutated copy fails: %s" % base)
            return 2
        print("baseline: %d fast suites pass (%.0f s); %d mutants" % (len(suites), time.time() - t0,
                                                                       len(chosen)), flush=True)
        rows, survivors = [], 0
        for i, m in enumerate(chosen, 1):
            t = time.time()
            path, original = apply(src, m)
            rc, out = build(bdir, suites)
            if rc != 0:
                verdict = "**does not build** (fix the mutant)"
                survivors += 1
            else:
                caught = run_suites(bdir, suites, a.timeout)
                if caught:
                    verdict = "; ".join("%s (%s)" % (s, ", ".join(f[:2]) + (", …" if len(f) > 2 else ""))
                                        for s, f in ((s, caught[s]) for s in caught))
                else:
                    verdict = "**SURVIVED**"
                    survivors += 1
            with open(path, "w") as f:
                f.write(original)
            rows.append("| %d | `%s` | %s | %s | %s |" % (i, m["id"], m["file"], m["what"], verdict))
            print("[%d/%d] %s: %s (%.0f s)" % (i, len(chosen), m["id"], verdict, time.time() - t),
                  flush=True)
        table = ["| # | mutant | file | bug | caught by (suite (failing tests)) |",
                 "|---|---|---|---|---|"] + rows
        summary = "%d of %d mutants caught by the fast suites (%s)" % (
            len(chosen) - survivors, len(chosen), ", ".join(suites))
        text = "\n".join(table) + "\n\n" + summary + "\n"
        print("\n" + text)
        if a.out:
            with open(a.out, "w") as f:
                f.write(text)
        return 1 if survivors else 0
    finally:
        if a.keep:
            print("scratch copy kept in " + scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
