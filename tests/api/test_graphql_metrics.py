"""``logMetrics`` and a run's ``metricHistory`` / ``metricSummary`` over GraphQL."""

from __future__ import annotations


from provgraph.ids import new_id

from .support import TestClient, data, error

START = 'mutation { startRun(name: "train") { id } }'
LOG = "mutation($run: ID!, $points: [MetricPointInput!]!, $batch: ID) { logMetrics(run: $run, points: $points, batch: $batch) }"
HISTORY = """query($id: ID!, $first: Int, $after: String) { node(id: $id) { ... on Run {
  metricHistory(key: "loss", first: $first, after: $after) { points { step value timestamp } pageInfo { hasNextPage endCursor } }
  metricSummary { key count last lastStep min minStep max maxStep } } } }"""


def run_id(client: TestClient) -> str:
    created: str = data(client, START)["startRun"]["id"]
    return created


def test_logged_points_come_back_as_history_and_summary(client: TestClient) -> None:
    run = run_id(client)
    points = [{"key": "loss", "value": v, "step": i, "timestamp": 0.5} for i, v in enumerate([4.0, 3.0, 3.5])]
    batch = new_id()
    assert data(client, LOG, {"run": run, "points": points, "batch": batch}) == {"logMetrics": 3}
    assert data(client, LOG, {"run": run, "points": points, "batch": batch}) == {"logMetrics": 0}
    answer = data(client, HISTORY, {"id": run, "first": 2})["node"]
    assert answer["metricHistory"] == {
        "points": [{"step": 0, "value": 4.0, "timestamp": "1970-01-01T00:00:00.500000+00:00"},
                   {"step": 1, "value": 3.0, "timestamp": "1970-01-01T00:00:00.500000+00:00"}],
        "pageInfo": {"hasNextPage": True, "endCursor": f"1:{batch}:1"},
    }
    rest = data(client, HISTORY, {"id": run, "after": f"1:{batch}:1"})["node"]["metricHistory"]
    assert [p["value"] for p in rest["points"]] == [3.5] and rest["pageInfo"]["hasNextPage"] is False
    assert answer["metricSummary"] == [
        {"key": "loss", "count": 3, "last": 3.5, "lastStep": 2, "min": 3.0, "minStep": 1, "max": 4.0, "maxStep": 0}
    ]


def test_bad_metric_input_is_refused_with_a_code(client: TestClient) -> None:
    run = run_id(client)
    assert error(client, LOG, {"run": "nope:v1", "points": []}) == (
        "NOT_FOUND", "no dataset or model matches ref 'nope:v1'")
    assert error(client, LOG, {"run": run, "points": [{"key": "", "value": 1.0, "step": 0}]}) == (
        "BAD_INPUT", "invalid metric key '': 1-250 characters, no control characters")
    assert error(client, LOG, {"run": run, "points": [], "batch": "b1"}) == (
        "BAD_INPUT", "invalid metric batch id 'b1': client-chosen batch ids are ULIDs")
    code, message = error(client, HISTORY, {"id": run, "first": 10_001})
    assert (code, message) == ("BAD_INPUT", "first=10001 is out of range: use 1..10000")
    assert error(client, HISTORY, {"id": run, "after": "garbage"})[0] == "BAD_INPUT"


SERIES = "mutation($run: ID!, $s: JSON!, $batch: ID) { logMetricSeries(run: $run, series: $s, batch: $batch) }"


def test_series_form_stores_the_same_history(client: TestClient) -> None:
    run = run_id(client)
    series = {"loss": {"steps": [0, 1, 2], "values": [4, 3.0, 3.5], "timestamps": [0.5, 0.5, 0.5]}}
    batch = new_id()
    assert data(client, SERIES, {"run": run, "s": series, "batch": batch}) == {"logMetricSeries": 3}
    assert data(client, SERIES, {"run": run, "s": series, "batch": batch}) == {"logMetricSeries": 0}
    answer = data(client, HISTORY, {"id": run})["node"]
    assert [(p["step"], p["value"]) for p in answer["metricHistory"]["points"]] == [(0, 4.0), (1, 3.0), (2, 3.5)]
    assert answer["metricSummary"][0]["minStep"] == 1


def test_malformed_series_say_what_is_wrong(client: TestClient) -> None:
    run = run_id(client)
    for series, message in (
        ([1], "series must be a JSON object {key: {steps, values, timestamps?}}"),
        ({"loss": {"steps": [1]}}, "series['loss'] must be an object with lists 'steps' and 'values'"),
        ({"loss": {"steps": [1, 2], "values": [1.0]}}, "series['loss']: steps, values and timestamps differ in length"),
        ({"loss": {"steps": [1.5], "values": [1.0]}}, "series['loss']: steps must be integers"),
        ({"loss": {"steps": [1], "values": ["x"]}}, "series['loss']: values must be numbers"),
    ):
        assert error(client, SERIES, {"run": run, "s": series}) == ("BAD_INPUT", message)


def test_a_hundred_thousand_points_in_ten_requests(client: TestClient) -> None:
    run = run_id(client)
    for start in range(0, 100_000, 10_000):
        steps = list(range(start, start + 10_000))
        series = {"loss": {"steps": steps, "values": [1.0 / (i + 1) for i in steps]}}
        assert data(client, SERIES, {"run": run, "s": series}) == {"logMetricSeries": 10_000}
    (summary,) = data(client, HISTORY, {"id": run, "first": 1})["node"]["metricSummary"]
    assert (summary["count"], summary["lastStep"], summary["minStep"]) == (100_000, 99_999, 99_999)
