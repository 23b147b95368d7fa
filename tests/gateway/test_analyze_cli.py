"""``python -m gateway analyze`` (protocol-v1 §5): the output shape, bad lines, --context, and that it
concludes exactly what the live pipeline concludes."""

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import next_event

ROOT = Path(__file__).resolve().parents[2]


def _analyze(lines: list[str], *flags: str) -> list[dict]:
    result = subprocess.run([sys.executable, "-m", "gateway", "analyze", *flags], input="\n".join(lines) + "\n",
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-500:]
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_one_line_out_per_line_in_with_the_protocol_fields():
    out = _analyze([json.dumps({"text": "我的快递三天没动了 订单号PDD2026112300001"}, ensure_ascii=False),
                    "not json", json.dumps({"text": "请问这个有没有白色的"}, ensure_ascii=False)])
    assert len(out) == 3
    first, bad, calm = out
    assert first["intent"]["label"] == "logistics_delay" and first["order_id"] == "PDD2026112300001"
    assert -1 <= first["emotion"]["score"] <= 1 and 0 <= first["emotion"]["anger"] <= 1
    assert bad["error"]["code"] == "bad_input"
    assert calm["emotion"]["label"] == "neutral" and calm["intent"]["label"] is None and calm["order_id"] is None


def test_context_brings_repetition_and_the_escalation_decision():
    line = {"text": "？？？人呢", "context": [{"role": "customer", "text": "发货了吗"},
                                           {"role": "agent", "text": "亲稍等"},
                                           {"role": "customer", "text": "发货了吗？"}]}
    alone, with_context = _analyze([json.dumps({"text": line["text"]}, ensure_ascii=False)])[0], \
        _analyze([json.dumps(line, ensure_ascii=False)], "--context")[0]
    assert with_context["trend"]["count"] == 3
    assert with_context["escalation"]["reached"] is True
    assert "trend" not in alone


async def test_the_cli_concludes_what_the_live_pipeline_concludes(gateway):
    text = "你们怎么还不发货！！！"
    ws = await gateway.agent("a1")
    await gateway.customer(text)
    live = (await next_event(ws, "customer.message"))["analysis"]
    [offline] = _analyze([json.dumps({"text": text}, ensure_ascii=False)])
    assert offline == live
