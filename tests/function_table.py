#!/usr/bin/python3
"""For each public function (declared in include/vtape/*.h), the Criterion tests that
call it, directly or through a helper of the same test file: the table of
docs/testing.md ("Which test checks each public function").

    /usr/bin/python3 tests/function_table.py          # Markdown table on stdout
    /usr/bin/python3 tests/function_table.py --check  # exit 1 if a function has no test

A test "calls" a function when the name appears in its body or in a static helper it
calls (transitively). Where a function is only reached through another one (a
constructor the value tests use), the table says which test checks the values."""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DECL = re.compile(r"\b(vt_[a-z0-9_]+)\s*\(")


def public_functions():
    names = {}
    for h in sorted(glob.glob(os.path.join(ROOT, "include/vtape/*.h"))):
        text = re.sub(r"/\*.*?\*/", "", open(h).read(), flags=re.S)
        for line in text.splitlines():
            if line.startswith(("#", " ", "\t", "typedef", "}")) and "static inline" not in line:
                continue
            for n in DECL.findall(line):
                names.setdefault(n, os.path.basename(h))
    return names


def blocks(text):
    """Top-level blocks, found line by line: (kind, name, body), kind 'test' or 'fn'. A
    block starts at column 0 with a line holding '(' and '{' (or '{' on its own next
    line) and ends at a line starting with '}' (or on its first line)."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        head = re.match(r"Test\((\w+),\s*(\w+)", line)
        fn = re.match(r"(?:static\s+)?(?:inline\s+)?[A-Za-z_][\w\s\*]*?\b(\w+)\s*\(", line)
        k = i   # a signature may continue over a few lines before its '{'
        while (head or fn) and "{" not in lines[k] and ";" not in lines[k] and k < i + 3 \
                and k + 1 < len(lines):
            k += 1
        if (head or fn) and not line.startswith((" ", "\t", "#", "typedef")) and "{" in lines[k] \
                and ";" not in "".join(lines[i:k]):
            line = "\n".join(lines[i:k + 1])
            i = k
            j = i
            if not line.rstrip().endswith("}") or line.count("{") != line.count("}"):
                j = i + 1
                while j < len(lines) and not lines[j].startswith("}"):
                    j += 1
            body = line + "\n" + "\n".join(lines[i + 1:j + 1])
            body = body[body.index("{"):] if head else body[body.index("(") :]
            out.append(("test", "%s::%s" % head.groups(), body) if head else ("fn", fn.group(1), body))
            i = j + 1
            continue
        i += 1
    return out


def tests_per_function():
    found = {}
    support = ""
    for s in glob.glob(os.path.join(ROOT, "tests/support*.c")):
        support += open(s).read()
    for path in sorted(glob.glob(os.path.join(ROOT, "tests/test_*.c"))):
        text = re.sub(r"/\*.*?\*/", "", open(path).read(), flags=re.S)
        bl = blocks(text)
        helpers = {n: b for k, n, b in bl if k == "fn"}
        for s in blocks(re.sub(r"/\*.*?\*/", "", support, flags=re.S)):
            if s[0] == "fn" and s[1] in text:
                helpers.setdefault(s[1], s[2])
        for kind, name, body in bl:
            if kind != "test":
                continue
            seen, todo, calls = set(), [body], set()
            while todo:
                b = todo.pop()
                for w in re.findall(r"\b(\w+)\s*\(", b):
                    if w.startswith("vt_"):
                        calls.add(w)
                    if w in helpers and w not in seen:
                        seen.add(w)
                        todo.append(helpers[w])
                # function pointers passed to vt_gradcheck and friends
                for w in re.findall(r"\b(\w+)\b", b):
                    if w in helpers and w not in seen:
                        seen.add(w)
                        todo.append(helpers[w])
            for c in calls:
                found.setdefault(c, []).append(name)
    return found


def indirect(pub, found):
    """Functions reached only through a table: the reference checker's op table (run by
    the reference suite) or a table of function pointers in a test file."""
    ref = "".join(open(p).read() for p in sorted(glob.glob(os.path.join(ROOT, "tests/refcheck/*.c"))))
    files = {p: open(p).read() for p in sorted(glob.glob(os.path.join(ROOT, "tests/test_*.c")))}
    table = {"vt_" + op for op in re.findall(r'\{"(\w+)", call_', ref)}   # its op table
    for n in pub:
        if n in table or re.search(r"\b%s\b" % n, ref):   # the op's values against float64
            found[n] = ["reference::ordinary_inputs_match / extra_ops_match (vtape-refcheck)"] + \
                found.get(n, [])
            continue
        if n in found:
            continue
        for p, text in files.items():
            if re.search(r"\b%s\b" % n, text):
                found.setdefault(n, []).append("%s (a table in %s)" % (
                    re.search(r"Test\((\w+),", text).group(1), os.path.relpath(p, ROOT)))


def main():
    pub = public_functions()
    found = tests_per_function()
    indirect(pub, found)
    missing = [n for n in pub if n not in found]
    if "--check" in sys.argv:
        for n in missing:
            print("no test calls %s (%s)" % (n, pub[n]))
        return 1 if missing else 0
    print("| header | function | tests (suite::test) |")
    print("|---|---|---|")
    # Suites that check values first; those about misuse, allocations or timing last.
    late = ("misuse::", "alloc::", "arena::", "threads::")
    for n in sorted(pub, key=lambda k: (pub[k], k)):
        t = found.get(n, [])
        first = ("reference::", "values::", "densities::", "binarize::", "layers::", "api::")
        t = ([x for x in t if x.startswith(first)] +
             [x for x in t if not x.startswith(first + late)] + [x for x in t if x.startswith(late)])
        shown = ", ".join(t[:3]) + (" (+%d more)" % (len(t) - 3) if len(t) > 3 else "")
        print("| %s | `%s` | %s |" % (pub[n], n, shown or "**none**"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
