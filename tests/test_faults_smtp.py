"""An SMTP server that misbehaves around a briefing it has already accepted.

Once the server answers 250 to the message, it is delivered: a goodbye that hangs or fails
must not leave the briefing in the outbox, or the next night sends it a second time.
"""

from __future__ import annotations

from email.message import EmailMessage

from briefings.delivery import Outbox, SmtpSettings
from tests.servers import SmtpSink
from tests.test_briefing import free_port


def queued(tmp_path) -> Outbox:
    outbox = Outbox(tmp_path / "data")
    msg = EmailMessage()
    msg["Subject"] = "Market briefing 2026-11-22"
    msg["From"] = "intel@ourco.example"
    msg["To"] = "cpo@ourco.example"
    msg.set_content("3 moves by 2 rivals")
    outbox.put("daily-2026-11-22", msg)
    return outbox


def settings(port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1", port=port, security="none", sender="intel@ourco.example", timeout=1.0
    )


def test_a_server_hanging_after_it_accepted_the_briefing_does_not_get_it_twice(tmp_path):
    port = free_port()
    outbox = queued(tmp_path)
    with SmtpSink(port, stall="QUIT") as hanging:
        sent, failures = outbox.send_pending(settings(port))  # QUIT times out after 1 s
    assert (sent, failures) == (["daily-2026-11-22"], [])
    assert len(hanging.delivered) == 1
    assert outbox.pending() == [] and [p.name for p in outbox.sent()] == ["daily-2026-11-22.eml"]

    with SmtpSink(port) as healthy:  # the next night
        assert outbox.send_pending(settings(port)) == ([], [])
    assert healthy.delivered == []


def test_a_server_answering_quit_with_an_error_after_accepting_does_not_get_it_twice(tmp_path):
    port = free_port()
    outbox = queued(tmp_path)
    with SmtpSink(port, quit_reply="421 4.3.2 Service shutting down") as closing:
        assert outbox.send_pending(settings(port)) == (["daily-2026-11-22"], [])
    with SmtpSink(port) as healthy:
        assert outbox.send_pending(settings(port)) == ([], [])
    assert len(closing.delivered) == 1 and healthy.delivered == []


def test_a_server_hanging_before_it_accepted_keeps_the_briefing_for_the_next_night(tmp_path):
    port = free_port()
    outbox = queued(tmp_path)
    with SmtpSink(port, stall="MAIL") as hanging:
        sent, failures = outbox.send_pending(settings(port))
    assert sent == [] and len(failures) == 1 and "timed out" in failures[0]
    assert hanging.delivered == [] and len(outbox.pending()) == 1

    with SmtpSink(port) as healthy:
        assert outbox.send_pending(settings(port)) == (["daily-2026-11-22"], [])
    assert len(healthy.delivered) == 1 and outbox.pending() == []
