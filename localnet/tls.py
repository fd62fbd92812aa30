"""TLS for the local Yellowstone gRPC server: a given certificate and key, or a self-signed pair for
127.0.0.1 / ::1 / localhost written to a directory (clients trust it as their root certificate)."""
from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

SELF_SIGNED_DAYS = 30
CERT_FILE = "localnet-grpc.crt"
KEY_FILE = "localnet-grpc.key"


@dataclass(frozen=True)
class TlsFiles:
    cert_path: Path
    key_path: Path

    def read(self) -> tuple[bytes, bytes]:
        """(private key PEM, certificate chain PEM), as grpc.ssl_server_credentials takes them."""
        return self.key_path.read_bytes(), self.cert_path.read_bytes()


def write_self_signed(directory: str | Path) -> TlsFiles:
    """Generate a P-256 key and a certificate for the loopback names; the key file is owner-only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localnet gRPC")])
    now = datetime.datetime.now(datetime.timezone.utc)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
             x509.IPAddress(ipaddress.ip_address("::1"))]
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=SELF_SIGNED_DAYS))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    files = TlsFiles(directory / CERT_FILE, directory / KEY_FILE)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    descriptor = os.open(files.key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(key_pem)
    files.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files
