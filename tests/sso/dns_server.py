"""A DNS server for the tests (dnslib, in-process, UDP on a free local port): TXT records of
`records` are answered, everything else NXDOMAIN. Point ILP_DNS_RESOLVER at `address`."""

import threading

from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSServer


class _Resolver(BaseResolver):
    def __init__(self, records: dict[str, list[str]]):
        self.records = records

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        values = self.records.get(name)
        if request.q.qtype == QTYPE.TXT and values:
            for value in values:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=1))
        elif not values:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


class _QuietLogger:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class TestDns:
    """`records[domain] = [txt, …]`; `address` is "127.0.0.1:<port>"."""

    __test__ = False

    def __init__(self):
        self.records: dict[str, list[str]] = {}
        self._server = DNSServer(
            _Resolver(self.records), port=0, address="127.0.0.1", logger=_QuietLogger()
        )
        self.address = f"127.0.0.1:{self._server.server.server_address[1]}"

    def start(self) -> "TestDns":
        self._thread = threading.Thread(target=self._server.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.server.shutdown()
        self._server.server.server_close()
