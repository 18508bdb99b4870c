"""The API published as OpenAPI, and a property-based fuzz run (Schemathesis) held to it.

The document is read from the routes themselves (chalicelib/api/openapi.py); `scripts/fuzz` starts its
own stack and fails on any 5xx and on any answer the document does not describe.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from openapi_spec_validator import validate

from app import app
from chalicelib.web.auth import access_of

ROOT = Path(__file__).resolve().parents[2]


def test_the_published_document_is_valid_openapi_and_names_every_route(public):
    answer = public.get("/openapi.json")
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    document = answer.json()
    validate(document)
    published = {(path, method.upper()) for path, operations in document["paths"].items() for method in operations}
    assert published == {(path, method) for path, entries in app.routes.items() for method in entries}
    for path, entries in app.routes.items():
        for method, entry in entries.items():
            operation = document["paths"][path][method.lower()]
            access = access_of(entry.view_function)
            if access.public:
                assert operation["security"] == [], (method, path)
            else:
                assert {"staffToken": []} in operation["security"], (method, path)
                assert operation["x-roles"] == [role.value for role in access.roles], (method, path)
                assert ({"apiKey": []} in operation["security"]) == bool(access.scope), (method, path)
            assert "5XX" not in operation["responses"] and "500" not in operation["responses"]
            assert operation["responses"]["4XX"]["content"]["application/problem+json"]


def test_the_document_describes_bodies_parameters_and_answers(public):
    document = public.get("/openapi.json").json()
    hold = document["paths"]["/performances/{performance_id}/holds"]["post"]
    assert hold["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/HoldBody"}
    assert {parameter["name"] for parameter in hold["parameters"]} == {"performance_id", "X-Podium-Session"}
    assert set(hold["responses"]) == {"201", "4XX"}
    body = document["components"]["schemas"]["HoldBody"]
    assert body["additionalProperties"] is False  # unknown fields are refused, and the document says so
    agenda = document["paths"]["/agenda"]["get"]
    assert {parameter["name"] for parameter in agenda["parameters"]} == {"house", "genre", "from", "to"}
    assert set(document["paths"]["/checkouts/{order_id}/tickets.pdf"]["get"]["responses"]["200"]["content"]) == {
        "application/pdf"
    }
    assert "text/html" in document["paths"]["/p/agenda"]["get"]["responses"]["200"]["content"]
    assert "303" in document["paths"]["/p/performances/{performance_id}/holds"]["post"]["responses"]


def test_a_fuzz_run_finds_no_server_error_and_no_undocumented_answer(tmp_path):
    # 4 cases per operation and pass: every operation still fuzzed both ways (checked below); scripts/fuzz goes deeper
    run = subprocess.run(
        [str(ROOT / "scripts/fuzz"), "--max-examples", "4", "--report-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = run.stdout[-6000:] + run.stderr[-3000:]
    assert run.returncode == 0, output
    # It really ran: every operation of both passes was tested, none failed.
    operations = 0
    for report in ("fuzz-house-admin.xml", "fuzz-coordinator.xml"):
        suite = ElementTree.parse(tmp_path / report).getroot()
        cases = suite.findall(".//testcase")
        assert cases and not suite.findall(".//failure") and not suite.findall(".//error"), output
        operations += len(cases)
    assert operations >= len([1 for entries in app.routes.values() for _ in entries]), output
    print(output, file=sys.stderr)
