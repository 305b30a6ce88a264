"""SLO files: OpenSLO v1 and Sloth prometheus/v1 round-trip (import, export, import again gives the same SLOs and the
same documents), and a file with an unsupported field is refused with the field named and nothing read."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.errors import InvalidInput
from services.slos import documents, files, openslo, sloth
from services.slos.evaluation import SloDefinition

HERE = Path(__file__).with_name("files")


def _definitions(docs: list[files.SloDocument]) -> list[SloDefinition]:
    return [SloDefinition(i, **d.slo.model_dump()) for i, d in enumerate(docs, 1)]


def _fields(docs: list[files.SloDocument]) -> list[dict]:
    return [d.slo.model_dump() for d in docs]


def test_an_openslo_file_round_trips() -> None:
    text = (HERE / "team.openslo.yaml").read_text()
    docs = documents.read(text, file_name="team.openslo.yaml")
    by_name = {d.slo.name: d.slo for d in docs}
    assert list(by_name) == ["mana availability", "shops latency", "DOPA success", "login-failures"]
    # the request queries read back as the request SLOs they describe; the others are ratios of their own KQL
    a, lat, dopa, login = by_name.values()
    assert (a.kind, a.service, a.operation, a.objective, a.window_days) == ("availability", "mana", None, 99.0, 30)
    assert (lat.kind, lat.operation, lat.threshold_ms, lat.objective, lat.window_days) == (
        "latency", "GET /api/shops", 300.0, 99.9, 28)  # fmt: skip
    assert (dopa.kind, dopa.objective, dopa.window_days, dopa.bad_query) == ("ratio", 99.5, 7, None)
    assert dopa.good_query == 'AppDependencies\n| where Target == "api.dopa.go.th"\n| where Success == true'
    assert (login.kind, login.bad_query, login.good_query) == ("ratio", 'AppEvents | where Name == "LoginFailed"', None)
    assert docs[2].where == "team.openslo.yaml document 3 (DOPA success)"
    exported = files.dump([openslo.document(d) for d in _definitions(docs)])
    assert list(yaml.safe_load_all(exported)) == list(yaml.safe_load_all(text))  # the same documents
    again = documents.read(exported, file_name="exported.yaml")
    assert _fields(again) == _fields(docs)
    assert files.dump([openslo.document(d) for d in _definitions(again)]) == exported


def test_a_sloth_file_round_trips() -> None:
    text = (HERE / "team.sloth.yaml").read_text()
    docs = documents.read(text, file_name="team.sloth.yaml")
    assert [(d.slo.name, d.slo.kind, d.slo.objective, d.slo.window_days) for d in docs] == [
        ("mana availability", "availability", 99.0, 30),
        ("login failures", "ratio", 95.0, 30),  # Sloth's error_query is the bad query
        ("shops latency", "latency", 99.9, 28),  # slo_period: 28d
    ]
    assert docs[1].slo.bad_query == 'AppEvents | where Name == "LoginFailed"'
    assert docs[2].slo.threshold_ms == 300.0 and docs[2].slo.operation == "GET /api/shops"
    exported = files.dump(sloth.documents(_definitions(docs)))
    assert list(yaml.safe_load_all(exported)) == list(yaml.safe_load_all(text))
    assert _fields(documents.read(exported, file_name="exported.yaml")) == _fields(docs)


def test_the_same_slos_in_either_format() -> None:
    ours = documents.read((HERE / "team.sloth.yaml").read_text(), file_name="team.sloth.yaml")
    as_openslo = files.dump([openslo.document(d) for d in _definitions(ours)])
    assert _fields(documents.read(as_openslo, file_name="x.yaml")) == _fields(ours)


def test_a_good_query_ratio_cannot_be_written_as_sloth() -> None:
    docs = documents.read((HERE / "team.openslo.yaml").read_text(), file_name="team.openslo.yaml")
    with pytest.raises(InvalidInput, match="'DOPA success' counts good events .* export it as OpenSLO"):
        sloth.documents(_definitions(docs))


def _openslo(**spec_changes: object) -> dict:
    doc = yaml.safe_load((HERE / "team.openslo.yaml").read_text().split("---")[2])  # DOPA success
    doc["spec"] |= spec_changes
    return doc


def _refusal(doc: object, file_name: str = "slos.yaml") -> str:
    with pytest.raises(InvalidInput) as exc:
        documents.read(yaml.safe_dump_all(doc if isinstance(doc, list) else [doc]), file_name=file_name)
    message = str(exc.value)
    assert message.endswith("Nothing was applied."), message
    return message


def test_an_unsupported_field_is_refused_with_the_field_named() -> None:
    doc = _openslo()
    doc["spec"]["indicator"]["spec"]["foo"] = "bar"
    assert _refusal(doc) == (
        "slos.yaml document 1 (DOPA success): spec.indicator.spec.foo is not supported: remove it. Nothing was applied."
    )


CALENDAR = [{"duration": "1M", "isRolling": False, "calendar": {"startTime": "2026-01-01 00:00:00", "timeZone": "UTC"}}]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"alertPolicies": ["fast"]}, "spec.alertPolicies is not supported: every SLO gets the backoffice's three"),
        ({"budgetingMethod": "Timeslices"}, "spec.budgetingMethod Timeslices is not supported"),
        ({"timeWindow": CALENDAR}, "spec.timeWindow[0].calendar is not supported: only rolling windows"),
        ({"timeWindow": [{"duration": "14d", "isRolling": True}]}, "duration 14d is not supported: use 7d, 28d or 30d"),
        ({"objectives": [{"target": 0.99}, {"target": 0.9}]}, "spec.objectives needs exactly one objective"),
        ({"objectives": [{"target": 0.99, "targetPercent": 99}]}, "needs target (e.g. 0.99) or targetPercent"),
        ({"objectives": [{"displayName": "ok", "target": 0.99}]}, "spec.objectives[0].displayName is not supported"),
        ({"indicatorRef": "dopa-sli"}, "spec.indicatorRef is not supported: write the indicator inline"),
    ],
)
def test_openslo_fields_the_backoffice_does_not_support_are_named(change: dict, named: str) -> None:
    assert named in _refusal(_openslo(**change))


def test_openslo_sources_and_metrics_it_cannot_count_are_named() -> None:
    doc = _openslo()
    ratio = doc["spec"]["indicator"]["spec"]["ratioMetric"]
    ratio["counter"] = True
    ratio["good"]["metricSource"] = {"type": "Prometheus", "spec": {"query": "sum(http_requests_total)"}}
    ratio["total"]["metricSource"]["metricSourceRef"] = "azure"
    doc["metadata"]["labels"] = {"team": ["sre"]}
    message = _refusal(doc)
    assert "metadata.labels is not supported: the backoffice keeps no labels" in message
    assert "spec.indicator.spec.ratioMetric.total.metricSource.metricSourceRef is not supported" in message
    doc = _openslo()
    doc["spec"]["indicator"]["spec"]["ratioMetric"]["counter"] = True
    doc["spec"]["indicator"]["spec"]["ratioMetric"]["good"]["metricSource"]["type"] = "Prometheus"
    message = _refusal(doc)
    assert "ratioMetric.good.metricSource.type Prometheus is not supported: the backoffice runs KQL" in message
    assert "ratioMetric.counter true is not supported" in message
    threshold = {"thresholdMetric": {"metricSource": {"type": "AzureMonitor", "spec": {"query": "AppDependencies"}}}}
    doc = _openslo(indicator={"metadata": {"name": "x"}, "spec": threshold}, objectives=[{"op": "lte", "value": 300,
                   "target": 0.99}])  # fmt: skip
    message = _refusal(doc)
    assert "thresholdMetric is read only on request duration" in message
    assert "needs op: lt and value" in message


def test_a_bad_kql_query_in_a_file_names_the_document_and_the_query() -> None:
    doc = _openslo()
    doc["spec"]["indicator"]["spec"]["ratioMetric"]["total"]["metricSource"]["spec"]["query"] = "AppDependencies |"
    message = _refusal([[_openslo(), doc]], file_name="dopa.yaml")  # one document holding a list, as OpenSLO allows
    assert message.startswith("dopa.yaml document 1 item 2 (DOPA success): total_query: KQL syntax error in the total")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"labels": {"team": "sre"}}, "labels is not supported: the backoffice keeps no Prometheus labels"),
        ({"slo_period": "14d"}, "slo_period 14d is not supported: use 7d, 28d or 30d"),
        ({"version": "prometheus/v2"}, "version prometheus/v2 is not supported: use prometheus/v1"),
    ],
)
def test_sloth_fields_the_backoffice_does_not_support_are_named(change: dict, named: str) -> None:
    spec = yaml.safe_load((HERE / "team.sloth.yaml").read_text().split("---")[1])
    assert named in _refusal(spec | change)


def test_sloth_slis_and_alerting_beyond_a_name_are_named() -> None:
    spec = yaml.safe_load((HERE / "team.sloth.yaml").read_text().split("---")[1])
    spec["slos"][0]["sli"]["raw"] = {"error_ratio_query": "x"}
    spec["slos"][1]["sli"] = {"plugin": {"id": "sloth-common/availability"}}
    spec["slos"][1]["alerting"]["page_alert"] = {"labels": {"severity": "critical"}}
    message = _refusal(spec)
    assert "slos[0].sli.raw is not supported: a precomputed error ratio cannot be counted per window" in message
    assert "slos[1].sli.plugin is not supported: SLI plugins are not supported" in message
    assert "slos[1].sli.events is required" in message
    assert "slos[1].alerting.page_alert is not supported: every SLO gets the backoffice's page and ticket" in message
    spec = yaml.safe_load((HERE / "team.sloth.yaml").read_text().split("---")[1])
    spec["slos"][1]["sli"]["events"]["total_query"] = "AppEvents[{{.window}}]"
    assert "slos[1].sli.events.total_query uses a template such as {{.window}}" in _refusal(spec)


def test_files_that_are_not_slo_files_are_refused_with_where() -> None:
    with pytest.raises(InvalidInput, match=r"x.yaml is not valid YAML at line 3, column 1: expected ',' or ']'"):
        documents.read("a: 1\nb: [2\n", file_name="x.yaml")
    with pytest.raises(InvalidInput, match=r"x.yaml document 1 is neither OpenSLO \(apiVersion: openslo/v1\) nor"):
        documents.read("kind: SLO\n", file_name="x.yaml")
    with pytest.raises(InvalidInput, match="x.yaml holds no SLO"):
        documents.read("# nothing yet\n", file_name="x.yaml")
    assert "kind Service is not supported: only kind SLO" in _refusal(_openslo() | {"kind": "Service"})
