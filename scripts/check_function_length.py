#!/usr/bin/env python3
"""No function over 80 lines (signature to closing brace) in the C++ sources.

A line-based check, not a parser: a definition is a line ending in `{` after a closing parenthesis
(a function or TEST signature's last line) that is not a control statement or an initialiser; its body
runs to the brace that balances it (braces in comments, strings and character literals ignored).
Lambdas and local blocks count toward the function that contains them.
usage: check_function_length.py [--limit N] [ROOT]"""
import re
import subprocess
import sys

LIMIT = 80
SIGNATURE = re.compile(r"\)\s*(const)?\s*(noexcept)?\s*(override|final)?\s*(->\s*[\w:<>, ]+)?\s*\{\s*$")
NOT_A_FUNCTION = re.compile(r"^\s*(if|for|while|switch|else|do|catch|return|namespace|struct|class|enum)\b|[=,(]\s*\[|^\s*[.)]|"
                            r"^\s*\[")


def code_of(line):
    line = re.sub(r'"(\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(\\.|[^'\\])*'", "''", line)
    return re.sub(r"//.*", "", line)


def long_functions(path, limit):
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        code = code_of(lines[i])
        if SIGNATURE.search(code) and not NOT_A_FUNCTION.search(code) and "=" not in code.split("(")[0]:
            depth, j = 0, i
            while j < len(lines):
                c = code_of(lines[j])
                depth += c.count("{") - c.count("}")
                if depth <= 0:
                    break
                j += 1
            if j - i + 1 > limit:
                yield i + 1, j - i + 1, lines[i].strip()
            i = j + 1
        else:
            i += 1


def main():
    args = sys.argv[1:]
    limit = LIMIT
    if args[:1] == ["--limit"]:
        limit, args = int(args[1]), args[2:]
    root = args[0] if args else "."
    files = subprocess.run(["git", "ls-files", "*.cpp", "*.hpp"], cwd=root, capture_output=True, text=True,
                           check=True).stdout.split()
    bad = 0
    for f in files:
        for line, length, text in long_functions(f"{root}/{f}", limit):
            print(f"{f}:{line}: function of {length} lines (limit {limit}): {text[:80]}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
