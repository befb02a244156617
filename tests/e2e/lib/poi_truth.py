#!/usr/bin/python3
"""Expected X2/X3 output of the POI, computed from epcgen's ground truth (docs/epcgen.md).

usage: poi_truth.py TRUTH.jsonl TASKS.json
TASKS.json: [{"xid": "...", "delivery": "X2andX3", "targets": [["imsi", "001..."], ...]}, ...]
Prints JSON: {xid: {"x2": n, "x3": n, "x3_bytes": n, "subs": [imsi, ...]}}

One IRI event per bearer touched by a procedure (the tracker reports per bearer: 33.108
bearerActivation/Modification/Deactivation), one X3 PDU per G-PDU of a target bearer.
"""
import json
import sys

subs, procs, bearers = {}, {}, {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    t = r.get("type")
    if t == "subscriber":
        subs[r["sub"]] = r
    elif t == "proc":
        procs.setdefault(r["sub"], []).append(r)
    elif t == "bearer":
        bearers.setdefault(r["sub"], []).append(r)

def matches(sub, targets):
    for kind, value in targets:
        if kind == "imsi" and sub["imsi"] == value:
            return True
        if kind == "msisdn" and sub["msisdn"] == value:
            return True
        if kind == "imei" and sub["mei"][:14] == value:
            return True
    return False

out = {}
for task in json.load(open(sys.argv[2])):
    x2 = x3 = nbytes = 0
    hit = []
    for sid, sub in subs.items():
        if not matches(sub, task["targets"]):
            continue
        hit.append(sub["imsi"])
        for p in procs.get(sid, []):
            x2 += len(p.get("ebis") or [])
        for b in bearers.get(sid, []):
            x3 += b["ul_gpdus"] + b["dl_gpdus"]
            nbytes += b["ul_bytes"] + b["dl_bytes"]
    d = task["delivery"]
    out[task["xid"]] = {
        "x2": x2 if d in ("X2Only", "X2andX3") else 0,
        "x3": x3 if d in ("X3Only", "X2andX3") else 0,
        "x3_bytes": nbytes if d in ("X3Only", "X2andX3") else 0,
        "subs": sorted(hit),
    }
json.dump(out, sys.stdout, indent=1, sort_keys=True)
