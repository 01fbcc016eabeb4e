"""Checks many cloud-config documents in one process, with cloud-init's own code.

Reads JSON [{"id": ..., "path": <file>}] on stdin. For each file: cloud-init's
schema validation (the function behind `cloud-init schema --config-file`),
then PyYAML (cloud-init's YAML 1.1 parser) with every b64 or gz+b64 file
decoded as cloud-init writes it.
Prints JSON {id: {"schema_error": str|null, "doc": ..., "files": {path: text}}}.
Run with /usr/bin/python3: cloud-init is installed for the system python.
"""
import base64
import gzip
import json
import sys

import yaml
from cloudinit.config.schema import get_schema, validate_cloudconfig_file

schema = get_schema()
out = {}
for item in json.load(sys.stdin):
    error = None
    try:
        validate_cloudconfig_file(item["path"], schema)
    except Exception as e:  # SchemaValidationError and friends: report, don't stop
        error = "%s: %s" % (type(e).__name__, e)
    with open(item["path"], encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    files = {}
    for wf in doc.get("write_files", []):
        content = wf.get("content", "")
        encoding = wf.get("encoding")
        if encoding in ("b64", "base64"):
            content = base64.b64decode(content).decode("utf-8")
        elif encoding in ("gz+b64", "gzip+base64", "gz+base64", "gzip+b64"):
            content = gzip.decompress(base64.b64decode(content)).decode("utf-8")
        elif encoding is not None:
            raise SystemExit("unexpected encoding %r of %s" % (encoding, wf["path"]))
        files[wf["path"]] = content
    out[item["id"]] = {"schema_error": error, "doc": doc, "files": files}
json.dump(out, sys.stdout, default=str)
