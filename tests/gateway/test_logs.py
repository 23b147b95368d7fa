"""Personal data never reaches a log line in clear."""

import logging

from gateway.logs import MaskingFormatter


def _format(message: str, *args, exc_info=None) -> str:
    record = logging.LogRecord("gateway", logging.INFO, __file__, 1, message, args, exc_info)
    return MaskingFormatter("%(message)s").format(record)


def test_phone_and_id_numbers_in_log_arguments_are_masked():
    line = _format("customer %s wrote: %s", "u-1", "我电话13812345678，身份证11010519491231002X")
    assert "13812345678" not in line and "11010519491231002X" not in line
    assert "customer u-1 wrote" in line


def test_lines_without_personal_data_are_untouched():
    assert _format("delivery %s failed (attempt %d)", "dl_1", 3) == "delivery dl_1 failed (attempt 3)"


def test_tracebacks_are_masked_too():
    try:
        raise ValueError("bad address 13812345678")
    except ValueError:
        import sys

        line = _format("failed", exc_info=sys.exc_info())
    assert "ValueError" in line and "13812345678" not in line
