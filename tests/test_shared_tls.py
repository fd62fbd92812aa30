"""Every solana-py client shares one TLS context (adapters/shared_tls.py), with verification on."""
import ssl

from adapters import shared_tls
from adapters.solana_rpc import RpcClient


def test_rpc_clients_share_one_verifying_tls_context():
    first, second = RpcClient(["https://rpc.example.invalid"]), RpcClient(["http://127.0.0.1:1"])
    contexts = {id(client._provider.session._transport._pool._ssl_context)
                for rpc in (first, second) for client in rpc._clients}
    assert contexts == {id(shared_tls.SHARED_TLS_CONTEXT)}
    context = shared_tls.SHARED_TLS_CONTEXT
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0   # the CA bundle is loaded
