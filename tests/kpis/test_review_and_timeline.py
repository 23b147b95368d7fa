"""The quality review at close and the decision timeline, end to end on the hand-made day (tests/kpis/day.py).

Expected by hand from the day's story:
  problem    C (first response 170 s > 60 s; the survey said "2") and B (a blocked reply leaking a phone number;
             the complaint "我要投诉"), newest first: C, B
  excellent  D (praised "太好了，非常感谢"; closed resolved by its only agent) and A (closed resolved by its only
             agent; the survey said "1"), newest first: D, A
  C's story  opened, message, assigned to a1 (load_balance), wait begins, watchdog reassign, assigned to a2
             (reassign, from a1), watchdog auto-reply, the auto-reply, a2's answer, the wait ends after 170 s,
             closed, survey sent, QA review decision, the survey question, review; then the answer "2".
"""

from tests.kpis.conftest import SUPERVISOR

RANGE = "from=2026-01-01T00:00:00%2B08:00&to=2026-01-03T00:00:00%2B08:00"


async def _qa(day, flag):
    response = await day.client.get(f"/v1/qa/conversations?flag={flag}&{RANGE}", headers=SUPERVISOR)
    assert response.status == 200
    return {c["customer_id"]: c for c in (await response.json())["conversations"]}


async def test_problem_conversations_with_reasons_and_transcript(day):
    found = await _qa(day, "problem")
    assert list(found) == ["C", "B"]
    assert [r["code"] for r in found["C"]["reasons"]] == ["slow_first_response", "survey_dissatisfied"]
    assert [r["code"] for r in found["B"]["reasons"]] == ["violations", "complaint"]
    assert "complaint_channel" in found["B"]["reasons"][1]["detail"]
    assert (found["B"]["escalated"], found["B"]["complaint"], found["B"]["violations"]) == (True, True, 1)
    assert (found["C"]["first_response_s"], found["C"]["transfers"]) == (170.0, 1)
    assert found["C"]["survey"]["answer"] == "2"
    assert [m["role"] for m in found["C"]["transcript"]] == ["customer", "auto", "agent", "survey", "customer",
                                                            "survey"]


async def test_excellent_conversations(day):
    found = await _qa(day, "excellent")
    assert list(found) == ["D", "A"]
    assert [r["code"] for r in found["D"]["reasons"]] == ["praised", "solved_on_first_contact"]
    assert [r["code"] for r in found["A"]["reasons"]] == ["solved_on_first_contact", "survey_solved"]
    assert not found["A"]["problem"] and found["D"]["survey"]["status"] == "unanswered"


async def test_every_closed_conversation_is_reviewed_once(day):
    response = await day.client.get(f"/v1/qa/conversations?{RANGE}", headers=SUPERVISOR)
    reviewed = [c["customer_id"] for c in (await response.json())["conversations"]]
    assert sorted(reviewed) == ["A", "B", "C", "D"]     # A's and B's returns are still open


async def test_the_whole_story_of_one_conversation(day):
    response = await day.client.get(f"/v1/conversations/{day.ids['C']}/timeline", headers=SUPERVISOR)
    assert response.status == 200
    body = await response.json()
    assert body["conversation"]["agent_id"] == "a2" and "data" not in body["conversation"]
    story = [(e["type"], e.get("kind") or e.get("role"), e.get("reason")) for e in body["timeline"]]
    assert story == [
        ("opened", None, None), ("message", "customer", None), ("decision", "assign", "load_balance"),
        ("wait_started", "first_response", None), ("alert", "watchdog", "reassign"),
        ("decision", "assign", "reassign"), ("alert", "watchdog", "auto_reply"), ("message", "auto", None),
        ("message", "agent", None), ("wait_ended", "first_response", None), ("closed", None, None),
        ("decision", "survey_sent", "conversation_closed"), ("decision", "qa_review", "problem"),
        ("message", "survey", None), ("review", None, None), ("message", "customer", None),
        ("decision", "survey_answer", "parsed"), ("message", "survey", None)]
    reassigned = body["timeline"][5]
    assert reassigned["agent_id"] == "a2" and reassigned["details"]["from_agent"] == "a1"
    ended = body["timeline"][9]
    assert (ended["outcome"], ended["waited_s"], ended["agent_id"]) == ("answered", 170.0, "a2")
    times = [e["at"] for e in body["timeline"]]
    assert times == sorted(times)


async def test_timeline_is_for_supervisors_and_known_conversations(day):
    denied = await day.client.get(f"/v1/conversations/{day.ids['C']}/timeline",
                                  headers={"Authorization": "Bearer tok-a2"})
    assert denied.status == 403
    missing = await day.client.get("/v1/conversations/cv_nope/timeline", headers=SUPERVISOR)
    assert missing.status == 404 and (await missing.json())["error"]["code"] == "not_found"
    bad = await day.client.get("/v1/qa/conversations?flag=odd", headers=SUPERVISOR)
    assert bad.status == 400
