#!/opt/secantusdb/bin/python3
"""A stand-in for mongosh that runs what docker-compose.yml's healthcheck asks.

Understands `mongosh [--quiet] [--host H] [--port P] --eval "db.adminCommand('NAME')[.FIELD]"`:
runs the command NAME on the admin database and prints the answer (or FIELD of
it), as mongosh does; exits 1 when the server does not answer. Anything else is
refused with exit code 2: this is not a shell.
"""

import argparse
import json
import re
import sys

import pymongo

EVAL = re.compile(r"""^\s*db\.adminCommand\(\s*['"](\w+)['"]\s*\)(?:\.(\w+))?\s*;?\s*$""")


def main():
    parser = argparse.ArgumentParser(prog="mongosh (stand-in)")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=27017)
    parser.add_argument("--eval", required=True)
    args = parser.parse_args()
    match = EVAL.match(args.eval)
    if not match:
        sys.exit(f"mongosh stand-in: only db.adminCommand('NAME')[.FIELD] is understood, not {args.eval!r}")
    command, field = match.groups()
    client = pymongo.MongoClient(args.host, args.port, serverSelectionTimeoutMS=3000)
    try:
        answer = client.admin.command(command)
    except pymongo.errors.PyMongoError as error:
        print(f"MongoServerError: {error}", file=sys.stderr)
        return 1
    value = answer.get(field) if field else answer
    # mongosh prints a whole double as an integer: {ok: 1.0}.ok is 1.
    print(int(value) if isinstance(value, float) and value.is_integer() else json.dumps(value, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
