"""The mailbox adapter against a real Dovecot: unseen mail comes as bytes with its id, once marked done it does not
come again, a mail above the size limit comes as its header only, and every failure of the server is one error."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from backoffice.mailbox import MailboxUnavailable, MaildirMailbox, open_mailbox, parse_imap_url
from tests.servers import ImapServer, free_port

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite


def mail(subject: str, body: str = "Thank you, see the attached report.") -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = "patient@example.test", "care@medtravel.example"
    message["Subject"], message["Message-ID"] = subject, f"<{subject.replace(' ', '-')}@example.test>"
    message.set_content(body)
    return message.as_bytes()


def test_unseen_mail_comes_as_bytes_with_its_id_oldest_first(imap_server: ImapServer):
    imap_server.deliver(mail("First reply"))
    imap_server.deliver(mail("Second reply"))
    with open_mailbox(imap_server.url) as mailbox:
        found = list(mailbox.unseen(limit=10, max_bytes=1_000_000))
    assert [b"First reply" in m.content for m in found] == [True, False]
    assert b"Second reply" in found[1].content and all(m.complete for m in found)
    assert found[0].uid != found[1].uid and found[0].size == len(found[0].content)


def test_mail_marked_done_is_not_fetched_again_and_the_mail_program_sees_it_read(imap_server):
    imap_server.deliver(mail("First reply"))
    imap_server.deliver(mail("Second reply"))
    with open_mailbox(imap_server.url) as mailbox:
        first = next(mailbox.unseen(limit=10, max_bytes=1_000_000))
        mailbox.mark_done(first.uid)
    with open_mailbox(imap_server.url) as mailbox:
        left = list(mailbox.unseen(limit=10, max_bytes=1_000_000))
    assert [b"Second reply" in m.content for m in left] == [True]
    client = imap_server.client()
    client.select("INBOX")
    assert client.uid("SEARCH", "SEEN")[1][0].split() == [first.uid.encode()]
    client.logout()


def test_the_limit_caps_how_many_mails_one_run_takes(imap_server):
    for number in range(3):
        imap_server.deliver(mail(f"Reply {number}"))
    with open_mailbox(imap_server.url) as mailbox:
        assert len(list(mailbox.unseen(limit=2, max_bytes=1_000_000))) == 2


def test_a_mail_above_the_size_limit_comes_as_its_header_only(imap_server):
    imap_server.deliver(mail("Huge scan", body="x" * 50_000))
    with open_mailbox(imap_server.url) as mailbox:
        (found,) = mailbox.unseen(limit=10, max_bytes=10_000)
    assert not found.complete and found.size > 50_000
    assert b"Subject: Huge scan" in found.content and b"xxxx" not in found.content


def test_a_wrong_password_is_the_mailbox_error_without_the_password(imap_server):
    url = imap_server.url.replace(":secret@", ":wrong-pass@")
    with pytest.raises(MailboxUnavailable) as error, open_mailbox(url):
        pass
    assert "wrong-pass" not in str(error.value) and str(imap_server.port) in str(error.value)


def test_a_missing_folder_is_the_mailbox_error(imap_server):
    with pytest.raises(MailboxUnavailable, match="folder"), open_mailbox(imap_server.url.replace("INBOX", "Nowhere")):
        pass


def test_a_server_that_is_not_there_is_the_mailbox_error():
    with pytest.raises(MailboxUnavailable), open_mailbox(f"imap://u:p@127.0.0.1:{free_port()}/INBOX"):
        pass


def test_imap_upgrades_with_starttls_when_offered_and_imaps_is_tls_from_the_start(imap_tls_server):
    imap_tls_server.deliver(mail("Over TLS"))
    for url in (imap_tls_server.url, imap_tls_server.tls_url):
        with open_mailbox(url) as mailbox:
            assert mailbox._imap.sock.version().startswith("TLS")
            assert [b"Over TLS" in m.content for m in mailbox.unseen(limit=10, max_bytes=100_000)] == [True]


def test_a_certificate_the_machine_does_not_trust_is_refused(imap_tls_server, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(MailboxUnavailable, match="CERTIFICATE_VERIFY_FAILED"), open_mailbox(imap_tls_server.tls_url):
        pass


def test_no_password_goes_to_another_machine_over_plain_text(imap_server):
    """127.0.0.2 stands for another machine: without STARTTLS there, the password is not sent."""
    url = imap_server.url.replace("@127.0.0.1:", "@127.0.0.2:")
    refusal = "no password is sent over an unencrypted connection"
    with pytest.raises(MailboxUnavailable, match=refusal), open_mailbox(url):
        pass


def test_the_imap_url_gives_user_password_folder_and_port():
    target = parse_imap_url("imap://care%40medtravel.example:p%40ss@mail.example/Replies%20in")
    assert (target.username, target.password, target.folder, target.port) == (
        "care@medtravel.example",
        "p@ss",
        "Replies in",
        143,
    )
    assert "p@ss" not in str(target) and parse_imap_url("imaps://u:p@mail.example").port == 993
    with pytest.raises(MailboxUnavailable, match="imap:// or imaps://"):
        parse_imap_url("pop3://u:p@mail.example")


def test_the_local_maildir_offers_the_same_interface(tmp_path):
    (tmp_path / "new").mkdir(parents=True)
    (tmp_path / "new" / "00000000000000000001.1.0.eml").write_bytes(mail("Local reply"))
    (tmp_path / "new" / "00000000000000000002.1.0.eml").write_bytes(mail("Big one", body="y" * 5000))
    with open_mailbox("", tmp_path) as mailbox:
        assert isinstance(mailbox, MaildirMailbox)
        small, big = mailbox.unseen(limit=10, max_bytes=2000)
        mailbox.mark_done(small.uid)
        assert [m.uid for m in mailbox.unseen(limit=10, max_bytes=2000)] == [big.uid]
    assert b"Local reply" in small.content and small.complete
    assert not big.complete and b"Subject: Big one" in big.content and b"yyyy" not in big.content
    assert (tmp_path / "cur" / f"{small.uid}:2,S").exists()
    with open_mailbox("", None) as nothing:
        assert nothing is None
