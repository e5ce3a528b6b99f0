"""`pinned_request` over TLS: it connects to the checked address yet speaks to the name (SNI,
Host) and verifies the certificate against the name, not the address."""

import datetime
import ssl
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ilp.core.outbound import Target, pinned_request


@pytest.fixture
def tls_server(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.example")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.example")]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    seen = {"sni": [], "host": []}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length", 0)))
            seen["host"].append(self.headers["host"])
            self.send_response(204)
            self.end_headers()

    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.sni_callback = lambda sock, sni, ctx: seen["sni"].append(sni)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], cert_path, seen
    server.shutdown()
    server.server_close()


def test_the_name_is_spoken_and_verified_at_the_pinned_address(tls_server):
    port, cert_path, seen = tls_server
    trust = ssl.create_default_context(cafile=str(cert_path))
    target = Target(scheme="https", host="hooks.example", port=port, address="127.0.0.1", path="/")
    response = pinned_request(target, body=b"{}", headers={}, context=trust)
    assert response.status == 204
    assert seen["sni"] == ["hooks.example"]
    assert seen["host"] == [f"hooks.example:{port}"]


def test_a_certificate_for_another_name_is_refused(tls_server):
    port, cert_path, _seen = tls_server
    trust = ssl.create_default_context(cafile=str(cert_path))
    target = Target(scheme="https", host="other.example", port=port, address="127.0.0.1", path="/")
    with pytest.raises(ssl.SSLCertVerificationError):
        pinned_request(target, body=b"{}", headers={}, context=trust)
