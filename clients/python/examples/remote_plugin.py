#!/usr/bin/python3
"""A remote shequd plugin in Python: the statistics bureau (统计局).

It speaks shequ.plugin.v1 (proto/shequ/plugin/v1/plugin.proto) over gRPC, like a native plugin
in shequ-plugin-host does, which shows the protocol is language-neutral. Register it with shequd
by address in plugins.d:

    # config/plugins.d/statistics.yaml
    name: statistics
    address: 127.0.0.1:7300

The stubs are those of the Python client, generated from proto/ by the build (`make build`, or
clients/python/generate.sh by hand); Debian's python3-grpcio runs it:

    /usr/bin/python3 clients/python/examples/remote_plugin.py --listen 127.0.0.1:7300

It prints "listening on HOST:PORT" once serving (--listen 127.0.0.1:0 picks a free port).
"""

import argparse
import json
import os
import signal
import sys
import threading
from concurrent import futures

NAME = "statistics"
JOB_TYPE = "statistics.population-check"


def field(fid, label, ftype, unit="", required=True):
    f = {"id": fid, "label": label, "type": ftype, "required": required}
    if unit:
        f["unit"] = unit
    return f


# Shared fields carry the district dictionary's ids and types (plugins/common/dictionary.cc):
# shequd refuses a plugin whose household_count is not an integer like everyone else's.
CHECKLIST_FIELDS = [
    field("community_name", "社区名称", "text"),
    field("household_count", "户数", "integer", "户"),
    field("resident_count", "常住人口", "integer", "人"),
    field("floating_population", "流动人口", "integer", "人"),
    {
        "id": "resident_roster", "label": "居民花名册", "type": "roster", "required": False,
        "columns": [field("household_no", "户号", "text"), field("name", "姓名", "text")],
    },
]

DESCRIPTOR = {
    "name": NAME,
    "department": "区统计局 / statistics bureau",
    "version": "1.0.0",
    "protocol_version": 1,
    "description": "Population figures of the community ledger, checked for consistency",
    "job_types": [{
        "type": JOB_TYPE,
        "description": "Average household size and the roster against the reported figures",
        "inputs": ["ledger"],
        "outputs": [NAME],
    }],
    "operations": [{"name": "household-size", "description": "residents per household"}],
    "checklists": [{
        "id": "population-yearly",
        "title": "人口统计年报核查 / yearly population figures",
        "frequency": "yearly",
        "basis": "统计法",
        "items": [{"id": "size", "text": "户均人口合理 / plausible household size",
                   "field_ids": ["household_count", "resident_count"]}],
        "fields": CHECKLIST_FIELDS,
    }],
    "ledger_fields": [field("household_count", "户数", "integer", "户"),
                      field("resident_count", "常住人口", "integer", "人")],
    "signboards": [{
        "id": "statistics-station", "title": "社区统计工作站", "model": "统计统一式样",
        "size": "30cm × 20cm", "colour": "white on blue",
        "placement": "indoors, in the workstation office",
        "photo_on_file_acceptable": True, "funded_by": "区统计局",
    }],
    "channels": [{"id": "statistics-platform", "kind": "platform",
                  "description": "the bureau's online reporting system"}],
}


def check(ledger):
    """The statistics bureau's check of one ledger; raises ValueError on unusable input."""
    households = ledger.get("household_count")
    residents = ledger.get("resident_count")
    if not isinstance(households, int) or not isinstance(residents, int) or households <= 0:
        raise ValueError("ledger.household_count and ledger.resident_count: positive integers "
                         "are required")
    size = residents / households
    findings = []
    if not 1.5 <= size <= 5.0:
        findings.append({"code": "household_size", "severity": "major",
                         "text": "户均人口异常 / %.2f residents per household" % size})
    roster = ledger.get("resident_roster")
    if isinstance(roster, list):
        rows = len(roster)
        if rows != residents:
            findings.append({"code": "roster_count", "severity": "minor",
                             "text": "花名册%d人，常住人口%d人 / roster and count differ"
                                     % (rows, residents)})
        registered = len({r.get("household_no") for r in roster if isinstance(r, dict)})
        if registered != households:
            findings.append({"code": "roster_households", "severity": "minor",
                             "text": "花名册%d户，户数%d户 / roster and households differ"
                                     % (registered, households)})
    floating = ledger.get("floating_population")
    indicators = {"household_size": round(size, 4)}
    if isinstance(floating, int):
        indicators["floating_share"] = round(floating / residents, 4) if residents else 0
    return {"passed": not any(f["severity"] == "major" for f in findings),
            "indicators": indicators, "findings": findings}


def make_servicer(pb, pb_grpc, stop):
    import grpc
    from google.protobuf import json_format

    class Statistics(pb_grpc.PluginServicer):
        def Describe(self, request, context):
            return json_format.ParseDict(DESCRIPTOR, pb.Descriptor())

        def ExecuteJob(self, request, context):
            if request.type != JOB_TYPE:
                context.abort(grpc.StatusCode.NOT_FOUND, "job type %r is not mine" % request.type)
            try:
                variables = json.loads(request.variables)
                result = check(variables.get("ledger") or {})
            except ValueError as e:
                # Wrong input: shequd raises an incident at once instead of retrying.
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
            return pb.ExecuteJobResponse(variables=json.dumps({NAME: result}, ensure_ascii=False))

        def Invoke(self, request, context):
            if request.operation != "household-size":
                context.abort(grpc.StatusCode.NOT_FOUND,
                              "unknown operation %r" % request.operation)
            try:
                result = check(json.loads(request.input or "{}").get("ledger") or {})
            except ValueError as e:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
            return pb.InvokeResponse(output=json.dumps(result["indicators"]))

        def Health(self, request, context):
            return pb.HealthResponse(serving=True)

        def Shutdown(self, request, context):
            stop.set()
            return pb.ShutdownResponse()

    return Statistics()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:7300", help="host:port (port 0: any)")
    parser.add_argument("--stubs", default=os.path.join(os.path.dirname(__file__), ".."),
                        help="directory holding shequ/plugin/v1/plugin_pb2*.py "
                             "(default: the Python client next to this example)")
    args = parser.parse_args()
    sys.path.insert(0, args.stubs)
    import grpc
    from shequ.plugin.v1 import plugin_pb2 as pb
    from shequ.plugin.v1 import plugin_pb2_grpc as pb_grpc

    stop = threading.Event()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    pb_grpc.add_PluginServicer_to_server(make_servicer(pb, pb_grpc, stop), server)
    port = server.add_insecure_port(args.listen)
    if port == 0:
        sys.exit("cannot listen on %s" % args.listen)
    server.start()
    host = args.listen.rsplit(":", 1)[0]
    try:
        print("listening on %s:%d" % (host, port), flush=True)
    except BrokenPipeError:  # whoever started us stopped reading: keep serving
        sys.stdout = open(os.devnull, "w")

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=2).wait()


if __name__ == "__main__":
    main()
