"""One field of a JSON object, for scripts/cluster/scenario (jq may be missing).

    python3 jget.py JSON KEY[.KEY...]

prints the value, or an empty line when a key is missing or the value is null.
"""
import json
import sys

v = json.loads(sys.argv[1])
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)
