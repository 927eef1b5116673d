"""nginx in front of app replicas, for the browser tests: the deploy template, rendered for loopback ports.

`nginx_proxy` renders deploy/nginx/templates/moodlens.conf.template (the file that ships) with a
self-signed certificate for 127.0.0.1, puts it in a minimal nginx.conf of its own folder (pid, logs and
temporary files there; nothing in /etc/nginx is used or changed), and runs Debian's nginx.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tests.browser.harness import ROOT, free_port

TEMPLATE = ROOT / "deploy" / "nginx" / "templates" / "moodlens.conf.template"
PLACEHOLDER = re.compile(r"\$\{(MOODLENS_[A-Z_]+)\}")
# Written per request: the sticky key (cookie, or the new one) and the replica that answered.
STICKY_LOG = "$moodlens_sticky_key $upstream_addr $status $request_method $uri"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                          if os.access(p, os.X_OK)), None)


def missing() -> str:
    """Why the proxy test cannot run here ("" when it can)."""
    if not nginx_binary():
        return "nginx is not installed (apt-get install nginx)"
    if not shutil.which("openssl"):
        return "openssl is not installed (apt-get install openssl)"
    return ""


def render(template: str, values: dict[str, str]) -> str:
    """The template with each ${MOODLENS_...} replaced, as envsubst would; a name without a value fails."""
    names = set(PLACEHOLDER.findall(template))
    if names - set(values):
        raise KeyError(f"no value for {sorted(names - set(values))}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1, valid for a day."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def _main_conf(folder: Path) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""  # as root, workers would run as nobody (no access here)
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                           "uwsgi", "scgi"))
    return f"""{user}daemon off;
worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'error.log'} info;
events {{ worker_connections 512; }}
http {{
{temp}
    log_format sticky '{STICKY_LOG}';
    access_log {folder / 'access.log'} sticky;
    include {folder / 'moodlens.conf'};
}}
"""


def _wait_tls(proc: subprocess.Popen, port: int, folder: Path, timeout: float = 20) -> None:
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with status {proc.returncode}: "
                               + (folder / "error.log").read_text(errors="replace")[-2000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as raw:
                with context.wrap_socket(raw):
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nginx did not answer TLS on port {port}")
            time.sleep(0.1)


@contextmanager
def nginx_proxy(app_ports: list[int], folder: Path) -> Iterator[str]:
    """nginx with the deploy template in front of the apps on these loopback ports; yields its HTTPS URL."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = self_signed(folder)
    https, http = free_port(), free_port()
    conf = render(TEMPLATE.read_text(), {
        "MOODLENS_UPSTREAM": " ".join(f"server 127.0.0.1:{p};" for p in app_ports),
        "MOODLENS_LISTEN_HTTPS": f"127.0.0.1:{https}", "MOODLENS_LISTEN_HTTP": f"127.0.0.1:{http}",
        "MOODLENS_SERVER_NAME": "127.0.0.1", "MOODLENS_TLS_CERT": str(cert), "MOODLENS_TLS_KEY": str(key)})
    (folder / "moodlens.conf").write_text(conf)
    (folder / "nginx.conf").write_text(_main_conf(folder))
    nginx = nginx_binary()
    check = subprocess.run([nginx, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
                           capture_output=True, text=True)
    if check.returncode:
        raise RuntimeError(f"nginx -t refused the rendered template:\n{check.stderr}")
    proc = subprocess.Popen([nginx, "-p", str(folder), "-c", str(folder / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_tls(proc, https, folder)
        yield f"https://127.0.0.1:{https}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # nginx's "fast shutdown"; its workers are in its group
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


def sticky_log(folder: Path) -> list[tuple[str, str]]:
    """(sticky key, replica address) of each proxied request so far."""
    rows = []
    for line in (folder / "access.log").read_text().splitlines():
        key, upstream, *_ = line.split(" ")
        if upstream != "-":
            rows.append((key, upstream))
    return rows
