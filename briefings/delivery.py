"""Deliver briefings by SMTP through an outbox, so nothing is lost and nothing is sent twice.

A rendered briefing is first written to `<data>/outbox/<id>.eml` (atomically: temp file,
then rename). Sending moves it to `<data>/sent/` only once the SMTP server has accepted
it; a failed send leaves it in the outbox and the next run sends it. A briefing whose id
is already in the outbox or in sent/ is never queued again.

"Accepted" is the server's 250 to the message itself, not the end of the conversation:
the file moves to sent/ at that moment, so a run killed (or a server hanging) while
saying goodbye does not send the same briefing again the next night.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path

from briefings.render import Briefing
from intel.errors import DeliveryError


@dataclass(frozen=True)
class SmtpSettings:
    """What `smtplib` needs; built from the watchlist's `smtp:` block and the environment."""

    host: str
    port: int
    security: str  # starttls | ssl | none
    sender: str
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_watchlist(cls, smtp, environ: dict[str, str] | None = None) -> SmtpSettings:
        environ = os.environ if environ is None else environ
        return cls(
            host=smtp.host,
            port=smtp.port,
            security=smtp.security,
            sender=smtp.sender,
            user=smtp.user,
            password=environ.get(smtp.password_env),
            timeout=smtp.timeout,
        )


def build_message(
    briefing: Briefing,
    sender: str,
    recipients: list[str],
    window: tuple[str, str] | None = None,
) -> EmailMessage:
    """multipart/alternative: plain text, then HTML with its charts related by Content-ID.

    `window` (since, until) is recorded in X-Intel-Since/-Until: the next scheduled
    briefing starts where this one ends (`Outbox.covered_until`).
    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = briefing.subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(idstring=briefing.id.replace("/", "-"), domain="intel.local")
    msg["X-Intel-Briefing"] = briefing.id
    if window is not None:
        msg["X-Intel-Since"], msg["X-Intel-Until"] = window
    msg.set_content(briefing.text)
    msg.add_alternative(briefing.html, subtype="html")
    html_part = msg.get_payload()[1]
    for cid, png in briefing.images.items():
        html_part.add_related(
            png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid}.png"
        )
    return msg


class Outbox:
    """Briefings waiting to be sent, and those already sent, in the data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.pending_dir = Path(data_dir) / "outbox"
        self.sent_dir = Path(data_dir) / "sent"

    def _name(self, briefing_id: str) -> str:
        return briefing_id.replace("/", "-") + ".eml"

    def known(self, briefing_id: str) -> bool:
        """Queued or already sent: either way it must not be queued again."""
        name = self._name(briefing_id)
        return (self.pending_dir / name).exists() or (self.sent_dir / name).exists()

    def put(self, briefing_id: str, msg: EmailMessage) -> Path | None:
        """Queue a message; None when this briefing was queued or sent before."""
        if self.known(briefing_id):
            return None
        self.pending_dir.mkdir(parents=True, exist_ok=True)
        path = self.pending_dir / self._name(briefing_id)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(msg.as_bytes())
        os.replace(tmp, path)
        return path

    def covered_until(self, kind: str) -> str | None:
        """Where the newest `kind` briefing queued or sent ends (its X-Intel-Until), if known.

        Read from the message itself, which is queued in one rename: a briefing is either
        queued with its window or not at all, whatever moment a run is killed.
        """
        names = [p for d in (self.pending_dir, self.sent_dir) for p in _glob(d, f"{kind}-*.eml")]
        if not names:
            return None
        newest = max(names, key=lambda p: p.name)  # ids end in their date (kind-YYYY-MM-DD)
        with newest.open("rb") as f:
            headers = BytesParser(policy=policy.SMTP).parse(f, headersonly=True)
        return headers.get("X-Intel-Until")

    def pending(self) -> list[Path]:
        return sorted(self.pending_dir.glob("*.eml")) if self.pending_dir.is_dir() else []

    def sent(self) -> list[Path]:
        return sorted(self.sent_dir.glob("*.eml")) if self.sent_dir.is_dir() else []

    def send_pending(self, settings: SmtpSettings) -> tuple[list[str], list[str]]:
        """Send every queued briefing; returns (sent ids, failures). Failures stay queued."""
        sent, failures = [], []
        for path in self.pending():
            msg = BytesParser(policy=policy.SMTP).parsebytes(path.read_bytes())
            try:
                send(msg, settings, on_accepted=lambda path=path: self._mark_sent(path))
            except DeliveryError as exc:
                failures.append(f"{path.stem}: {exc}")
                continue
            sent.append(path.stem)
        return sent, failures

    def _mark_sent(self, path: Path) -> None:
        self.sent_dir.mkdir(parents=True, exist_ok=True)
        os.replace(path, self.sent_dir / path.name)


def _glob(directory: Path, pattern: str) -> list[Path]:
    return list(directory.glob(pattern)) if directory.is_dir() else []


def send(
    msg: EmailMessage, settings: SmtpSettings, on_accepted: Callable[[], None] | None = None
) -> None:
    """Hand one message to the SMTP server; any failure is a DeliveryError (never the password).

    `on_accepted` runs as soon as the server has taken the message, before QUIT: from then
    on it is delivered, and a failed or hanging goodbye is not a failure to send.
    """
    recipients = [a.strip() for a in str(msg["To"]).split(",") if a.strip()]
    try:
        if settings.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=settings.timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"could not send via {settings.host}:{settings.port}: {exc}") from None
    try:
        try:
            if settings.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                if not settings.password:
                    raise DeliveryError(
                        f"SMTP user {settings.user!r} is set but its password variable is empty"
                    )
                smtp.login(settings.user, settings.password)
            smtp.send_message(msg, from_addr=settings.sender, to_addrs=recipients)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(
                f"could not send via {settings.host}:{settings.port}: {exc}"
            ) from None
        if on_accepted is not None:
            on_accepted()
    finally:
        _goodbye(smtp)


def _goodbye(smtp: smtplib.SMTP) -> None:
    """QUIT, then close; the answer to QUIT (or its absence) changes nothing any more."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
