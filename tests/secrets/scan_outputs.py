#!/usr/bin/python3
"""The suite-wide secret scan (CTest runs it after every other test).

Each test that runs apig-certd archives what it produced (NAME.out: stdout, stderr, state
files, metrics files) and the canary secrets it used (NAME.canaries: secret keys, tokens,
passwords, lines of private keys) into one directory. This fails when any canary of any test,
or any PEM private key block, appears in any archived output.

    scan_outputs.py DIRECTORY
"""

import pathlib
import re
import sys

PRIVATE_KEY_BLOCK = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----")
# Shorter canaries would match by accident (e.g. base64 fragments of public data).
MIN_CANARY_LENGTH = 12


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    directory = pathlib.Path(sys.argv[1])
    outputs = sorted(directory.glob("*.out")) if directory.is_dir() else []
    canaries = set()
    for file in sorted(directory.glob("*.canaries")) if directory.is_dir() else []:
        for line in file.read_bytes().splitlines():
            line = line.strip()
            if len(line) >= MIN_CANARY_LENGTH:
                canaries.add(line)
    if not outputs:
        print(f"no archived outputs in {directory} (no test that runs apig-certd was selected)")
        return 0

    leaks = 0
    scanned = 0
    for file in outputs:
        text = file.read_bytes()
        scanned += len(text)
        if PRIVATE_KEY_BLOCK.search(text):
            print(f"LEAK: {file.name} contains a PEM private key block")
            leaks += 1
        for canary in canaries:
            if canary in text:
                # Only a prefix: the report itself must not repeat the secret.
                print(f"LEAK: {file.name} contains the secret starting "
                      f"{canary[:6].decode(errors='replace')}...")
                leaks += 1
    print(f"scanned {len(outputs)} output files ({scanned} bytes) for {len(canaries)} canary "
          f"secrets and PEM private key blocks: {leaks} leak(s)")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
