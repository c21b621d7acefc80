"""The signed line protocol between the grader and its test worker.

The worker's results travel through an inherited pipe, never through a file or an environment variable
that student code could find. Each line carries an HMAC made with a key that the grader sends through a
second pipe before any student code is imported, so a line that student code writes into the pipe is
recognised as forged and ignored."""
import hashlib
import hmac
import json


def encode(key, record):
    """One line of bytes: the record as JSON, preceded by its HMAC under `key`."""
    payload = json.dumps(record, separators=(",", ":")).encode()
    return hmac.new(key, payload, hashlib.sha256).hexdigest().encode() + b" " + payload + b"\n"


def decode(key, line):
    """The record carried by `line`, or None when its signature does not match (a forged or broken line)."""
    mac, _, payload = line.strip().partition(b" ")
    expected = hmac.new(key, payload, hashlib.sha256).hexdigest().encode()
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return None
