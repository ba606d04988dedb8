"""Kafka requests counted on the wire: every request sent to a broker port on loopback, by API and client id.

The count is taken from the packets themselves (a raw socket on ``lo``, root only), not from the clients, so a
client that sends more than it says is caught, whatever library it is (kafka-python, aiokafka). Each request
is a frame of a 4-byte size and a header whose first fields are the API key, its version, a correlation id and
the client id, in every version of the protocol.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4  # each packet on loopback is seen leaving and arriving: count it once
API_NAMES = {0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 8: "OffsetCommit", 9: "OffsetFetch",
             10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 14: "SyncGroup", 18: "ApiVersions"}  # fmt: skip


def can_capture() -> str | None:
    """None where packets can be read, else why not."""
    if not hasattr(socket, "AF_PACKET"):
        return "no raw packet sockets on this system (Linux only)"
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)).close()
    except PermissionError:
        return f"reading packets needs root or CAP_NET_RAW (running as uid {os.getuid()})"
    return None


@dataclass
class KafkaWire:
    """Counts the requests sent to ``port`` while running; ``counts[(api name, client id)]``."""

    port: int
    counts: Counter = field(default_factory=Counter)
    streams: dict = field(default_factory=dict)  # client (address, port) → bytes not yet framed
    stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> KafkaWire:
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind(("lo", 0))
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()

    def reset(self) -> None:
        self.counts = Counter()

    def of(self, api: str) -> Counter:
        """Requests of ``api`` by client id."""
        return Counter({client: n for (name, client), n in self.counts.items() if name == api})

    def _read(self) -> None:
        while not self.stop.is_set():
            try:
                packet, address = self.sock.recvfrom(262_144)
            except TimeoutError:
                continue
            except OSError:
                return
            if address[2] != PACKET_OUTGOING:
                self._packet(packet)

    def _packet(self, packet: bytes) -> None:
        ethertype = struct.unpack("!H", packet[12:14])[0]
        if ethertype == 0x0800:
            ip = packet[14:]
            if ip[9] != 6:  # TCP
                return
            tcp, source = ip[(ip[0] & 0x0F) * 4 :], ip[12:16]
        elif ethertype == 0x86DD:
            ip = packet[14:]
            if ip[6] != 6:
                return
            tcp, source = ip[40:], ip[8:24]
        else:
            return
        sport, dport = struct.unpack("!HH", tcp[:4])
        if dport != self.port:
            return
        payload = tcp[(tcp[12] >> 4) * 4 :]
        if payload:
            self._frames((source, sport), payload)

    def _frames(self, client: tuple, payload: bytes) -> None:
        buf = self.streams.get(client, b"") + payload
        while len(buf) >= 4:
            size = struct.unpack("!i", buf[:4])[0]
            if size < 10 or size > 64 * 1024 * 1024:
                buf = b""  # joined mid-frame (the capture began inside one): wait for a segment that starts one
                break
            if len(buf) < 4 + size:
                break
            frame, buf = buf[4 : 4 + size], buf[4 + size :]
            api, version, _correlation, length = struct.unpack("!hhih", frame[:10])
            if not (0 <= api < 100 and 0 <= version < 30 and -1 <= length <= size - 10):
                buf = b""  # not a request header: the capture began inside a frame that looked like a size
                break
            client_id = frame[10 : 10 + length].decode(errors="replace") if length > 0 else ""
            self.counts[(API_NAMES.get(api, str(api)), client_id)] += 1
        self.streams[client] = buf
